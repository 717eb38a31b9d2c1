import { DECISION_LEASE_SECONDS } from '../defaults';
import { auditEvent, type ClientInfo } from '../domain/audit';
import { ApprovalError, toApprovalError, type DecisionFacts, type ErrorCode } from '../domain/errors';
import type { MacKeyring } from '../domain/mac-keyring';
import {
  decisionFromAction,
  voteKey,
  votesOf,
  type ApprovalRecord,
  type Decision,
  type Mailer,
  type RequestStore,
  type TaskCallback,
  type TokenCipher,
  type Voter,
} from '../domain/ports';
import { checkComment, checkDecision, maxCommentChars, parseReviewForm, type ReviewForm } from '../domain/review-form';
import { csrfToken, linkQuery, parseLinkQuery, verifyCsrfToken, verifyLink, type SignedLink } from '../domain/review-link';
import { openToken } from '../domain/sealed-token';
import { renderNoActionEmail } from '../email/review-email';
import type { ReviewPrompt, VoteOutcome } from './review-results';

export type { ReviewPrompt, VoteOutcome } from './review-results';

export interface ReviewDeps {
  store: RequestStore;
  cipher: TokenCipher;
  callback: TaskCallback;
  keyring: MacKeyring;
  /** Tells reviewers who had not answered that no action is needed (optional: best effort). */
  mailer?: Mailer;
  /**
   * How long a decider owns delivery after its conditional write. Longer than the Lambda
   * timeout, so a live decider is never overtaken; after it, a later attempt recovers a crash.
   */
  leaseSeconds?: number;
}

const seconds = (now: Date) => Math.floor(now.getTime() / 1000);
const actorOf = (voter: Voter) => (voter.kind === 'admin' ? voter.email : `r${voter.index}`);

function decidedFacts(record: ApprovalRecord): DecisionFacts | undefined {
  if (!record.decision || !record.decidedBy || !record.decidedAt) return undefined;
  return { decision: record.decision, decidedBy: record.decidedBy, decidedAt: record.decidedAt };
}

/** Why a request can no longer take this vote, as the error to show. */
function refusal(record: ApprovalRecord | undefined, nowSeconds: number, voter?: Voter): ApprovalError {
  if (!record) return new ApprovalError('REQUEST_NOT_FOUND');
  switch (record.status) {
    case 'APPROVED':
    case 'REJECTED':
      return new ApprovalError('ALREADY_DECIDED', { decided: decidedFacts(record) });
    case 'DECIDING':
      return new ApprovalError('DECISION_IN_PROGRESS', { decided: decidedFacts(record) });
    case 'EXPIRED':
      return new ApprovalError('TASK_CLOSED');
    case 'CLOSED':
      return new ApprovalError('REVIEW_CLOSED');
    case 'PENDING':
      if (record.expiresAt <= nowSeconds) return new ApprovalError('LINK_EXPIRED');
      if (voter && record.votes[voteKey(voter)]) return new ApprovalError('ALREADY_VOTED');
      return new ApprovalError('LINK_INVALID');
  }
}

/** Verifies a link's MAC and expiry only: what HEAD answers, with no read at all. */
export function checkReviewLink(rawQuery: string, keyring: MacKeyring, now: Date): SignedLink {
  const link = parseLinkQuery(rawQuery);
  verifyLink(link, keyring, seconds(now));
  return link;
}

/**
 * A form that cannot be used as sent: no decision chosen, or a comment refused (its code and
 * details say why). Nothing was decided or written; `form` is the confirmation form to show
 * again, with the comment as typed.
 */
export class FormRefused extends ApprovalError {
  constructor(
    reason: ApprovalError,
    readonly form: ReviewPrompt,
  ) {
    super(reason.code, { details: reason.details, cause: reason });
  }
}

/** What a pending request shows on its confirmation form, for this link and this reviewer. */
function reviewPrompt(record: ApprovalRecord, link: SignedLink, keyring: MacKeyring): ReviewPrompt {
  const reviewer = record.reviewers[link.reviewer];
  if (!reviewer) throw new ApprovalError('LINK_INVALID');
  const hidden: Record<string, string> = Object.fromEntries(new URLSearchParams(linkQuery(link)));
  hidden.t = csrfToken(link, keyring);
  return {
    kind: 'confirm',
    request: { subject: record.subject, summary: record.summary, details: record.details, requestedBy: record.requestedBy, expiresAt: record.expiresAt },
    reviewer,
    hidden,
    commentLimit: maxCommentChars(record.requiredApprovals),
    ...(record.requiredApprovals > 1 ? { progress: { approvals: record.requiredApprovals - record.approvalsNeeded, required: record.requiredApprovals } } : {}),
  };
}

/** A pending request this reviewer has not voted on yet, or the refusal to show instead. */
async function openRecord(link: SignedLink, store: RequestStore, now: Date): Promise<ApprovalRecord> {
  const record = await store.get(link.requestId);
  const voter: Voter = { kind: 'reviewer', index: link.reviewer };
  if (!record || record.status !== 'PENDING' || record.votes[voteKey(voter)]) throw refusal(record, seconds(now), voter);
  return record;
}

/**
 * GET: verify the link (before reading anything), then read the request and describe the
 * confirmation page. Never decrypts and never changes the request; the first open per reviewer
 * is added to the audit trail.
 */
export async function viewReview(rawQuery: string, deps: Pick<ReviewDeps, 'store' | 'keyring'>, now: Date, client: ClientInfo = {}): Promise<ReviewPrompt> {
  const link = checkReviewLink(rawQuery, deps.keyring, now);
  const record = await openRecord(link, deps.store, now);
  const view = reviewPrompt(record, link, deps.keyring);
  if (!record.opened.includes(link.reviewer)) {
    // Best effort: a lost audit line must not cost the reviewer the page.
    await deps.store.recordOpened(record.requestId, link.reviewer, auditEvent('opened', now, `r${link.reviewer}`, deps.keyring, client, link.action)).catch(() => undefined);
  }
  return view;
}

