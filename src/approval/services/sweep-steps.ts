/**
 * What the sweep does to one request it read from the pending index: recover a decision a crash
 * left DECIDING, expire it, escalate it (and email the escalation reviewers), remind reviewers who
 * have not answered. Each effect hangs on a conditional write, so sweeps running at the same time
 * never send anything twice; a failed step is reported in the summary's `problems`.
 */
import { auditEvent } from '../domain/audit';
import { toApprovalError } from '../domain/errors';
import { canTransition, hasVoted, isOpen, isStaleClaim, leaseFrom, reviewerKey } from '../domain/lifecycle';
import type { ApprovalRecord } from '../domain/ports';
import { emailedReviewers } from './close-requests';
import { deliver } from './deliver-decision';
import { emailReviewers } from './request-approval';
import type { SweepProblem, SweepStep, SweepSummary, SweeperDeps } from './sweeper';

/** Nobody is reminded within this long of being asked: a reminder right after the request is noise. */
export const QUIET_SECONDS = 3600;

const seconds = (at: Date | string) => Math.floor(new Date(at).getTime() / 1000);

/** Sweeps one request as of `now`, counting what it did (and any failure) in `summary`. */
export async function sweepOne(record: ApprovalRecord, deps: SweeperDeps, now: Date, summary: SweepSummary): Promise<void> {
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
