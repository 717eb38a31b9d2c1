/**
 * The local integration layer for Task states, chosen by Resource: `lambda:invoke` calls the
 * local handler registered for the FunctionName; `.waitForTaskToken` also waits for the
 * callback, with a new task token for every entry and retry, as on AWS; `dynamodb:*Item` sends
 * the same parameters to the local DynamoDB. Each records AWS's task events in the history.
 */
import { randomBytes } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AslState } from '../blog/workflow/moderation-workflow';
import { json, taskResource, type HistoryEvent } from './execution-history';
import { NamedError, NO_TIMEOUT_SECONDS, WAIT_SUFFIX, type ExecutionRecord, type LocalLambda } from './sfn-model';
import type { ExecutionStore } from './sfn-store';
import type { TaskWaiters } from './sfn-task-callbacks';

/** What the task integrations work with. */
export interface TaskContext {
  store: ExecutionStore;
  waiters: TaskWaiters;
  /** Function ARN → its local handler. */
  lambdas: Record<string, LocalLambda>;
  dynamodb: DynamoDBClient;
  /** Whether local Step Functions has stopped. */
  stopped(): boolean;
}

/** One task entry's token and times, minted when the state's Parameters first read `$$.Task.Token`. */
export interface TaskEntry {
  token: string;
  enteredTime: string;
  /** Re-run after a restart: the saved token, deadlines and callback stand. */
  resumed: boolean;
}

/** What one run of an execution keeps in memory while the interpreter runs it. */
export interface RunState {
  /** The entry the next waiting task takes (minted on first read of `$$.Task.Token`). */
  entry?: TaskEntry;
  /** States whose latest `…StateEntered` is in the history: their task events go straight after it. */
  entered: Set<string>;
  /** Task events that came before the interpreter's matching StateEntered reached us. */
  early: Map<string, HistoryEvent[]>;
  /** After a restart: the state the saved history stopped in; events up to it are already written. */
  replayUntil?: string;
  /** After a restart: the state this run resumes in, whose first attempt's TaskScheduled/Started are written. */
  resuming?: string;
  stopped: boolean;
}

/** A task event of `state`: written now if its StateEntered is in the history, else once it is. */
function taskEvent(ctx: TaskContext, record: ExecutionRecord, run: RunState, state: string, type: string, details: Record<string, unknown>): void {
  if (run.stopped) return;
  if (run.entered.has(state)) ctx.store.addEvent(record, type, details);
  else run.early.set(state, [...(run.early.get(state) ?? []), { timestamp: Date.now(), type, details }]);
}

/** Calls the local handler registered for `functionName`. */
async function invokeLambda(ctx: TaskContext, functionName: unknown, payload: unknown): Promise<unknown> {
  const lambda = ctx.lambdas[String(functionName)];
  if (!lambda) throw new NamedError('Lambda.ResourceNotFoundException', `no local function ${String(functionName)}`);
  // A copy, as if serialised over the wire.
  return lambda(JSON.parse(JSON.stringify(payload ?? {})));
}

/** A `dynamodb:*Item` task: the same parameters, sent to the local DynamoDB; its error names as on AWS (`DynamoDB.…`). */
async function dynamo(ctx: TaskContext, action: string, params: Record<string, unknown>): Promise<unknown> {
  const command = (() => {
    const input = params as never;
    switch (action) {
      case 'updateItem':
        return new UpdateItemCommand(input);
      case 'putItem':
        return new PutItemCommand(input);
      case 'getItem':
        return new GetItemCommand(input);
      case 'deleteItem':
        return new DeleteItemCommand(input);
      default:
        throw new NamedError('States.Runtime', `unsupported local integration dynamodb:${action}`);
    }
  })();
  try {
    const { $metadata: _metadata, ...result } = (await ctx.dynamodb.send(command as UpdateItemCommand)) as unknown as Record<string, unknown>;
    return result;
  } catch (err) {
    throw new NamedError(`DynamoDB.${(err as Error).name}`, 'DynamoDB request failed');
  }
}

/** The entry `$$.Task.Token` and `$$.State.EnteredTime` read: the open one, or a new one with a new token. */
export function entryOf(run: RunState): TaskEntry {
  run.entry ??= { token: randomBytes(96).toString('base64'), enteredTime: new Date().toISOString(), resumed: false };
  return run.entry;
}

