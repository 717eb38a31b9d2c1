import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { LocalStepFunctions, localDefinition, type LocalLambda } from '../../src/local/local-step-functions';
import { moderationWorkflow } from '../../src/blog/workflow/moderation-workflow';
import type { AslDefinition } from '../../src/blog/workflow/moderation-workflow';

const ACCOUNT_ARN = 'arn:aws:states:us-east-1:000000000000';
const MACHINE = `${ACCOUNT_ARN}:stateMachine:approval`;
const FN = 'arn:aws:lambda:us-east-1:000000000000:function:ask';

/** A waiting approval task like ours, with a Retry on a Lambda error and optional heartbeats. */
function approvalMachine(extra: Record<string, unknown> = {}): AslDefinition {
  return {
    Comment: 'approval',
    StartAt: 'Ask',
    States: {
      Ask: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: FN, Payload: { 'token.$': '$$.Task.Token', 'post.$': '$.post' } },
        TimeoutSeconds: 30,
        Retry: [{ ErrorEquals: ['Boom'], IntervalSeconds: 0, MaxAttempts: 2 }],
        ResultPath: '$.approval',
        Next: 'Decide',
        ...extra,
      },
      Decide: {
        Type: 'Choice',
        Choices: [{ Variable: '$.approval.decision', StringEquals: 'approved', Next: 'Done' }],
        Default: 'Refused',
      },
      Done: { Type: 'Succeed' },
      Refused: { Type: 'Fail', Error: 'Refused', Cause: 'not approved' },
    },
  } as unknown as AslDefinition;
}

