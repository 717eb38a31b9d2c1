/**
 * Local mode in a real browser (Debian's Chromium through playwright-core): submit a post on the
 * home page, open the reviewer's email in the aws-ses-v2-local inbox, click Approve, confirm,
 * and watch the post become PUBLISHED and the execution SUCCEEDED.
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
import { rememberSecret } from '../support/log-guard';


describe('local mode in a real browser (Chromium)', function () {
  this.timeout(90_000);

  let dataDir: string | undefined;
  let stack: LocalStack | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  /** CSP violations and page errors on the service's own pages (apiUrl), not on the inbox. */
  let pageProblems: string[] = [];

  const title = `Browser test ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const subject = `Review requested: New post: ${title}`;
  let postId: string | undefined;
  let confirmed = false;

  const home = () => `${stack!.apiUrl}/`;
  const postRow = () => page.locator('tbody tr', { hasText: title });

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is required for the browser tests but ${CHROMIUM} does not exist: install it (apt-get install chromium), as .ci/run does in CI`);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'email-approval-browser-'));
    stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, reviewers: ['reviewer@example.com'], linkTtlHours: 1, logLevel: 'WARN' });
    ({ browser, context, page, problems: pageProblems } = await openBrowser(() => stack!.apiUrl));
  });

  after(async function () {
    await browser?.close().catch(() => undefined);
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('submits a post from the home page form', async () => {
    await page.goto(home());
    await page.getByRole('heading', { level: 1, name: 'Blog moderation (local)' }).waitFor();
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Body').fill('Written by a real browser.\nSecond line.');
    await page.getByLabel('Your email').fill('author@example.com');
    await page.getByRole('button', { name: 'Submit for review' }).click();

    await page.waitForURL(`${stack!.apiUrl}/?submitted=1`);
    expect(await page.locator('.notice').textContent()).to.include('Submitted');
    await postRow().waitFor();
    expect(await postRow().locator('td').nth(1).textContent()).to.equal('author@example.com');
    expect(await postRow().locator('span.status').textContent()).to.not.equal('PUBLISHED');
    const href = await postRow().getByRole('link', { name: 'execution' }).getAttribute('href');
    const match = /^\/executions\/([A-Za-z0-9_-]+)$/.exec(href ?? '');
    expect(match, `execution link ${href}`).to.not.equal(null);
    postId = match![1];
  });

  it('approves it from the inbox: Approve link → confirmation page (approve preselected) → Approved', async () => {
    expect(postId, 'needs the post submitted by the previous test').to.be.a('string');
    await page.goto(stack!.inboxUrl);
    // The inbox page fetches /store every second and prepends each new email as a .email card.
    const email = page.locator('.email', { hasText: subject });
    await email.waitFor();
    expect(await email.count()).to.equal(1);
    expect(await email.textContent()).to.include('reviewer@example.com');
    // The HTML body sits in a hidden iframe until "Toggle HTML view".
    await email.getByRole('button', { name: 'Toggle HTML view' }).click();
    const approve = email.frameLocator('iframe').getByRole('link', { name: 'Approve' });
    await approve.waitFor();
    const href = (await approve.getAttribute('href')) ?? '';
    expect(href.startsWith(`${stack!.apiUrl}/review?`), href.slice(0, 80)).to.equal(true);
    const link = new URL(href);
    expect(link.searchParams.get('a')).to.equal('approve');
    rememberSecret(link.searchParams.get('c') ?? undefined);
    rememberSecret(link.searchParams.get('m') ?? undefined);

    // The email's buttons open in a new tab (target="_blank").
    const [confirm] = await Promise.all([context.waitForEvent('page', { timeout: STEP_MS }), approve.click()]);
    await confirm.waitForLoadState('load');
    expect(confirm.url().startsWith(`${stack!.apiUrl}/review?`)).to.equal(true);
    await confirm.getByRole('heading', { level: 1, name: `New post: ${title}` }).waitFor();
    expect(await confirm.getByRole('radio', { name: 'Approve' }).isChecked()).to.equal(true);
    expect(await confirm.getByRole('radio', { name: 'Reject' }).isChecked()).to.equal(false);
    await confirm.getByLabel('Comment (optional, one line)').fill('Fine by the browser');
    await confirm.screenshot({ path: join(ARTIFACTS, 'browser-confirm.png'), fullPage: true });

    // The form posts to `review` (no query): wait for that page, then say what it shows.
    await confirm.getByRole('button', { name: 'Confirm decision' }).click();
    await confirm.waitForURL(`${stack!.apiUrl}/review`);
    const heading = ((await confirm.locator('h1').textContent()) ?? '').trim();
    const code = (await confirm.locator('.code').allTextContents()).join(' ');
    expect(heading, `result page after "Confirm decision" ${code}`.trim()).to.equal('Approved');
    const result = (await confirm.locator('main').textContent()) ?? '';
    expect(result).to.include(`New post: ${title}`);
    expect(result).to.include('Recorded for reviewer@example.com');
    expect(result).to.include('Fine by the browser');
    await confirm.close();
    confirmed = true;
  });

  it('shows the post as PUBLISHED on the home page', async () => {
    expect(confirmed, 'needs the decision confirmed by the previous test').to.equal(true);
    let last = '(not loaded)';
    await poll(
      'post status PUBLISHED on the home page',
      async () => {
        await page.goto(home());
        last = ((await postRow().locator('span.status').textContent({ timeout: 2_000 }).catch(() => null)) ?? '(no row)').trim();
        return last === 'PUBLISHED' ? true : undefined;
      },
      () => last,
    );
    expect(await postRow().locator('span.status.PUBLISHED').count()).to.equal(1);
    expect(await postRow().locator('td').nth(3).textContent()).to.equal('approved by reviewer@example.com: “Fine by the browser”');
    await page.screenshot({ path: join(ARTIFACTS, 'browser-home-published.png'), fullPage: true });
  });

  it('draws the execution: the state machine in SVG and status SUCCEEDED', async () => {
    expect(confirmed, 'needs the decision confirmed by the second test').to.equal(true);
    let last = '(not loaded)';
    await poll(
      'execution status SUCCEEDED',
      async () => {
        await page.goto(`${stack!.apiUrl}/executions/${postId}`);
        last = ((await page.locator('main > p', { hasText: 'Status:' }).locator('span.status').textContent()) ?? '').trim();
        return last === 'SUCCEEDED' ? true : undefined;
      },
      () => last,
    );
    await page.getByRole('heading', { level: 1, name: `Execution ${postId}` }).waitFor();
    const svg = page.locator('svg[aria-label="State machine"]');
    expect(await svg.count()).to.equal(1);
    expect(await svg.locator('[data-state="RequestApproval"]').count()).to.equal(1);
    expect(await svg.locator('[data-state="RequestApproval"] text').first().textContent()).to.equal('RequestApproval');
    // Finished: no current state; the approval step is drawn as visited (green).
    expect(await svg.locator('[data-current]').count()).to.equal(0);
    expect(await svg.locator('[data-state="RequestApproval"] rect').getAttribute('fill')).to.equal('#d1fae5');
    const box = await svg.boundingBox();
    expect(box?.width ?? 0, 'SVG rendered with a width').to.be.greaterThan(100);
    await page.screenshot({ path: join(ARTIFACTS, 'browser-execution.png'), fullPage: true });
  });

  it('raised no CSP violation or script error on the service pages', () => {
    expect(pageProblems).to.deep.equal([]);
  });
});
