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
import { emailsWithSubject, getPost, inbox, linksOf, waitFor } from '../support/local-client';
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

  it('approves it from the inbox: Approve link → confirmation page (nothing preselected; a form sent without a button decides nothing) → Approved', async () => {
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
    expect(await confirm.getByRole('radio').count(), 'no radio, nothing preselected').to.equal(0);
    expect(await confirm.locator('[checked]').count()).to.equal(0);
    await confirm.getByLabel('Comment (optional)').fill('Fine by the browser');
    await confirm.screenshot({ path: join(ARTIFACTS, 'browser-confirm.png'), fullPage: true });

    // A mail scanner submitting the form as it stands (no button pressed): nothing is decided,
    // and the form comes back with the comment.
    await Promise.all([confirm.waitForURL(`${stack!.apiUrl}/review`), confirm.locator('form').evaluate((form) => (form as unknown as { submit(): void }).submit())]);
    await confirm.getByText('Nothing was decided yet.').waitFor();
    expect(await confirm.getByLabel('Comment (optional)').inputValue()).to.equal('Fine by the browser');
    const homeRow = await fetch(`${stack!.apiUrl}/posts/${postId}`).then((r) => r.json() as Promise<{ status: string }>);
    expect(homeRow.status, 'still in review after a form sent without a decision').to.equal('IN_REVIEW');

    // The form posts to `review` (no query): wait for that page, then say what it shows.
    await confirm.getByRole('button', { name: 'Approve' }).click();
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
    // Beside it, the event history as a timeline, as the Step Functions console shows it.
    await page.getByRole('heading', { level: 2, name: 'Event history' }).waitFor();
    const events = (await page.locator('ol.timeline > li > strong').allTextContents()).map((t) => t.trim());
    expect(events[0]).to.equal('ExecutionStarted');
    expect(events.at(-1)).to.equal('ExecutionSucceeded');
    expect(events).to.include.members(['TaskStateEntered', 'TaskScheduled', 'TaskSubmitted', 'TaskSucceeded', 'ChoiceStateEntered']);
    const approval = page.locator('ol.timeline > li', { hasText: 'TaskSucceeded' }).filter({ hasText: 'RequestApproval' });
    expect(await approval.count(), 'the approval step’s success, named by its state').to.equal(1);
    // No task token on the page: parameters and outputs are left out.
    expect(await page.content()).to.not.match(/[A-Za-z0-9+/]{120,}/);
    await page.screenshot({ path: join(ARTIFACTS, 'browser-execution.png'), fullPage: true });
  });

  it("rejects a second post with a several-line comment holding <, & and quotes, which reaches the author intact", async () => {
    const second = `${title} (second)`;
    const comment = 'Please fix:\n- the <title> & the "intro"\n- and C:\\path \'too\'';
    await page.goto(home());
    await page.getByLabel('Title').fill(second);
    await page.getByLabel('Body').fill('Another post.');
    await page.getByLabel('Your email').fill('author@example.com');
    await page.getByRole('button', { name: 'Submit for review' }).click();
    await page.waitForURL(`${stack!.apiUrl}/?submitted=1`);
    const row = page.locator('tbody tr', { hasText: second });
    const id = /^\/executions\/([A-Za-z0-9_-]+)$/.exec((await row.getByRole('link', { name: 'execution' }).getAttribute('href')) ?? '')![1]!;

    const email = await waitFor('the second review email', async () => emailsWithSubject(await inbox(stack!.inboxUrl), `Review requested: New post: ${second}`)[0]);
    rememberSecret(new URL(linksOf(email).reject).searchParams.get('c') ?? undefined);
    const confirm = await context.newPage();
    await confirm.goto(linksOf(email).reject);
    await confirm.getByLabel('Comment (optional)').fill(comment);
    await confirm.getByRole('button', { name: 'Reject' }).click();
    await confirm.getByRole('heading', { level: 1, name: 'Rejected' }).waitFor();
    expect(await confirm.locator('blockquote').textContent()).to.equal(comment);
    await confirm.close();

    // The post is rejected, and its public view carries the comment exactly: local mode's
    // intrinsic functions escape as AWS's do (States.JsonToString of a comment with quotes, a
    // backslash and line breaks is valid JSON).
    const rejected = await waitFor('the post rejected', async () => {
      const p = await getPost(stack!.apiUrl, id);
      return p.status === 'REJECTED' ? p : undefined;
    });
    expect(rejected.decision).to.include({ decision: 'rejected', comment });
    // The author's email: the comment quoted line by line in the text part, escaped in HTML.
    const notice = await waitFor('the author notice', async () => emailsWithSubject(await inbox(stack!.inboxUrl), `Your post was not accepted: ${second}`)[0]);
    expect(notice.body.text).to.include(comment.split('\n').map((line) => `> ${line}`).join('\n'));
    expect(notice.body.html).to.include('Please fix:\n- the &lt;title&gt; &amp; the &quot;intro&quot;');
  });

  it('raised no CSP violation or script error on the service pages', () => {
    expect(pageProblems).to.deep.equal([]);
  });
});
