/**
 * The admin dashboard in a real browser (Debian's Chromium through playwright-core), in local
 * mode: ask for a sign-in link at /admin, open the email in the aws-ses-v2-local inbox, click the
 * link, confirm, see the pending post on the dashboard, approve it there, and watch the post
 * become PUBLISHED on the home page.
 *
 * Chromium is required, not optional: CI installs it (.ci/run), so a missing binary fails the suite.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startLocalStack, type LocalStack } from '../../src/local/local-stack';
import { ARTIFACTS, CHROMIUM, STEP_MS, openBrowser, poll } from '../support/browser';
import { emailsWithSubject, inbox, submitPost, waitFor } from '../support/local-client';
import { rememberSecret } from '../support/log-guard';

const ADMIN = 'admin@example.com';
const SIGN_IN_SUBJECT = 'Your sign-in link for the approvals dashboard';

describe('admin dashboard in a real browser (Chromium)', function () {
  this.timeout(90_000);

  let dataDir: string | undefined;
  let stack: LocalStack | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  /** CSP violations and page errors on the service's own pages (apiUrl), not on the inbox. */
  let pageProblems: string[] = [];

  const title = `Admin test ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const subject = `New post: ${title}`;
  let postId: string | undefined;
  let signedIn = false;
  let approved = false;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is required for the browser tests but ${CHROMIUM} does not exist: install it (apt-get install chromium), as .ci/run does in CI`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'email-approval-admin-browser-'));
    stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, reviewers: ['reviewer@example.com'], admins: [ADMIN], linkTtlHours: 1, logLevel: 'WARN' });
    ({ browser, context, page, problems: pageProblems } = await openBrowser(() => stack!.apiUrl));

    // A post waiting for review: submitted through the API, its review email already sent.
    const submitted = await submitPost(stack.apiUrl, { title, body: 'Decided from the dashboard.', authorEmail: 'author@example.com' });
    expect(submitted.status).to.equal(202);
    postId = submitted.body.id;
    await waitFor('the review email', async () => emailsWithSubject(await inbox(stack!.inboxUrl), `Review requested: ${subject}`)[0]);
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks for a sign-in link at /admin and gets the neutral answer', async () => {
    await page.goto(`${stack!.apiUrl}/admin`);
    await page.getByRole('heading', { level: 1, name: 'Admin sign-in' }).waitFor();
    await page.getByLabel('Your admin email address').fill(ADMIN);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.waitForURL(`${stack!.apiUrl}/admin/sign-in`);
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    expect(await page.locator('main').textContent()).to.include('If that address belongs to an admin');
  });

  it('signs in from the inbox: sign-in email → link → confirm → dashboard', async () => {
    await page.goto(stack!.inboxUrl);
    const email = page.locator('.email', { hasText: SIGN_IN_SUBJECT });
    await email.waitFor();
    expect(await email.count()).to.equal(1);
    expect(await email.textContent()).to.include(ADMIN);
    await email.getByRole('button', { name: 'Toggle HTML view' }).click();
    const link = email.frameLocator('iframe').getByRole('link', { name: 'Sign in' });
    await link.waitFor();
    const href = (await link.getAttribute('href')) ?? '';
    expect(href.startsWith(`${stack!.apiUrl}/admin/session?token=`), href.slice(0, 60)).to.equal(true);
    rememberSecret(new URL(href).searchParams.get('token') ?? undefined);

    // The email's button opens a new tab (target="_blank"): the confirmation page, which changes nothing.
    const [confirm] = await Promise.all([context.waitForEvent('page', { timeout: STEP_MS }), link.click()]);
    await confirm.waitForLoadState('load');
    expect(confirm.url().startsWith(`${stack!.apiUrl}/admin/session?token=`)).to.equal(true);
    await confirm.getByRole('heading', { level: 1, name: 'Admin sign-in' }).waitFor();
    await confirm.getByRole('button', { name: 'Sign in' }).click();
    await confirm.waitForURL(`${stack!.apiUrl}/admin`);
    const nav = ((await confirm.locator('nav').textContent()) ?? '').replace(/\s+/g, ' ');
    const code = (await confirm.locator('.code').allTextContents()).join(' ');
    expect(nav, `dashboard after "Sign in" ${code}`.trim()).to.include(`Signed in as ${ADMIN}`);

    const cookies = await context.cookies(stack!.apiUrl);
    const session = cookies.find((c) => c.name === '__Host-admin');
    expect(session, 'the session cookie').to.not.equal(undefined);
    rememberSecret(session!.value);
    expect(session).to.deep.include({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    await confirm.close();
    signedIn = true;
  });

  it('shows the pending post on the dashboard and approves it there', async () => {
    expect(signedIn, 'needs the sign-in of the previous test').to.equal(true);
    await page.goto(`${stack!.apiUrl}/admin`);
    await page.getByRole('heading', { level: 1, name: 'Approval requests' }).waitFor();
    const row = page.locator('tbody tr', { hasText: subject });
    await row.waitFor();
    expect(await row.locator('td').nth(1).textContent()).to.equal('author@example.com');
    expect(await row.locator('td').nth(2).textContent()).to.equal('reviewer@example.com');
    expect(await row.locator('td').nth(5).textContent()).to.equal('0 of 1');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-dashboard.png'), fullPage: true });

    await row.getByRole('textbox', { name: `Comment on ${subject} (optional)` }).fill('Approved from the dashboard');
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${stack!.apiUrl}/admin`);
    const code = (await page.locator('.code').allTextContents()).join(' ');
    await page.getByRole('heading', { level: 1, name: 'Approval requests' }).waitFor();
    expect(code).to.equal('');
    const decided = page.locator('h2:text("Decided") + table tbody tr', { hasText: subject });
    await decided.waitFor();
    expect(await decided.locator('td').nth(1).textContent()).to.equal('Approved');
    expect(await decided.locator('td').nth(2).textContent()).to.equal(ADMIN);
    approved = true;
  });

  it("shows the request's audit trail with the admin's vote", async () => {
    expect(approved, 'needs the approval of the previous test').to.equal(true);
    await page.locator('h2:text("Decided") + table tbody tr', { hasText: subject }).getByRole('link', { name: subject }).click();
    await page.getByRole('heading', { level: 1, name: subject }).waitFor();
    const voted = page.locator('tr', { hasText: 'voted' });
    expect(await voted.locator('td').nth(2).textContent()).to.equal(ADMIN);
    expect(await page.locator('tr', { hasText: 'Outcome' }).textContent()).to.include(`Approved by ${ADMIN}`);
  });

  it('shows the post as PUBLISHED on the home page', async () => {
    expect(approved, 'needs the approval of the dashboard test').to.equal(true);
    const postRow = () => page.locator('tbody tr', { hasText: title });
    let last = '(not loaded)';
    await poll(
      'post status PUBLISHED on the home page',
      async () => {
        await page.goto(`${stack!.apiUrl}/`);
        last = ((await postRow().locator('span.status').textContent({ timeout: 2_000 }).catch(() => null)) ?? '(no row)').trim();
        return last === 'PUBLISHED' ? true : undefined;
      },
      () => last,
    );
    expect(await postRow().locator('td').nth(3).textContent()).to.equal(`approved by ${ADMIN}: “Approved from the dashboard”`);
    expect(postId).to.be.a('string');
    await page.screenshot({ path: join(ARTIFACTS, 'admin-home-published.png'), fullPage: true });
  });

  it('signs out: the dashboard then offers the sign-in form again', async () => {
    expect(signedIn, 'needs the sign-in').to.equal(true);
    await page.goto(`${stack!.apiUrl}/admin`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${stack!.apiUrl}/admin`);
    await page.getByRole('heading', { level: 1, name: 'Admin sign-in' }).waitFor();
    expect((await context.cookies(stack!.apiUrl)).find((c) => c.name === '__Host-admin')).to.equal(undefined);
  });

  it('raised no CSP violation or script error on the service pages', () => {
    expect(pageProblems).to.deep.equal([]);
  });
});