/** The form again, with what was typed, when the request still takes a vote. */
async function formAgain(form: ReviewForm, reason: ApprovalError, deps: Pick<ReviewDeps, 'store' | 'keyring'>, now: Date): Promise<FormRefused> {
  const record = await openRecord(form.link, deps.store, now);
  return new FormRefused(reason, { ...reviewPrompt(record, form.link, deps.keyring), comment: form.comment ?? '' });
}

const FORM_PROBLEMS = new Set<ErrorCode>(['INVALID_DECISION', 'INVALID_COMMENT']);

/**
 * POST from a review link: verify link and CSRF token, then vote (see `decide`). A form sent
 * without a decision (no button pressed) or with a comment that cannot be used decides nothing
 * and is answered with FormRefused: the form again, the comment as typed.
 */
export async function decideReview(body: string, deps: ReviewDeps, now: Date, client: ClientInfo = {}): Promise<VoteOutcome> {
  const form = parseReviewForm(body);
  verifyLink(form.link, deps.keyring, seconds(now));
  verifyCsrfToken(form.link, deps.keyring, form.csrf);
  try {
    const decision = decisionFromAction(checkDecision(form.decision));
    const comment = checkComment(form.comment);
    return await decide({ requestId: form.link.requestId, voter: { kind: 'reviewer', index: form.link.reviewer }, decision, comment, linkCiphertext: form.link.ciphertext }, deps, now, client);
  } catch (err) {
    if (err instanceof ApprovalError && FORM_PROBLEMS.has(err.code)) throw await formAgain(form, err, deps, now);
    throw err;
  }
}

export interface VoteInput {
  requestId: string;
  voter: Voter;
  decision: Decision;
  comment?: string;
  /** The ciphertext the link carried (used when the record no longer holds one). */
  linkCiphertext?: string;
}

/**
 * Records a vote with conditional writes. A rejection, an admin's decision, or the approval
 * that completes the quorum claims the request (PENDING → DECIDING, first one wins) and is
 * delivered: decrypt, SendTaskSuccess, mark decided. Any other approval is recorded and the
 * request stays PENDING. A DECIDING record whose lease ran out (a crash after the write) is
 * finished by the next attempt, exactly once. The email links and the dashboard both come here.
 */
export async function decide(input: VoteInput, deps: ReviewDeps, now: Date, client: ClientInfo = {}): Promise<VoteOutcome> {
  const nowSeconds = seconds(now);
  const lease = nowSeconds + (deps.leaseSeconds ?? DECISION_LEASE_SECONDS);
  const { requestId, voter, decision, comment } = input;
  const claim = {
    requestId,
    voter,
    decision,
    decidedAt: now.toISOString(),
    comment,
    nowSeconds,
    leaseUntil: lease,
    audit: [auditEvent('voted', now, actorOf(voter), deps.keyring, client, decision)],
  };

  // A handful of rounds settles any interleaving of concurrent votes (each round is one conditional write).
  for (let round = 0; round < 4; round++) {
    const claimed = await deps.store.claimDecision(claim);
    if (claimed.claimed) {
      const record = claimed.record;
      // The stored ciphertext wins: a Step Functions retry may have replaced the task token
      // after this link was sent. It equals the link's own in every other case.
      return deliver(record, record.sealedToken ?? input.linkCiphertext, lease, deps, now, { voter, approval: decision === 'approved' });
    }
    const current = claimed.current;
    const openApproval =
      voter.kind === 'reviewer' &&
      decision === 'approved' &&
      current?.status === 'PENDING' &&
      current.expiresAt > nowSeconds &&
      voter.index < current.reviewers.length &&
      !current.votes[voteKey(voter)] &&
      current.approvalsNeeded > 1;
    if (openApproval) {
      // Approvals that do not decide share the quorum's comment budget (see maxCommentChars).
      checkComment(comment, maxCommentChars(current.requiredApprovals));
      const voted = await deps.store.recordVote({ ...claim, voter });
      if (voted.recorded) {
        const { record } = voted;
        return {
          subject: record.subject,
          decision: 'approved',
          decidedBy: record.reviewers[voter.index]!,
          decidedAt: claim.decidedAt,
          comment,
          progress: { approvals: record.requiredApprovals - record.approvalsNeeded, required: record.requiredApprovals },
        };
      }
      continue; // Another vote landed in between: look again.
    }
    const stale = current?.status === 'DECIDING' && (current.leaseUntil ?? 0) <= nowSeconds;
    if (stale && (await deps.store.takeOverDecision(requestId, current.leaseUntil ?? 0, lease))) {
      return deliver(current, current.sealedToken, lease, deps, now);
    }
    throw refusal(current, nowSeconds, voter);
  }
  throw new ApprovalError('THROTTLED');
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
  deps: ReviewDeps,
  now: Date,
  undo?: { voter: Voter; approval: boolean },
): Promise<VoteOutcome> {
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
async function tellTheOthers(record: ApprovalRecord, facts: DecisionFacts, deps: ReviewDeps, now: Date): Promise<void> {
  if (!deps.mailer) return;
  const voted = new Set(Object.keys(record.votes));
  const email = renderNoActionEmail({ subject: record.subject, ...facts }, now);
  for (const [i, reviewer] of record.reviewers.entries()) {
    if (voted.has(`r${i}`)) continue;
    await deps.mailer.send({ to: reviewer, ...email }).catch(() => undefined);
  }
}
