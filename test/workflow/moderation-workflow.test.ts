import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import aslValidator from 'asl-validator';
import { StateMachine } from 'aws-local-stepfunctions';
import { STATE, moderationWorkflow, type AslDefinition } from '../../src/workflow/moderation-workflow';

const args = {
  requestFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:request',
  notifyFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:notify',
  tableName: 'approvals',
  reviewers: ['alice@example.com'],
  linkTtlSeconds: 3600,
};
const input = { postId: 'p-AAAAAAAAAAAAAAAAAAAAAA', title: 'Hello', excerpt: 'A post', authorEmail: 'author@example.com' };
const context = {
  Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:moderation:p-1', Input: input, StartTime: '2026-11-28T09:00:00Z', Name: 'p-1' },
  State: { EnteredTime: '2026-11-28T09:00:00Z', Name: STATE.request, RetryCount: 0 },
  Task: { Token: 'TOKEN-123' },
};

/** Runs the definition with every Task state replaced by a local recorder. */
function run(definition: AslDefinition, approval: () => Promise<unknown>) {
  const calls: { state: string; input: Record<string, unknown> }[] = [];
  const record = (state: string) => async (taskInput: Record<string, unknown>) => {
    calls.push({ state, input: taskInput });
    return {};
  };
  const overrides: Record<string, (i: Record<string, unknown>) => Promise<unknown>> = {
    [STATE.request]: async (taskInput) => {
      calls.push({ state: STATE.request, input: taskInput });
      return approval();
    },
  };
  for (const s of [STATE.publish, STATE.reject, STATE.expire, STATE.notifyPublished, STATE.notifyRejected, STATE.notifyExpired]) overrides[s] = record(s);
  const machine = new StateMachine(definition as never);
  const execution = machine.run(input, { overrides: { taskResourceLocalHandlers: overrides as never }, context });
  return { calls, result: execution.result };
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

  it('has a Default on the decision Choice', () => {
    expect(moderationWorkflow(args).States[STATE.decision]).to.have.property('Default', STATE.unknown);
  });

  it('refuses to build without reviewers or with a TTL under a minute', () => {
    expect(() => moderationWorkflow({ ...args, reviewers: [] })).to.throw('reviewer');
    expect(() => moderationWorkflow({ ...args, linkTtlSeconds: 10 })).to.throw('linkTtlSeconds');
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

  it('fails the execution on a decision it does not know', async () => {
    const { result } = run(moderationWorkflow(args), async () => ({ decision: 'maybe' }));
    let failure: Error | undefined;
    await result.catch((err: Error) => (failure = err));
    expect(failure?.name).to.match(/UnknownDecision|ExecutionError/);
  });
});
