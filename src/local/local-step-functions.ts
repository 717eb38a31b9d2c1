/**
 * Local Step Functions: the API an operator and the handlers use (StartExecution, StopExecution,
 * SendTaskSuccess/Failure/Heartbeat, DescribeExecution, ListExecutions, GetExecutionHistory,
 * ListStateMachines, DescribeStateMachine, DescribeStateMachineForExecution) with AWS's shapes,
 * pagination and error codes, over the AWS JSON protocol, backed by aws-local-stepfunctions
 * running the very definition the Pulumi program deploys. The end of every execution is
 * delivered to status-change targets as the same "Execution Status Change" event EventBridge
 * delivers on AWS.
 *
 * Task states run through one generic local integration layer: `lambda:invoke` calls the local
 * handler registered for the FunctionName, `.waitForTaskToken` also waits for the callback (with
 * TimeoutSeconds and HeartbeatSeconds enforced here, and a new task token for every entry and
 * retry, as on AWS), `dynamodb:*Item` sends the same parameters to the local DynamoDB.
 * Executions are appended to DATA_DIR/executions.jsonl and their event histories to
 * DATA_DIR/history.jsonl; a RUNNING one is re-run after a restart with the same task token,
 * context and deadlines (the approval step is idempotent, and a callback that already arrived is
 * replayed; its history is not written twice), so pending approvals survive `npm start` restarts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition, AslState } from '../blog/workflow/moderation-workflow';
import { historyPage, json, pageId, pageToken, stateEventType, taskResource, type HistoryEvent } from './execution-history';
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
  /** The task token of the latest entry (or retry) of a waiting task; '' before one. */
  taskToken: string;
  /** Every token this execution has issued: an earlier one answers TaskTimedOut, as on AWS. */
  taskTokens?: string[];
  /** The state that issued `taskToken`. */
  taskState?: string;
  /** `$$.State.EnteredTime` of that entry, kept stable across restarts. */
  enteredTime: string;
  /** When the waiting task times out (epoch ms), once it has been entered. */
  taskDeadline?: number;
  /** When it times out unless a heartbeat comes first (HeartbeatSeconds), epoch ms. */
  heartbeatDeadline?: number;
  /** The task that issued `taskToken` has ended (answered, failed, timed out): the token is dead. */
  taskClosed?: boolean;
  /** That task's Lambda returned (TaskSubmitted): a resumed run does not invoke it again. */
  taskSubmitted?: boolean;
  taskOpen?: boolean;
  /** The callback for the current token, once delivered: replayed if the execution is re-run after a restart. */
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
  /** Days a closed execution and its history are kept (default 90, as on AWS). */
  retentionDays?: number;
}

/**
 * Step Functions' name rules: 1 to 80 characters, none of them whitespace, brackets, wildcards,
 * `"#%\\^|~`$&,;:/` or control characters. One character class: linear time.
 */
export const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;
const TOKEN = /^[A-Za-z0-9+/=]{16,2048}$/;
// ARNs of this service, checked before they are looked up: a malformed one is InvalidArn.
// Names count in code points, as EXECUTION_NAME does (the `u` flag).
const MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[^:]{1,80}$/u;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[^:]{1,80}:[^:]{1,80}$/u;
const MAX_PAYLOAD_BYTES = 256 * 1024;
const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);
const ROLE_ARN = 'arn:aws:iam::000000000000:role/email-approval-local-states';
const RETENTION_DAYS = 90;

/** A file's lines, read as a stream: a file past a JavaScript string's limit (~512 MB) still loads. */
const lines = (file: string) => createInterface({ input: createReadStream(file), crlfDelay: Infinity });
const WAIT_SUFFIX = '.waitForTaskToken';
/** Delays before delivering an execution's end again to a target that failed. */
const END_RETRY_MS = [1000, 10_000];

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** AWS's TimeoutSeconds for a Task that sets none: no timeout (the interpreter's own default is 60 s). */
const NO_TIMEOUT_SECONDS = 99_999_999;

/**
 * The definition the interpreter runs: every Task without a timeout gets AWS's default (none, not
 * the interpreter's 60 s); waiting tasks' TimeoutSeconds and HeartbeatSeconds are enforced by
 * local Step Functions from saved deadlines (so a restart keeps them), so the interpreter gets no
 * timeout for them; `startAt` resumes a run at the state the previous process stopped in.
 */
