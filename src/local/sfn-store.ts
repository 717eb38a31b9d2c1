/**
 * Where local Step Functions keeps its executions and their event histories: in memory, and
 * appended to DATA_DIR/executions.jsonl (a snapshot of the execution at each change) and
 * DATA_DIR/history.jsonl (one event per line), read back at start so a restart keeps them.
 */
import { appendFileSync, createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { HistoryEvent } from './execution-history';
import type { ExecutionRecord } from './sfn-model';

const RETENTION_DAYS = 90;

/** A file's lines, read as a stream: a file past a JavaScript string's limit (~512 MB) still loads. */
const lines = (file: string) => createInterface({ input: createReadStream(file), crlfDelay: Infinity });

export class ExecutionStore {
  readonly executions = new Map<string, ExecutionRecord>();
  /** Every task token an execution has issued → that execution. */
  readonly byToken = new Map<string, ExecutionRecord>();
  private readonly histories = new Map<string, HistoryEvent[]>();
  private readonly inputSaved = new Set<string>();
  private readonly listeners = new Set<(record: ExecutionRecord) => void>();
  private readonly logFile: string;
  private readonly historyFile: string;

  /** `retentionDays`: how long a closed execution and its history are kept (default 90, as on AWS). */
  constructor(
    dataDir: string,
    private readonly retentionDays = RETENTION_DAYS,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.logFile = join(dataDir, 'executions.jsonl');
    this.historyFile = join(dataDir, 'history.jsonl');
  }

  /** Reads back the saved executions and histories, forgets the expired ones, and compacts the files. */
  async load(): Promise<void> {
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
      const keepAfter = Date.now() - this.retentionDays * 86_400_000;
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
  }

  /** The execution's event history, oldest first (what GetExecutionHistory pages through). */
  history(executionArn: string): readonly HistoryEvent[] {
    return this.histories.get(executionArn) ?? [];
  }

  /** Called with each execution whenever it changes. */
  onChange(listener: (record: ExecutionRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends the execution's snapshot and tells the listeners. */
  save(record: ExecutionRecord): void {
    // The input (up to 256 KB) never changes: written with the first snapshot only.
    const line = this.inputSaved.has(record.executionArn) ? { ...record, input: undefined } : record;
    this.inputSaved.add(record.executionArn);
    appendFileSync(this.logFile, `${JSON.stringify(line)}\n`);
    for (const listener of this.listeners) listener(record);
  }

  /** Appends an event to the execution's history. */
  addEvent(record: ExecutionRecord, type: string, details?: Record<string, unknown>, timestamp = Date.now()): void {
    const event: HistoryEvent = { timestamp, type, ...(details ? { details } : {}) };
    const events = this.histories.get(record.executionArn) ?? [];
    events.push(event);
    this.histories.set(record.executionArn, events);
    appendFileSync(this.historyFile, `${JSON.stringify({ a: record.executionArn, e: event })}\n`);
  }
}
