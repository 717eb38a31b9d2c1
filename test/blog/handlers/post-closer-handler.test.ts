import { expect } from 'chai';
import { Logger } from '@aws-lambda-powertools/logger';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { DynamoPostStore } from '../../../src/blog/adapters/dynamo-post-store';
import type { Post } from '../../../src/blog/domain/post';
import { createPostCloserHandler } from '../../../src/blog/handlers/post-closer-handler';
import { ses, startHarness, type Harness } from '../../support/approval-harness';
import { EXECUTION, statusChange } from '../../support/execution-events';

const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });

describe("failing a post whose moderation execution ended without an outcome (blog example)", () => {
  let h: Harness;
  let posts: DynamoPostStore;
  let postCloser: ReturnType<typeof createPostCloserHandler>;
  const postId = 'p-AAAAAAAAAAAAAAAAAAAAAA';
  const post: Post = { id: postId, title: 'Hello', body: 'Body', authorEmail: 'author@example.com', status: 'IN_REVIEW', createdAt: '2026-11-28T09:00:00.000Z' };
  beforeEach(async () => {
    h = await startHarness();
    posts = new DynamoPostStore(h.table.client, h.table.tableName);
    postCloser = createPostCloserHandler({ posts, mailer: new SesMailer(new SESClient(region), 'approvals@example.com'), logger });
    await posts.createIfAbsent(post);
  });
  afterEach(() => h.stop());

  const authorEmails = () => ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input).filter((i) => i.Destination!.ToAddresses![0] === 'author@example.com');

  for (const [status, reason] of [
    ['ABORTED', 'ABORTED'],
    ['FAILED', 'EXECUTION_FAILED'],
    ['TIMED_OUT', 'EXECUTION_TIMED_OUT'],
  ] as const) {
    it(`marks an in-review post FAILED (${reason}) and tells its author once when the execution is ${status}`, async () => {
      expect(await postCloser(statusChange(status))).to.deep.equal({ failed: reason });
      expect(await posts.get(postId)).to.deep.include({ status: 'FAILED', failureReason: reason });
      expect(authorEmails()).to.have.length(1);
      expect(authorEmails()[0]!.Message!.Subject!.Data).to.equal('Your post could not be reviewed: Hello');

      expect(await postCloser(statusChange(status))).to.deep.equal({});
      expect(authorEmails()).to.have.length(1);
    });
  }

  it('keeps the outcome the workflow recorded (a FAILED post keeps its reason; a published one stays published)', async () => {
    await h.table.client.send(
      new UpdateItemCommand({
        TableName: h.table.tableName,
        Key: { pk: { S: `POST#${postId}` }, sk: { S: 'POST' } },
        UpdateExpression: 'SET #s = :s, failureReason = :r',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'FAILED' }, ':r': { S: 'NO_REVIEWERS' } },
      }),
    );
    expect(await postCloser(statusChange('FAILED'))).to.deep.equal({});
    expect(await posts.get(postId)).to.deep.include({ status: 'FAILED', failureReason: 'NO_REVIEWERS' });
    expect(authorEmails()).to.have.length(0);
  });

  it('stores a post that was never stored, FAILED, from the execution’s input, and tells its author', async () => {
    const orphan = 'p-BBBBBBBBBBBBBBBBBBBBBB';
    const arn = `${EXECUTION.slice(0, EXECUTION.lastIndexOf(':'))}:${orphan}`;
    const event = statusChange('FAILED', arn);
    event.detail.input = JSON.stringify({ postId: orphan, title: 'Never stored', body: 'B', excerpt: 'B', authorEmail: 'writer@example.com', createdAt: '2026-11-28T09:00:00.000Z' });
    expect(await postCloser(event)).to.deep.equal({ failed: 'EXECUTION_FAILED' });
    expect(await posts.get(orphan)).to.deep.include({ id: orphan, title: 'Never stored', authorEmail: 'writer@example.com', status: 'FAILED', failureReason: 'EXECUTION_FAILED' });
    const told = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input).filter((i) => i.Destination!.ToAddresses![0] === 'writer@example.com');
    expect(told).to.have.length(1);
    // An input that is not this post's stores nothing.
    const other = statusChange('FAILED', `${EXECUTION.slice(0, EXECUTION.lastIndexOf(':'))}:p-CCCCCCCCCCCCCCCCCCCCCC`);
    other.detail.input = JSON.stringify({ postId: orphan, title: 'x', body: 'x', authorEmail: 'x@example.com', createdAt: 'x' });
    expect(await postCloser(other)).to.deep.equal({});
    expect(await posts.get('p-CCCCCCCCCCCCCCCCCCCCCC')).to.equal(undefined);
  });

  it('does nothing when the execution succeeded or is not a post’s', async () => {
    expect(await postCloser(statusChange('SUCCEEDED'))).to.deep.equal({});
    expect(await postCloser(statusChange('ABORTED', 'arn:aws:states:eu-west-1:123456789012:execution:other:not-a-post'))).to.deep.equal({});
    expect(await posts.get(postId)).to.deep.include({ status: 'IN_REVIEW' });
  });

  it('fails (for the Errors alarm and a retry) when the author cannot be emailed, and the retry tells them', async () => {
    ses.on(SendEmailCommand).rejectsOnce(Object.assign(new Error('down'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: {} })).resolves({ MessageId: 'm' });
    let failure: Error | undefined;
    await postCloser(statusChange('ABORTED')).catch((err: Error) => (failure = err));
    // The stable code is what the Errors alarm's log line and the retry carry; never the SES text.
    expect(failure).to.be.instanceOf(ApprovalError).and.include({ code: 'EMAIL_DELIVERY_FAILED', message: 'EMAIL_DELIVERY_FAILED' });
    expect(await posts.get(postId)).to.deep.include({ status: 'FAILED', failureReason: 'ABORTED' });

    expect(await postCloser(statusChange('ABORTED'))).to.deep.equal({ failed: 'ABORTED' });
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(2);
    expect(await postCloser(statusChange('ABORTED'))).to.deep.equal({});
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(2);
  });
});
