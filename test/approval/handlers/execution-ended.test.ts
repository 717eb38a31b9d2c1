import { expect } from 'chai';
import { Logger } from '@aws-lambda-powertools/logger';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { DynamoExecutionRegistry } from '../../../src/approval/adapters/dynamo-execution-registry';
import { DynamoRequestStore } from '../../../src/approval/adapters/dynamo-request-store';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { createRequestCloserHandler } from '../../../src/approval/handlers/execution-ended-handler';
import { requestIdFor } from '../../../src/approval/services/request-approval';
import { KMSClient, EncryptCommand } from '@aws-sdk/client-kms';
import { KmsTokenCipher } from '../../../src/approval/adapters/kms-token-cipher';
import { createRequestHandler } from '../../../src/approval/handlers/request-handler';
import { REVIEW_URL, approvalTask, keyring, kms, makeTaskToken, ses, sentEmails, sfn, startHarness, type Harness } from '../../support/approval-harness';
import { TEST_KEY_ID } from '../../support/fake-kms';
import { EXECUTION, statusChange } from '../../support/execution-events';

const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });

const closedNotes = () =>
  ses
    .commandCalls(SendEmailCommand)
    .map((c) => c.args[0].input)
    .filter((i) => i.Message!.Subject!.Data!.startsWith('Review closed: '))
    .map((i) => ({ to: i.Destination!.ToAddresses![0]!, text: i.Message!.Body!.Text!.Data! }));

