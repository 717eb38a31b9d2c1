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
 *
 * This class puts the parts together: sfn-api.ts (executions and state machines),
 * sfn-task-callbacks.ts (the callbacks and the waiting tasks), sfn-runner.ts and sfn-tasks.ts
 * (the interpreter and the task integrations), sfn-store.ts (the files), sfn-status-events.ts.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { HistoryEvent } from './execution-history';
import { startJsonService } from './json-protocol';
import { installLongTimers } from './long-timers';
import { executionActions } from './sfn-api';
import type { ExecutionRecord, LocalStepFunctionsOptions } from './sfn-model';
import { ExecutionRunner } from './sfn-runner';
import { StatusChangeRule, type StatusChangeTarget } from './sfn-status-events';
import { ExecutionStore } from './sfn-store';
import { TaskWaiters, taskCallbackActions } from './sfn-task-callbacks';

export { EXECUTION_NAME } from './sfn-input';
export { localDefinition, type ExecutionRecord, type ExecutionStatus, type LocalLambda, type LocalStepFunctionsOptions } from './sfn-model';
export { statusChangeEvent, type ExecutionStatusEvent, type StatusChangeTarget } from './sfn-status-events';

installLongTimers();

export class LocalStepFunctions {
  private readonly store: ExecutionStore;
  private readonly waiters = new TaskWaiters();
  private readonly runner: ExecutionRunner;
  private readonly rule: StatusChangeRule;
  private readonly createdAt = Date.now();
  private readonly sources = new Map<string, string>();
  private service?: Awaited<ReturnType<typeof startJsonService>>;
  private stopped = false;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    // As written, for DescribeStateMachine: the interpreter's validation adds fields to what it checks.
    for (const [arn, definition] of Object.entries(options.machines)) this.sources.set(arn, JSON.stringify(definition, null, 2));
    // Validate each definition once: validating per execution (a fresh Ajv compile) cost ~40 ms of CPU.
    for (const definition of Object.values(options.machines)) new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    this.store = new ExecutionStore(options.dataDir, options.retentionDays);
    this.rule = new StatusChangeRule(
      (record) => this.store.save(record),
      () => this.stopped,
    );
    const tasks = { store: this.store, waiters: this.waiters, lambdas: options.lambdas, dynamodb: options.dynamodb, stopped: () => this.stopped };
    this.runner = new ExecutionRunner(tasks, options.machines, (record) => void this.rule.deliver(record).catch(() => undefined));
  }

  /** Every execution this instance knows of, by ARN. */
  get executions(): Map<string, ExecutionRecord> {
    return this.store.executions;
  }

  get url(): string {
    if (!this.service) throw new Error('local Step Functions not started');
    return this.service.url;
  }

  /** The execution's event history, oldest first (what GetExecutionHistory pages through). */
  history(executionArn: string): readonly HistoryEvent[] {
    return this.store.history(executionArn);
  }

  /** Loads saved executions and serves the API; `resumePending()` then re-runs what was RUNNING. */
  async start(): Promise<void> {
    await this.store.load();
    const { store, runner, waiters } = this;
    const { machines } = this.options;
    this.service = await startJsonService(
      { ...executionActions({ store, runner, machines, sources: this.sources, createdAt: this.createdAt }), ...taskCallbackActions(store, machines, waiters) },
      this.options.port ?? 0,
      'application/x-amz-json-1.0',
    );
  }

  /** Re-runs every execution that was RUNNING when the previous process stopped. */
  resumePending(): number {
    let resumed = 0;
    for (const record of this.store.executions.values()) {
      if (record.status === 'RUNNING' && !this.runner.isRunning(record.executionArn)) {
        this.runner.run(record, true);
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
    this.rule.add(target);
  }

  /**
   * Delivers the end of executions whose delivery had not completed (the process stopped in
   * between, or a target failed): at least once, as EventBridge and Lambda's retries do on AWS.
   */
  redeliverEnded(): Promise<void> {
    return this.rule.redeliver(this.store.executions.values());
  }

  /** Stops serving and abandons runs in memory; RUNNING executions stay RUNNING on disk. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.runner.abortAll();
    await this.service?.close();
  }

  /** Called with each execution whenever it changes (pages and the bench watch this). */
  onChange(listener: (record: ExecutionRecord) => void): () => void {
    return this.store.onChange(listener);
  }
}
