import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { STATE, moderationWorkflow, reasonState, type AslDefinition } from '../../../src/blog/workflow/moderation-workflow';

const args = {
  requestFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:request',
  notifyFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:notify',
  tableName: 'approvals',
  reviewers: ['alice@example.com'],
  linkTtlSeconds: 3600,
};
const input = { postId: 'p-AAAAAAAAAAAAAAAAAAAAAA', title: 'Hello', body: 'A post, in full.', excerpt: 'A post', authorEmail: 'author@example.com', createdAt: '2026-11-28T08:59:00.000Z' };
const context = {
  Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:moderation:p-1', Input: input, StartTime: '2026-11-28T09:00:00Z', Name: 'p-1' },
  State: { EnteredTime: '2026-11-28T09:00:00Z', Name: STATE.request, RetryCount: 0 },
  Task: { Token: 'TOKEN-123' },
};

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

/** Runs the definition with every Task state replaced by a local recorder; retries wait 0 ms. */
function run(definition: AslDefinition, approval: () => Promise<unknown>, notify: () => Promise<unknown> = async () => ({}), store: () => Promise<unknown> = async () => ({})) {
  const calls: { state: string; input: Record<string, unknown> }[] = [];
  const stored: Record<string, unknown>[] = [];
  const record = (state: string, result: () => Promise<unknown> = async () => ({})) => async (taskInput: Record<string, unknown>) => {
    calls.push({ state, input: taskInput });
    return result();
  };
  const overrides: Record<string, (i: Record<string, unknown>) => Promise<unknown>> = {
    [STATE.request]: record(STATE.request, approval),
    [STATE.create]: async (taskInput) => (stored.push(taskInput), store()),
  };
  for (const s of [STATE.publish, STATE.reject, STATE.expire, STATE.fail]) overrides[s] = record(s);
  for (const s of [STATE.notifyPublished, STATE.notifyRejected, STATE.notifyExpired, STATE.notifyFailed]) overrides[s] = record(s, notify);
  const machine = new StateMachine(definition as never);
  const retryIntervalOverrides = Object.fromEntries(Object.keys(definition.States).map((name) => [name, 0]));
  const execution = machine.run(input, { overrides: { taskResourceLocalHandlers: overrides as never, retryIntervalOverrides }, context });
  return { calls, stored, result: execution.result };
}

/** The error an execution ended with (the interpreter wraps it in ExecutionError). */
async function failureOf(result: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await result;
  } catch (err) {
    const cause = (err as Error).cause as Error | undefined;
    return { name: cause?.name ?? (err as Error).name, message: cause?.message ?? (err as Error).message };
  }
  throw new Error('the execution succeeded');
}

