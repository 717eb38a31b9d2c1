import { auditEvent } from '../domain/audit';
import { toApprovalError, type ErrorCode } from '../domain/errors';
import type { MacKeyring } from '../domain/mac-keyring';
import { canTransition, hasVoted, isOpen, isStaleClaim, leaseFrom, reviewerKey } from '../domain/lifecycle';
import { indexPartitions } from '../domain/pending-index';
import type { ApprovalRecord, IndexPosition, Mailer, SweepCursor, SweepCursorStore, TaskCallback, TokenCipher } from '../domain/ports';
import type { SweeperStore } from '../domain/request-store';
import { emailedReviewers } from './close-requests';
import { deliver } from './deliver-decision';
import { emailReviewers } from './request-approval';

/** Nobody is reminded within this long of being asked: a reminder right after the request is noise. */
export const QUIET_SECONDS = 3600;
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

const seconds = (at: Date | string) => Math.floor(new Date(at).getTime() / 1000);

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

async function sweepOne(record: ApprovalRecord, deps: SweeperDeps, now: Date, summary: SweepSummary): Promise<void> {
  const nowSeconds = seconds(now);
  const attempt = async (step: SweepStep, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      summary.problems.push(problem(record.requestId, step, err));
    }
  };

  if (isStaleClaim(record, nowSeconds)) {
    await attempt('recover', () => recover(record, record.leaseUntil, deps, now, summary));
    return;
  }
  if (canTransition('expire', record, { nowSeconds })) {
    await attempt('expire', async () => {
      if (await deps.store.expirePending(record.requestId, nowSeconds, auditEvent('expired', now, 'system', deps.keyring, {}, 'the review links expired'))) summary.expired++;
    });
    return;
  }
  // Anything else that is not open (decided, closed, or DECIDING within its lease) is left alone:
  // the index lags a little behind a decision.
  if (!isOpen(record, nowSeconds)) return;
  let current = record;
  await attempt('escalate', async () => {
    current = await escalate(record, deps, now, summary);
  });
  await attempt('remind', () => remind(current, deps, now, summary));
}

function problem(requestId: string, step: SweepStep, err: unknown, reviewer?: number): SweepProblem {
  const error = toApprovalError(err);
  const cause = error.cause instanceof Error ? error.cause.name : undefined;
  return { requestId, step, ...(reviewer !== undefined ? { reviewer } : {}), code: error.code, ...(cause ? { cause } : {}) };
}

/**
 * A decider crashed (or lost its callback in flight) after its conditional write: the record is
 * DECIDING with a lease that ran out. Whoever takes the lease over delivers; everyone else backs off.
 */
async function recover(record: ApprovalRecord, expiredLease: number, deps: SweeperDeps, now: Date, summary: SweepSummary): Promise<void> {
  const lease = leaseFrom(seconds(now), deps.defaults.leaseSeconds);
  if (!(await deps.store.takeOverDecision(record.requestId, expiredLease, lease))) return;
  // The index copy may lag the item; deliver what the table holds now that the lease is ours.
  const taken = (await deps.store.get(record.requestId)) ?? record;
  try {
    await deliver(taken, taken.sealedToken, lease, deps, now);
    summary.recovered++;
  } catch (err) {
    // The workflow stopped waiting meanwhile: deliver has closed the record as expired.
    if (toApprovalError(err).code !== 'TASK_CLOSED') throw err;
    summary.expired++;
  }
}

/** The reviewer indices added by escalation (they follow the original reviewers). */
function escalationIndices(record: ApprovalRecord): number[] {
  if (!record.escalated) return [];
  const added = record.escalateTo?.length ?? 0;
  const first = Math.max(0, record.reviewers.length - added);
  return Array.from({ length: record.reviewers.length - first }, (_, k) => first + k);
}

/**
 * Escalates once `escalateAfterSeconds` after creation (without one, halfway through the review
 * period): the escalation reviewers are appended by one conditional write, and only the sweep
 * that made it goes on to email them. Returns the record as it now stands.
 */
async function escalate(record: ApprovalRecord, deps: SweeperDeps, now: Date, summary: SweepSummary): Promise<ApprovalRecord> {
  const added = record.escalateTo ?? [];
  if (added.length === 0) return record;
  if (record.escalated) {
    // Emails a failed earlier attempt released (or a crash never sent) are sent now.
    await notifyEscalation(record, deps, now, summary);
    return record;
  }
  const created = seconds(record.createdAt);
  const after = record.escalateAfterSeconds ?? Math.floor((record.expiresAt - created) / 2);
  if (seconds(now) < created + after) return record;
  const updated = await deps.store.escalate(record.requestId, added, seconds(now), auditEvent('escalated', now, 'system', deps.keyring, {}, `${added.length} reviewer(s) added`));
  if (!updated) return record; // Another sweep escalated it, or it was decided meanwhile.
  summary.escalated++;
  await notifyEscalation(updated, deps, now, summary);
  return updated;
}

