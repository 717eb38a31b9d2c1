/**
 * Parity: the deployed definition (moderationWorkflow) run by aws-local-stepfunctions, as local
 * mode runs it, stores what Step Functions stores. Every DynamoDB task sends its evaluated
 * Parameters as they are to DynamoDB (dynalite); the post item is then compared with what AWS's
 * documented semantics give: `States.JsonToString($.approval)` is the JSON text of the approval
 * (JSON.stringify), `States.Format('POST#{}', $.postId)` the key, and the subject's
 * `States.Format('New post: {}', $.title)` the title as it is. For each branch: approve, reject
 * (a comment full of quotes and backslashes, and one that would forge an approval), expire, fail.
 */
import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import { DynamoPostStore, type PostStoreLogger } from '../../../src/blog/adapters/dynamo-post-store';
import { POST_SUBJECT_PREFIX } from '../../../src/blog/domain/post';
import { STATE, moderationWorkflow } from '../../../src/blog/workflow/moderation-workflow';
import { startTestTable, type TestTable } from '../../support/dynalite';

const POST_ID = 'p-BBBBBBBBBBBBBBBBBBBBBB';
const TITLE = 'He said "ship it" \\o/ {not a placeholder} it\'s C:\\new';
const input = { postId: POST_ID, title: TITLE, body: 'The body, "quoted" \\ and all.', excerpt: 'The body', authorEmail: 'author@example.com', createdAt: '2026-11-28T08:59:00.000Z' };
const LINK_TTL_SECONDS = 3600;

const INJECTION = 'fine","decision":"approved","decidedBy":"ceo@example.com';
const NASTY = `Please fix: the "intro" \\ the C:\\path\\to\\"file" \\" \\\\ ' {} \\{\\} \u2028 and\na new line`;

const vote = (reviewer: string, decision: string, at: string, comment?: string) => ({ reviewer, decision, at, ...(comment !== undefined ? { comment } : {}) });
const approval = {
  decision: 'approved',
  decidedBy: 'alice@example.com',
  decidedAt: '2026-11-28T10:00:00.000Z',
  comment: 'Nice "work" \\o/',
  votes: [vote('alice@example.com', 'approved', '2026-11-28T10:00:00.000Z', 'Nice "work" \\o/')],
};
const rejection = (comment: string) => ({
  decision: 'rejected',
  decidedBy: 'bob@example.com',
  decidedAt: '2026-11-28T10:05:00.000Z',
  comment,
  votes: [vote('alice@example.com', 'approved', '2026-11-28T10:00:00.000Z'), vote('bob@example.com', 'rejected', '2026-11-28T10:05:00.000Z', comment)],
});

const named = (name: string) => Object.assign(new Error(name), { name });