describe('moderation workflow definition', () => {
  it('is valid Amazon States Language', () => {
    const { isValid, errorsText } = aslValidator(moderationWorkflow(args) as never);
    expect(isValid, errorsText?.('\n')).to.equal(true);
  });

  it('waits for a task token with the link TTL as TimeoutSeconds, passing the token and execution id', () => {
    const state = moderationWorkflow(args).States[STATE.request]!;
    expect(state.Resource).to.equal('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(state.TimeoutSeconds).to.equal(3600);
    const payload = (state.Parameters as { Payload: Record<string, unknown> }).Payload;
    expect(payload['taskToken.$']).to.equal('$$.Task.Token');
    expect(payload['executionId.$']).to.equal('$$.Execution.Id');
    expect(JSON.stringify(moderationWorkflow(args))).to.not.include('QueryLanguage');
  });

  it('has a Default on the decision Choice that fails the post (INVALID_DECISION)', () => {
    expect(moderationWorkflow(args).States[STATE.decision]).to.have.property('Default', reasonState('INVALID_DECISION'));
  });

  it('keys the approval step on the execution and the state name, which every retry of the step shares', () => {
    const payload = (moderationWorkflow(args).States[STATE.request]!.Parameters as { Payload: Record<string, unknown> }).Payload;
    expect(payload['idempotencyKey.$']).to.equal(`States.Format('{}#RequestApproval', $$.Execution.Id)`);
  });

  it('retries transient Lambda failures (including a client-side timeout), and a timeout or crash of the function once', () => {
    const retry = moderationWorkflow(args).States[STATE.request]!.Retry as { ErrorEquals: string[]; MaxAttempts: number }[];
    expect(retry[0]!.ErrorEquals).to.include.members(['Lambda.ServiceException', 'Lambda.ClientExecutionTimeoutException', 'Lambda.TooManyRequestsException', 'EmailDeliveryFailed', 'Throttled']);
    expect(retry[0]!.ErrorEquals).to.not.include.members(['EmailRejected', 'NoReviewers', 'InvalidApprovalRequest']);
    expect(retry[1]).to.deep.include({ ErrorEquals: ['Lambda.Unknown'], MaxAttempts: 1 });
  });

  it('catches every error of the approval step: States.Timeout expires the post, States.ALL comes last', () => {
    const catches = moderationWorkflow(args).States[STATE.request]!.Catch as { ErrorEquals: string[]; Next: string }[];
    expect(catches[0]).to.deep.include({ ErrorEquals: ['States.Timeout'], Next: STATE.expire });
    expect(catches.at(-1)).to.deep.include({ ErrorEquals: ['States.ALL'], Next: reasonState('INTERNAL') });
  });

  it('refuses to build without reviewers or with a TTL under a minute', () => {
    expect(() => moderationWorkflow({ ...args, reviewers: [] })).to.throw('reviewer');
    expect(() => moderationWorkflow({ ...args, linkTtlSeconds: 10 })).to.throw('linkTtlSeconds');
  });

  it('first stores the post from its input, only if it is not stored yet', async () => {
    const decision = { decision: 'approved', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T10:00:00Z' };
    const { stored, result } = run(moderationWorkflow(args), async () => decision);
    await result;
    expect(moderationWorkflow(args).StartAt).to.equal(STATE.create);
    expect(stored).to.have.length(1);
    expect(stored[0]).to.deep.include({ TableName: 'approvals', ConditionExpression: 'attribute_not_exists(pk)' });
    expect(stored[0]!.Item).to.deep.equal({
      pk: { S: `POST#${input.postId}` },
      sk: { S: 'POST' },
      id: { S: input.postId },
      title: { S: 'Hello' },
      body: { S: 'A post, in full.' },
      authorEmail: { S: 'author@example.com' },
      status: { S: 'IN_REVIEW' },
      createdAt: { S: input.createdAt },
    });
  });

  it('carries only the summary after storing the post: the body never travels with the votes', async () => {
    const decision = { decision: 'approved', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T10:00:00Z' };
    const { calls, result } = run(moderationWorkflow(args), async () => decision);
    // The execution's output is its state at the end: the summary and the decision, no body.
    const output = (await result) as Record<string, unknown>;
    expect(output).to.deep.equal({ postId: input.postId, title: 'Hello', excerpt: 'A post', authorEmail: 'author@example.com', approval: decision });
    const notify = calls.find((c) => c.state === STATE.notifyPublished)!.input as { Payload: Record<string, unknown> };
    expect(notify.Payload).to.deep.equal({ postId: input.postId, title: 'Hello', authorEmail: 'author@example.com', outcome: 'published', approval: decision });
  });

  it('goes on to the approval when the posts API stored the post first (ConditionalCheckFailed)', async () => {
    const decision = { decision: 'approved', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T10:00:00Z' };
    const exists = async () => Promise.reject(named('DynamoDB.ConditionalCheckFailedException'));
    const { calls, result } = run(moderationWorkflow(args), async () => decision, undefined, exists);
    await result;
    expect(calls.map((c) => c.state)).to.deep.equal([STATE.request, STATE.publish, STATE.notifyPublished]);
  });

  it('publishes the post and tells the author when approved (run by aws-local-stepfunctions)', async () => {
    const decision = { decision: 'approved', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T10:00:00Z' };
    const { calls, result } = run(moderationWorkflow(args), async () => decision);
    await result;

    expect(calls.map((c) => c.state)).to.deep.equal([STATE.request, STATE.publish, STATE.notifyPublished]);
    const request = calls[0]!.input as { FunctionName: string; Payload: Record<string, unknown> };
    expect(request.FunctionName).to.equal(args.requestFunctionArn);
    expect(request.Payload).to.deep.include({ taskToken: 'TOKEN-123', executionId: context.Execution.Id });
    expect(request.Payload.request).to.deep.equal({
      subject: 'New post: Hello',
      summary: 'A post',
      reviewers: ['alice@example.com'],
      ttlSeconds: 3600,
      requestedBy: 'author@example.com',
    });
    const publish = calls[1]!.input as { Key: unknown; ExpressionAttributeValues: Record<string, { S: string }> };
    expect(publish.Key).to.deep.equal({ pk: { S: `POST#${input.postId}` }, sk: { S: 'POST' } });
    expect(publish.ExpressionAttributeValues[':status']).to.deep.equal({ S: 'PUBLISHED' });
    expect(JSON.parse(publish.ExpressionAttributeValues[':decision']!.S)).to.deep.equal(decision);
    expect(calls[2]!.input).to.deep.include({ FunctionName: args.notifyFunctionArn });
  });

  it('marks the post rejected and sends the author the comment when rejected', async () => {
    const decision = { decision: 'rejected', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T10:00:00Z', comment: 'Needs sources' };
    const { calls, result } = run(moderationWorkflow(args), async () => decision);
    await result;

    expect(calls.map((c) => c.state)).to.deep.equal([STATE.request, STATE.reject, STATE.notifyRejected]);
    const notify = calls[2]!.input as { Payload: Record<string, unknown> };
    expect(notify.Payload).to.deep.equal({ ...{ postId: input.postId, title: 'Hello', authorEmail: 'author@example.com' }, outcome: 'rejected', approval: decision });
  });

  it('marks the post EXPIRED and tells the author when nobody decides within TimeoutSeconds', async () => {
    const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { calls, result } = run(moderationWorkflow(args), () => new Promise(() => undefined));
      await clock.tickAsync(3599 * 1000);
      expect(calls.map((c) => c.state)).to.deep.equal([STATE.request]);
      await clock.tickAsync(1000);
      await result;
      expect(calls.map((c) => c.state)).to.deep.equal([STATE.request, STATE.expire, STATE.notifyExpired]);
      expect((calls[1]!.input as { ExpressionAttributeValues: unknown }).ExpressionAttributeValues).to.deep.equal({ ':status': { S: 'EXPIRED' } });
    } finally {
      clock.uninstall();
    }
  });

  const failures: [string, () => Promise<unknown>, string, number][] = [
    ['the author is the only reviewer (NoReviewers)', async () => Promise.reject(named('NoReviewers')), 'NO_REVIEWERS', 1],
    ['the request is invalid (InvalidApprovalRequest)', async () => Promise.reject(named('InvalidApprovalRequest')), 'INVALID_REQUEST', 1],
    ['SES refuses the email (EmailRejected, not retried)', async () => Promise.reject(named('EmailRejected')), 'EMAIL_DELIVERY_FAILED', 1],
    ['emails keep failing (EmailDeliveryFailed, retried 4 times)', async () => Promise.reject(named('EmailDeliveryFailed')), 'EMAIL_DELIVERY_FAILED', 5],
    ['the function times out twice (Lambda.Unknown, retried once)', async () => Promise.reject(named('Lambda.Unknown')), 'INTERNAL', 2],
    ['the function throws anything else', async () => Promise.reject(named('TypeError')), 'INTERNAL', 1],
    ['the decision is neither approved nor rejected', async () => ({ decision: 'maybe' }), 'INVALID_DECISION', 1],
  ];
  for (const [name, approval, reason, attempts] of failures) {
    it(`marks the post FAILED (${reason}), tells the author and fails the execution when ${name}`, async () => {
      const { calls, result } = run(moderationWorkflow(args), approval);
      const failure = await failureOf(result);

      expect(calls.map((c) => c.state)).to.deep.equal([...Array<string>(attempts).fill(STATE.request), STATE.fail, STATE.notifyFailed]);
      const mark = calls.at(-2)!.input as { Key: unknown; ExpressionAttributeValues: Record<string, unknown> };
      expect(mark.Key).to.deep.equal({ pk: { S: `POST#${input.postId}` }, sk: { S: 'POST' } });
      expect(mark.ExpressionAttributeValues).to.deep.equal({ ':status': { S: 'FAILED' }, ':reason': { S: reason } });
      expect((calls.at(-1)!.input as { Payload: unknown }).Payload).to.deep.equal({ postId: input.postId, title: 'Hello', authorEmail: 'author@example.com', outcome: 'failed', reason });
      expect(failure).to.deep.equal({ name: 'ApprovalFailed', message: reason });
    });
  }

  it('recovers when the request Lambda times out once: the retry carries the same idempotency key', async () => {
    let attempt = 0;
    const decision = { decision: 'approved', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T10:00:00Z' };
    const { calls, result } = run(moderationWorkflow(args), async () => (++attempt === 1 ? Promise.reject(named('Lambda.Unknown')) : decision));
    await result;
    const keys = calls.filter((c) => c.state === STATE.request).map((c) => (c.input as { Payload: { idempotencyKey: string } }).Payload.idempotencyKey);
    expect(keys).to.deep.equal([`${context.Execution.Id}#RequestApproval`, `${context.Execution.Id}#RequestApproval`]);
    expect(calls.map((c) => c.state)).to.deep.equal([STATE.request, STATE.request, STATE.publish, STATE.notifyPublished]);
  });

  it('still fails the execution with the reason when the failure notice to the author cannot be sent', async () => {
    const { calls, result } = run(moderationWorkflow(args), async () => Promise.reject(named('NoReviewers')), async () => Promise.reject(named('EmailRejected')));
    expect(await failureOf(result)).to.deep.equal({ name: 'ApprovalFailed', message: 'NO_REVIEWERS' });
    expect(calls.map((c) => c.state)).to.deep.equal([STATE.request, STATE.fail, STATE.notifyFailed]);
  });
});
