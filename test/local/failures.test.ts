/**
 * Local mode end to end over HTTP, where things go wrong: every way a review can fail ends in a
 * final state that the API, the pages and an email to the author all tell.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DeleteIdentityCommand, ListIdentitiesCommand, SESClient, VerifyEmailIdentityCommand } from '@aws-sdk/client-ses';
import { LOCAL_SENDER, startLocalStack, type LocalStack } from '../../src/local/local-stack';
import { confirm, emailsWithSubject, getPost, inbox, linksOf, submitPost, waitFor } from '../support/local-client';

let counter = 0;
const uniqueTitle = (what: string) => `${what} ${process.pid}-${Date.now()}-${++counter}`;

describe('local mode, when a review cannot happen', function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack | undefined;

  async function start(reviewers: string[]) {
    stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, reviewers, sweepSeconds: 0 });
    return stack;
  }
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-failures-'));
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const sfnOf = (s: LocalStack) => new SFNClient({ endpoint: s.stepFunctions.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const executionOf = (s: LocalStack, postId: string) => [...s.stepFunctions.executions.values()].find((e) => e.name === postId)!;
  const postStatus = (s: LocalStack, id: string, status: string) =>
    waitFor(`post ${status}`, async () => {
      const post = await getPost(s.apiUrl, id);
      return post.status === status ? post : undefined;
    });
  const authorEmails = async (s: LocalStack, title: string) => emailsWithSubject(await inbox(s.inboxUrl), `Your post could not be reviewed: ${title}`);

  it('fails a post whose author is the only reviewer (NO_REVIEWERS), tells the author once, and shows it on the execution page', async () => {
    const s = await start(['alice@example.com']);
    const title = uniqueTitle('My own review');
    const { status, body } = await submitPost(s.apiUrl, { title, body: 'Body.', authorEmail: 'Alice@example.com' });
    expect(status).to.equal(202);

    const post = await postStatus(s, body.id, 'FAILED');
    expect(post).to.deep.include({ reason: 'NO_REVIEWERS' });
    expect(post.message).to.include('nobody may review their own post');
    expect(post).to.have.all.keys('id', 'title', 'status', 'reason', 'message');
    expect(await (await fetch(`${s.apiUrl}/posts/${body.id}`)).text(), 'the public view names no address').to.not.match(/@/);
    const told = await waitFor('the author email', async () => (await authorEmails(s, title))[0]);
    expect(told.destination.to).to.deep.equal(['alice@example.com']);
    expect(told.body.text).to.include(`"${title}" could not be reviewed.`);
    await waitFor('the execution to fail', async () => (executionOf(s, body.id).status === 'FAILED' ? true : undefined));
    expect(await authorEmails(s, title)).to.have.length(1);
    expect(emailsWithSubject(await inbox(s.inboxUrl), `Review requested: New post: ${title}`)).to.have.length(0);

    const described = await sfnOf(s).send(new DescribeExecutionCommand({ executionArn: executionOf(s, body.id).executionArn }));
    expect(described).to.include({ status: 'FAILED', error: 'ApprovalFailed', cause: 'NO_REVIEWERS' });
    const page = await (await fetch(`${s.apiUrl}/executions/${body.id}`)).text();
    expect(page).to.include('FAILED').and.include('ApprovalFailed').and.include('NO_REVIEWERS');
    const home = await (await fetch(`${s.apiUrl}/`)).text();
    expect(home).to.include('NO_REVIEWERS');
  });

  it('closes the request when an operator stops the execution: the post FAILS (ABORTED), its links say the review is over, and everyone is told', async () => {
    const s = await start(['reviewer@example.com']);
    const title = uniqueTitle('Stopped');
    const { body } = await submitPost(s.apiUrl, { title, body: 'Body.', authorEmail: 'author@example.com' });
    const review = await waitFor('the review email', async () => emailsWithSubject(await inbox(s.inboxUrl), `Review requested: New post: ${title}`)[0]);
    const links = linksOf(review);

    await sfnOf(s).send(new StopExecutionCommand({ executionArn: executionOf(s, body.id).executionArn, cause: 'duplicate post' }));

    const post = await postStatus(s, body.id, 'FAILED');
    expect(post.reason).to.equal('ABORTED');
    const closed = await waitFor('the reviewer note', async () => emailsWithSubject(await inbox(s.inboxUrl), `Review closed: New post: ${title}`)[0]);
    expect(closed.destination.to).to.deep.equal(['reviewer@example.com']);
    expect(closed.body.text).to.include('was stopped before a decision was reached');
    await waitFor('the author email', async () => (await authorEmails(s, title))[0]);

    const page = await fetch(links.approve);
    expect(page.status).to.equal(410);
    expect(await page.text()).to.include('This review is over');
    expect(executionOf(s, body.id)).to.include({ status: 'ABORTED', endDelivered: true });

    // Stopping again changes nothing and tells nobody twice.
    await sfnOf(s).send(new StopExecutionCommand({ executionArn: executionOf(s, body.id).executionArn }));
    expect(await authorEmails(s, title)).to.have.length(1);
    expect(emailsWithSubject(await inbox(s.inboxUrl), `Review closed: New post: ${title}`)).to.have.length(1);
  });

  it('fails a post whose review emails SES refuses (sender not verified): FAILED with EMAIL_DELIVERY_FAILED, not retried for minutes', async () => {
    const s = await start(['reviewer@example.com']);
    const ses = new SESClient({ endpoint: s.inboxUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ses.send(new DeleteIdentityCommand({ Identity: LOCAL_SENDER }));
    expect((await ses.send(new ListIdentitiesCommand({}))).Identities).to.not.include(LOCAL_SENDER);
    const title = uniqueTitle('Unverified');
    const { body } = await submitPost(s.apiUrl, { title, body: 'Body.', authorEmail: 'author@example.com' });

    const post = await postStatus(s, body.id, 'FAILED');
    expect(post.reason).to.equal('EMAIL_DELIVERY_FAILED');
    await waitFor('the execution to fail', async () => (executionOf(s, body.id).status === 'FAILED' ? true : undefined));
    expect(executionOf(s, body.id)).to.include({ error: 'ApprovalFailed', cause: 'EMAIL_DELIVERY_FAILED' });
    // Nothing reached anyone: the author's notice is refused too (on AWS the alarms tell the operator).
    expect((await inbox(s.inboxUrl)).filter((e) => e.subject.includes(title))).to.have.length(0);
    // The request the approval step stored is closed with its execution, not left pending.
    const dynamodb = new DynamoDBClient({ endpoint: s.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const table = 'email-approval';
    const execution = await waitFor('the execution item to close', async () => {
      const { Item } = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `EXEC#${executionOf(s, body.id).executionArn}` }, sk: { S: 'EXECUTION' } } }));
      return Item?.closedStatus ? Item : undefined;
    });
    expect(execution.closedStatus).to.deep.equal({ S: 'FAILED' });
    const [requestId] = execution.requests!.SS!;
    // The closer marks the execution closed first, then each of its requests.
    const request = await waitFor('the request to close', async () => {
      const { Item } = await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `REQ#${requestId}` }, sk: { S: 'REQUEST' } } }));
      return Item?.status?.S === 'CLOSED' ? Item : undefined;
    });
    expect(request.status).to.deep.equal({ S: 'CLOSED' });
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: LOCAL_SENDER }));
  });

  it('delivers an execution end that the previous process had not delivered, after a restart', async () => {
    let s = await start(['reviewer@example.com']);
    const title = uniqueTitle('Stopped while down');
    const { body } = await submitPost(s.apiUrl, { title, body: 'Body.', authorEmail: 'author@example.com' });
    await waitFor('the review email', async () => emailsWithSubject(await inbox(s.inboxUrl), `Review requested: New post: ${title}`)[0]);
    // Stopped as the process stops: the end is recorded but its delivery never completes.
    const record = executionOf(s, body.id);
    await s.stop();
    stack = undefined;
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(dataDir, 'executions.jsonl'), `${JSON.stringify({ ...record, status: 'ABORTED', stopDate: Date.now(), taskOpen: false, currentState: undefined, endDelivered: false })}\n`);

    s = await start(['reviewer@example.com']);
    const post = await postStatus(s, body.id, 'FAILED');
    expect(post.reason).to.equal('ABORTED');
    await waitFor('delivery recorded', async () => (executionOf(s, body.id).endDelivered ? true : undefined));
  });

  it('reviews a post whose body has an emoji across the excerpt boundary', async () => {
    const s = await start(['reviewer@example.com']);
    const title = uniqueTitle('Emoji');
    const text = `${'a'.repeat(278)}😀 and more text after the cut`;
    const { status, body } = await submitPost(s.apiUrl, { title, body: text, authorEmail: 'author@example.com' });
    expect(status).to.equal(202);
    const review = await waitFor('the review email', async () => emailsWithSubject(await inbox(s.inboxUrl), `Review requested: New post: ${title}`)[0]);
    expect((await confirm(linksOf(review).approve)).status).to.equal(200);
    await postStatus(s, body.id, 'PUBLISHED');
  });

  it('refuses up front a title the review email could not carry, naming the field, and starts nothing', async () => {
    const s = await start(['reviewer@example.com']);
    const before = s.stepFunctions.executions.size;
    const res = await fetch(`${s.apiUrl}/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'T'.repeat(195), body: 'Body.', authorEmail: 'author@example.com' }),
    });
    expect(res.status).to.equal(400);
    expect(JSON.stringify(await res.json())).to.include('title');
    const lone = await fetch(`${s.apiUrl}/posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"Hi","body":"\\ud800","authorEmail":"author@example.com"}' });
    expect(lone.status).to.equal(400);
    expect(JSON.stringify(await lone.json())).to.include('body');
    expect(s.stepFunctions.executions.size).to.equal(before);
  });
});