/** The local integration for one Task state, chosen by its Resource, recording AWS's task events. */
export function taskHandler(ctx: TaskContext, record: ExecutionRecord, run: RunState, name: string, state: AslState): (params: Record<string, unknown>) => Promise<unknown> {
  const resource = String(state.Resource);
  const { resourceType, resource: action } = taskResource(resource);
  const region = record.executionArn.split(':')[3] ?? 'us-east-1';
  const event = (type: string, details: Record<string, unknown> = {}) => taskEvent(ctx, record, run, name, type, { resourceType, resource: action, ...details });
  const attempt = async (params: Record<string, unknown>, work: () => Promise<unknown>) => {
    const timeout = typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : NO_TIMEOUT_SECONDS;
    const heartbeat = typeof state.HeartbeatSeconds === 'number' ? state.HeartbeatSeconds : undefined;
    if (run.resuming === name) {
      // Resumed after a restart: this attempt's scheduling is in the history already.
      run.resuming = undefined;
    } else {
      event('TaskScheduled', { region, parameters: json(params), timeoutInSeconds: timeout, ...(heartbeat ? { heartbeatInSeconds: heartbeat } : {}) });
      event('TaskStarted');
    }
    try {
      const output = await work();
      if (!run.stopped) event('TaskSucceeded', { output: json(output), outputDetails: { truncated: false } });
      return output;
    } catch (err) {
      const { name: error, message: cause } = err as Error;
      if (!run.stopped && error !== 'Local.Stopped') event(error === 'States.Timeout' || error === 'States.HeartbeatTimeout' ? 'TaskTimedOut' : 'TaskFailed', { error, cause });
      throw err;
    }
  };

  if (resource.endsWith(`:lambda:invoke${WAIT_SUFFIX}`)) {
    return (params) => {
      const entry = run.entry;
      run.entry = undefined;
      if (entry && !entry.resumed) {
        // A new entry or retry: its own token, deadlines and (no) callback, as on AWS.
        const now = Date.now();
        record.taskToken = entry.token;
        (record.taskTokens ??= []).push(entry.token);
        ctx.store.byToken.set(entry.token, record);
        record.taskState = name;
        record.enteredTime = entry.enteredTime;
        record.callback = undefined;
        record.callbackAt = undefined;
        record.taskClosed = false;
        record.taskSubmitted = false;
        record.taskDeadline = typeof state.TimeoutSeconds === 'number' ? now + state.TimeoutSeconds * 1000 : undefined;
        record.heartbeatDeadline = typeof state.HeartbeatSeconds === 'number' ? now + state.HeartbeatSeconds * 1000 : undefined;
        ctx.store.save(record);
      }
      const token = record.taskToken;
      return attempt(params, async () => {
        // A resumed task whose Lambda had returned is not invoked again: it waits for its callback.
        if (!record.callback && !record.taskSubmitted) {
          const payload = await invokeLambda(ctx, params.FunctionName, params.Payload);
          if (run.stopped) throw new NamedError('Local.Stopped', 'local mode stopped');
          record.taskSubmitted = true;
          ctx.store.save(record);
          event('TaskSubmitted', { output: json({ StatusCode: 200, Payload: payload }), outputDetails: { truncated: false } });
        }
        // Stopped while the Lambda ran: settle now, or a timer keeps the process alive.
        if (ctx.stopped() || run.stopped) throw new NamedError('Local.Stopped', 'local mode stopped');
        return ctx.waiters.wait(record);
      }).finally(() => {
        // However the task ended (answered, its Lambda failed, it timed out), its token is dead,
        // as on AWS: a late SendTaskSuccess is TaskTimedOut, never accepted and then dropped.
        if (run.stopped || record.taskToken !== token || record.taskClosed) return;
        record.taskClosed = true;
        ctx.store.save(record);
      });
    };
  }
  if (resource.endsWith(':lambda:invoke')) {
    return (params) => attempt(params, async () => ({ StatusCode: 200, Payload: await invokeLambda(ctx, params.FunctionName, params.Payload) }));
  }
  const item = /:dynamodb:(\w+)$/.exec(resource);
  if (item) return (params) => attempt(params, () => dynamo(ctx, item[1]!, params));
  return (params) =>
    attempt(
      params,
      async () => {
        throw new NamedError('States.Runtime', `unsupported local resource ${resource}`);
      },
    );
}

