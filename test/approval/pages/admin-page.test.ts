import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  ADMIN_PAGE_HEADERS,
  ADMIN_STYLE,
  SIGN_IN_SENT_TEXT,
  adminErrorPage,
  dashboardPage,
  humanDuration,
  requestPage,
  signInConfirmPage,
  signInPage,
  signInSentPage,
  type RequestSummary,
} from '../../../src/approval/pages/admin-page';

const now = 1_900_000_000;
const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();
const EVIL = '"><script>alert(1)</script><img src=x onerror=alert(2)>';

/** Every place a value can land: text, attribute, link. None of these may survive unescaped. */
function expectNoRawMarkup(html: string): void {
  expect(html).to.not.include('<script>').and.not.include('<img').and.not.include('"><script');
}

function summary(overrides: Partial<RequestSummary> = {}): RequestSummary {
  return {
    requestId: 'AAAAAAAAAAAAAAAAAAAAAA',
    subject: 'Publish "Spring sale"',
    requestedBy: 'author@example.com',
    reviewers: ['alice@example.com', 'bob@example.com'],
    createdAt: iso(now - 3 * 3600 - 120),
    expiresAt: now + 2 * 86_400 + 600,
    status: 'PENDING',
    requiredApprovals: 2,
    votes: [{ reviewer: 'alice@example.com', decision: 'approved', at: iso(now - 3600), comment: 'fine' }],
    ...overrides,
  };
}

const evilRequest = summary({
  requestId: `id${EVIL}`,
  subject: `subject${EVIL}`,
  requestedBy: `author${EVIL}`,
  reviewers: [`rev${EVIL}`],
  createdAt: `created${EVIL}`,
  status: 'PENDING',
  votes: [{ reviewer: `voter${EVIL}`, decision: 'approved', at: `at${EVIL}`, comment: `comment${EVIL}` }],
});

const decided = summary({
  requestId: 'BBBBBBBBBBBBBBBBBBBBBB',
  subject: 'Old post',
  status: 'REJECTED',
  decision: 'rejected',
  decidedBy: 'carol@example.com',
  decidedAt: '2030-03-17T17:46:40.000Z',
});