const until = async <T>(what: string, check: () => T | undefined, ms = 5000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('local Step Functions: the API an operator uses, with AWS shapes and errors', () => {
  let dataDir: string;
  let sfn: LocalStepFunctions;
  let client: SFNClient;
  /** The tokens each Lambda call received, in order. */
  let tokens: string[];
  let failFirst: number;
  let lambdaMs = 0;

  const lambda: LocalLambda = async (payload) => {
    tokens.push((payload as { token: string }).token);
    if (lambdaMs > 0) await new Promise((resolve) => setTimeout(resolve, lambdaMs));
    if (failFirst > 0) {
      failFirst--;
      const err = new Error('transient');
      err.name = 'Boom';
      throw err;
    }
    return { ok: true };
  };

  async function open(definition = approvalMachine()) {
    sfn = new LocalStepFunctions({ dataDir, machines: { [MACHINE]: definition }, lambdas: { [FN]: lambda }, dynamodb: new DynamoDBClient({ region: 'us-east-1' }) });
    await sfn.start();
    client = new SFNClient({ endpoint: sfn.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  }

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-sfn-api-'));
    tokens = [];
    failFirst = 0;
    lambdaMs = 0;
    await open();
  });
  afterEach(async () => {
    client.destroy();
    await sfn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const startOne = async (name?: string, input: unknown = { post: 'p1' }) =>
    (await client.send(new StartExecutionCommand({ stateMachineArn: MACHINE, ...(name !== undefined ? { name } : {}), input: JSON.stringify(input) }))).executionArn!;
  /** Stops local Step Functions and starts it again on the same DATA_DIR, resuming what was running. */
  const restart = async (waitingArn?: string, definition?: AslDefinition) => {
    await sfn.stop();
    client.destroy();
    await open(definition);
    sfn.resumePending();
    if (waitingArn) await until('the resumed task', () => (sfn.executions.get(waitingArn)?.taskOpen ? true : undefined));
  };
  const statusOf = async (executionArn: string) => (await client.send(new DescribeExecutionCommand({ executionArn }))).status;
  const ended = (executionArn: string) => until('the execution to end', () => (sfn.executions.get(executionArn)?.status !== 'RUNNING' && sfn.executions.get(executionArn)?.endDelivered !== undefined ? true : undefined));
  const waiting = (count: number) => until(`${count} task token(s)`, () => (tokens.length >= count && [...sfn.executions.values()].some((r) => r.taskOpen) ? true : undefined));
  const historyOf = async (executionArn: string, extra: Partial<ConstructorParameters<typeof GetExecutionHistoryCommand>[0]> = {}) =>
    (await client.send(new GetExecutionHistoryCommand({ executionArn, ...extra }))).events!;
  const types = (events: HistoryEvent[]) => events.map((e) => e.type);
  const errorOf = async (call: Promise<unknown>) => {
    try {
      await call;
    } catch (err) {
      return (err as Error).name;
    }
    throw new Error('expected the call to fail');
  };

  it('records the history in AWS event types, ids and details, with the token in TaskScheduled', async () => {
    const arn = await startOne('post-1');
    await waiting(1);
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[0]!, output: JSON.stringify({ decision: 'approved', comment: 'a "quoted" \\ comment' }) }));
    await ended(arn);
    expect(await statusOf(arn)).to.equal('SUCCEEDED');

    const events = await historyOf(arn);
    expect(types(events)).to.deep.equal([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).to.deep.equal(events.map((_, i) => i + 1));
    expect(events.map((e) => e.previousEventId)).to.deep.equal(events.map((_, i) => i));
    for (let i = 1; i < events.length; i++) expect(events[i]!.timestamp!.getTime()).to.be.at.least(events[i - 1]!.timestamp!.getTime());
    const scheduled = events[2]!.taskScheduledEventDetails!;
    expect(scheduled).to.include({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'us-east-1', timeoutInSeconds: 30 });
    expect(JSON.parse(scheduled.parameters!)).to.deep.equal({ FunctionName: FN, Payload: { token: tokens[0], post: 'p1' } });
    expect(events[1]!.stateEnteredEventDetails).to.include({ name: 'Ask' });
    expect(JSON.parse(events[5]!.taskSucceededEventDetails!.output!)).to.deep.equal({ decision: 'approved', comment: 'a "quoted" \\ comment' });
    expect(events[0]!.executionStartedEventDetails!.input).to.equal('{"post":"p1"}');

    // Newest first, a page at a time, and without execution data when asked.
    const reversed = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, maxResults: 5 }));
    expect(types(reversed.events!)).to.deep.equal(['ExecutionSucceeded', 'SucceedStateExited', 'SucceedStateEntered', 'ChoiceStateExited', 'ChoiceStateEntered']);
    const rest = await client.send(new GetExecutionHistoryCommand({ executionArn: arn, reverseOrder: true, maxResults: 5, nextToken: reversed.nextToken }));
    expect(rest.events![0]!.id).to.equal(7);
    const bare = await historyOf(arn, { includeExecutionData: false });
    expect(bare[2]!.taskScheduledEventDetails).to.not.have.property('parameters');
    expect(await errorOf(client.send(new GetExecutionHistoryCommand({ executionArn: arn, nextToken: 'not-a-token' })))).to.equal('InvalidToken');
  });

  it('issues a new task token on every retry; the earlier token then answers TaskTimedOut', async () => {
    failFirst = 1;
    const arn = await startOne('retried');
    await waiting(2);
    expect(tokens[1]).to.not.equal(tokens[0]);
    expect(await errorOf(client.send(new SendTaskSuccessCommand({ taskToken: tokens[0]!, output: '{"decision":"approved"}' })))).to.equal('TaskTimedOut');
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[1]!, output: '{"decision":"approved"}' }));
    await ended(arn);
    expect(await statusOf(arn)).to.equal('SUCCEEDED');
    // The token is used once: a second answer is refused.
    expect(await errorOf(client.send(new SendTaskSuccessCommand({ taskToken: tokens[1]!, output: '{}' })))).to.equal('TaskTimedOut');
    const events = types(await historyOf(arn));
    expect(events.slice(0, 8)).to.deep.equal(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted']);
    expect(events.filter((t) => t === 'TaskStateEntered')).to.have.length(1);
  });

  it('fails the task with States.HeartbeatTimeout when heartbeats stop, and keeps it alive while they come', async () => {
    await sfn.stop();
    await open(approvalMachine({ HeartbeatSeconds: 1 }));
    const kept = await startOne('beating');
    await waiting(1);
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await client.send(new SendTaskHeartbeatCommand({ taskToken: tokens[0]! }))).to.have.property('$metadata');
    }
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[0]!, output: '{"decision":"approved"}' }));
    await ended(kept);
    expect(await statusOf(kept)).to.equal('SUCCEEDED');

    const silent = await startOne('silent');
    await ended(silent);
    const described = await client.send(new DescribeExecutionCommand({ executionArn: silent }));
    expect(described).to.include({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    const events = await historyOf(silent);
    expect(types(events)).to.include('TaskTimedOut');
    expect(events.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails).to.include({ heartbeatInSeconds: 1 });
    expect(events.at(-1)!.executionFailedEventDetails).to.include({ error: 'States.HeartbeatTimeout' });
    expect(await errorOf(client.send(new SendTaskHeartbeatCommand({ taskToken: tokens[1]! })))).to.equal('TaskTimedOut');
  });

  it('reports the real error and cause of a failure, not the interpreter’s wrapper', async () => {
    const failed = await startOne('failed');
    await waiting(1);
    await client.send(new SendTaskFailureCommand({ taskToken: tokens[0]!, error: 'UnknownDecision', cause: 'the decision was "maybe"' }));
    await ended(failed);
    expect(await client.send(new DescribeExecutionCommand({ executionArn: failed }))).to.include({ status: 'FAILED', error: 'UnknownDecision', cause: 'the decision was "maybe"' });
    expect((await historyOf(failed)).at(-2)).to.deep.include({ type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'UnknownDecision', cause: 'the decision was "maybe"' } });

    const refused = await startOne('refused');
    await until('a second token', () => (tokens.length === 2 ? true : undefined));
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[1]!, output: '{"decision":"rejected"}' }));
    await ended(refused);
    expect(await client.send(new DescribeExecutionCommand({ executionArn: refused }))).to.include({ status: 'FAILED', error: 'Refused', cause: 'not approved' });
    expect(types(await historyOf(refused)).slice(-2)).to.deep.equal(['FailStateEntered', 'ExecutionFailed']);
  });

  it('stops an execution: ABORTED with its error and cause, its token dead, its history ended', async () => {
    const arn = await startOne('stopped');
    await waiting(1);
    const { stopDate } = await client.send(new StopExecutionCommand({ executionArn: arn, error: 'Operator', cause: 'stuck' }));
    expect(stopDate).to.be.instanceOf(Date);
    expect(await client.send(new DescribeExecutionCommand({ executionArn: arn }))).to.include({ status: 'ABORTED', error: 'Operator', cause: 'stuck' });
    expect(await errorOf(client.send(new SendTaskSuccessCommand({ taskToken: tokens[0]!, output: '{}' })))).to.equal('TaskTimedOut');
    const events = await historyOf(arn);
    expect(events.at(-1)).to.deep.include({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'stuck' } });
    // Stopping again changes nothing.
    await client.send(new StopExecutionCommand({ executionArn: arn }));
    expect(await historyOf(arn)).to.have.length(events.length);
  });

  it('lists executions newest first, by status, a page at a time', async () => {
    const a = await startOne('a');
    await waiting(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = await startOne('b');
    await until('b waiting', () => (tokens.length === 2 ? true : undefined));
    await client.send(new StopExecutionCommand({ executionArn: a }));
    const all = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE }));
    expect(all.executions!.map((e) => [e.name, e.status])).to.deep.equal([
      ['b', 'RUNNING'],
      ['a', 'ABORTED'],
    ]);
    expect(all.executions![1]).to.have.property('stopDate');
    const running = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter: 'RUNNING' }));
    expect(running.executions!.map((e) => e.executionArn)).to.deep.equal([b]);
    const first = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1 }));
    expect(first.executions!.map((e) => e.name)).to.deep.equal(['b']);
    const second = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, maxResults: 1, nextToken: first.nextToken }));
    expect(second.executions!.map((e) => e.name)).to.deep.equal(['a']);
    expect(second.nextToken).to.equal(undefined);
    expect(await errorOf(client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, nextToken: 'bogus' })))).to.equal('InvalidToken');
  });

  it('describes its state machine, and the one an execution ran', async () => {
    const machines = await client.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines!.map((m) => [m.name, m.type, m.stateMachineArn])).to.deep.equal([['approval', 'STANDARD', MACHINE]]);
    const machine = await client.send(new DescribeStateMachineCommand({ stateMachineArn: MACHINE }));
    expect(machine).to.include({ name: 'approval', status: 'ACTIVE', type: 'STANDARD' });
    expect(JSON.parse(machine.definition!)).to.deep.equal(approvalMachine());
    const arn = await startOne('described');
    const forExecution = await client.send(new DescribeStateMachineForExecutionCommand({ executionArn: arn }));
    expect(forExecution).to.include({ stateMachineArn: MACHINE, name: 'approval', definition: machine.definition });
  });

  it('follows AWS’s rules for names, inputs and ARNs', async () => {
    // Allowed on AWS: dots, brackets of the round kind, @, non-ASCII letters.
    for (const name of ['post.2026-11-30', 'a(b)', 'me@example', 'café']) await startOne(name);
    for (const name of ['has space', 'a/b', 'a:b', 'a#b', 'a*b', 'x'.repeat(81), '', 'tab\there']) {
      expect(await errorOf(startOne(name)), JSON.stringify(name)).to.equal('InvalidName');
    }
    // The same name and input while RUNNING is the same execution; once closed, the name is taken.
    const arn = await startOne('once');
    expect(await startOne('once')).to.equal(arn);
    expect(await errorOf(startOne('once', { post: 'other' }))).to.equal('ExecutionAlreadyExists');
    await client.send(new StopExecutionCommand({ executionArn: arn }));
    expect(await errorOf(startOne('once'))).to.equal('ExecutionAlreadyExists');
    expect(await errorOf(startOne('big', { post: 'x'.repeat(256 * 1024) }))).to.equal('InvalidExecutionInput');
    expect(await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: 'not-an-arn' })))).to.equal('InvalidArn');
    expect(await errorOf(client.send(new StartExecutionCommand({ stateMachineArn: `${ACCOUNT_ARN}:stateMachine:other` })))).to.equal('StateMachineDoesNotExist');
    expect(await errorOf(client.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:::nope' })))).to.equal('InvalidArn');
    expect(await errorOf(client.send(new DescribeExecutionCommand({ executionArn: `${ACCOUNT_ARN}:execution:approval:missing` })))).to.equal('ExecutionDoesNotExist');
    expect(await errorOf(client.send(new SendTaskSuccessCommand({ taskToken: 'short', output: '{}' })))).to.equal('InvalidToken');
    expect(await errorOf(client.send(new SendTaskSuccessCommand({ taskToken: 'A'.repeat(64), output: '{}' })))).to.equal('TaskDoesNotExist');
  });

  it('answers a body that is not a JSON object with SerializationException, never a 500', async () => {
    for (const body of ['null', '[]', '42', '{not json']) {
      const res = await fetch(sfn.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.DescribeExecution' }, body });
      expect(res.status, body).to.equal(400);
      expect(((await res.json()) as { __type: string }).__type, body).to.equal('SerializationException');
    }
  });

  it('keeps the history across a restart without writing the replayed part twice', async () => {
    const arn = await startOne('restarted');
    await waiting(1);
    const before = types(await historyOf(arn));
    await restart(arn);
    expect(types(await historyOf(arn))).to.deep.equal(before);
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[0]!, output: '{"decision":"approved"}' }));
    await ended(arn);
    const after = types(await historyOf(arn));
    expect(after.filter((t) => t === 'TaskScheduled')).to.have.length(1);
    expect(after.filter((t) => t === 'TaskStateEntered')).to.have.length(1);
    expect(after.slice(-2)).to.deep.equal(['SucceedStateExited', 'ExecutionSucceeded']);
  });

  it('gives every Task AWS’s default timeout (none) instead of the interpreter’s 60 s, and leaves waiting tasks’ timeouts to itself', () => {
    const definition = localDefinition(
      moderationWorkflow({ requestFunctionArn: FN, notifyFunctionArn: FN, tableName: 't', reviewers: ['r@example.com'], linkTtlSeconds: 7 * 24 * 3600, requiredApprovals: 1, remindBeforeSeconds: 3600 }),
    );
    const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
    expect(tasks.length).to.be.above(3);
    for (const [name, state] of tasks) {
      expect(state.TimeoutSeconds ?? state.TimeoutSecondsPath, name).to.not.equal(undefined);
      if (String(state.Resource).endsWith('.waitForTaskToken')) expect(state.TimeoutSeconds, name).to.equal(99_999_999);
    }
    const custom = localDefinition({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 5, End: true } } } as unknown as AslDefinition, 'T');
    expect(custom.States.T!.TimeoutSeconds).to.equal(5);
  });

  it('closes a task’s token when its Lambda fails: a late answer is TaskTimedOut, never accepted and dropped', async () => {
    await sfn.stop();
    await open(approvalMachine({ Retry: [{ ErrorEquals: ['Boom'], IntervalSeconds: 1, MaxAttempts: 1 }] }));
    failFirst = 1;
    const arn = await startOne('closed-token');
    await until('the failed attempt', () => (tokens.length === 1 && sfn.executions.get(arn)?.taskClosed ? true : undefined));
    // Between the failure and the retry (1 s): the failed attempt's token is dead.
    expect(await errorOf(client.send(new SendTaskSuccessCommand({ taskToken: tokens[0]!, output: '{"decision":"approved"}' })))).to.equal('TaskTimedOut');
    await waiting(2);
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[1]!, output: '{"decision":"approved"}' }));
    await ended(arn);
    expect(await statusOf(arn)).to.equal('SUCCEEDED');
  });

  it('resumes after a restart in the state it was in: done states are not run again, the history is written once', async () => {
    lambdaMs = 50;
    const arn = await startOne('slow');
    await until('the Lambda to return', () => (sfn.executions.get(arn)?.taskSubmitted ? true : undefined));
    await until('its TaskSubmitted event', () => (sfn.history(arn).at(-1)?.type === 'TaskSubmitted' ? true : undefined));
    const before = types(await historyOf(arn));
    await restart(arn);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(tokens, 'the Lambda had returned: it is not invoked again').to.have.length(1);
    expect(types(await historyOf(arn))).to.deep.equal(before);
    await client.send(new SendTaskSuccessCommand({ taskToken: tokens[0]!, output: '{"decision":"rejected"}' }));
    await ended(arn);
    expect(await statusOf(arn)).to.equal('FAILED');
    expect(types(await historyOf(arn)).filter((t) => t === 'TaskSubmitted')).to.have.length(1);
  });

  it('keeps a caught failure’s branch across a restart instead of asking again', async () => {
    await sfn.stop();
    const caught = {
      StartAt: 'Ask',
      States: {
        Ask: { ...approvalMachine().States.Ask, Retry: undefined, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Pause' }] },
        Pause: { Type: 'Wait', Seconds: 1, Next: 'Broken' },
        Broken: { Type: 'Fail', Error: 'AskFailed', Cause: 'the Lambda failed' },
        Decide: approvalMachine().States.Decide,
        Done: { Type: 'Succeed' },
        Refused: approvalMachine().States.Refused,
      },
    } as unknown as AslDefinition;
    await open(caught);
    failFirst = 1;
    const arn = await startOne('caught');
    await until('the Wait state', () => (sfn.executions.get(arn)?.currentState === 'Pause' ? true : undefined));
    await restart(undefined, caught);
    await ended(arn);
    expect(tokens, 'the Lambda is not asked again').to.have.length(1);
    expect(await client.send(new DescribeExecutionCommand({ executionArn: arn }))).to.include({ status: 'FAILED', error: 'AskFailed' });
    const events = types(await historyOf(arn));
    expect(events.filter((t) => t === 'WaitStateEntered')).to.have.length(1);
    expect(events.slice(-2)).to.deep.equal(['FailStateEntered', 'ExecutionFailed']);
  });

  it('continues a listing from its token even when the next execution has since changed status', async () => {
    for (const name of ['p', 'q', 'r']) {
      await startOne(name);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const first = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter: 'RUNNING', maxResults: 1 }));
    expect(first.executions!.map((e) => e.name)).to.deep.equal(['r']);
    await client.send(new StopExecutionCommand({ executionArn: `${ACCOUNT_ARN}:execution:approval:q` }));
    const next = await client.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter: 'RUNNING', maxResults: 1, nextToken: first.nextToken }));
    expect(next.executions!.map((e) => e.name)).to.deep.equal(['p']);
  });

  it('counts names in characters in ARNs too, and answers fields of the wrong type with SerializationException', async () => {
    const arn = await startOne('😀'.repeat(41));
    expect(await statusOf(arn)).to.equal('RUNNING');
    await client.send(new StopExecutionCommand({ executionArn: arn }));
    for (const [target, body] of [
      ['DescribeExecution', { executionArn: { toString: 1 } }],
      ['StartExecution', { stateMachineArn: MACHINE, name: { toString: 1 } }],
      ['ListExecutions', { stateMachineArn: MACHINE, maxResults: { valueOf: 1 } }],
      ['SendTaskFailure', { taskToken: 'A'.repeat(64), error: ['x'] }],
    ] as const) {
      const res = await fetch(sfn.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${target}` }, body: JSON.stringify(body) });
      expect(res.status, target).to.equal(400);
      expect(((await res.json()) as { __type: string }).__type, target).to.be.oneOf(['SerializationException', 'InvalidToken', 'TaskDoesNotExist']);
    }
    expect(await errorOf(client.send(new StopExecutionCommand({ executionArn: await startOne('long-cause'), cause: 'x'.repeat(32_769) })))).to.equal('ValidationException');
  });

  it('forgets a closed execution and its history after 90 days, as AWS does, and keeps running ones', async () => {
    const old = await startOne('old');
    await waiting(1);
    await client.send(new StopExecutionCommand({ executionArn: old }));
    await ended(old);
    await until('its end delivered', () => (sfn.executions.get(old)?.endDelivered ? true : undefined));
    const running = await startOne('still-running', { post: 'p2' });
    await until('the second task', () => (tokens.length === 2 ? true : undefined));
    const longAgo = Date.now() - 91 * 86_400_000;
    // The last snapshot of each execution wins when the file is read back.
    appendFileSync(join(dataDir, 'executions.jsonl'), `${JSON.stringify({ ...sfn.executions.get(old), stopDate: longAgo, startDate: longAgo })}\n`);
    appendFileSync(join(dataDir, 'executions.jsonl'), `${JSON.stringify({ ...sfn.executions.get(running), input: undefined, startDate: longAgo })}\n`);
    await restart(running);
    expect(await errorOf(client.send(new DescribeExecutionCommand({ executionArn: old })))).to.equal('ExecutionDoesNotExist');
    const kept = readFileSync(join(dataDir, 'history.jsonl'), 'utf8');
    expect(kept).to.not.include(old);
    expect(kept).to.include(running);
    expect(await statusOf(running)).to.equal('RUNNING');
    expect(JSON.parse(sfn.executions.get(running)!.input)).to.deep.equal({ post: 'p2' });
  });
});
