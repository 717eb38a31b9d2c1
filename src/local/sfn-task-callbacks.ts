/**
 * The callbacks of waiting tasks (`.waitForTaskToken`): SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat with AWS's errors, and the waiting side, which hands a callback to the task
 * and enforces TimeoutSeconds and HeartbeatSeconds from the deadlines saved with the execution
 * (so a restart keeps them). A callback is saved before it is handed over: one that arrived
 * before a restart is replayed to the re-run task.
 */
import type { AslDefinition } from '../blog/workflow/moderation-workflow';
import { ServiceError, type Operation } from './json-protocol';
import { errorAndCause, MAX_PAYLOAD_BYTES, text, TOKEN } from './sfn-input';
import { NamedError, type ExecutionRecord } from './sfn-model';
import type { ExecutionStore } from './sfn-store';

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

/** The waiting tasks, one per execution at most. */
export class TaskWaiters {
  private readonly waiting = new Map<string, Waiter>();

  /** Waits for the callback of the execution's current task (one already saved settles it at once), or its timeout. */
  wait(record: ExecutionRecord): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.set(record.executionArn, { resolve, reject });
      this.arm(record);
      this.deliver(record);
    });
  }

  /** Hands a stored callback to the waiting task, if the run has reached it. */
  deliver(record: ExecutionRecord): void {
    const waiter = this.waiting.get(record.executionArn);
    if (!waiter || !record.callback) return;
    this.waiting.delete(record.executionArn);
    clearTimeout(waiter.timer);
    if (record.callback.output !== undefined) waiter.resolve(JSON.parse(record.callback.output));
    else waiter.reject(new NamedError(record.callback.error ?? 'States.TaskFailed', record.callback.cause ?? ''));
  }

  /** The waiting task's TimeoutSeconds and HeartbeatSeconds, whichever comes first, from the saved deadlines. */
  arm(record: ExecutionRecord): void {
    const waiter = this.waiting.get(record.executionArn);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    const deadlines = [record.taskDeadline, record.heartbeatDeadline].filter((d): d is number => d !== undefined);
    if (deadlines.length === 0) return;
    const first = Math.min(...deadlines);
    const heartbeat = record.heartbeatDeadline === first && first !== record.taskDeadline;
    waiter.timer = setTimeout(
      () => {
        if (this.waiting.get(record.executionArn) !== waiter) return;
        this.waiting.delete(record.executionArn);
        waiter.reject(new NamedError(heartbeat ? 'States.HeartbeatTimeout' : 'States.Timeout', heartbeat ? 'Task did not send a heartbeat in time' : 'Task timed out'));
      },
      Math.max(0, first - Date.now()),
    );
  }

  /**
   * Settles the execution's waiting task with `Local.Stopped` (its run is being abandoned), so its
   * timer is cleared and the process can exit. No Retry or Catch names this error.
   */
  stop(executionArn: string): void {
    const waiter = this.waiting.get(executionArn);
    clearTimeout(waiter?.timer);
    waiter?.reject(new NamedError('Local.Stopped', 'local mode stopped'));
    this.waiting.delete(executionArn);
  }

  /** Forgets the execution's waiting task without settling it (its run has ended). */
  forget(executionArn: string): void {
    clearTimeout(this.waiting.get(executionArn)?.timer);
    this.waiting.delete(executionArn);
  }
}

/** SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat over the executions in `store`. */
export function taskCallbackActions(store: ExecutionStore, machines: Record<string, AslDefinition>, waiters: TaskWaiters): Record<string, Operation> {
  /** The execution whose current waiting task `taskToken` names, or AWS's error for it. */
  const openTask = (taskToken: unknown): ExecutionRecord => {
    if (typeof taskToken !== 'string' || !TOKEN.test(taskToken)) throw new ServiceError('InvalidToken', 'Invalid Token');
    const record = store.byToken.get(taskToken);
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
  };

  const sendTaskResult = (input: Record<string, unknown>, success: boolean) => {
    const record = openTask(input.taskToken);
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
    store.save(record);
    waiters.deliver(record);
    return {};
  };

  /** SendTaskHeartbeat: the task's HeartbeatSeconds start again (accepted without them, as AWS does). */
  const sendTaskHeartbeat = (input: Record<string, unknown>) => {
    const record = openTask(input.taskToken);
    const state = machines[record.stateMachineArn]?.States[record.taskState ?? ''];
    const heartbeat = Number(state?.HeartbeatSeconds ?? 0);
    if (heartbeat > 0) {
      record.heartbeatDeadline = Date.now() + heartbeat * 1000;
      store.save(record);
      waiters.arm(record);
    }
    return {};
  };

  return {
    'AWSStepFunctions.SendTaskSuccess': (input) => sendTaskResult(input, true),
    'AWSStepFunctions.SendTaskFailure': (input) => sendTaskResult(input, false),
    'AWSStepFunctions.SendTaskHeartbeat': sendTaskHeartbeat,
  };
}