export function localDefinition(source: AslDefinition, startAt?: string): AslDefinition {
  const definition = JSON.parse(JSON.stringify(source)) as AslDefinition;
  for (const state of Object.values(definition.States)) {
    if (state.Type !== 'Task') continue;
    if (String(state.Resource).endsWith(WAIT_SUFFIX)) {
      state.TimeoutSeconds = NO_TIMEOUT_SECONDS;
      delete state.TimeoutSecondsPath;
      delete state.HeartbeatSeconds;
      delete state.HeartbeatSecondsPath;
    } else if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = NO_TIMEOUT_SECONDS;
    }
  }
  if (startAt !== undefined) definition.StartAt = startAt;
  return definition;
}

/** One task entry's token and times, minted when the state's Parameters first read `$$.Task.Token`. */
interface TaskEntry {
  token: string;
  enteredTime: string;
  /** Re-run after a restart: the saved token, deadlines and callback stand. */
  resumed: boolean;
}

/** What one run of an execution keeps in memory while the interpreter runs it. */
interface RunState {
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

/** A request field that must be a string when present: anything else is SerializationException, as AWS answers. */
function text(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceError('SerializationException', `${field} must be a string`);
  return value;
}

/** A whole-number request field (maxResults) within its range, or ValidationException. */
function whole(input: Record<string, unknown>, field: string, max: number): number {
  const value = input[field];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number') throw new ServiceError('SerializationException', `${field} must be a number`);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new ServiceError('ValidationException', `${field} must be between 0 and ${max}`);
  return value;
}

/** SendTaskFailure's and StopExecution's error (≤ 256) and cause (≤ 32,768), as AWS limits them. */
function errorAndCause(input: Record<string, unknown>): { error?: string; cause?: string } {
  const error = text(input, 'error');
  const cause = text(input, 'cause');
  if (error !== undefined && error.length > 256) throw new ServiceError('ValidationException', 'error must be at most 256 characters');
  if (cause !== undefined && cause.length > 32_768) throw new ServiceError('ValidationException', 'cause must be at most 32768 characters');
  return { ...(error ? { error } : {}), ...(cause !== undefined && cause !== '' ? { cause } : {}) };
}
const seconds = (ms: number) => ms / 1000;

export class LocalStepFunctions {
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly byToken = new Map<string, ExecutionRecord>();
  private readonly histories = new Map<string, HistoryEvent[]>();
  private readonly waiters = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; timer?: NodeJS.Timeout }>();
  private readonly aborts = new Map<string, () => void>();
  private readonly runs = new Map<string, RunState>();
  private readonly logFile: string;
  private readonly historyFile: string;
  private readonly createdAt = Date.now();
  private readonly sources = new Map<string, string>();
  private readonly inputSaved = new Set<string>();
  private service?: Awaited<ReturnType<typeof startJsonService>>;
  private readonly listeners = new Set<(record: ExecutionRecord) => void>();
  private readonly targets: StatusChangeTarget[] = [];
  private stopped = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    // As written, for DescribeStateMachine: the interpreter's validation adds fields to what it checks.
    for (const [arn, definition] of Object.entries(options.machines)) this.sources.set(arn, JSON.stringify(definition, null, 2));
    // Validate each definition once: validating per execution (a fresh Ajv compile) cost ~40 ms of CPU.
    for (const definition of Object.values(options.machines)) new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    mkdirSync(options.dataDir, { recursive: true });
    this.logFile = join(options.dataDir, 'executions.jsonl');
    this.historyFile = join(options.dataDir, 'history.jsonl');
  }

  get url(): string {
    if (!this.service) throw new Error('local Step Functions not started');
    return this.service.url;
  }

  /** The execution's event history, oldest first (what GetExecutionHistory pages through). */
  history(executionArn: string): readonly HistoryEvent[] {
    return this.histories.get(executionArn) ?? [];
  }

  /** Loads saved executions and serves the API; `resumePending()` then re-runs what was RUNNING. */
  async start(): Promise<void> {
    if (existsSync(this.logFile)) {
      for await (const line of lines(this.logFile)) {
        if (!line) continue;
        try {
          const record = JSON.parse(line) as ExecutionRecord;
          record.input ??= this.executions.get(record.executionArn)?.input ?? '{}';
          this.executions.set(record.executionArn, record);
        } catch {
          // A torn last line after a crash: the previous snapshot of that execution stands.
        }
      }
      // As AWS does, closed executions are kept for 90 days (their ends delivered), then forgotten.
      const keepAfter = Date.now() - (this.options.retentionDays ?? RETENTION_DAYS) * 86_400_000;
      for (const [arn, record] of this.executions) {
        if (record.status !== 'RUNNING' && record.endDelivered !== false && (record.stopDate ?? record.startDate) < keepAfter) this.executions.delete(arn);
      }
      // Compact: one line per execution.
      writeFileSync(this.logFile, [...this.executions.values()].map((r) => `${JSON.stringify(r)}\n`).join(''));
      for (const arn of this.executions.keys()) this.inputSaved.add(arn);
    }
    if (existsSync(this.historyFile)) {
      let dropped = 0;
      for await (const line of lines(this.historyFile)) {
        if (!line) continue;
        try {
          const { a, e } = JSON.parse(line) as { a: string; e: HistoryEvent };
          if (!this.executions.has(a)) {
            dropped++;
            continue;
          }
          const events = this.histories.get(a) ?? [];
          events.push(e);
          this.histories.set(a, events);
        } catch {
          // A torn last line after a crash: that one event is lost, the rest stands.
        }
      }
      // Forgotten executions' events go from the file too.
      if (dropped > 0) {
        const kept = [...this.histories].flatMap(([a, events]) => events.map((e) => `${JSON.stringify({ a, e })}\n`));
        writeFileSync(this.historyFile, kept.join(''));
      }
    }
    for (const record of this.executions.values()) {
      for (const token of record.taskTokens ?? [record.taskToken]) if (token) this.byToken.set(token, record);
    }
    const op = (f: (input: Record<string, unknown>) => unknown) => f.bind(this);
    this.service = await startJsonService(
      {
        'AWSStepFunctions.StartExecution': op(this.startExecution),
        'AWSStepFunctions.StopExecution': op(this.stopExecution),
        'AWSStepFunctions.SendTaskSuccess': (input) => this.sendTaskResult(input, true),
        'AWSStepFunctions.SendTaskFailure': (input) => this.sendTaskResult(input, false),
        'AWSStepFunctions.SendTaskHeartbeat': op(this.sendTaskHeartbeat),
        'AWSStepFunctions.DescribeExecution': op(this.describe),
        'AWSStepFunctions.ListExecutions': op(this.listExecutions),
        'AWSStepFunctions.GetExecutionHistory': op(this.getExecutionHistory),
        'AWSStepFunctions.ListStateMachines': op(this.listStateMachines),
        'AWSStepFunctions.DescribeStateMachine': op(this.describeStateMachine),
        'AWSStepFunctions.DescribeStateMachineForExecution': op(this.describeStateMachineForExecution),
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
        this.run(record, true);
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
    // The input (up to 256 KB) never changes: written with the first snapshot only.
    const line = this.inputSaved.has(record.executionArn) ? { ...record, input: undefined } : record;
    this.inputSaved.add(record.executionArn);
    appendFileSync(this.logFile, `${JSON.stringify(line)}\n`);
    for (const listener of this.listeners) listener(record);
  }

  private addEvent(record: ExecutionRecord, type: string, details?: Record<string, unknown>, timestamp = Date.now()): void {
    const event: HistoryEvent = { timestamp, type, ...(details ? { details } : {}) };
    const events = this.histories.get(record.executionArn) ?? [];
    events.push(event);
    this.histories.set(record.executionArn, events);
    appendFileSync(this.historyFile, `${JSON.stringify({ a: record.executionArn, e: event })}\n`);
  }

  /** A task event of `state`: written now if its StateEntered is in the history, else once it is. */
  private taskEvent(record: ExecutionRecord, run: RunState, state: string, type: string, details: Record<string, unknown>): void {
    if (run.stopped) return;
    if (run.entered.has(state)) this.addEvent(record, type, details);
    else run.early.set(state, [...(run.early.get(state) ?? []), { timestamp: Date.now(), type, details }]);
  }

  private machineFor(arn: unknown): [string, AslDefinition] {
    if (arn !== undefined && typeof arn !== 'string') throw new ServiceError('SerializationException', 'stateMachineArn must be a string');
    const text = arn ?? '';
    if (!MACHINE_ARN.test(text)) throw new ServiceError('InvalidArn', `Invalid Arn: '${text.slice(0, 200)}'`);
    const definition = this.options.machines[text];
    if (!definition) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${text}'`);
    return [text, definition];
  }

  private executionFor(arn: unknown): ExecutionRecord {
    if (arn !== undefined && typeof arn !== 'string') throw new ServiceError('SerializationException', 'executionArn must be a string');
    const text = arn ?? '';
    if (!EXECUTION_ARN.test(text)) throw new ServiceError('InvalidArn', `Invalid Arn: '${text.slice(0, 200)}'`);
    const record = this.executions.get(text);
    if (!record) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${text}'`);
    return record;
  }

  private startExecution(input: Record<string, unknown>) {
    const [stateMachineArn] = this.machineFor(input.stateMachineArn);
    const executionName = text(input, 'name') ?? randomUUID();
    if (!EXECUTION_NAME.test(executionName)) throw new ServiceError('InvalidName', `Invalid Name: '${executionName.slice(0, 100)}'`);
    const given = text(input, 'input') ?? '{}';
    if (Buffer.byteLength(given) > MAX_PAYLOAD_BYTES) throw new ServiceError('InvalidExecutionInput', 'Execution input exceeds the maximum size of 262144 bytes');
    try {
      JSON.parse(given);
    } catch {
      throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Step Functions: the same name and input as a RUNNING execution is that execution (an
      // idempotent start); a closed one's name, or other input, is refused.
      if (existing.input !== given || existing.status !== 'RUNNING') throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      return { executionArn, startDate: seconds(existing.startDate) };
    }
    const now = Date.now();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name: executionName,
      input: given,
      status: 'RUNNING',
      startDate: now,
      taskToken: '',
      taskTokens: [],
      enteredTime: new Date(now).toISOString(),
      visited: [],
    };
    this.executions.set(executionArn, record);
    this.save(record);
    this.addEvent(record, 'ExecutionStarted', { input: given, inputDetails: { truncated: false }, roleArn: ROLE_ARN }, now);
    this.run(record, false);
    return { executionArn, startDate: seconds(now) };
  }

  /** The execution whose current waiting task `taskToken` names, or AWS's error for it. */
  private openTask(taskToken: unknown): ExecutionRecord {
    if (typeof taskToken !== 'string' || !TOKEN.test(taskToken)) throw new ServiceError('InvalidToken', 'Invalid Token');
    const record = this.byToken.get(taskToken);
    if (!record) throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
    const closed =
      record.status !== 'RUNNING' ||
      taskToken !== record.taskToken ||
      record.taskClosed === true ||
      record.callback !== undefined ||
      (record.taskDeadline !== undefined && Date.now() >= record.taskDeadline) ||
      (record.heartbeatDeadline !== undefined && Date.now() >= record.heartbeatDeadline);
    if (closed) throw new ServiceError('TaskTimedOut', 'Task Timed Out');
    return record;
  }

  private sendTaskResult(input: Record<string, unknown>, success: boolean) {
    const record = this.openTask(input.taskToken);
    const output = text(input, 'output');
    if (success) {
      if (output === undefined) throw new ServiceError('InvalidOutput', 'Invalid Output: output is required');
      if (Buffer.byteLength(output) > MAX_PAYLOAD_BYTES) throw new ServiceError('InvalidOutput', 'Output exceeds the maximum size of 262144 bytes');
      try {
        JSON.parse(output);
      } catch {
        throw new ServiceError('InvalidOutput', 'Invalid Output: not JSON');
      }
    }
    record.callback = success ? { output } : errorAndCause(input);
    record.callbackAt = Date.now();
    this.save(record);
    this.deliver(record);
    return {};
  }

  /** SendTaskHeartbeat: the task's HeartbeatSeconds start again (accepted without them, as AWS does). */
  private sendTaskHeartbeat(input: Record<string, unknown>) {
    const record = this.openTask(input.taskToken);
    const state = this.options.machines[record.stateMachineArn]?.States[record.taskState ?? ''];
    const heartbeat = Number(state?.HeartbeatSeconds ?? 0);
    if (heartbeat > 0) {
      record.heartbeatDeadline = Date.now() + heartbeat * 1000;
      this.save(record);
      this.armTaskTimer(record);
    }
    return {};
  }

  /** Hands a stored callback to the waiting task, if the run has reached it. */
  private deliver(record: ExecutionRecord): void {
    const waiter = this.waiters.get(record.executionArn);
    if (!waiter || !record.callback) return;
    this.waiters.delete(record.executionArn);
    clearTimeout(waiter.timer);
    if (record.callback.output !== undefined) waiter.resolve(JSON.parse(record.callback.output));
    else waiter.reject(new NamedError(record.callback.error ?? 'States.TaskFailed', record.callback.cause ?? ''));
  }

  /** The waiting task's TimeoutSeconds and HeartbeatSeconds, whichever comes first, from the saved deadlines. */
  private armTaskTimer(record: ExecutionRecord): void {
    const waiter = this.waiters.get(record.executionArn);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    const deadlines = [record.taskDeadline, record.heartbeatDeadline].filter((d): d is number => d !== undefined);
    if (deadlines.length === 0) return;
    const first = Math.min(...deadlines);
    const heartbeat = record.heartbeatDeadline === first && first !== record.taskDeadline;
    waiter.timer = setTimeout(
      () => {
        if (this.waiters.get(record.executionArn) !== waiter) return;
        this.waiters.delete(record.executionArn);
        waiter.reject(new NamedError(heartbeat ? 'States.HeartbeatTimeout' : 'States.Timeout', heartbeat ? 'Task did not send a heartbeat in time' : 'Task timed out'));
      },
      Math.max(0, first - Date.now()),
    );
  }

  /** StopExecution: a RUNNING execution ends ABORTED (with the given error and cause, if any). */
  private stopExecution(input: Record<string, unknown>) {
    const record = this.executionFor(input.executionArn);
    if (record.status === 'RUNNING') {
      this.aborts.get(record.executionArn)?.();
      this.finish(record, 'ABORTED', errorAndCause(input));
    }
    return { stopDate: seconds(record.stopDate ?? Date.now()) };
  }

  private describe(input: Record<string, unknown>) {
    const record = this.executionFor(input.executionArn);
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: seconds(record.startDate),
      ...(record.stopDate ? { stopDate: seconds(record.stopDate) } : {}),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.cause !== undefined ? { cause: record.cause } : {}),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  }

  /** A page of `items` from `nextToken` on: `maxResults` 0 or absent means 100, at most 1,000. */
  /**
   * A page of `items`, sorted by `keyOf` (descending if asked), from `nextToken` on: the token
   * holds the sort key of the next item, so a listing continues from there even if that item
   * has since left it (an execution that stopped while paging RUNNING ones). `maxResults` 0 or
   * absent means 100, at most 1,000.
   */
  private page<T>(items: T[], keyOf: (item: T) => string, input: Record<string, unknown>, descending = false): { items: T[]; nextToken?: string } {
    const max = whole(input, 'maxResults', 1000);
    const size = max === 0 ? 100 : max;
    let start = 0;
    const token = text(input, 'nextToken');
    if (token !== undefined) {
      let key: string;
      try {
        key = pageId(token);
      } catch {
        throw new ServiceError('InvalidToken', 'Invalid Token');
      }
      start = items.findIndex((item) => (descending ? keyOf(item) <= key : keyOf(item) >= key));
      if (start < 0) start = items.length;
    }
    const next = items[start + size];
    return { items: items.slice(start, start + size), ...(next !== undefined ? { nextToken: pageToken(keyOf(next)) } : {}) };
  }

  private listExecutions(input: Record<string, unknown>) {
    if (input.stateMachineArn === undefined) throw new ServiceError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    const [stateMachineArn] = this.machineFor(input.stateMachineArn);
    const status = text(input, 'statusFilter');
    if (status !== undefined && !STATUSES.has(status)) throw new ServiceError('ValidationException', `statusFilter must be one of ${[...STATUSES].join(', ')}`);
    // Newest first: the start time (fixed width, so text order is time order), then the ARN.
    const keyOf = (r: ExecutionRecord) => `${String(r.startDate).padStart(15, '0')}|${r.executionArn}`;
    const matching = [...this.executions.values()]
      .filter((r) => r.stateMachineArn === stateMachineArn && (status === undefined || r.status === status))
      .sort((a, b) => (keyOf(a) < keyOf(b) ? 1 : -1));
    const { items, nextToken } = this.page(matching, keyOf, input, true);
    return {
      executions: items.map((r) => ({
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: seconds(r.startDate),
        ...(r.stopDate ? { stopDate: seconds(r.stopDate) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private getExecutionHistory(input: Record<string, unknown>) {
    const record = this.executionFor(input.executionArn);
    const max = whole(input, 'maxResults', 1000);
    const token = text(input, 'nextToken');
    try {
      return historyPage(this.history(record.executionArn), {
        maxResults: max,
        ...(token !== undefined ? { nextToken: token } : {}),
        reverseOrder: input.reverseOrder === true,
        includeExecutionData: input.includeExecutionData !== false,
      });
    } catch (err) {
      if (err instanceof RangeError) throw new ServiceError('InvalidToken', 'Invalid Token');
      throw err;
    }
  }

  private machineSummary(arn: string) {
    return { stateMachineArn: arn, name: arn.slice(arn.lastIndexOf(':') + 1), type: 'STANDARD', creationDate: seconds(this.createdAt) };
  }

  private listStateMachines(input: Record<string, unknown>) {
    const { items, nextToken } = this.page(Object.keys(this.options.machines).sort(), (arn) => arn, input);
    return { stateMachines: items.map((arn) => this.machineSummary(arn)), ...(nextToken ? { nextToken } : {}) };
  }

  private machineDetails(arn: string) {
    return {
      stateMachineArn: arn,
      name: arn.slice(arn.lastIndexOf(':') + 1),
      definition: this.sources.get(arn)!,
      roleArn: ROLE_ARN,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  private describeStateMachine(input: Record<string, unknown>) {
    const [arn] = this.machineFor(input.stateMachineArn);
    return { ...this.machineDetails(arn), status: 'ACTIVE', type: 'STANDARD', creationDate: seconds(this.createdAt) };
  }

  private describeStateMachineForExecution(input: Record<string, unknown>) {
    const record = this.executionFor(input.executionArn);
    const [arn] = this.machineFor(record.stateMachineArn);
    return { ...this.machineDetails(arn), updateDate: seconds(this.createdAt) };
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

  /** The entry `$$.Task.Token` and `$$.State.EnteredTime` read: the open one, or a new one with a new token. */
  private entryOf(run: RunState): TaskEntry {
    run.entry ??= { token: randomBytes(96).toString('base64'), enteredTime: new Date().toISOString(), resumed: false };
    return run.entry;
  }

  /** The local integration for one Task state, chosen by its Resource, recording AWS's task events. */
  private taskHandler(record: ExecutionRecord, run: RunState, name: string, state: AslState): (params: Record<string, unknown>) => Promise<unknown> {
    const resource = String(state.Resource);
    const { resourceType, resource: action } = taskResource(resource);
    const region = record.executionArn.split(':')[3] ?? 'us-east-1';
    const event = (type: string, details: Record<string, unknown> = {}) => this.taskEvent(record, run, name, type, { resourceType, resource: action, ...details });
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
          this.byToken.set(entry.token, record);
          record.taskState = name;
          record.enteredTime = entry.enteredTime;
          record.callback = undefined;
          record.callbackAt = undefined;
          record.taskClosed = false;
          record.taskSubmitted = false;
          record.taskDeadline = typeof state.TimeoutSeconds === 'number' ? now + state.TimeoutSeconds * 1000 : undefined;
          record.heartbeatDeadline = typeof state.HeartbeatSeconds === 'number' ? now + state.HeartbeatSeconds * 1000 : undefined;
          this.save(record);
        }
        const token = record.taskToken;
        return attempt(params, async () => {
          // A resumed task whose Lambda had returned is not invoked again: it waits for its callback.
          if (!record.callback && !record.taskSubmitted) {
            const payload = await this.invokeLambda(params.FunctionName, params.Payload);
            if (run.stopped) throw new NamedError('Local.Stopped', 'local mode stopped');
            record.taskSubmitted = true;
            this.save(record);
            event('TaskSubmitted', { output: json({ StatusCode: 200, Payload: payload }), outputDetails: { truncated: false } });
          }
          // Stopped while the Lambda ran: settle now, or a timer keeps the process alive.
          if (this.stopped || run.stopped) throw new NamedError('Local.Stopped', 'local mode stopped');
          return new Promise((resolve, reject) => {
            this.waiters.set(record.executionArn, { resolve, reject });
            this.armTaskTimer(record);
            this.deliver(record);
          });
        }).finally(() => {
          // However the task ended (answered, its Lambda failed, it timed out), its token is dead,
          // as on AWS: a late SendTaskSuccess is TaskTimedOut, never accepted and then dropped.
          if (run.stopped || record.taskToken !== token || record.taskClosed) return;
          record.taskClosed = true;
          this.save(record);
        });
      };
    }
    if (resource.endsWith(':lambda:invoke')) {
      return (params) => attempt(params, async () => ({ StatusCode: 200, Payload: await this.invokeLambda(params.FunctionName, params.Payload) }));
    }
    const dynamo = /:dynamodb:(\w+)$/.exec(resource);
    if (dynamo) return (params) => attempt(params, () => this.dynamo(dynamo[1]!, params));
    return (params) =>
      attempt(
        params,
        async () => {
          throw new NamedError('States.Runtime', `unsupported local resource ${resource}`);
        },
      );
  }

  /**
   * The definition for this run: waiting tasks' TimeoutSeconds and HeartbeatSeconds are enforced
   * here (from saved deadlines, so a restart keeps them), not by the interpreter.
   */
  private definitionFor(record: ExecutionRecord, startAt?: string): AslDefinition {
    return localDefinition(this.options.machines[record.stateMachineArn]!, startAt);
  }

  /** Where a RUNNING execution resumes after a restart: its current state and that state's input. */
  private resumePoint(record: ExecutionRecord): { state: string; input: unknown } | undefined {
    const state = record.currentState;
    if (!state || !this.options.machines[record.stateMachineArn]?.States[state]) return undefined;
    const entered = this.history(record.executionArn).findLast((e) => e.type.endsWith('StateEntered') && (e.details as { name?: string } | undefined)?.name === state);
    const input = (entered?.details as { input?: string } | undefined)?.input;
    if (input === undefined) return undefined;
    try {
      return { state, input: JSON.parse(input) };
    } catch {
      return undefined;
    }
  }

  /** The context object: `$$.Task.Token` and `$$.State.EnteredTime` are read per task entry. */
  private contextFor(record: ExecutionRecord, run: RunState) {
    const task = {};
    Object.defineProperty(task, 'Token', { enumerable: true, get: () => this.entryOf(run).token });
    const state = {};
    Object.defineProperty(state, 'EnteredTime', { enumerable: true, get: () => this.entryOf(run).enteredTime });
    return {
      Execution: { Id: record.executionArn, Name: record.name, Input: JSON.parse(record.input), StartTime: new Date(record.startDate).toISOString(), RoleArn: ROLE_ARN },
      StateMachine: { Id: record.stateMachineArn, Name: record.stateMachineArn.slice(record.stateMachineArn.lastIndexOf(':') + 1) },
      State: state,
      Task: task,
    };
  }

  private run(record: ExecutionRecord, resumed: boolean): void {
    const run: RunState = { entered: new Set(), early: new Map(), stopped: false };
    // After a restart the run continues in the state it was in, with that state's input (from
    // its StateEntered event): states already done are not run again, as on AWS. Executions
    // saved without a history (older versions) are re-run from the start.
    const at = resumed ? this.resumePoint(record) : undefined;
    const definition = this.definitionFor(record, at?.state);
    if (resumed) {
      run.replayUntil = record.currentState;
      run.resuming = at?.state;
      if (record.taskToken) run.entry = { token: record.taskToken, enteredTime: record.enteredTime, resumed: true };
    }
    this.runs.set(record.executionArn, run);
    const overrides: Record<string, (params: Record<string, unknown>) => Promise<unknown>> = {};
    for (const [name, state] of Object.entries(definition.States)) if (state.Type === 'Task') overrides[name] = this.taskHandler(record, run, name, this.options.machines[record.stateMachineArn]!.States[name]!);
    // Validated in the constructor; only the waiting tasks' timeouts differ here.
    const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    const execution = machine.run(at ? at.input : JSON.parse(record.input), {
      overrides: { taskResourceLocalHandlers: overrides as never },
      noThrowOnAbort: true,
      context: this.contextFor(record, run) as never,
    });
    this.aborts.set(record.executionArn, () => {
      run.stopped = true;
      execution.abort();
      // Settle a waiting task too, so its timer is cleared and the process can exit. No Retry or
      // Catch names this error, and an aborted run's outcome is never recorded.
      const waiter = this.waiters.get(record.executionArn);
      clearTimeout(waiter?.timer);
      waiter?.reject(new NamedError('Local.Stopped', 'local mode stopped'));
      this.waiters.delete(record.executionArn);
    });
    const followed = this.follow(record, run, definition, execution.eventLogs);
    execution.result.then(
      (output: unknown) =>
        followed.then(() => {
          if (!run.stopped) this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
        }),
      (err: Error) =>
        followed.then(() => {
          if (run.stopped) return;
          if (err.name === 'ExecutionTimeoutError') {
            this.finish(record, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' });
            return;
          }
          // The interpreter wraps what failed the run (a Fail state's Error and Cause, or a task's
          // error) in ExecutionError; Step Functions reports the original.
          const failure = err.name === 'ExecutionError' && err.cause instanceof Error ? err.cause : err;
          this.finish(record, 'FAILED', { error: failure.name, cause: failure.message });
        }),
    );
  }

  /**
   * Turns the interpreter's event log into the history (…StateEntered/Exited, with the task events
   * that came early placed after their StateEntered) and tracks the current state for pages,
   * deadlines and the bench. After a restart, events up to the state the run stopped in are
   * already in the history and are not written again.
   */
  private async follow(record: ExecutionRecord, run: RunState, definition: AslDefinition, events: AsyncGenerator<unknown>): Promise<void> {
    for await (const raw of events) {
      if (run.stopped) return;
      const event = raw as { type: string; timestamp: number; state?: { name: string; type: string; input?: unknown; output?: unknown } };
      const state = event.state;
      if (!state) continue;
      const waits = String(definition.States[state.name]?.Resource ?? '').endsWith(WAIT_SUFFIX);
      if (event.type === 'StateEntered') {
        const early = run.early.get(state.name) ?? [];
        run.early.delete(state.name);
        if (run.replayUntil !== undefined) {
          if (state.name !== run.replayUntil) continue;
          // The state the previous process stopped in: its entry and task events are written;
          // only an outcome that arrived since (a replayed callback) is new.
          run.replayUntil = undefined;
          run.entered.add(state.name);
          const last = this.history(record.executionArn).at(-1)?.type;
          for (const e of early) if (!['TaskScheduled', 'TaskStarted', 'TaskSubmitted'].includes(e.type) && e.type !== last) this.addEvent(record, e.type, e.details, e.timestamp);
          continue;
        }
        this.addEvent(record, stateEventType(state.type, 'Entered'), { name: state.name, input: json(state.input), inputDetails: { truncated: false } }, event.timestamp);
        run.entered.add(state.name);
        for (const e of early) this.addEvent(record, e.type, e.details, e.timestamp);
        record.currentState = state.name;
        if (!record.visited.includes(state.name)) record.visited.push(state.name);
        if (waits) record.taskOpen = true;
        this.save(record);
      } else if (run.replayUntil !== undefined) {
        continue;
      } else if (event.type === 'StateRetried') {
        // The same entry tries again (no new StateEntered on AWS either): its task events follow.
        run.entered.add(state.name);
        for (const e of run.early.get(state.name) ?? []) this.addEvent(record, e.type, e.details, e.timestamp);
        run.early.delete(state.name);
        if (waits) {
          record.taskOpen = true;
          this.save(record);
        }
      } else if (event.type === 'StateExited' || event.type === 'StateFailed' || event.type === 'StateCaught') {
        run.entered.delete(state.name);
        if (event.type === 'StateExited') {
          this.addEvent(record, stateEventType(state.type, 'Exited'), { name: state.name, output: json(state.output), outputDetails: { truncated: false } }, event.timestamp);
        }
        if (waits) {
          record.taskOpen = false;
          if (event.type === 'StateExited') record.resumedAt ??= Date.now();
          this.save(record);
        }
      }
    }
  }

  private finish(record: ExecutionRecord, status: ExecutionStatus, fields: Partial<ExecutionRecord>): void {
    if (record.status !== 'RUNNING') return;
    Object.assign(record, fields, { status, stopDate: Date.now(), taskOpen: false, taskClosed: true, currentState: undefined, endDelivered: false });
    this.aborts.delete(record.executionArn);
    // A waiting task the run left behind (its timer would keep the process alive).
    const waiter = this.waiters.get(record.executionArn);
    clearTimeout(waiter?.timer);
    this.waiters.delete(record.executionArn);
    this.runs.delete(record.executionArn);
    const ended = {
      SUCCEEDED: ['ExecutionSucceeded', { output: record.output ?? 'null', outputDetails: { truncated: false } }],
      FAILED: ['ExecutionFailed', { error: record.error, cause: record.cause }],
      TIMED_OUT: ['ExecutionTimedOut', { error: record.error, cause: record.cause }],
      ABORTED: ['ExecutionAborted', { ...(record.error ? { error: record.error } : {}), ...(record.cause ? { cause: record.cause } : {}) }],
    } as const;
    const [type, details] = ended[status as keyof typeof ended];
    this.addEvent(record, type, details as Record<string, unknown>, record.stopDate);
    this.save(record);
    void this.deliverEnd(record).catch(() => undefined);
  }
}
