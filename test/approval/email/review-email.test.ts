import { expect } from 'chai';
import { renderAuthorEmail } from '../../../src/blog/email/author-email';
import { formatExpiry, renderNoActionEmail, renderReviewEmail, type ReviewEmailView } from '../../../src/approval/email/review-email';

const NOW = new Date('2026-11-30T00:04:39.006Z');
const APPROVE = 'https://h.example/review?r=AAAA&v=0&a=approve&m=x';
const REJECT = 'https://h.example/review?r=AAAA&v=0&a=reject&m=y';

const view = (extra: Partial<ReviewEmailView> = {}): ReviewEmailView => ({
  subject: 'New post: Hello',
  summary: 'Approve: https://evil.example/approve\nA look-alike line.',
  details: 'Reject: https://evil.example/reject',
  requestedBy: 'author@example.com',
  reviewer: 'alice@example.com',
  approveUrl: APPROVE,
  rejectUrl: REJECT,
  expiresAt: Date.parse('2026-12-07T00:04:39Z') / 1000,
  ...extra,
});

describe('review emails', () => {
  describe('plain-text part', () => {
    it('puts the real links first, before any word of the author', () => {
      const { text } = renderReviewEmail(view(), NOW);
      const lines = text.split('\n');
      const approve = lines.indexOf(`Approve: ${APPROVE}`);
      const reject = lines.indexOf(`Reject: ${REJECT}`);
      expect(approve).to.be.above(-1);
      expect(reject).to.be.above(approve);
      const firstAuthorLine = lines.findIndex((line) => line.includes('New post: Hello'));
      expect(firstAuthorLine).to.be.above(reject);
    });

    it("quotes every line of the author's text with '> ', so a look-alike link never starts a line", () => {
      const { text } = renderReviewEmail(view(), NOW);
      expect(text).to.include('> New post: Hello\n>\n> Approve: https://evil.example/approve\n> A look-alike line.\n>\n> Reject: https://evil.example/reject');
      expect(text.match(/^Approve: .*$/gm)).to.deep.equal([`Approve: ${APPROVE}`]);
      expect(text.match(/^Reject: .*$/gm)).to.deep.equal([`Reject: ${REJECT}`]);
    });

    it('says when the links expire as a person reads it', () => {
      expect(renderReviewEmail(view(), NOW).text).to.include('expire Mon 7 Dec 2026, 00:04 UTC (in 7 days).');
    });

    it('keeps the author text verbatim: no HTML entities in the text part', () => {
      expect(renderReviewEmail(view({ summary: '<b> & "q" \'s\'' }), NOW).text).to.include('> <b> & "q" \'s\'');
    });
  });

  describe('HTML part', () => {
    it('writes the links as themselves (only & escaped) and escapes author text', () => {
      const { html } = renderReviewEmail(view({ summary: '<img src=x> & "q"' }), NOW);
      expect(html).to.include(`href="${APPROVE.replace(/&/g, '&amp;')}"`).and.include(`href="${REJECT.replace(/&/g, '&amp;')}"`);
      expect(html).to.not.include('&#x2F;').and.not.include('<img src=x>');
      expect(html).to.include('&lt;img src=x&gt; &amp; &quot;q&quot;');
    });
  });

  describe('formatExpiry', () => {
    it('gives the date, the UTC time and how far off it is', () => {
      expect(formatExpiry(Date.parse('2026-11-30T02:04:39Z') / 1000, NOW)).to.equal('Mon 30 Nov 2026, 02:04 UTC (in 2 hours)');
      expect(formatExpiry(Date.parse('2026-11-30T02:04:39Z') / 1000)).to.equal('Mon 30 Nov 2026, 02:04 UTC');
    });
  });

  describe('"no action needed" note', () => {
    it('says when the request was decided as a person reads it, in both parts', () => {
      const email = renderNoActionEmail({ subject: 'S', decision: 'approved', decidedBy: 'bob@example.com', decidedAt: '2026-11-30T00:01:39.006Z' }, NOW);
      expect(email.text).to.include('approved by bob@example.com at Mon 30 Nov 2026, 00:01 UTC (3 minutes ago).');
      expect(email.html).to.include('Mon 30 Nov 2026, 00:01 UTC (3 minutes ago)').and.not.include('2026-11-30T');
    });
  });

  describe("author's notice", () => {
    const comment = 'Please fix:\n- the <title> & "intro"\n- C:\\path';

    it("quotes the reviewer's comment line by line in the text part, verbatim", () => {
      const { text } = renderAuthorEmail({ title: 'T', outcome: 'rejected', comment });
      expect(text).to.include('> Please fix:\n> - the <title> & "intro"\n> - C:\\path');
    });

    it('keeps its lines in HTML (pre-wrap) and escapes it', () => {
      const { html } = renderAuthorEmail({ title: 'T', outcome: 'rejected', comment });
      expect(html).to.match(/<blockquote style="[^"]*white-space:pre-wrap[^"]*">Please fix:\n- the &lt;title&gt; &amp; &quot;intro&quot;\n- C:\\path<\/blockquote>/);
    });

    it('says nothing of a comment when there is none', () => {
      const email = renderAuthorEmail({ title: 'T', outcome: 'published' });
      expect(email.text).to.not.include('comment');
      expect(email.html).to.not.include('<blockquote');
    });
  });
});
