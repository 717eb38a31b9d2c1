/**
 * The Step Functions API calls the handlers make (StartExecution, SendTaskSuccess,
 * SendTaskFailure, DescribeExecution) and StopExecution, served locally over the AWS JSON
 * protocol and backed by aws-local-stepfunctions running the very definition the Pulumi program
 * deploys. The end of every execution is delivered to status-change targets as the same
 * "Execution Status Change" event EventBridge delivers on AWS.
 *
 * Task states run through one generic local integration layer: `lambda:invoke` calls the local
 * handler registered for the FunctionName, `.waitForTaskToken` also waits for the callback,
 * `dynamodb:*Item` sends the same parameters to the local DynamoDB. Executions are appended to
 * DATA_DIR/executions.jsonl; a RUNNING one is re-run after a restart with the same task token,
 * context and deadline (the approval step is idempotent, and a callback that already arrived
 * is replayed), so pending approvals survive `npm start` restarts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition, AslState } from '../workflow/moderation-workflow';
import { ServiceError, startJsonService } from './json-protocol';
import { installLongTimers } from './long-timers';

installLongTimers();

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  taskToken: string;
  /** `$$.State.EnteredTime`, kept stable across restarts (the approval step's idempotency key uses it). */
  enteredTime: string;
  /** When the waiting task times out (epoch ms), once it has been entered. */
  taskDeadline?: number;
  taskOpen?: boolean;
  /** The callback, once delivered: replayed if the execution is re-run after a restart. */
  callback?: { output?: string; error?: string; cause?: string };
  /** Whether the end of this execution has been handed to every status-change listener (the local EventBridge rule). */
  endDelivered?: boolean;
  /** Epoch ms when the callback arrived and when the waiting task finished with it. */
  callbackAt?: number;
  resumedAt?: number;
  currentState?: string;
  visited: string[];
}

export type LocalLambda = (payload: unknown) => Promise<unknown>;

/** Step Functions' "Execution Status Change" event, as EventBridge delivers it to a rule's target. */
export interface ExecutionStatusEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    startDate: number;
    stopDate: number | null;
    input: string;
    output: string | null;
    error: string | null;
    cause: string | null;
  };
}

/** The event AWS would put on the default bus for this execution's current status. */
export function statusChangeEvent(record: ExecutionRecord): ExecutionStatusEvent {
  const [, , , region = 'us-east-1', account = '000000000000'] = record.executionArn.split(':');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account,
    time: new Date(record.stopDate ?? record.startDate).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      stopDate: record.stopDate ?? null,
      input: record.input,
      output: record.output ?? null,
      error: record.error ?? null,
      cause: record.cause ?? null,
    },
  };
}

/** A target of the local rule on execution status changes; a rejection is retried later. */
export type StatusChangeTarget = (event: ExecutionStatusEvent) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  dataDir: string;
  /** State machine ARN → its definition. */
  machines: Record<string, AslDefinition>;
  /** Function ARN → its local handler. */
  lambdas: Record<string, LocalLambda>;
  dynamodb: DynamoDBClient;
  port?: number;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const TOKEN = /^[A-Za-z0-9+/=]{16,2048}$/;
