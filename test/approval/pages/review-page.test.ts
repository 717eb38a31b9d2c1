import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { PAGE_HEADERS, confirmationPage, errorPage, resultPage, type ConfirmView } from '../../../src/approval/pages/review-page';

const NOW = new Date('2026-11-30T00:04:39.006Z');

const view = (extra: Partial<ConfirmView> = {}): ConfirmView => ({
  subject: 'New post: Hello',
  summary: 'A first post.',
  reviewer: 'a@example.com',
  expiresAt: 'Mon 7 Dec 2026, 00:04 UTC (in 7 days)',
  hidden: { r: 'abc', t: 'csrf' },
  commentLimit: 2000,
  ...extra,
});

/** The textarea's content as the browser reads it: the parser drops one newline right after the tag, then decodes entities. */
function textareaValue(html: string): string {
  const raw = /<textarea[^>]*>\n?([^<]*)<\/textarea>/.exec(html)?.[1];
  if (raw === undefined) throw new Error('no textarea');
  return raw.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

describe('review pages', () => {
  it('send no-store, no-referrer, nosniff and a strict CSP with frame-ancestors none', () => {
    expect(PAGE_HEADERS).to.include({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' });
    const csp = PAGE_HEADERS['content-security-policy']!;
    expect(csp).to.include("default-src 'none'").and.include("form-action 'self'").and.include("frame-ancestors 'none'");
    expect(csp).to.not.include('unsafe-inline');
  });

  describe('confirmation page', () => {
    it('escapes every value', () => {
      const html = confirmationPage(view({ subject: '<script>x</script>', summary: '"><img src=x>', hidden: { r: '"><script>' } }));
      expect(html).to.not.include('<script>x').and.not.include('<img src=x>').and.not.include('"><script>');
    });

    it('preselects nothing: two submit buttons carry the decision, and no radio or checked control exists', () => {
      const html = confirmationPage(view());
      expect(html).to.include('<button type="submit" name="decision" value="approve"');
      expect(html).to.include('<button type="submit" name="decision" value="reject"');
      expect(html).to.not.match(/checked|type="radio"|name="decision" value="[^"]*" *>|<input[^>]*name="decision"/);
      expect(html.match(/type="submit"/g)).to.have.length(2);
    });

    it('offers a several-line comment box with the limit of this request', () => {
      const html = confirmationPage(view({ commentLimit: 1000 }));
      expect(html).to.match(/<textarea id="comment" name="comment"[^>]*>/);
      expect(html).to.include('Up to 1,000 characters');
      expect(html).to.not.include('one line');
    });

    it('shows the form again with the comment kept exactly (markup, quotes, line breaks) and the reason', () => {
      const typed = '\nfirst <b>line</b> & "quotes" \'too\'\r\n</textarea><script>alert(1)</script>\nlast';
      const html = confirmationPage(view({ comment: typed, problem: 'Your comment has 2,001 characters; at most 2,000 fit.' }));
      expect(textareaValue(html)).to.equal(typed);
      expect(html).to.not.include('<script>alert(1)');
      expect(html).to.include('role="alert"').and.include('Nothing was decided yet.').and.include('at most 2,000 fit');
      expect(html).to.match(/aria-describedby="comment-hint problem"/);
    });

    it('shows no message and an empty box on the first visit', () => {
      const html = confirmationPage(view());
      expect(html).to.not.include('role="alert"');
      expect(textareaValue(html)).to.equal('');
    });
  });

  describe('result page', () => {
    it('says when the decision was recorded as a person reads it, not in ISO 8601', () => {
      const html = resultPage({ subject: 'S', decision: 'approved', decidedBy: 'a@example.com', decidedAt: NOW.toISOString() }, NOW);
      expect(html).to.include('Recorded for a@example.com at Mon 30 Nov 2026, 00:04 UTC (just now).');
      expect(html).to.not.include('2026-11-30T');
    });

    it('shows a multi-line comment escaped, its lines kept', () => {
      const html = resultPage({ subject: 'S', decision: 'rejected', decidedBy: 'a', decidedAt: NOW.toISOString(), comment: 'one <i>\ntwo & "3"' }, NOW);
      expect(html).to.include('<blockquote class="details">one &lt;i&gt;\ntwo &amp; &quot;3&quot;</blockquote>');
    });
  });

  describe('error page', () => {
    it('shows the stable code and plain words, never exception text', () => {
      const err = new ApprovalError('INTERNAL', { cause: new Error('secret stack detail') });
      const html = errorPage(err);
      expect(html).to.include('Code: INTERNAL').and.not.include('secret stack detail');
    });

    it('says who decided and when, as a person reads the time', () => {
      const err = new ApprovalError('ALREADY_DECIDED', { decided: { decision: 'approved', decidedBy: 'b@example.com', decidedAt: '2026-11-27T00:04:39.006Z' } });
      expect(errorPage(err, { now: NOW })).to.include('It was <strong>approved</strong> by b@example.com at Fri 27 Nov 2026, 00:04 UTC (3 days ago).');
    });

    it('shows back, escaped, a comment that was sent but not recorded', () => {
      const html = errorPage(new ApprovalError('THROTTLED'), { typed: 'keep <me>\nplease' });
      expect(html).to.include('Your comment was not recorded').and.include('keep &lt;me&gt;\nplease');
      expect(errorPage(new ApprovalError('THROTTLED'))).to.not.include('Your comment');
    });
  });
});
