import { ApprovalError, toApprovalError, type DecisionFacts } from '../domain/errors';
import type { MacKeyring } from '../domain/mac-keyring';
import { decisionFromAction, type ApprovalRecord, type RequestStore, type TaskCallback, type TokenCipher } from '../domain/ports';
import { checkComment, checkDecision, parseReviewForm } from '../domain/review-form';
import { csrfToken, linkQuery, parseLinkQuery, verifyCsrfToken, verifyLink, type SignedLink } from '../domain/review-link';
import { openToken } from '../domain/sealed-token';
import { formatExpiry } from '../email/review-email';
import type { ConfirmView, ResultView } from '../pages/review-page';

export interface ReviewDeps {
  store: RequestStore;
  cipher: TokenCipher;
  callback: TaskCallback;
  keyring: MacKeyring;
  /**
   * How long a decider owns delivery after its conditional write. Longer than the Lambda
   * timeout, so a live decider is never overtaken; after it, a later attempt recovers a crash.
   */
  leaseSeconds?: number;
}

const DEFAULT_LEASE_SECONDS = 60;
const seconds = (now: Date) => Math.floor(now.getTime() / 1000);

function decidedFacts(record: ApprovalRecord): DecisionFacts | undefined {
  if (!record.decision || !record.decidedBy || !record.decidedAt) return undefined;
  return { decision: record.decision, decidedBy: record.decidedBy, decidedAt: record.decidedAt };
}

/** Why a request can no longer take this decision, as the error to show. */
function refusal(record: ApprovalRecord | undefined, nowSeconds: number): ApprovalError {
  if (!record) return new ApprovalError('REQUEST_NOT_FOUND');
  switch (record.status) {
    case 'APPROVED':
    case 'REJECTED':
      return new ApprovalError('ALREADY_DECIDED', { decided: decidedFacts(record) });
    case 'DECIDING':
      return new ApprovalError('DECISION_IN_PROGRESS', { decided: decidedFacts(record) });
    case 'EXPIRED':
      return new ApprovalError('TASK_CLOSED');
    case 'PENDING':
      return new ApprovalError(record.expiresAt <= nowSeconds ? 'LINK_EXPIRED' : 'LINK_INVALID');
  }
}

/** Verifies a link's MAC and expiry only: what HEAD answers, with no read at all. */
export function checkReviewLink(rawQuery: string, keyring: MacKeyring, now: Date): SignedLink {
  const link = parseLinkQuery(rawQuery);
  verifyLink(link, keyring, seconds(now));
  return link;
}

/**
 * GET: verify the link (before reading anything), then read the request and describe the
 * confirmation page. Changes nothing and never decrypts.
 */
export async function viewReview(rawQuery: string, deps: Pick<ReviewDeps, 'store' | 'keyring'>, now: Date): Promise<ConfirmView> {
  const link = checkReviewLink(rawQuery, deps.keyring, now);
  const record = await deps.store.get(link.requestId);
  if (!record || record.status !== 'PENDING') throw refusal(record, seconds(now));
  const reviewer = record.reviewers[link.reviewer];
  if (!reviewer) throw new ApprovalError('LINK_INVALID');
  const hidden: Record<string, string> = Object.fromEntries(new URLSearchParams(linkQuery(link)));
  hidden.t = csrfToken(link, deps.keyring);
  return {
    subject: record.subject,
    summary: record.summary,
    details: record.details,
    requestedBy: record.requestedBy,
    reviewer,
    action: link.action,
    expiresAt: formatExpiry(record.expiresAt),
    hidden,
  };
}

/**
 * POST: verify link and CSRF token, record the decision with a conditional write (first wins),
 * decrypt the token and call SendTaskSuccess, then mark the request decided. A DECIDING record
 * whose lease ran out (a crash after the write) is finished by the next attempt, exactly once.
 */
export async function decideReview(body: string, deps: ReviewDeps, now: Date): Promise<ResultView> {
  const form = parseReviewForm(body);
  const nowSeconds = seconds(now);
  verifyLink(form.link, deps.keyring, nowSeconds);
  verifyCsrfToken(form.link, deps.keyring, form.csrf);
  const decision = decisionFromAction(checkDecision(form.decision));
  const comment = checkComment(form.comment);
  const { requestId } = form.link;
  const lease = nowSeconds + (deps.leaseSeconds ?? DEFAULT_LEASE_SECONDS);

  const claim = await deps.store.claimDecision({
    requestId,
    reviewer: form.link.reviewer,
    decision,
    decidedAt: now.toISOString(),
    comment,
    nowSeconds,
    leaseUntil: lease,
  });

  let record: ApprovalRecord;
  let sealed: string | undefined;
  let recovering = false;
  if (claim.claimed) {
    record = claim.record;
    // The stored ciphertext wins: a Step Functions retry may have replaced the task token
    // after this link was sent. It equals the link's own in every other case.
    sealed = claim.record.sealedToken ?? form.link.ciphertext;
  } else {
    const current = claim.current;
    const stale = current?.status === 'DECIDING' && (current.leaseUntil ?? 0) <= nowSeconds;
    if (!stale || !(await deps.store.takeOverDecision(requestId, current.leaseUntil ?? 0, lease))) {
      throw refusal(current, nowSeconds);
    }
    record = current;
    sealed = current.sealedToken;
    recovering = true;
  }

  const facts = decidedFacts(record);
  if (!facts || !sealed) throw new ApprovalError('INTERNAL');
  let delivering = false;
  try {
    const token = await openToken(deps.cipher, sealed, requestId);
    delivering = true;
    await deps.callback.succeed(token, { ...facts, ...(record.comment ? { comment: record.comment } : {}) });
  } catch (err) {
    const error = toApprovalError(err);
    if (error.code === 'TASK_CLOSED') {
      await deps.store.markExpired(requestId, lease);
    } else if (!recovering && (!delivering || error.code === 'THROTTLED')) {
      // Nothing reached Step Functions: undo the claim so the reviewer can simply retry.
      // After an unknown delivery failure the record stays DECIDING and the lease decides.
      await deps.store.abandonDecision(requestId, lease).catch(() => undefined);
    }
    throw error;
  }
  await deps.store.completeDecision(requestId, lease, facts.decision);
  return { subject: record.subject, ...facts, comment: record.comment };
}