const WAIT_SUFFIX = '.waitForTaskToken';
/** Delays before delivering an execution's end again to a target that failed. */
const END_RETRY_MS = [1000, 10_000];

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class LocalStepFunctions {
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly byToken = new Map<string, ExecutionRecord>();
  private readonly waiters = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly aborts = new Map<string, () => void>();
  private readonly logFile: string;
  private service?: Awaited<ReturnType<typeof startJsonService>>;
  private readonly listeners = new Set<(record: ExecutionRecord) => void>();
  private readonly targets: StatusChangeTarget[] = [];
  private stopped = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    // Validate each definition once: validating per execution (a fresh Ajv compile) cost ~40 ms of CPU.
    for (const definition of Object.values(options.machines)) new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    mkdirSync(options.dataDir, { recursive: true });
    this.logFile = join(options.dataDir, 'executions.jsonl');
  }

  get url(): string {
    if (!this.service) throw new Error('local Step Functions not started');
    return this.service.url;
  }

  /** Loads saved executions and serves the API; `resumePending()` then re-runs what was RUNNING. */
  async start(): Promise<void> {
    if (existsSync(this.logFile)) {
      for (const line of readFileSync(this.logFile, 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const record = JSON.parse(line) as ExecutionRecord;
          this.executions.set(record.executionArn, record);
        } catch {
          // A torn last line after a crash: the previous snapshot of that execution stands.
        }
      }
      // Compact: one line per execution.
      writeFileSync(this.logFile, [...this.executions.values()].map((r) => `${JSON.stringify(r)}\n`).join(''));
    }
    for (const record of this.executions.values()) this.byToken.set(record.taskToken, record);
    this.service = await startJsonService(
      {
        'AWSStepFunctions.StartExecution': (input) => this.startExecution(input),
        'AWSStepFunctions.SendTaskSuccess': (input) => this.sendTaskResult(input, true),
        'AWSStepFunctions.SendTaskFailure': (input) => this.sendTaskResult(input, false),
        'AWSStepFunctions.DescribeExecution': (input) => this.describe(input),
        'AWSStepFunctions.StopExecution': (input) => this.stopExecution(input),
      },
      this.options.port ?? 0,
      'application/x-amz-json-1.0',
    );
  }

  /** Re-runs every execution that was RUNNING when the previous process stopped. */
  resumePending(): number {
    let resumed = 0;
    for (const record of this.executions.values()) {
      if (record.status === 'RUNNING' && !this.aborts.has(record.executionArn)) {
        this.run(record);
        resumed++;
      }
    }
    return resumed;
  }

  /**
   * Routes the end of every execution (SUCCEEDED, FAILED, TIMED_OUT, ABORTED) to `target`, as an
   * EventBridge rule on "Execution Status Change" does on AWS. Call before `resumePending()`.
   */
  onStatusChange(target: StatusChangeTarget): void {
    this.targets.push(target);
  }

  /**
   * Delivers the end of executions whose delivery had not completed (the process stopped in
   * between, or a target failed): at least once, as EventBridge and Lambda's retries do on AWS.
   */
  redeliverEnded(): Promise<void> {
    const undelivered = [...this.executions.values()].filter((r) => r.status !== 'RUNNING' && r.endDelivered === false);
    return Promise.all(undelivered.map((r) => this.deliverEnd(r).catch(() => undefined))).then(() => undefined);
  }

  /**
   * Hands the end to every target; if one fails, tries the failed ones again after 1 s and 10 s
   * (as Lambda retries an asynchronous invocation twice), then leaves it for the next start.
   */
  private async deliverEnd(record: ExecutionRecord, targets = this.targets, attempt = 0): Promise<void> {
    const event = statusChangeEvent(record);
    const results = await Promise.allSettled(targets.map(async (target) => target(event)));
    if (this.stopped) return;
    const failed = targets.filter((_, i) => results[i]!.status === 'rejected');
    if (failed.length === 0) {
      record.endDelivered = true;
      this.save(record);
    } else if (attempt < END_RETRY_MS.length) {
      setTimeout(() => void this.deliverEnd(record, failed, attempt + 1).catch(() => undefined), END_RETRY_MS[attempt]).unref();
    }
  }

  /** Stops serving and abandons runs in memory; RUNNING executions stay RUNNING on disk. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const abort of this.aborts.values()) abort();
    this.aborts.clear();
    await this.service?.close();
  }

  /** Called with each execution whenever it changes (pages and the bench watch this). */
  onChange(listener: (record: ExecutionRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private save(record: ExecutionRecord): void {
    appendFileSync(this.logFile, `${JSON.stringify(record)}\n`);
    for (const listener of this.listeners) listener(record);
  }

  private startExecution(input: Record<string, unknown>) {
    const { stateMachineArn, name, input: executionInput } = input as { stateMachineArn?: string; name?: string; input?: string };
    if (!stateMachineArn || !this.options.machines[stateMachineArn]) throw new ServiceError('StateMachineDoesNotExist', 'state machine does not exist');
    const executionName = name ?? randomBytes(16).toString('hex');
    if (!NAME.test(executionName)) throw new ServiceError('InvalidName', 'invalid execution name');
    const text = executionInput ?? '{}';
    try {
      JSON.parse(text);
    } catch {
      throw new ServiceError('InvalidExecutionInput', 'input is not JSON');
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Step Functions: the same name and input is the same execution (idempotent start).
      if (existing.input !== text) throw new ServiceError('ExecutionAlreadyExists', 'execution already exists');
      return { executionArn, startDate: existing.startDate / 1000 };
    }
    const now = Date.now();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name: executionName,
      input: text,
      status: 'RUNNING',
      startDate: now,
      taskToken: randomBytes(96).toString('base64'),
      enteredTime: new Date(now).toISOString(),
      visited: [],
    };
    this.executions.set(executionArn, record);
    this.byToken.set(record.taskToken, record);
    this.save(record);
    this.run(record);
    return { executionArn, startDate: now / 1000 };
  }

  private sendTaskResult(input: Record<string, unknown>, success: boolean) {
    const { taskToken, output, error, cause } = input as { taskToken?: string; output?: string; error?: string; cause?: string };
    if (typeof taskToken !== 'string' || !TOKEN.test(taskToken)) throw new ServiceError('InvalidToken', 'invalid token');
    const record = this.byToken.get(taskToken);
    if (!record) throw new ServiceError('TaskDoesNotExist', 'task does not exist');
    const closed = record.status !== 'RUNNING' || record.callback !== undefined || (record.taskDeadline !== undefined && Date.now() >= record.taskDeadline);
    if (closed) throw new ServiceError('TaskTimedOut', 'task timed out');
    if (success) {
      try {
        JSON.parse(output ?? '');
      } catch {
        throw new ServiceError('InvalidOutput', 'output is not JSON');
      }
    }
    record.callback = success ? { output } : { error: error ?? 'States.TaskFailed', cause };
    record.callbackAt = Date.now();
    this.save(record);
    this.deliver(record);
    return {};
  }

  /** Hands a stored callback to the waiting task, if the run has reached it. */
  private deliver(record: ExecutionRecord): void {
    const waiter = this.waiters.get(record.executionArn);
    if (!waiter || !record.callback) return;
    this.waiters.delete(record.executionArn);
    if (record.callback.output !== undefined) waiter.resolve(JSON.parse(record.callback.output));
    else waiter.reject(new NamedError(record.callback.error ?? 'States.TaskFailed', record.callback.cause ?? ''));
  }

  /** StopExecution: a RUNNING execution ends ABORTED (with the given error and cause, if any). */
  private stopExecution(input: Record<string, unknown>) {
    const { executionArn, error, cause } = input as { executionArn?: string; error?: string; cause?: string };
    const record = this.executions.get(String(executionArn ?? ''));
    if (!record) throw new ServiceError('ExecutionDoesNotExist', 'execution does not exist');
    if (record.status === 'RUNNING') {
      this.aborts.get(record.executionArn)?.();
      this.finish(record, 'ABORTED', { ...(error ? { error: String(error) } : {}), ...(cause ? { cause: String(cause) } : {}) });
    }
    return { stopDate: (record.stopDate ?? Date.now()) / 1000 };
  }

  private describe(input: Record<string, unknown>) {
    const record = this.executions.get(String(input.executionArn ?? ''));
    if (!record) throw new ServiceError('ExecutionDoesNotExist', 'execution does not exist');
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate / 1000,
      ...(record.stopDate ? { stopDate: record.stopDate / 1000 } : {}),
      input: record.input,
      ...(record.output !== undefined ? { output: record.output } : {}),
      ...(record.error ? { error: record.error, cause: record.cause } : {}),
    };
  }

  private async invokeLambda(functionName: unknown, payload: unknown): Promise<unknown> {
    const lambda = this.options.lambdas[String(functionName)];
    if (!lambda) throw new NamedError('Lambda.ResourceNotFoundException', `no local function ${String(functionName)}`);
    // A copy, as if serialised over the wire.
    return lambda(JSON.parse(JSON.stringify(payload ?? {})));
  }

  private async dynamo(action: string, params: Record<string, unknown>): Promise<unknown> {
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
      const { $metadata: _metadata, ...result } = (await this.options.dynamodb.send(command as UpdateItemCommand)) as unknown as Record<string, unknown>;
      return result;
    } catch (err) {
      throw new NamedError(`DynamoDB.${(err as Error).name}`, 'DynamoDB request failed');
    }
  }

  /** The local integration for one Task state, chosen by its Resource. */
  private taskHandler(record: ExecutionRecord, state: AslState): (params: Record<string, unknown>) => Promise<unknown> {
    const resource = String(state.Resource);
    if (resource === `arn:aws:states:::lambda:invoke${WAIT_SUFFIX}`) {
      return async (params) => {
        if (!record.callback) await this.invokeLambda(params.FunctionName, params.Payload);
        // Stopped while the Lambda ran: settle now, or the interpreter's task timer keeps the process alive.
        if (this.stopped) throw new NamedError('Local.Stopped', 'local mode stopped');
        return new Promise((resolve, reject) => {
          this.waiters.set(record.executionArn, { resolve, reject });
          this.deliver(record);
        });
      };
    }
    if (resource === 'arn:aws:states:::lambda:invoke') {
      return async (params) => ({ StatusCode: 200, Payload: await this.invokeLambda(params.FunctionName, params.Payload) });
    }
    const dynamo = /^arn:aws:states:::dynamodb:(\w+)$/.exec(resource);
    if (dynamo) return (params) => this.dynamo(dynamo[1]!, params);
    return async () => {
      throw new NamedError('States.Runtime', `unsupported local resource ${resource}`);
    };
  }

  /** The definition for this run: a waiting task re-run after a restart keeps its original deadline. */
  private definitionFor(record: ExecutionRecord): AslDefinition {
    const definition = JSON.parse(JSON.stringify(this.options.machines[record.stateMachineArn])) as AslDefinition;
    if (record.taskDeadline !== undefined) {
      for (const state of Object.values(definition.States)) {
        if (String(state.Resource).endsWith(WAIT_SUFFIX) && typeof state.TimeoutSeconds === 'number') {
          state.TimeoutSeconds = Math.max(1, Math.ceil((record.taskDeadline - Date.now()) / 1000));
        }
      }
    }
    return definition;
  }

  private run(record: ExecutionRecord): void {
    const definition = this.definitionFor(record);
    const overrides: Record<string, (params: Record<string, unknown>) => Promise<unknown>> = {};
    for (const [name, state] of Object.entries(definition.States)) if (state.Type === 'Task') overrides[name] = this.taskHandler(record, state);
    // Validated in the constructor; only TimeoutSeconds may differ here.
    const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    const execution = machine.run(JSON.parse(record.input), {
      overrides: { taskResourceLocalHandlers: overrides as never },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: record.executionArn, Name: record.name, Input: JSON.parse(record.input), StartTime: new Date(record.startDate).toISOString() },
        StateMachine: { Id: record.stateMachineArn },
        State: { EnteredTime: record.enteredTime },
        Task: { Token: record.taskToken },
      },
    });
    let aborted = false;
    this.aborts.set(record.executionArn, () => {
      aborted = true;
      execution.abort();
      // Settle a waiting task too, so the interpreter's task timer is cleared and the process can
      // exit. No Retry or Catch names this error, and an aborted run's outcome is never recorded.
      this.waiters.get(record.executionArn)?.reject(new NamedError('Local.Stopped', 'local mode stopped'));
      this.waiters.delete(record.executionArn);
    });
    void this.follow(record, definition, execution.eventLogs, () => aborted);
    execution.result.then(
      (output: unknown) => {
        if (aborted) return;
        this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
      },
      (err: Error) => {
        if (aborted) return;
        // The interpreter wraps what failed the run (a Fail state's Error and Cause, or a task's
        // error) in ExecutionError; Step Functions reports the original.
        const failure = err.name === 'ExecutionError' && err.cause instanceof Error ? err.cause : err;
        const timedOut = failure.name === 'States.Timeout';
        this.finish(record, timedOut ? 'TIMED_OUT' : 'FAILED', { error: failure.name, cause: failure.message });
      },
    );
  }

  /** Tracks the current state from the interpreter's event log (for pages, deadlines and the bench). */
  private async follow(record: ExecutionRecord, definition: AslDefinition, events: AsyncGenerator<unknown>, aborted: () => boolean): Promise<void> {
    for await (const raw of events) {
      if (aborted()) return;
      const event = raw as { type: string; state?: { name: string } };
      const stateName = event.state?.name;
      if (!stateName) continue;
      const waits = String(definition.States[stateName]?.Resource ?? '').endsWith(WAIT_SUFFIX);
      if (event.type === 'StateEntered') {
        record.currentState = stateName;
        if (!record.visited.includes(stateName)) record.visited.push(stateName);
        if (waits) {
          record.taskOpen = true;
          const timeout = Number(definition.States[stateName]?.TimeoutSeconds ?? 60);
          record.taskDeadline ??= Date.now() + timeout * 1000;
        }
        this.save(record);
      } else if (waits && (event.type === 'StateExited' || event.type === 'StateFailed' || event.type === 'StateCaught')) {
        record.taskOpen = false;
        if (event.type === 'StateExited') record.resumedAt ??= Date.now();
        this.save(record);
      }
    }
  }

  private finish(record: ExecutionRecord, status: ExecutionStatus, fields: Partial<ExecutionRecord>): void {
    Object.assign(record, fields, { status, stopDate: Date.now(), taskOpen: false, currentState: undefined, endDelivered: false });
    this.aborts.delete(record.executionArn);
    this.save(record);
    void this.deliverEnd(record).catch(() => undefined);
  }
}