/** The forms of a page: action, hidden fields by name, the fields a person fills, and what each named button sends. */
function formsOf(html: string): { action: string; hidden: Record<string, string>; inputs: string[]; buttons: string[] }[] {
  return [...html.matchAll(/<form method="post" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].map(([, action, body]) => ({
    action: action!,
    hidden: Object.fromEntries([...body!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(([, n, v]) => [n!, v!])),
    inputs: [...body!.matchAll(/<(?:input type="(?:text|email)"|textarea)[^>]* name="([^"]*)"/g)].map(([, n]) => n!),
    buttons: [...body!.matchAll(/<button type="submit" name="([^"]*)" value="([^"]*)"/g)].map(([, n, v]) => `${n!}=${v!}`),
  }));
}

describe('admin pages', () => {
  describe('headers', () => {
    it('send no-store, no-referrer, nosniff, DENY and a strict CSP that allows exactly the page style', () => {
      expect(ADMIN_PAGE_HEADERS).to.include({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      });
      const csp = ADMIN_PAGE_HEADERS['content-security-policy']!;
      expect(csp).to.include("default-src 'none'").and.include("form-action 'self'").and.include("frame-ancestors 'none'").and.include("base-uri 'none'");
      expect(csp).to.include(`'sha256-${createHash('sha256').update(ADMIN_STYLE).digest('base64')}'`);
      expect(csp).to.not.include('unsafe-inline').and.not.include('script-src');
    });

    it('render the style the CSP hash names, and no scripts', () => {
      for (const html of [signInPage(), signInSentPage(), dashboardPage({ admin: 'a@example.com', csrf: 'c', now, pending: [], decided: [] })]) {
        expect(html).to.include(`<style>${ADMIN_STYLE}</style>`);
        expect(html).to.not.match(/<script/i);
      }
    });
  });

  describe('sign-in', () => {
    it('posts the email field to /admin/sign-in, with no CSRF field (it needs no session)', () => {
      const forms = formsOf(signInPage());
      expect(forms).to.have.length(1);
      expect(forms[0]).to.deep.equal({ action: '/admin/sign-in', hidden: {}, inputs: ['email'], buttons: [] });
    });

    it('escapes the message', () => {
      const html = signInPage({ message: EVIL });
      expectNoRawMarkup(html);
      expect(html).to.include('&lt;script&gt;');
    });

    it('answers with the same neutral text whatever was entered (the page takes no input at all)', () => {
      const html = signInSentPage();
      expect(signInSentPage()).to.equal(html);
      expect(html).to.include(SIGN_IN_SENT_TEXT.replace("'", '&#39;'));
      expect(SIGN_IN_SENT_TEXT).to.equal('If that address belongs to an admin, a sign-in link is on its way. It works once, for 15 minutes.');
      expect(html).to.not.include('@');
    });

    it('confirms a sign-in link with a POST of the token, escaped, to /admin/session, only from its pressed button', () => {
      const forms = formsOf(signInConfirmPage({ token: 'abc_-123' }));
      expect(forms).to.deep.equal([{ action: '/admin/session', hidden: { token: 'abc_-123' }, inputs: [], buttons: ['confirm=sign-in'] }]);
      expect(signInConfirmPage({ token: 'x', message: 'Press Sign in <now>' })).to.include('role="alert">Press Sign in &lt;now&gt;');
      expectNoRawMarkup(signInConfirmPage({ token: EVIL }));
    });
  });

  describe('dashboard', () => {
    const view = { admin: 'ops@example.com', csrf: 'CSRF_token-1234567890ab', now, pending: [summary()], decided: [decided] };

    it('shows subject, author, reviewers, age, time left and approvals so far for a pending request', () => {
      const html = dashboardPage(view);
      expect(html).to.include('Publish &quot;Spring sale&quot;');
      expect(html).to.include('author@example.com');
      expect(html).to.include('alice@example.com, bob@example.com');
      expect(html).to.include('<td class="nowrap">3 h</td><td class="nowrap">2 d</td><td class="nowrap">1 of 2</td>');
    });

    it('links each request to /admin/requests/<requestId>', () => {
      const html = dashboardPage(view);
      expect(html).to.include('href="&#x2F;admin&#x2F;requests&#x2F;AAAAAAAAAAAAAAAAAAAAAA"');
      expect(html).to.include('href="&#x2F;admin&#x2F;requests&#x2F;BBBBBBBBBBBBBBBBBBBBBB"');
    });

    it('gives each pending row one form posting to /admin/decide: requestId, csrf, a comment box, and the decision only from the pressed button', () => {
      const html = dashboardPage(view);
      const forms = formsOf(html).filter((f) => f.action === '/admin/decide');
      const common = { requestId: 'AAAAAAAAAAAAAAAAAAAAAA', csrf: 'CSRF_token-1234567890ab' };
      expect(forms).to.deep.equal([{ action: '/admin/decide', hidden: common, inputs: ['comment'], buttons: ['decision=approve', 'decision=reject'] }]);
      expect(html).to.match(/<textarea name="comment"[^>]*aria-label="Comment on Publish &quot;Spring sale&quot; \(optional\)"/);
    });

    it('carries the csrf field in the sign-out form too', () => {
      const signOut = formsOf(dashboardPage(view)).filter((f) => f.action === '/admin/sign-out');
      expect(signOut).to.deep.equal([{ action: '/admin/sign-out', hidden: { csrf: 'CSRF_token-1234567890ab' }, inputs: [], buttons: [] }]);
    });

    it('offers no decide forms for a request that is already being decided', () => {
      const html = dashboardPage({ ...view, pending: [summary({ status: 'DECIDING' })], decided: [] });
      expect(formsOf(html).filter((f) => f.action === '/admin/decide')).to.have.length(0);
      expect(html).to.include('DECIDING');
    });

    it('shows outcome, who and when for decided requests', () => {
      const html = dashboardPage(view);
      expect(html).to.include('<td>Rejected</td><td>carol@example.com</td><td>Sun 17 Mar 2030, 17:46 UTC (just now)</td>');
    });

    it('says so when there is nothing pending or decided', () => {
      const html = dashboardPage({ ...view, pending: [], decided: [] });
      expect(html).to.include('Nothing is waiting for a decision.').and.include('No decided requests.');
      expect(html).to.not.include('<table>');
    });

    it('shows "expired" for a pending request past its expiry', () => {
      const html = dashboardPage({ ...view, pending: [summary({ expiresAt: now })], decided: [] });
      expect(html).to.include('<td class="nowrap">expired</td>');
    });

    it('escapes every inserted value, in text, attributes and links', () => {
      const html = dashboardPage({
        admin: `admin${EVIL}`,
        csrf: `csrf${EVIL}`,
        now,
        pending: [evilRequest],
        decided: [{ ...evilRequest, status: 'APPROVED', decision: 'approved', decidedBy: `by${EVIL}`, decidedAt: `when${EVIL}` }],
      });
      expectNoRawMarkup(html);
      for (const prefix of ['admin', 'csrf', 'subject', 'author', 'rev', 'by', 'when']) {
        expect(html, prefix).to.include(`${prefix}&quot;&gt;&lt;script&gt;`);
      }
      // The requestId is URL-encoded in links and HTML-escaped in the hidden field.
      expect(html).to.include('id%22%3E%3Cscript%3E').and.include('value="id&quot;&gt;&lt;script&gt;');
    });
  });

  describe('request page', () => {
    const audit = [
      { type: 'created', at: iso(now - 4 * 3600), actor: 'system' },
      { type: 'voted', at: iso(now - 3600), actor: 'r0', detail: 'approved' },
    ];

    it('shows the facts, the votes and the audit trail as a table', () => {
      const html = requestPage({ admin: 'ops@example.com', csrf: 'c', request: summary(), audit, now });
      expect(html).to.include('<tr><th>Approvals</th><td>1 of 2</td></tr>');
      expect(html).to.include('<tr><th>Expires</th><td>Tue 19 Mar 2030, 17:56 UTC (in 2 days)</td></tr>');
      expect(html).to.include('<tr><th>Created</th><td>Sun 17 Mar 2030, 14:44 UTC (3 hours ago)</td></tr>');
      expect(html).to.include('<td>alice@example.com</td><td>approved</td><td>Sun 17 Mar 2030, 16:46 UTC (1 hour ago)</td><td class="details">fine</td>');
      expect(html).to.not.match(/\d{4}-\d\d-\d\dT/);
      expect(html).to.include('<td>alice@example.com</td><td>approved</td>');
      expect(html).to.match(/<th>When<\/th><th>Event<\/th><th>Actor<\/th><th>Detail<\/th>/);
      expect(html).to.include('<td>created</td><td>system</td><td></td>').and.include('<td>voted</td><td>r0</td><td>approved</td>');
    });

    it('offers the decide forms with the csrf field while pending, and not once decided', () => {
      const pending = formsOf(requestPage({ admin: 'a@example.com', csrf: 'tok', request: summary(), audit }));
      expect(pending.filter((f) => f.action === '/admin/decide').map((f) => [f.hidden, f.buttons])).to.deep.equal([
        [{ requestId: 'AAAAAAAAAAAAAAAAAAAAAA', csrf: 'tok' }, ['decision=approve', 'decision=reject']],
      ]);
      const html = requestPage({ admin: 'a@example.com', csrf: 'tok', request: decided, audit });
      expect(formsOf(html).filter((f) => f.action === '/admin/decide')).to.have.length(0);
      expect(html).to.include('Rejected by carol@example.com at Sun 17 Mar 2030, 17:46 UTC');
    });

    it('shows a refused decision again: the comment as typed (escaped) and why, nothing preselected', () => {
      const html = requestPage({ admin: 'a@example.com', csrf: 'tok', request: summary(), audit, now, comment: 'two\nlines <b>&</b>', problem: 'Choose Approve or Reject.' });
      expect(html).to.include('Nothing was decided yet.</strong> Choose Approve or Reject.');
      expect(/<textarea[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1]).to.equal('two\nlines &lt;b&gt;&amp;&lt;&#x2F;b&gt;');
      expect(html).to.not.include('checked');
    });

    it('escapes every inserted value, audit entries included', () => {
      const html = requestPage({
        admin: `admin${EVIL}`,
        csrf: `csrf${EVIL}`,
        request: { ...evilRequest, decidedBy: `by${EVIL}` },
        audit: [{ type: `type${EVIL}`, at: `at${EVIL}`, actor: `actor${EVIL}`, detail: `detail${EVIL}` }],
      });
      expectNoRawMarkup(html);
      for (const prefix of ['admin', 'csrf', 'subject', 'author', 'rev', 'voter', 'comment', 'created', 'type', 'actor', 'detail']) {
        expect(html, prefix).to.include(`${prefix}&quot;&gt;&lt;script&gt;`);
      }
    });
  });

  describe('error page', () => {
    it('shows the code and the message, escaped', () => {
      const html = adminErrorPage('SESSION_EXPIRED', 'Your session has ended. Sign in again.');
      expect(html).to.include('Code: SESSION_EXPIRED').and.include('Your session has ended. Sign in again.');
      expectNoRawMarkup(adminErrorPage(EVIL, EVIL, EVIL));
    });
  });

  describe('humanDuration', () => {
    const cases: [number, string][] = [
      [-5, '< 1 min'],
      [59, '< 1 min'],
      [60, '1 min'],
      [3599, '59 min'],
      [3 * 3600 + 59, '3 h'],
      [86_399, '23 h'],
      [2 * 86_400 + 3600, '2 d'],
    ];
    for (const [seconds, text] of cases) {
      it(`says ${seconds} s is "${text}"`, () => {
        expect(humanDuration(seconds)).to.equal(text);
      });
    }
  });
});
