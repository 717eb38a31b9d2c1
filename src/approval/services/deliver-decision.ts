/**
 * The last step of a decision, shared by everyone who may take it: the reviewer or admin whose
 * vote claimed the request, and whoever recovers a claim whose decider crashed (the next vote, or
 * the sweeper). Only the holder of the decision lease calls it.
 */
import { auditEvent } from '../domain/audit';
import { ApprovalError, toApprovalError, type DecisionFacts } from '../domain/errors';
import { decidedFacts, hasVoted, type Voter } from '../domain/lifecycle';
import type { MacKeyring } from '../domain/mac-keyring';
import { votesOf, type ApprovalRecord, type Mailer, type TaskCallback, type TokenCipher } from '../domain/ports';
import type { DecisionWriter } from '../domain/request-store';
import { openToken } from '../domain/sealed-token';
import { renderNoActionEmail } from '../email/review-email';

export interface DeliveryDeps {
  store: DecisionWriter;
  cipher: TokenCipher;
  callback: TaskCallback;
  keyring: MacKeyring;
  /** Tells reviewers who had not answered that no action is needed (optional: best effort). */
  mailer?: Mailer;
}

/** A decision that reached the workflow: who decided what, when, on which request. */
export interface DeliveredDecision extends DecisionFacts {
  subject: string;
  comment?: string;
}

/**
 * Delivers a claimed decision: decrypt, SendTaskSuccess with every vote, mark it decided, then
 * tell reviewers who had not answered. `undo` is the claiming vote when this is a fresh claim
 * (it can be taken back if nothing reached Step Functions); absent when recovering a crash.
 */
export async function deliver(
  record: ApprovalRecord,
  sealed: string | undefined,
  lease: number,
  deps: DeliveryDeps,
  now: Date,
  undo?: { voter: Voter; approval: boolean },
): Promise<DeliveredDecision> {
  const facts = decidedFacts(record);
  if (!facts || !sealed) throw new ApprovalError('INTERNAL');
  const { requestId } = record;
  let delivering = false;
  try {
    const token = await openToken(deps.cipher, sealed, requestId);
    delivering = true;
    await deps.callback.succeed(token, { ...facts, ...(record.comment ? { comment: record.comment } : {}), votes: votesOf(record) });
  } catch (err) {
    const error = toApprovalError(err);
    if (error.code === 'TASK_CLOSED' && !undo) {
      // Recovering a decision made in time whose first delivery had an unknown outcome: the task
      // being closed now almost always means that delivery reached Step Functions. Record the
      // decision (flagged in the audit trail), not an expiry that never happened.
      await deps.store.completeDecision(requestId, lease, facts.decision, auditEvent('recovered', now, 'system', deps.keyring, {}, `${facts.decision}; the workflow had already resumed`));
      return { subject: record.subject, ...facts, comment: record.comment };
    }
    if (error.code === 'TASK_CLOSED') {
      await deps.store.markExpired(requestId, lease, auditEvent('expired', now, 'system', deps.keyring, {}, 'the workflow no longer waits'));
    } else if (undo && (!delivering || error.code === 'THROTTLED')) {
      // Nothing reached Step Functions: undo the claim so the reviewer can simply retry.
      // After an unknown delivery failure the record stays DECIDING and the lease decides.
      await deps.store.abandonDecision(requestId, lease, undo).catch(() => undefined);
    }
    throw error;
  }
  await deps.store.completeDecision(requestId, lease, facts.decision, auditEvent(undo ? 'delivered' : 'recovered', now, 'system', deps.keyring, {}, facts.decision));
  await tellTheOthers(record, facts, deps, now);
  return { subject: record.subject, ...facts, comment: record.comment };
}

/** Reviewers who had not voted learn that no action is needed. Best effort, after the decision. */
async function tellTheOthers(record: ApprovalRecord, facts: DecisionFacts, deps: DeliveryDeps, now: Date): Promise<void> {
  if (!deps.mailer) return;
  const email = renderNoActionEmail({ subject: record.subject, ...facts }, now);
  for (const [index, reviewer] of record.reviewers.entries()) {
    if (hasVoted(record, { kind: 'reviewer', index })) continue;
    await deps.mailer.send({ to: reviewer, ...email }).catch(() => undefined);
  }
}