describe('closing requests when their execution ends', () => {
  let h: Harness;
  let closer: ReturnType<typeof createRequestCloserHandler>;
  let store: DynamoRequestStore;
  beforeEach(async () => {
    h = await startHarness();
    store = new DynamoRequestStore(h.table.client, h.table.tableName);
    closer = createRequestCloserHandler({
      store,
      executions: new DynamoExecutionRegistry(h.table.client, h.table.tableName),
      mailer: new SesMailer(new SESClient(region), 'approvals@example.com'),
      logger,
      now: () => h.clock.now,
    });
  });
  afterEach(() => h.stop());

  const submit = (reviewers = ['alice@example.com', 'bob@example.com'], executionId = EXECUTION) =>
    h.submit({ ...approvalTask({ reviewers }), executionId } as ReturnType<typeof approvalTask>);

  it('closes a pending request when an operator stops its execution: links say the review is over', async () => {
    const requestId = await submit();
    const [alice] = sentEmails();

    expect(await closer(statusChange('ABORTED'))).to.deep.equal({ closed: 1 });

    expect((await store.get(requestId))?.status).to.equal('CLOSED');
    const page = await h.open(alice!.approveUrl);
    expect(page.statusCode).to.equal(410);
    expect(page.body).to.include('This review is over');
    expect(sfn.commandCalls(SendTaskSuccessCommand)).to.have.length(0);
    const audit = (await store.get(requestId))!.audit.map((e) => e.type);
    expect(audit.at(-1)).to.equal('closed');
  });

  it('tells each emailed reviewer who had not voted, once, in plain words', async () => {
    await submit(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    ses.resetHistory();
    await closer(statusChange('FAILED'));
    const notes = closedNotes();
    expect(notes.map((n) => n.to).sort()).to.deep.equal(['alice@example.com', 'bob@example.com', 'carol@example.com']);
    expect(notes[0]!.text).to.include('the workflow that asked for it failed before a decision was reached');
    // The requester's subject is quoted on a line of its own, below our words: it cannot pose as them.
    expect(notes[0]!.text).to.match(/\n> Publish “Hello world”\n?$/);

    ses.resetHistory();
    expect(await closer(statusChange('FAILED'))).to.deep.equal({ closed: 0 });
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(0);
  });

  it('does not tell a reviewer who already voted', async () => {
    await h.submit({ ...approvalTask({ reviewers: ['alice@example.com', 'bob@example.com'], requiredApprovals: 2 }), executionId: EXECUTION } as ReturnType<typeof approvalTask>);
    const [alice] = sentEmails();
    expect((await h.confirm(alice!.approveUrl)).statusCode).to.equal(200);
    ses.resetHistory();

    await closer(statusChange('ABORTED'));
    expect(closedNotes().map((n) => n.to)).to.deep.equal(['bob@example.com']);
  });

  it('leaves a decided request alone when its execution succeeds afterwards', async () => {
    const requestId = await submit();
    const [alice] = sentEmails();
    expect((await h.confirm(alice!.approveUrl)).statusCode).to.equal(200);
    ses.resetHistory();

    expect(await closer(statusChange('SUCCEEDED'))).to.deep.equal({ closed: 0 });
    expect((await store.get(requestId))?.status).to.equal('APPROVED');
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(0);
  });

  it('closes a request left pending when the execution was resumed directly (SUCCEEDED without our links)', async () => {
    const requestId = await submit();
    await closer(statusChange('SUCCEEDED'));
    expect((await store.get(requestId))?.status).to.equal('CLOSED');
    expect(closedNotes()[0]!.text).to.include('went on without this review');
  });

  it('ends a request EXPIRED, not CLOSED, when its links expired before the execution ended, and tells nobody', async () => {
    const requestId = await submit();
    h.clock.advance(7 * 24 * 3600 + 60);
    ses.resetHistory();
    expect(await closer(statusChange('SUCCEEDED'))).to.deep.equal({ closed: 0 });
    const record = await store.get(requestId);
    expect(record?.status).to.equal('EXPIRED');
    expect(record?.audit.at(-1)).to.include({ type: 'expired' });
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(0);
  });

  it('closes only the requests of the execution that ended', async () => {
    const other = `${EXECUTION.slice(0, -1)}B`;
    const mine = await submit(['alice@example.com']);
    const theirs = await submit(['bob@example.com'], other);
    await closer(statusChange('ABORTED'));
    expect((await store.get(mine))?.status).to.equal('CLOSED');
    expect((await store.get(theirs))?.status).to.equal('PENDING');
  });

  it('stores nothing and emails nobody when the execution ended before the request Lambda ran', async () => {
    // The operator stops the execution while the request Lambda is still starting.
    await closer(statusChange('ABORTED'));
    ses.resetHistory();
    kms.resetHistory();

    const token = makeTaskToken();
    const result = await h.request({ ...approvalTask({}, token), executionId: EXECUTION });
    expect(result).to.include({ emailed: 0, closed: true });
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(0);
    expect(kms.commandCalls(EncryptCommand)).to.have.length(0);
    expect(await store.get(requestIdFor(token))).to.equal(undefined);
  });

  /** A request Lambda whose registry and store can stop the execution or crash at chosen points. */
  function requestLambdaWith(hooks: { afterFirstRegister?: () => Promise<unknown>; crashAfterStoring?: boolean }) {
    const registry = new DynamoExecutionRegistry(h.table.client, h.table.tableName);
    let registrations = 0;
    let stored = 0;
    return createRequestHandler({
      store: Object.assign(Object.create(store) as DynamoRequestStore, {
        async createIfAbsent(record: Parameters<DynamoRequestStore['createIfAbsent']>[0]) {
          const existing = await store.createIfAbsent(record);
          if (hooks.crashAfterStoring && ++stored === 1) throw Object.assign(new Error('the Lambda died'), { name: 'Crash' });
          return existing;
        },
      }),
      executions: {
        async register(executionId: string, requestId: string, expiresAt: number) {
          const result = await registry.register(executionId, requestId, expiresAt);
          if (++registrations === 1) await hooks.afterFirstRegister?.();
          return result;
        },
        close: (executionId: string, status: string, at: string) => registry.close(executionId, status, at),
      },
      cipher: new KmsTokenCipher(new KMSClient(region), TEST_KEY_ID),
      mailer: new SesMailer(new SESClient(region), 'approvals@example.com'),
      keyring: () => keyring,
      reviewUrl: REVIEW_URL,
      logger,
      now: () => h.clock.now,
    });
  }

  it('tells reviewers emailed while the execution was being stopped, after their review email, once each', async () => {
    const request = requestLambdaWith({ afterFirstRegister: () => closer(statusChange('ABORTED')) });
    const token = makeTaskToken();
    const result = await request({ ...approvalTask({}, token), executionId: EXECUTION });

    expect(result).to.include({ emailed: 2, closed: true });
    expect((await store.get(requestIdFor(token)))?.status).to.equal('CLOSED');
    const order = ses.commandCalls(SendEmailCommand).map((c) => `${c.args[0].input.Destination!.ToAddresses![0]}: ${c.args[0].input.Message!.Subject!.Data!.split(':')[0]}`);
    expect(order).to.deep.equal([
      'alice@example.com: Review requested',
      'bob@example.com: Review requested',
      'alice@example.com: Review closed',
      'bob@example.com: Review closed',
    ]);

    // The event delivered again (EventBridge is at least once) tells nobody twice.
    await closer(statusChange('ABORTED'));
    expect(closedNotes()).to.have.length(2);
  });

  it('closes a request stored by an attempt that died, when its retry finds the execution ended, and emails nobody', async () => {
    const request = requestLambdaWith({ afterFirstRegister: () => closer(statusChange('ABORTED')), crashAfterStoring: true });
    const token = makeTaskToken();
    const task = { ...approvalTask({}, token), executionId: EXECUTION };
    let crash: Error | undefined;
    await request(task).catch((err: Error) => (crash = err));
    expect(crash?.name).to.equal('Internal');
    expect((await store.get(requestIdFor(token)))?.status).to.equal('PENDING');

    expect(await request(task)).to.include({ closed: true, emailed: 0 });
    expect((await store.get(requestIdFor(token)))?.status).to.equal('CLOSED');
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(0);
  });

  it('ignores an event that is not an execution status change, changing nothing', async () => {
    await submit();
    const before = await h.table.snapshot();
    expect(await closer({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { status: 'RUNNING' } })).to.deep.equal({ closed: 0 });
    expect(await closer('hello')).to.deep.equal({ closed: 0 });
    expect(await h.table.snapshot()).to.deep.equal(before);
  });

  it('fails (so Lambda retries it and the Errors alarm fires) when DynamoDB fails, and a retry then closes the request', async () => {
    const requestId = await submit();
    h.table.failNext('UpdateItemCommand', Object.assign(new Error('internal'), { name: 'InternalServerError' }));
    let failure: Error | undefined;
    await closer(statusChange('ABORTED')).catch((err: Error) => (failure = err));
    expect(failure?.name).to.equal('InternalServerError');
    expect((await store.get(requestId))?.status).to.equal('PENDING');

    expect(await closer(statusChange('ABORTED'))).to.deep.equal({ closed: 1 });
  });
});
