import { toApprovalError, type ErrorCode } from '../domain/errors';
import type { MacKeyring } from '../domain/mac-keyring';
import { indexPartitions } from '../domain/pending-index';
import type { IndexPosition, Mailer, SweepCursor, SweepCursorStore, TaskCallback, TokenCipher } from '../domain/ports';
import type { SweeperStore } from '../domain/request-store';
import { sweepOne } from './sweep-steps';

/** Requests read from each index partition at a time (a 3 KB request makes a page of 300 KB). */
export const DEFAULT_PAGE_SIZE = 100;
/**
 * A run stops starting new work this long before its time is up: enough for the request in hand
 * (a reminder to each of up to 100 reviewers, one email at a time) and the cursor's save.
 */
export const DEFAULT_MARGIN_MS = 15_000;

export interface SweeperDefaults {
  /** How long before expiry reviewers who have not answered are reminded, unless the request sets its own. */
  remindBeforeSeconds: number;
  /** How long a recovering sweeper owns a DECIDING request's delivery (default DECISION_LEASE_SECONDS, as the link Lambda's lease). */
  leaseSeconds?: number;
  /** Requests read from each partition of the pending index per page (default 100). */
  pageSize?: number;
}

/** How long this run may go on: the Lambda's remaining time on AWS, a fixed budget in local mode. */
export interface SweepBudget {
  /** Milliseconds left before the run is cut off. */
  remainingMs(): number;
  /** Stop starting new work when no more than this is left (default DEFAULT_MARGIN_MS). */
  marginMs?: number;
}

/** No limit: the run finishes the pass (tests, and one-off runs). */
export const UNLIMITED: SweepBudget = { remainingMs: () => Number.POSITIVE_INFINITY };

export interface SweeperDeps {
  store: SweeperStore;
  /** Where a pass that takes more than one run carries on from. */
  cursor: SweepCursorStore;
  mailer: Mailer;
  keyring: MacKeyring;
  /** Absolute URL of the review route, for the links in reminders and escalation emails. */
  reviewUrl: string;
  cipher: TokenCipher;
  callback: TaskCallback;
  defaults: SweeperDefaults;
}

export type SweepStep = 'recover' | 'expire' | 'escalate' | 'remind';

/** A step that failed for one request; the sweep goes on with the others. Safe to log (no tokens, no addresses). */
export interface SweepProblem {
  requestId: string;
  step: SweepStep;
  reviewer?: number;
  code: ErrorCode;
  /** The underlying error's class name, if any. */
  cause?: string;
}

/**
 * Why a run ended: its pass is `finished` (the next run starts a new one); it ran out of `time`
 * (the next run carries on from the cursor); or it was `overtaken` by a sweep running at the same
 * time that saved the cursor first (which carries on); or the cursor could not be saved
 * (`cursor-failed`: the next run redoes what this one did since its last save, harmlessly).
 */
export type SweepEnd = 'finished' | 'time' | 'overtaken' | 'cursor-failed';

export interface SweepSummary {
  /** Pending or deciding requests looked at. */
  scanned: number;
  ended: SweepEnd;
  /** When the pass this run worked on began (ISO time). */
  passStartedAt: string;
  /** Why the cursor could not be saved, when `ended` is `cursor-failed`. */
  cursorError?: ErrorCode;
  /** Decisions left DECIDING by a crash that this sweep delivered. */
  recovered: number;
  /** Requests this sweep closed as expired. */
  expired: number;
  /** Reminder emails this sweep sent. */
  reminded: number;
  /** Requests this sweep escalated. */
  escalated: number;
  problems: SweepProblem[];
}

/** Whether every partition the pass covers has been read to its end. */
const passFinished = (cursor: SweepCursor, partitions: string[]) => partitions.every((p) => cursor.partitions[p] === 'done');

/**
 * One run of the pass over the pending index: finish decisions a crash left DECIDING, close
 * requests whose links expired, escalate, and remind reviewers who have not answered. Every
 * effect hangs on a conditional write (take over a lease, claim a reminder, escalate once, claim a
 * notification), so two sweeps at the same moment, or a sweep racing a click, never send anything
 * twice. A failure on one request is reported in `problems` and does not stop the others.
 *
 * A pass reads every partition of the index (every shard, and the unsharded one of requests
 * stored before sharding) a page at a time, all partitions at once, and works through what it
 * read one request at a time. When the budget runs low the run stops between two requests; after
 * each round of pages the cursor records where each partition stands, so the next run carries on
 * from there (a crash costs at most one round done again, which the conditional claims make
 * harmless). A run never starts a second pass: the next scheduled run does.
 *
 * `now` is the sweep's one instant: recovery leases are taken from it, so a sweep must end within
 * `leaseSeconds` of it (on AWS the Lambda's timeout sits below the lease, as the link Lambda's does).
 * A failure to read the cursor or the index throws; nothing is lost, the next run tries again.
 */
export async function sweep(deps: SweeperDeps, now: Date, budget: SweepBudget = UNLIMITED): Promise<SweepSummary> {
  const stored = await deps.cursor.load();
  // Never fewer shards than a sweep has read before: lowering PENDING_SHARDS leaves requests in the
  // higher shards, and they must still be reminded and expired.
  const shards = Math.max(deps.store.pendingShards, stored.cursor?.shards ?? 0);
  const partitions = indexPartitions('PENDING', shards);
  const cursor: SweepCursor =
    stored.cursor && !passFinished(stored.cursor, indexPartitions('PENDING', stored.cursor.shards))
      ? { ...stored.cursor, shards, partitions: { ...stored.cursor.partitions } }
      : { passStartedAt: now.toISOString(), shards, partitions: {} };
  let version = stored.version;
  const summary: SweepSummary = { scanned: 0, ended: 'finished', passStartedAt: cursor.passStartedAt, recovered: 0, expired: 0, reminded: 0, escalated: 0, problems: [] };
  const margin = budget.marginMs ?? DEFAULT_MARGIN_MS;
  const timeLeft = () => budget.remainingMs() > margin;
  const pageSize = deps.defaults.pageSize ?? DEFAULT_PAGE_SIZE;

  for (;;) {
    const open = partitions.filter((p) => cursor.partitions[p] !== 'done');
    if (open.length === 0) return summary;
    if (!timeLeft()) return { ...summary, ended: 'time' };
    const after = (p: string) => cursor.partitions[p] as IndexPosition | undefined;
    const pages = await Promise.all(open.map((p) => deps.store.pendingPage(p, pageSize, after(p))));
    let outOfTime = false;
    // One request at a time: SES accounts start at one message per second, and sweeps are not urgent.
    for (const [i, page] of pages.entries()) {
      const partition = open[i]!;
      for (const { record, position } of page.items) {
        if (!timeLeft()) {
          outOfTime = true;
          break;
        }
        summary.scanned++;
        await sweepOne(record, deps, now, summary);
        cursor.partitions[partition] = position;
      }
      if (outOfTime) break;
      cursor.partitions[partition] = page.next ?? 'done';
    }
    try {
      if (!(await deps.cursor.save(cursor, version))) return { ...summary, ended: 'overtaken' };
    } catch (err) {
      return { ...summary, ended: 'cursor-failed', cursorError: toApprovalError(err).code };
    }
    version++;
    if (outOfTime) return { ...summary, ended: 'time' };
  }
}
