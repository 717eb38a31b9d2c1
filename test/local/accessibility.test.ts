/**
 * Accessibility in a real browser (Debian's Chromium through playwright-core): axe-core runs on
 * every page a person meets in local mode (home, execution, admin sign-in, dashboard, request
 * detail, confirmation, the confirmation shown again, result, and each error page) and on every
 * email, rendered as HTML by the same functions the mailer uses. No serious or critical
 * violation is allowed; the totals per page, by impact, are printed at the end.
 *
 * Pages that local mode reaches only by waiting or by failing a service (an expired link, a
 * closed review, "busy") are rendered by the page function the handler calls, like the emails.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ApprovalError } from '../../src/approval/domain/errors';
import { POST_FAILURE_REASONS, type PostFailureReason } from '../../src/blog/domain/post-failure';
import { renderAdminSignInEmail } from '../../src/approval/email/admin-email';
import { renderAuthorEmail } from '../../src/blog/email/author-email';
import { renderNoActionEmail, renderReviewClosedEmail, renderReviewEmail, type ReviewEmailKind } from '../../src/approval/email/review-email';
import { errorPage } from '../../src/approval/pages/review-page';
import { startLocalStack, type LocalStack } from '../../src/local/local-stack';
import { CHROMIUM, CHROMIUM_ARGS, STEP_MS } from '../support/browser';
import { emailsWithSubject, inbox, linksOf, submitPost, waitFor } from '../support/local-client';
import { rememberSecret } from '../support/log-guard';

type Impact = 'critical' | 'serious' | 'moderate' | 'minor';
type Totals = Record<Impact, number>;

interface AxeViolation {
  id: string;
  impact?: Impact | null;
  help: string;
  nodes: { target: unknown[] }[];
}

const ADMIN = 'admin@example.com';
const NOW = new Date('2026-11-30T00:04:39.006Z');

describe('accessibility of every page and email (axe-core in Chromium)', function () {
  this.timeout(120_000);

  let dataDir: string | undefined;
  let stack: LocalStack | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const results: { name: string; totals: Totals; violations: string[] }[] = [];

  /** Runs axe on what `page` shows now, records the totals under `name`, and fails on a serious or critical violation. */
  async function check(name: string): Promise<void> {
    await page.addScriptTag({ content: axe.source });
    // Runs in the page: `globalThis` is its window, and axe.run() with no context checks the whole document.
    const violations = (await page.evaluate(async () => {
      const found = await (globalThis as unknown as { axe: typeof axe }).axe.run();
      return found.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
    })) as AxeViolation[];
    const totals: Totals = { critical: 0, serious: 0, moderate: 0, minor: 0 };
    for (const v of violations) totals[v.impact ?? 'minor'] += v.nodes.length;
    const described = violations.map((v) => `${v.impact}: ${v.id} (${v.help}) at ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
    results.push({ name, totals, violations: described });
    expect(
      violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`),
      `${name}: serious or critical violations\n${described.join('\n')}`,
    ).to.deep.equal([]);
  }

  /** Opens a page of the service and checks it. */
  async function visit(name: string, path: string): Promise<void> {
    await page.goto(`${stack!.apiUrl}${path}`);
    await check(name);
  }

  /** Shows HTML (an email, a page rendered by its function) and checks it. */
  async function show(name: string, html: string): Promise<void> {
    await page.goto('about:blank');
    await page.setContent(html, { waitUntil: 'load' });
    await check(name);
  }

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is required for the browser tests but ${CHROMIUM} does not exist: install it (apt-get install chromium), as .ci/run does in CI`);
    }
    dataDir = mkdtempSync(join(tmpdir(), 'email-approval-a11y-'));
    stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, reviewers: ['reviewer@example.com'], admins: [ADMIN], linkTtlHours: 1, logLevel: 'WARN' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    // The pages allow no script (CSP): axe is injected past it, in this context only.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    context.setDefaultTimeout(STEP_MS);
    page = await context.newPage();
  });

  after(async function () {
    if (results.length > 0) {
      const width = Math.max(...results.map((r) => r.name.length));
      const lines = [
        '',
        `  axe-core ${axe.version}: violations by impact (nodes), per page and email`,
        `  ${'page or email'.padEnd(width)}  critical  serious  moderate  minor`,
        ...results.map((r) => `  ${r.name.padEnd(width)}  ${String(r.totals.critical).padStart(8)}  ${String(r.totals.serious).padStart(7)}  ${String(r.totals.moderate).padStart(8)}  ${String(r.totals.minor).padStart(5)}`),
        ...results.flatMap((r) => r.violations.map((v) => `    ${r.name}: ${v}`)),
        '',
      ];
      console.log(lines.join('\n'));
    }
    await browser?.close().catch(() => undefined);
    // The inbox's store is one per process: leave it empty for the suites that run after this one.
    if (stack) await fetch(`${stack.inboxUrl}/clear-store`, { method: 'POST' }).catch(() => undefined);
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  describe('pages', () => {
    let approve = '';
    let postId = '';

    it('home page and execution page', async () => {
      const submitted = await submitPost(stack!.apiUrl, { title: 'Accessible post', body: 'Checked by axe.\nTwo lines.', authorEmail: 'author@example.com' });
      expect(submitted.status).to.equal(202);
      postId = submitted.body.id;
      const email = await waitFor('the review email', async () => emailsWithSubject(await inbox(stack!.inboxUrl), 'Review requested: New post: Accessible post')[0]);
      ({ approve } = linksOf(email));
      await visit('home', '/');
      await visit('execution', `/executions/${postId}`);
    });

    it('confirmation page, the form shown again, and the result page', async () => {
      await page.goto(approve);
      await check('confirmation');
      await page.getByLabel('Comment (optional)').fill('x'.repeat(2001));
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.getByText('Nothing was decided yet.').waitFor();
      await check('confirmation shown again (comment too long)');
      await page.getByLabel('Comment (optional)').fill('Fine.\nSecond line <ok> & "quoted"');
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.getByRole('heading', { level: 1, name: 'Approved' }).waitFor();
      await check('result');
    });

    it('error pages: invalid link, already decided, expired, review closed, busy', async () => {
      const tampered = new URL(approve);
      tampered.searchParams.set('m', 'A'.repeat(22));
      await visit('error: invalid link (403)', `/review${tampered.search}`);
      await page.goto(approve);
      expect(await page.locator('.code').textContent()).to.include('ALREADY_DECIDED');
      await check('error: already decided (409)');
      await show('error: expired (410)', errorPage(new ApprovalError('LINK_EXPIRED')));
      await show('error: review closed (410)', errorPage(new ApprovalError('REVIEW_CLOSED'), { typed: 'A comment\nthat was not recorded' }));
      await show('error: busy (503)', errorPage(new ApprovalError('THROTTLED')));
    });

    it('admin sign-in, confirmation, dashboard and request detail', async () => {
      await visit('admin sign-in', '/admin');
      await page.getByLabel('Your admin email address').fill(ADMIN);
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
      await check('admin sign-in: link sent');
      // The inbox is one per process: take this stack's email, not one another suite left there.
      const mine = `Sign in: ${stack!.apiUrl}/admin/session?`;
      const mail = await waitFor('the sign-in email', async () => emailsWithSubject(await inbox(stack!.inboxUrl), 'Your sign-in link for the approvals dashboard').find((e) => e.body.text?.includes(mine)));
      const link = /^Sign in: (\S+)$/m.exec(mail.body.text ?? '')?.[1] ?? '';
      rememberSecret(new URL(link).searchParams.get('token') ?? undefined);
      await page.goto(link);
      await check('admin sign-in: confirmation');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${stack!.apiUrl}/admin`);
      const code = (await page.locator('.code').allTextContents()).join(' ');
      expect(code, `dashboard after "Sign in" ${await page.locator('main').textContent()}`).to.equal('');
      await page.getByRole('heading', { level: 1, name: 'Approval requests' }).waitFor();
      rememberSecret((await context.cookies(stack!.apiUrl)).find((c) => c.name === '__Host-admin')?.value);
      // A pending request on the dashboard, so its decide form is checked too.
      await submitPost(stack!.apiUrl, { title: 'Still pending', body: 'Waiting.', authorEmail: 'author@example.com' });
      await waitFor('the second review email', async () => emailsWithSubject(await inbox(stack!.inboxUrl), 'Review requested: New post: Still pending')[0]);
      await visit('admin dashboard', '/admin');
      await page.getByRole('link', { name: 'New post: Still pending' }).click();
      await page.getByRole('heading', { level: 1, name: 'New post: Still pending' }).waitFor();
      await check('admin request detail (pending)');
      const comment = page.getByRole('textbox', { name: 'Comment on New post: Still pending (optional)' });
      await comment.fill('y'.repeat(2001));
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.getByText('Nothing was decided yet.').waitFor();
      expect(await comment.inputValue()).to.equal('y'.repeat(2001));
      await check('admin request detail shown again (comment too long)');
      await comment.fill('Approved: two\nlines');
      await page.getByRole('button', { name: 'Approve' }).click();
      await page.waitForURL(`${stack!.apiUrl}/admin`);
      await page.getByRole('link', { name: 'New post: Accessible post' }).click();
      await page.getByRole('heading', { level: 1, name: 'New post: Accessible post' }).waitFor();
      await check('admin request detail (decided, audit trail)');
      await visit('admin error: not found (404)', '/admin/nothing-here');
    });
  });

  describe('emails (HTML part)', () => {
    const base = {
      subject: 'New post: Accessible post',
      summary: 'Checked by axe.\nTwo lines.',
      details: 'More text.',
      requestedBy: 'author@example.com',
      reviewer: 'reviewer@example.com',
      approveUrl: 'https://h.example/review?a=approve',
      rejectUrl: 'https://h.example/review?a=reject',
      expiresAt: NOW.getTime() / 1000 + 7 * 86_400,
    };

    for (const kind of ['request', 'reminder', 'escalation'] as ReviewEmailKind[]) {
      it(`review email: ${kind}`, async () => {
        await show(`email: review ${kind}`, renderReviewEmail({ ...base, kind, ...(kind === 'escalation' ? { required: 2 } : {}) }, NOW).html);
      });
    }

    it('no action needed, review closed', async () => {
      await show('email: no action needed', renderNoActionEmail({ subject: base.subject, decision: 'approved', decidedBy: 'alice@example.com', decidedAt: NOW.toISOString() }, NOW).html);
      await show('email: review closed', renderReviewClosedEmail({ subject: base.subject, executionStatus: 'ABORTED' }).html);
    });

    it("author's notices: published, rejected (with a comment), expired, failed", async () => {
      await show('email: author, published', renderAuthorEmail({ title: 'Accessible post', outcome: 'published' }).html);
      await show('email: author, rejected', renderAuthorEmail({ title: 'Accessible post', outcome: 'rejected', comment: 'Please add sources.\n<b>Two</b> & "lines"' }).html);
      await show('email: author, expired', renderAuthorEmail({ title: 'Accessible post', outcome: 'expired' }).html);
      for (const reason of Object.keys(POST_FAILURE_REASONS).slice(0, 1) as PostFailureReason[]) {
        await show(`email: author, failed (${reason})`, renderAuthorEmail({ title: 'Accessible post', outcome: 'failed', reason }).html);
      }
    });

    it('admin sign-in', async () => {
      await show('email: admin sign-in', renderAdminSignInEmail({ admin: ADMIN, signInUrl: 'https://h.example/admin/session?token=x', expiresAt: NOW.getTime() / 1000 + 900 }, NOW).html);
    });
  });
});
