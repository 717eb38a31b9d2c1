/**
 * An operator debugging local mode with the real AWS CLI (Debian's awscli) and nothing else: one
 * endpoint, dummy credentials. Finds the executions, reads a history, sends a heartbeat, stops one
 * (its request closes, its post fails and the author is told) and decides another with the token
 * read from the history (its post is published).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { LOCAL_SENDER, LOCAL_STATE_MACHINE_ARN, startLocalStack, type LocalStack } from '../../src/local/local-stack';
import { emailsWithSubject, getPost, inbox, submitPost, waitFor } from '../support/local-client';

const run = promisify(execFile);
// Debian's package, not whatever `aws` comes first on PATH (a pyenv shim may hold AWS CLI v1).
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

describe('local mode with the real AWS CLI, at one endpoint', function () {
  this.timeout(120_000);
  let dataDir: string;
  let stack: LocalStack;
  let counter = 0;
  const title = (what: string) => `${what} ${process.pid}-${Date.now()}-${++counter}`;

  /** Runs `aws <args>` against local mode and parses its JSON output ('' → undefined). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the CLI's JSON output, checked field by field
  async function aws(...args: string[]): Promise<any> {
    const { stdout } = await run(AWS, [...args, '--endpoint-url', stack.awsUrl, '--region', 'us-east-1', '--output', 'json'], {
      env: {
        PATH: process.env.PATH,
        HOME: dataDir,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_PAGER: '',
        AWS_CONFIG_FILE: join(dataDir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      timeout: 30_000,
    });
    return stdout.trim() ? JSON.parse(stdout) : undefined;
  }

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-cli-'));
    stack = await startLocalStack({ port: 0, inboxPort: 0, awsPort: 0, dataDir, reviewers: ['reviewer@example.com'], sweepSeconds: 0 });
  });
  after(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const postStatus = (id: string, status: string) =>
    waitFor(`post ${status}`, async () => {
      const post = await getPost(stack.apiUrl, id);
      return post.status === status ? post : undefined;
    });
  const reviewSent = (subject: string) => waitFor('the review email', async () => emailsWithSubject(await inbox(stack.inboxUrl), `Review requested: New post: ${subject}`)[0]);

  it('finds the state machine and the pending executions, newest first', async () => {
    const machines = await aws('stepfunctions', 'list-state-machines');
    expect(machines.stateMachines.map((m: { stateMachineArn: string }) => m.stateMachineArn)).to.deep.equal([LOCAL_STATE_MACHINE_ARN]);
    const described = await aws('stepfunctions', 'describe-state-machine', '--state-machine-arn', LOCAL_STATE_MACHINE_ARN);
    expect(described).to.include({ name: 'email-approval-moderation', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(described.definition).StartAt).to.be.a('string');

    const first = title('Listed');
    const a = await submitPost(stack.apiUrl, { title: first, body: 'Body.', authorEmail: 'author@example.com' });
    const b = await submitPost(stack.apiUrl, { title: title('Listed'), body: 'Body.', authorEmail: 'author@example.com' });
    await reviewSent(first);
    const running = await aws('stepfunctions', 'list-executions', '--state-machine-arn', LOCAL_STATE_MACHINE_ARN, '--status-filter', 'RUNNING');
    const names = running.executions.map((e: { name: string }) => e.name);
    expect(names.indexOf(b.body.id)).to.be.within(0, names.indexOf(a.body.id) - 1);
    expect(running.executions[0]).to.have.keys('executionArn', 'stateMachineArn', 'name', 'status', 'startDate');
  });

  it('reads a history, sends a heartbeat and decides with the task token from it: the post is published', async () => {
    const subject = title('Decided by CLI');
    const { body } = await submitPost(stack.apiUrl, { title: subject, body: 'Body.', authorEmail: 'writer@example.com' });
    await reviewSent(subject);
    const executionArn = `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${body.id}`;

    const history = await aws('stepfunctions', 'get-execution-history', '--execution-arn', executionArn);
    const types = history.events.map((e: { type: string }) => e.type);
    expect(types.slice(0, 2)).to.deep.equal(['ExecutionStarted', 'TaskStateEntered']);
    expect(types).to.include.members(['TaskScheduled', 'TaskStarted', 'TaskSubmitted']);
    const scheduled = history.events.filter((e: { type: string }) => e.type === 'TaskScheduled').at(-1);
    expect(scheduled.taskScheduledEventDetails).to.include({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken' });
    const token = JSON.parse(scheduled.taskScheduledEventDetails.parameters).Payload.taskToken as string;
    expect(token).to.be.a('string').with.length.above(100);

    expect(await aws('stepfunctions', 'send-task-heartbeat', '--task-token', token)).to.equal(undefined);
    const decision = { decision: 'approved', decidedBy: 'operator@example.com', decidedAt: new Date().toISOString(), comment: 'Approved from the "CLI" \\o/', votes: [] };
    await aws('stepfunctions', 'send-task-success', '--task-token', token, '--task-output', JSON.stringify(decision));

    const post = await postStatus(body.id, 'PUBLISHED');
    // The public post shows the decision and when (never who: reviewers' addresses stay private).
    expect(post.decision).to.deep.equal({ decision: 'approved', decidedAt: decision.decidedAt });
    const execution = await waitFor('SUCCEEDED', async () => {
      const described = await aws('stepfunctions', 'describe-execution', '--execution-arn', executionArn);
      return described.status === 'SUCCEEDED' ? described : undefined;
    });
    expect(Date.parse(execution.stopDate)).to.be.closeTo(Date.now(), 60_000);
    const end = await aws('stepfunctions', 'get-execution-history', '--execution-arn', executionArn, '--reverse-order', '--max-items', '1');
    expect(end.events[0].type).to.equal('ExecutionSucceeded');
    // The same token a second time is refused, as AWS refuses it.
    const again = await aws('stepfunctions', 'send-task-success', '--task-token', token, '--task-output', '{}').catch((err: { stderr: string }) => err.stderr);
    expect(again).to.include('TaskTimedOut');
  });

  it('stops an execution: its request closes, the post fails and the author is told', async () => {
    const subject = title('Stopped by CLI');
    const { body } = await submitPost(stack.apiUrl, { title: subject, body: 'Body.', authorEmail: 'stopped@example.com' });
    await reviewSent(subject);
    const executionArn = `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${body.id}`;
    const stopped = await aws('stepfunctions', 'stop-execution', '--execution-arn', executionArn, '--error', 'Operator', '--cause', 'Stuck post');
    expect(Date.parse(stopped.stopDate)).to.be.closeTo(Date.now(), 60_000);
    expect(await aws('stepfunctions', 'describe-execution', '--execution-arn', executionArn)).to.include({ status: 'ABORTED', error: 'Operator', cause: 'Stuck post' });

    const post = await postStatus(body.id, 'FAILED');
    expect(post.reason).to.be.a('string');
    // The request the approval step stored, read with the CLI through the execution's registry item.
    const key = (pk: string, sk: string) => JSON.stringify({ pk: { S: pk }, sk: { S: sk } });
    const requests = await waitFor('the execution to close', async () => {
      const { Item } = await aws('dynamodb', 'get-item', '--table-name', 'email-approval', '--key', key(`EXEC#${executionArn}`, 'EXECUTION'));
      return Item?.closedStatus ? (Item.requests.SS as string[]) : undefined;
    });
    expect(requests).to.have.length(1);
    const request = await waitFor('the request to close', async () => {
      const { Item } = await aws('dynamodb', 'get-item', '--table-name', 'email-approval', '--key', key(`REQ#${requests[0]}`, 'REQUEST'));
      return Item?.status?.S === 'CLOSED' ? Item : undefined;
    });
    expect(request.status.S).to.equal('CLOSED');
    await waitFor('the author to be told', async () => (await inbox(stack.inboxUrl)).find((e) => e.destination.to.includes('stopped@example.com')));
    const history = await aws('stepfunctions', 'get-execution-history', '--execution-arn', executionArn, '--reverse-order');
    expect(history.events[0]).to.deep.include({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'Stuck post' } });
  });

  it('reaches SES, KMS and Secrets Manager at the same endpoint', async () => {
    const identities = await aws('ses', 'list-identities');
    expect(identities.Identities).to.include(LOCAL_SENDER);
    const { Plaintext } = await aws(
      'kms',
      'decrypt',
      '--ciphertext-blob',
      (await aws('kms', 'encrypt', '--key-id', 'alias/email-approval-local', '--plaintext', Buffer.from('hello').toString('base64'), '--encryption-context', 'purpose=cli')).CiphertextBlob,
      '--encryption-context',
      'purpose=cli',
    );
    expect(Buffer.from(Plaintext, 'base64').toString()).to.equal('hello');
  });
});