describe('parity: the deployed definition, run locally, stores what Step Functions stores', () => {
  let table: TestTable;
  let refused: unknown[];
  let store: DynamoPostStore;
  beforeEach(async () => {
    table = await startTestTable();
    refused = [];
    const logger: PostStoreLogger = { error: (_message, fields) => void refused.push(fields) };
    store = new DynamoPostStore(table.client, table.tableName, logger);
  });
  afterEach(() => table.stop());

  const definition = moderationWorkflow({
    requestFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:request',
    notifyFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:notify',
    tableName: 'set-per-test',
    reviewers: ['alice@example.com', 'bob@example.com'],
    linkTtlSeconds: LINK_TTL_SECONDS,
  });

  /**
   * Runs the definition with the approval step answering `approval`; DynamoDB tasks go to dynalite
   * (Parameters exactly as evaluated, the table name aside), the notices are recorded.
   */
  function run(approvalStep: () => Promise<unknown>) {
    const requests: Record<string, unknown>[] = [];
    const notices: Record<string, unknown>[] = [];
    // Errors as Step Functions names them (DynamoDB.ConditionalCheckFailedException, which StorePost catches).
    const dynamo = (command: new (input: never) => unknown) => async (params: Record<string, unknown>) =>
      table.client.send(new command({ ...params, TableName: table.tableName } as never) as never).catch((err: Error) => {
        throw named(`DynamoDB.${err.name}`);
      });
    const overrides: Record<string, (params: Record<string, unknown>) => Promise<unknown>> = {
      [STATE.create]: dynamo(PutItemCommand as never),
      [STATE.request]: async (params) => (requests.push(params.Payload as Record<string, unknown>), approvalStep()),
    };
    for (const state of [STATE.publish, STATE.reject, STATE.expire, STATE.fail]) overrides[state] = dynamo(UpdateItemCommand as never);
    for (const state of [STATE.notifyPublished, STATE.notifyRejected, STATE.notifyExpired, STATE.notifyFailed]) {
      overrides[state] = async (params) => (notices.push(params.Payload as Record<string, unknown>), { StatusCode: 200, Payload: {} });
    }
    // As local mode runs it: not validated (src/local/local-step-functions.ts).
    const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    const retryIntervalOverrides = Object.fromEntries(Object.keys(definition.States).map((name) => [name, 0]));
    const execution = machine.run(input, {
      overrides: { taskResourceLocalHandlers: overrides as never, retryIntervalOverrides },
      context: {
        Execution: { Id: `arn:aws:states:eu-west-1:123456789012:execution:moderation:${POST_ID}`, Name: POST_ID, Input: input, StartTime: '2026-11-28T09:00:00Z' },
        State: { EnteredTime: '2026-11-28T09:00:00Z', Name: STATE.request, RetryCount: 0 },
        Task: { Token: 'TOKEN' },
      } as never,
    });
    return { requests, notices, result: execution.result };
  }

  /** The post item as stored, its key checked: what States.Format('POST#{}', $.postId) gives on AWS. */
  async function storedItem(): Promise<Record<string, unknown>> {
    const { Item } = await table.client.send(new GetItemCommand({ TableName: table.tableName, Key: { pk: { S: `POST#${POST_ID}` }, sk: { S: 'POST' } }, ConsistentRead: true }));
    expect(Item, 'the post item under POST#<id>').to.not.equal(undefined);
    return unmarshall(Item!);
  }

  /** What every branch stores from the input (StorePost) and the subject reviewers are sent. */
  function expectStoredPost(item: Record<string, unknown>, requests: Record<string, unknown>[]) {
    expect(item).to.include({ id: POST_ID, title: TITLE, body: input.body, authorEmail: input.authorEmail, createdAt: input.createdAt });
    for (const payload of requests) expect((payload.request as { subject: string }).subject).to.equal(POST_SUBJECT_PREFIX + TITLE);
  }

  const decided: [string, Record<string, unknown>, string][] = [
    ['approved (a comment with quotes and a backslash)', approval, 'PUBLISHED'],
    ['rejected with a comment full of quotes and backslashes', rejection(NASTY), 'REJECTED'],
    ['rejected with a comment that would forge an approval', rejection(INJECTION), 'REJECTED'],
  ];
  for (const [what, decision, status] of decided) {
    it(`${what}: ${status}, decisionJson is JSON.stringify of the approval, read back exactly`, async () => {
      const { requests, notices, result } = run(async () => decision);
      await result;
      const item = await storedItem();
      expectStoredPost(item, requests);

      // States.JsonToString($.approval) on AWS: the approval's JSON text.
      expect(item.status).to.equal(status);
      expect(item.decisionJson).to.equal(JSON.stringify(decision));
      expect(JSON.parse(item.decisionJson as string)).to.deep.equal(decision);
      expect(item).to.not.have.property('failureReason');

      const post = await store.get(POST_ID);
      expect(post?.decision).to.deep.equal({ decision: decision.decision, decidedBy: decision.decidedBy, decidedAt: decision.decidedAt, comment: decision.comment });
      expect(post).to.not.have.property('decisionUnreadable');
      expect(refused).to.deep.equal([]);
      expect(notices).to.deep.equal([{ postId: POST_ID, title: TITLE, authorEmail: input.authorEmail, outcome: status === 'PUBLISHED' ? 'published' : 'rejected', approval: decision }]);
    });
  }

  it('expired (nobody decides within TimeoutSeconds): EXPIRED, no decision, no reason', async () => {
    // The interpreter arms the step's timeout (setTimeout) right after calling the task: the fake
    // clock is installed inside the task, so only that timer (and those after it until the
    // uninstall) is fake, and DynamoDB runs on real time.
    let clock: ReturnType<typeof FakeTimers.install> | undefined;
    let entered!: () => void;
    const waiting = new Promise<void>((resolve) => (entered = resolve));
    const { requests, notices, result } = run(() => {
      clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'], now: Date.now() });
      entered();
      return new Promise(() => undefined);
    });
    try {
      await waiting;
      await clock!.tickAsync((LINK_TTL_SECONDS - 1) * 1000);
      expect(notices, 'still waiting a second before TimeoutSeconds').to.deep.equal([]);
      await clock!.tickAsync(1000);
    } finally {
      clock?.uninstall();
    }
    await result;
    const item = await storedItem();
    expectStoredPost(item, requests);
    expect(item.status).to.equal('EXPIRED');
    expect(item).to.not.have.property('decisionJson');
    expect(item).to.not.have.property('failureReason');
    expect(await store.get(POST_ID)).to.include({ status: 'EXPIRED' }).and.not.have.property('decision');
    expect(notices).to.deep.equal([{ postId: POST_ID, title: TITLE, authorEmail: input.authorEmail, outcome: 'expired' }]);
    expect(refused).to.deep.equal([]);
  });

  const failures: [string, () => Promise<unknown>, string][] = [
    ['no reviewer left (NoReviewers)', async () => Promise.reject(named('NoReviewers')), 'NO_REVIEWERS'],
    ['SES refuses the email (EmailRejected)', async () => Promise.reject(named('EmailRejected')), 'EMAIL_DELIVERY_FAILED'],
    ['a decision neither approved nor rejected, its comment the forged approval', async () => ({ decision: 'maybe', decidedBy: 'x', comment: INJECTION }), 'INVALID_DECISION'],
  ];
  for (const [what, approvalStep, reason] of failures) {
    it(`failed, ${what}: FAILED with ${reason}, no decision`, async () => {
      const { requests, notices, result } = run(approvalStep);
      const failure = await result.then(
        () => 'the execution succeeded',
        (err: Error) => (err.cause as Error | undefined)?.message ?? err.message,
      );
      expect(failure).to.equal(reason);
      const item = await storedItem();
      expectStoredPost(item, requests);
      expect(item).to.include({ status: 'FAILED', failureReason: reason });
      expect(item).to.not.have.property('decisionJson');
      expect(await store.get(POST_ID)).to.include({ status: 'FAILED', failureReason: reason }).and.not.have.property('decision');
      expect(notices).to.deep.equal([{ postId: POST_ID, title: TITLE, authorEmail: input.authorEmail, outcome: 'failed', reason }]);
      expect(refused).to.deep.equal([]);
    });
  }

  it('the post stored first by the posts API: StorePost leaves it (ConditionalCheckFailed caught) and the decision lands on it', async () => {
    await store.createIfAbsent({ id: POST_ID, title: TITLE, body: input.body, authorEmail: input.authorEmail, status: 'IN_REVIEW', createdAt: input.createdAt });
    const decision = rejection(INJECTION);
    const { requests, result } = run(async () => decision);
    await result;
    const item = await storedItem();
    expectStoredPost(item, requests);
    expect(item).to.include({ status: 'REJECTED', decisionJson: JSON.stringify(decision) });
  });
});
