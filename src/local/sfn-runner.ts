/**
 * Runs local executions with aws-local-stepfunctions, on the very definition the Pulumi program
 * deploys: Task states go to the local integrations (sfn-tasks.ts), the interpreter's event log
 * becomes the execution's history, and the end is recorded. A RUNNING execution is re-run after
 * a restart from the state it was in, with the same task token, context and deadlines (the
 * approval step is idempotent, and a callback that already arrived is replayed); the history it
 * already has is not written twice.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition } from '../blog/workflow/moderation-workflow';
import { json, stateEventType } from './execution-history';
import { localDefinition, ROLE_ARN, WAIT_SUFFIX, type ExecutionRecord, type ExecutionStatus } from './sfn-model';
import { entryOf, taskHandler, type RunState, type TaskContext } from './sfn-tasks';

export class ExecutionRunner {
  private readonly aborts = new Map<string, () => void>();
  private readonly runs = new Map<string, RunState>();

  /**
   * @param machines state machine ARN → its definition, validated already
   * @param onEnded called with each execution once it has ended and its end is saved
   */
  constructor(
    private readonly ctx: TaskContext,
    private readonly machines: Record<string, AslDefinition>,
    private readonly onEnded: (record: ExecutionRecord) => void,
  ) {}

  /** Whether this process is running the execution. */
  isRunning(executionArn: string): boolean {
    return this.aborts.has(executionArn);
  }

  /** Abandons the execution's run in memory (the interpreter stops; nothing is recorded). */
  abort(executionArn: string): void {
    this.aborts.get(executionArn)?.();
  }

  /** Abandons every run in memory; RUNNING executions stay RUNNING on disk. */
  abortAll(): void {
    for (const abort of this.aborts.values()) abort();
    this.aborts.clear();
  }

  /**
   * The definition for this run: waiting tasks' TimeoutSeconds and HeartbeatSeconds are enforced
   * here (from saved deadlines, so a restart keeps them), not by the interpreter.
   */
  private definitionFor(record: ExecutionRecord, startAt?: string): AslDefinition {
    return localDefinition(this.machines[record.stateMachineArn]!, startAt);
  }

  /** Where a RUNNING execution resumes after a restart: its current state and that state's input. */
  private resumePoint(record: ExecutionRecord): { state: string; input: unknown } | undefined {
    const state = record.currentState;
    if (!state || !this.machines[record.stateMachineArn]?.States[state]) return undefined;
    const entered = this.ctx.store.history(record.executionArn).findLast((e) => e.type.endsWith('StateEntered') && (e.details as { name?: string } | undefined)?.name === state);
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
    Object.defineProperty(task, 'Token', { enumerable: true, get: () => entryOf(run).token });
    const state = {};
    Object.defineProperty(state, 'EnteredTime', { enumerable: true, get: () => entryOf(run).enteredTime });
    return {
      Execution: { Id: record.executionArn, Name: record.name, Input: JSON.parse(record.input), StartTime: new Date(record.startDate).toISOString(), RoleArn: ROLE_ARN },
      StateMachine: { Id: record.stateMachineArn, Name: record.stateMachineArn.slice(record.stateMachineArn.lastIndexOf(':') + 1) },
      State: state,
      Task: task,
    };
  }

  /** Runs the execution from its start, or, `resumed` after a restart, from the state it was in. */
  run(record: ExecutionRecord, resumed: boolean): void {
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
    for (const [name, state] of Object.entries(definition.States)) if (state.Type === 'Task') overrides[name] = taskHandler(this.ctx, record, run, name, this.machines[record.stateMachineArn]!.States[name]!);
    // Validated once when local Step Functions was made; only the waiting tasks' timeouts differ here.
    const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    const execution = machine.run(at ? at.input : JSON.parse(record.input), {
      overrides: { taskResourceLocalHandlers: overrides as never },
      noThrowOnAbort: true,
      context: this.contextFor(record, run) as never,
    });
    this.aborts.set(record.executionArn, () => {
      run.stopped = true;
      execution.abort();
      // Settle a waiting task too; an aborted run's outcome is never recorded.
      this.ctx.waiters.stop(record.executionArn);
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
          const last = this.ctx.store.history(record.executionArn).at(-1)?.type;
          for (const e of early) if (!['TaskScheduled', 'TaskStarted', 'TaskSubmitted'].includes(e.type) && e.type !== last) this.ctx.store.addEvent(record, e.type, e.details, e.timestamp);
          continue;
        }
        this.ctx.store.addEvent(record, stateEventType(state.type, 'Entered'), { name: state.name, input: json(state.input), inputDetails: { truncated: false } }, event.timestamp);
        run.entered.add(state.name);
        for (const e of early) this.ctx.store.addEvent(record, e.type, e.details, e.timestamp);
        record.currentState = state.name;
        if (!record.visited.includes(state.name)) record.visited.push(state.name);
        if (waits) record.taskOpen = true;
        this.ctx.store.save(record);
      } else if (run.replayUntil !== undefined) {
        continue;
      } else if (event.type === 'StateRetried') {
        // The same entry tries again (no new StateEntered on AWS either): its task events follow.
        run.entered.add(state.name);
        for (const e of run.early.get(state.name) ?? []) this.ctx.store.addEvent(record, e.type, e.details, e.timestamp);
        run.early.delete(state.name);
        if (waits) {
          record.taskOpen = true;
          this.ctx.store.save(record);
        }
      } else if (event.type === 'StateExited' || event.type === 'StateFailed' || event.type === 'StateCaught') {
        run.entered.delete(state.name);
        if (event.type === 'StateExited') {
          this.ctx.store.addEvent(record, stateEventType(state.type, 'Exited'), { name: state.name, output: json(state.output), outputDetails: { truncated: false } }, event.timestamp);
        }
        if (waits) {
          record.taskOpen = false;
          if (event.type === 'StateExited') record.resumedAt ??= Date.now();
          this.ctx.store.save(record);
        }
      }
    }
  }

  /** Ends a RUNNING execution with `status`: its last history event, its record, and its end handed to the rule. */
  finish(record: ExecutionRecord, status: ExecutionStatus, fields: Partial<ExecutionRecord>): void {
    if (record.status !== 'RUNNING') return;
    Object.assign(record, fields, { status, stopDate: Date.now(), taskOpen: false, taskClosed: true, currentState: undefined, endDelivered: false });
    this.aborts.delete(record.executionArn);
    // A waiting task the run left behind (its timer would keep the process alive).
    this.ctx.waiters.forget(record.executionArn);
    this.runs.delete(record.executionArn);
    const ended = {
      SUCCEEDED: ['ExecutionSucceeded', { output: record.output ?? 'null', outputDetails: { truncated: false } }],
      FAILED: ['ExecutionFailed', { error: record.error, cause: record.cause }],
      TIMED_OUT: ['ExecutionTimedOut', { error: record.error, cause: record.cause }],
      ABORTED: ['ExecutionAborted', { ...(record.error ? { error: record.error } : {}), ...(record.cause ? { cause: record.cause } : {}) }],
    } as const;
    const [type, details] = ended[status as keyof typeof ended];
    this.ctx.store.addEvent(record, type, details as Record<string, unknown>, record.stopDate);
    this.ctx.store.save(record);
    this.onEnded(record);
  }
}
