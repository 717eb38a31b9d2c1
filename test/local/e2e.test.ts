/**
 * Local mode end to end over HTTP: the real handlers behind the local API, dynalite, the SES
 * inbox, local KMS and the deployed state machine definition run by aws-local-stepfunctions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ERROR_TABLE } from '../../src/approval/http/error-answers';
import { startLocalStack, type LocalStack } from '../../src/local/local-stack';
import { confirm, emailsWithSubject, getPost, inbox, linksOf, submitPost, waitFor } from '../support/local-client';

let counter = 0;
const uniqueTitle = (what: string) => `${what} ${process.pid}-${Date.now()}-${++counter}`;

describe('local mode, end to end over HTTP', function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack | undefined;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-e2e-'));
    stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, reviewers: ['reviewer@example.com'] });
  });
  afterEach(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function reviewEmail(s: LocalStack, title: string) {
    return waitFor('the review email', async () => emailsWithSubject(await inbox(s.inboxUrl), `Review requested: New post: ${title}`)[0]);
  }
  /** GET /posts/{id} as anyone may read it, as text. */
  const publicView = async (s: LocalStack, id: string) => (await fetch(`${s.apiUrl}/posts/${id}`)).text();
  const postStatus = (s: LocalStack, id: string, status: string) =>
    waitFor(`post ${status}`, async () => {
      const post = await getPost(s.apiUrl, id);
      return post.status === status ? post : undefined;
    });

  it('publishes a post a reviewer approves: submit → email → link → confirm → PUBLISHED', async () => {
    const s = stack!;
    const title = uniqueTitle('Approve me');
    const submitted = await submitPost(s.apiUrl, { title, body: 'A post about <b>things</b>.', authorEmail: 'author@example.com' });
    expect(submitted.status).to.equal(202);
    expect(submitted.body.status).to.equal('IN_REVIEW');

    const email = await reviewEmail(s, title);
    expect(email.destination.to).to.deep.equal(['reviewer@example.com']);
    expect(email.body.html).to.include('&lt;b&gt;things&lt;/b&gt;');
    const result = await confirm(linksOf(email).approve, undefined, 'Ship it');
    expect(result.status).to.equal(200);
    expect(result.html).to.include('Approved');

    const post = await postStatus(s, submitted.body.id, 'PUBLISHED');
    expect(post.decision).to.deep.include({ decision: 'approved' });
    // Public: who decided is an address, and an approval's comment is a note to the author (emailed).
    expect(post.decision).to.not.have.property('decidedBy');
    expect(post.decision).to.not.have.property('comment');
    expect(await publicView(s, submitted.body.id)).to.not.match(/@/);
    const author = await waitFor('the author email', async () => emailsWithSubject(await inbox(s.inboxUrl), `Your post is published: ${title}`)[0]);
    expect(author.destination.to).to.deep.equal(['author@example.com']);
  });

  it("rejects a post with the reviewer's comment and emails it to the author", async () => {
    const s = stack!;
    const title = uniqueTitle('Reject me');
    const { body } = await submitPost(s.apiUrl, { title, body: 'Thin post.', authorEmail: 'writer@example.com' });
    const email = await reviewEmail(s, title);

    const result = await confirm(linksOf(email).reject, undefined, 'Please add sources');
    expect(result.status).to.equal(200);
    expect(result.html).to.include('Rejected');

    const post = await postStatus(s, body.id, 'REJECTED');
    expect(post).to.have.all.keys('id', 'title', 'status', 'decision');
    expect(post.decision).to.have.all.keys('decision', 'decidedAt', 'comment');
    expect(post.decision).to.deep.include({ decision: 'rejected', comment: 'Please add sources' });
    expect(await publicView(s, body.id), 'neither the author nor the reviewer').to.not.match(/@/);
    const author = await waitFor('the author email', async () => emailsWithSubject(await inbox(s.inboxUrl), `Your post was not accepted: ${title}`)[0]);
    expect(author.destination.to).to.deep.equal(['writer@example.com']);
    expect(author.body.text).to.include('Please add sources');
  });

  it('answers a second click with "already decided" and keeps one decision', async () => {
    const s = stack!;
    const title = uniqueTitle('Twice');
    const { body } = await submitPost(s.apiUrl, { title, body: 'Body.', authorEmail: 'author@example.com' });
    const links = linksOf(await reviewEmail(s, title));
    expect((await confirm(links.approve)).status).to.equal(200);
    await postStatus(s, body.id, 'PUBLISHED');

    const again = await confirm(links.reject, 'reject', 'changed my mind');
    expect(again.page).to.equal(409);
    expect(again.html).to.include('ALREADY_DECIDED').and.include('approved');

    const record = [...s.stepFunctions.executions.values()].find((e) => e.name === body.id)!;
    expect(record.status).to.equal('SUCCEEDED');
    expect(JSON.parse(record.callback!.output!)).to.include({ decision: 'approved' });
    expect((await getPost(s.apiUrl, body.id)).status).to.equal('PUBLISHED');
    expect(emailsWithSubject(await inbox(s.inboxUrl), `Your post is published: ${title}`)).to.have.length(1);
  });

  it('refuses a tampered link with a 4xx and changes nothing', async () => {
    const s = stack!;
    const title = uniqueTitle('Tamper');
    const { body } = await submitPost(s.apiUrl, { title, body: 'Body.', authorEmail: 'author@example.com' });
    const { approve } = linksOf(await reviewEmail(s, title));
    const url = new URL(approve);
    url.searchParams.set('a', 'reject');

    const page = await fetch(url);
    expect(page.status).to.equal(403);
    expect(await page.text()).to.include('LINK_INVALID');
    expect((await getPost(s.apiUrl, body.id)).status).to.equal('IN_REVIEW');
    const record = [...s.stepFunctions.executions.values()].find((e) => e.name === body.id)!;
    expect(record.status).to.equal('RUNNING');
    expect(record.callback).to.equal(undefined);
  });

  it('keeps a pending approval across a restart: the emailed link still works, nothing is re-sent', async () => {
    const first = stack!;
    const title = uniqueTitle('Restart');
    const { body } = await submitPost(first.apiUrl, { title, body: 'Body.', authorEmail: 'author@example.com' });
    const { approve } = linksOf(await reviewEmail(first, title));
    const port = Number(new URL(first.apiUrl).port);
    await first.stop();
    stack = undefined;

    stack = await startLocalStack({ port, inboxPort: 0, dataDir, reviewers: ['reviewer@example.com'] });
    const second = stack;
    expect([...second.stepFunctions.executions.values()].find((e) => e.name === body.id)?.status).to.equal('RUNNING');
    const result = await confirm(approve);
    expect(result.status).to.equal(200);
    await postStatus(second, body.id, 'PUBLISHED');
    expect(emailsWithSubject(await inbox(second.inboxUrl), `Review requested: New post: ${title}`)).to.have.length(1);
  });

  it('keeps waiting through a review period longer than 24.8 days (Node timer limit)', async () => {
    await stack!.stop();
    stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, reviewers: ['reviewer@example.com'], linkTtlHours: 40 * 24 });
    const s = stack;
    const title = uniqueTitle('Forty days');
    const { body } = await submitPost(s.apiUrl, { title, body: 'Body.', authorEmail: 'author@example.com' });
    const { approve } = linksOf(await reviewEmail(s, title));
    // An unchained 40-day timer would have fired after 1 ms and expired the post already.
    const record = [...s.stepFunctions.executions.values()].find((e) => e.name === body.id)!;
    expect(record.taskDeadline! - record.startDate).to.be.closeTo(40 * 24 * 3600 * 1000, 5000);
    expect(record.status).to.equal('RUNNING');
    expect((await getPost(s.apiUrl, body.id)).status).to.equal('IN_REVIEW');
    expect((await confirm(approve)).status).to.equal(200);
    await postStatus(s, body.id, 'PUBLISHED');
  });

  it('returns the same post for a repeated Idempotency-Key, with one execution', async () => {
    const s = stack!;
    const post = { title: uniqueTitle('Idempotent'), body: 'Body.', authorEmail: 'author@example.com' };
    const a = await submitPost(s.apiUrl, post, 'key-1');
    const b = await submitPost(s.apiUrl, post, 'key-1');
    expect(b.body.id).to.equal(a.body.id);
    // The key belongs to its author and its post: another body is refused, another author is another post.
    const reused = await submitPost(s.apiUrl, { ...post, body: 'Another body.' }, 'key-1');
    expect(reused.status).to.equal(422);
    expect(reused.body).to.deep.include({ error: { code: 'IDEMPOTENCY_KEY_REUSED', message: ERROR_TABLE.IDEMPOTENCY_KEY_REUSED.message } });
    const other = await submitPost(s.apiUrl, { ...post, authorEmail: 'other@example.com' }, 'key-1');
    expect(other.status).to.equal(202);
    expect(other.body.id).to.not.equal(a.body.id);
    const subject = `Review requested: New post: ${post.title}`;
    await waitFor('two review emails', async () => (emailsWithSubject(await inbox(s.inboxUrl), subject).length >= 2 ? true : undefined));
    expect([...s.stepFunctions.executions.values()].filter((e) => e.name === a.body.id)).to.have.length(1);
    expect(emailsWithSubject(await inbox(s.inboxUrl), subject)).to.have.length(2);
    expect([...s.stepFunctions.executions.values()].filter((e) => e.name === other.body.id)).to.have.length(1);
  });
});
