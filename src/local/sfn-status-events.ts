/**
 * The end of every local execution, delivered as the "Execution Status Change" event EventBridge
 * delivers on AWS to the targets of a rule on it: at least once, with retries.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionRecord, ExecutionStatus } from './sfn-model';

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

/** Delays before delivering an execution's end again to a target that failed. */
const END_RETRY_MS = [1000, 10_000];

/** The local rule: its targets, and the delivery of ends to them. */
export class StatusChangeRule {
  private readonly targets: StatusChangeTarget[] = [];

  /**
   * @param save records `endDelivered` once every target has taken the end
   * @param stopped whether local Step Functions has stopped (no more retries then)
   */
  constructor(
    private readonly save: (record: ExecutionRecord) => void,
    private readonly stopped: () => boolean,
  ) {}

  add(target: StatusChangeTarget): void {
    this.targets.push(target);
  }

  /**
   * Hands the end to every target; if one fails, tries the failed ones again after 1 s and 10 s
   * (as Lambda retries an asynchronous invocation twice), then leaves it for the next start.
   */
  async deliver(record: ExecutionRecord, targets = this.targets, attempt = 0): Promise<void> {
    const event = statusChangeEvent(record);
    const results = await Promise.allSettled(targets.map(async (target) => target(event)));
    if (this.stopped()) return;
    const failed = targets.filter((_, i) => results[i]!.status === 'rejected');
    if (failed.length === 0) {
      record.endDelivered = true;
      this.save(record);
    } else if (attempt < END_RETRY_MS.length) {
      setTimeout(() => void this.deliver(record, failed, attempt + 1).catch(() => undefined), END_RETRY_MS[attempt]).unref();
    }
  }

  /** Delivers the end of every closed execution whose delivery had not completed. */
  redeliver(records: Iterable<ExecutionRecord>): Promise<void> {
    const undelivered = [...records].filter((r) => r.status !== 'RUNNING' && r.endDelivered === false);
    return Promise.all(undelivered.map((r) => this.deliver(r).catch(() => undefined))).then(() => undefined);
  }
}