/** A claim older than this with no email on record was left by a sweep that died (a sweep lasts under a minute). */
const STALE_CLAIM_SECONDS = 10 * 60;

/**
 * Emails each escalation reviewer whose notification this sweep can claim. A failed email is
 * released, so the next sweep tries again: unlike a reminder, this email is the only way the new
 * reviewer learns of the request. A claim left by a sweep that died before sending (claimed, no
 * email on record, escalated more than ten minutes ago) is taken over: at most the email in
 * flight when that sweep died goes out twice.
 */
async function notifyEscalation(record: ApprovalRecord, deps: SweeperDeps, now: Date, summary: SweepSummary): Promise<void> {
  const claimed: number[] = [];
  const emailed = new Set(emailedReviewers(record));
  const escalatedAt = record.audit.find((e) => e.type === 'escalated')?.at;
  const stale = escalatedAt !== undefined && seconds(escalatedAt) + STALE_CLAIM_SECONDS <= seconds(now);
  for (const i of escalationIndices(record)) {
    if (emailed.has(i)) continue;
    if (record.notified.includes(i) ? stale : await deps.store.claimNotification(record.requestId, i)) claimed.push(i);
  }
  if (claimed.length === 0) return;
  const { failed } = await emailReviewers(deps, record, claimed, 'escalation', now);
  for (const i of failed) {
    summary.problems.push({ requestId: record.requestId, step: 'escalate', reviewer: i, code: 'EMAIL_DELIVERY_FAILED' });
    await deps.store.releaseNotification(record.requestId, i);
  }
}

/** When a reviewer was first asked: at creation, or (escalation reviewers) when the request was escalated. */
function askedAt(record: ApprovalRecord, reviewer: number): number {
  if (escalationIndices(record).includes(reviewer)) {
    const escalatedAt = record.audit.find((e) => e.type === 'escalated')?.at;
    if (escalatedAt) return seconds(escalatedAt);
  }
  return seconds(record.createdAt);
}

/** Reviewers due a reminder: no vote, not reminded yet, asked at least QUIET_SECONDS ago. */
function dueReminders(record: ApprovalRecord, nowSeconds: number): number[] {
  return record.reviewers
    .map((_, i) => i)
    .filter((i) => !hasVoted(record, { kind: 'reviewer', index: i }) && !record.reminded.includes(i) && askedAt(record, i) + QUIET_SECONDS <= nowSeconds);
}

/**
 * Reminds reviewers who have not answered, from `remindBeforeSeconds` before expiry on.
 *
 * At most once per reviewer, by design: the reminder is claimed (a conditional write that also
 * records it in the audit trail) before the email goes out, and a failed send keeps its claim.
 * Releasing it would let the next sweep retry, but a send that "failed" after SES accepted it,
 * or a crash between the send and the release, would then remind the reviewer twice, which the
 * service promises never to do. A lost reminder costs little: the reviewer still has the original
 * email, and the failure is reported (and noted in the audit trail) for the operator.
 */
async function remind(record: ApprovalRecord, deps: SweeperDeps, now: Date, summary: SweepSummary): Promise<void> {
  const nowSeconds = seconds(now);
  const before = record.remindBeforeSeconds ?? deps.defaults.remindBeforeSeconds;
  if (nowSeconds < record.expiresAt - before || dueReminders(record, nowSeconds).length === 0) return;
  // The index is eventually consistent: read the item itself, so a vote cast a moment ago counts.
  const current = await deps.store.get(record.requestId);
  if (!current || !isOpen(current, nowSeconds)) return;
  for (const i of dueReminders(current, nowSeconds)) {
    if (!(await deps.store.claimReminder(current.requestId, i, auditEvent('reminded', now, reviewerKey(i), deps.keyring, {}, 'reminder')))) continue;
    let failed: number[];
    try {
      ({ failed } = await emailReviewers(deps, current, [i], 'reminder', now));
    } catch (err) {
      summary.problems.push(problem(current.requestId, 'remind', err, i));
      continue;
    }
    if (failed.length === 0) {
      summary.reminded++;
      continue;
    }
    summary.problems.push({ requestId: current.requestId, step: 'remind', reviewer: i, code: 'EMAIL_DELIVERY_FAILED' });
    await deps.store.appendAudit(current.requestId, [auditEvent('reminded', now, reviewerKey(i), deps.keyring, {}, 'reminder email failed')]).catch(() => undefined);
  }
}
