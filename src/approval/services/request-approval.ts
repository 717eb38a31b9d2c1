import { createHash } from 'node:crypto';
import { parseApprovalTask } from '../domain/approval-request';
import { auditEvent } from '../domain/audit';
import { ApprovalError } from '../domain/errors';
import type { MacKeyring } from '../domain/mac-keyring';
import { canTransition, reviewerKey } from '../domain/lifecycle';
import type { ApprovalRecord, AuditEvent, ExecutionRegistry, Mailer, TokenCipher } from '../domain/ports';
import type { NotificationClaims, RequestWriter } from '../domain/request-store';
import { linkQuery, signLink, type ReviewAction } from '../domain/review-link';
import { sealToken } from '../domain/sealed-token';
import { renderReviewEmail, type ReviewEmailKind } from '../email/review-email';
import { closeRequest, emailedReviewers } from './close-requests';

export interface RequestApprovalDeps {
  store: RequestWriter;
  /** Links each request to its execution, so the request closes when the execution ends another way. */
  executions: ExecutionRegistry;
  cipher: TokenCipher;
  mailer: Mailer;
  keyring: MacKeyring;
  /** Absolute URL of the review route, e.g. https://api.example.com/review */
  reviewUrl: string;
}

export interface RequestApprovalResult {
  requestId: string;
  /** Reviewers emailed by this invocation. */
  emailed: number;
  /** Reviewers emailed by an earlier attempt of the same task (a retry). */
  alreadyEmailed: number;
  /** Set when the execution had already ended: the request was closed and nobody emailed. */
  closed?: true;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The request id is derived from the idempotency key (or, without one, the task token), so a
 * retried invocation of the same step finds its own record and never emails a reviewer twice.
 */
export function requestIdFor(taskToken: string, idempotencyKey?: string): string {
  return sha256(idempotencyKey ? `key:${idempotencyKey}` : taskToken).subarray(0, 16).toString('base64url');
}

const tokenHashOf = (taskToken: string) => sha256(`token:${taskToken}`).subarray(0, 16).toString('base64url');

/** Builds one reviewer's approve or reject URL. */
export function reviewLink(deps: Pick<RequestApprovalDeps, 'keyring' | 'reviewUrl'>, record: ApprovalRecord, reviewer: number, action: ReviewAction): string {
  if (!record.sealedToken) throw new ApprovalError('INTERNAL');
  const signed = signLink(
    { requestId: record.requestId, reviewer, action, expiresAt: record.expiresAt, ciphertext: record.sealedToken },
    deps.keyring,
  );
  return `${deps.reviewUrl}?${linkQuery(signed)}`;
}

/**
 * Emails the given reviewers their personal links, one at a time (SES accounts start at one
 * message per second), and records one `emailed` audit event per email sent in a single write.
 * Returns the indices that failed; their claims are the caller's to release.
 */
export async function emailReviewers(
  deps: Pick<RequestApprovalDeps, 'mailer' | 'keyring' | 'reviewUrl'> & { store: Pick<NotificationClaims, 'appendAudit'> },
  record: ApprovalRecord,
  indices: number[],
  kind: ReviewEmailKind,
  now: Date,
): Promise<{ failed: number[]; rejected: number[] }> {
  const failed: number[] = [];
  const rejected: number[] = [];
  const unrecorded: AuditEvent[] = [];
  for (const i of indices) {
    const reviewer = record.reviewers[i]!;
    const email = renderReviewEmail({
      kind,
      subject: record.subject,
      summary: record.summary,
      details: record.details,
      requestedBy: record.requestedBy,
      reviewer,
      approveUrl: reviewLink(deps, record, i, 'approve'),
      rejectUrl: reviewLink(deps, record, i, 'reject'),
      expiresAt: record.expiresAt,
      required: record.requiredApprovals > 1 ? record.requiredApprovals : undefined,
    }, now);
    try {
      await deps.mailer.send({ to: reviewer, ...email });
    } catch (err) {
      failed.push(i);
      if (err instanceof ApprovalError && err.code === 'EMAIL_REJECTED') rejected.push(i);
      continue;
    }
    // Recorded right after each send (reminders are recorded with their claim): a retry after a
    // crash emails exactly the reviewers without this record, so at most the one email in flight
    // when the process died goes out twice. A record that cannot be written is tried once more at
    // the end; it never fails the task, whose retry would send that email again.
    if (kind === 'reminder') continue;
    const event = auditEvent('emailed', now, reviewerKey(i), deps.keyring, {}, kind);
    await deps.store.appendAudit(record.requestId, [event]).catch(() => unrecorded.push(event));
  }
  if (unrecorded.length > 0) await deps.store.appendAudit(record.requestId, unrecorded).catch(() => undefined);
  return { failed, rejected };
}

/**
 * Handles the `.waitForTaskToken` task: validate, seal the token once, store the request
 * (before any email), then email each reviewer not yet emailed. Throws INVALID_APPROVAL_REQUEST
 * before touching anything, and EMAIL_DELIVERY_FAILED after trying every reviewer if some failed
 * (those are released, so the task's retry emails exactly them).
 */
export async function requestApproval(input: unknown, deps: RequestApprovalDeps, now: Date): Promise<RequestApprovalResult> {
  const task = parseApprovalTask(input);
  const requestId = requestIdFor(task.taskToken, task.idempotencyKey);
  const tokenHash = tokenHashOf(task.taskToken);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const { request } = task;
  const expiresAt = nowSeconds + request.ttlSeconds;

  if (task.executionId) {
    // Registered before anything is stored, so the execution's end finds this request even if
    // this Lambda fails or dies later. An execution that has already ended gets no new request,
    // and one that an earlier attempt stored is closed here.
    const { closedStatus } = await deps.executions.register(task.executionId, requestId, expiresAt);
    if (closedStatus) {
      await closeRequest(deps, requestId, closedStatus, now);
      return { requestId, emailed: 0, alreadyEmailed: 0, closed: true };
    }
  }

  const fresh: ApprovalRecord = {
    requestId,
    status: 'PENDING',
    subject: request.subject,
    summary: request.summary,
    details: request.details,
    reviewers: request.reviewers,
    requestedBy: request.requestedBy,
    executionId: task.executionId,
    createdAt: now.toISOString(),
    expiresAt,
    sealedToken: await sealToken(deps.cipher, task.taskToken, requestId),
    tokenHash,
    // Claimed at creation: the first attempt owns every reviewer's email.
    notified: request.reviewers.map((_, i) => i),
    requiredApprovals: request.requiredApprovals,
    approvalsNeeded: request.requiredApprovals,
    votes: {},
    audit: [auditEvent('created', now, request.requestedBy ?? 'system', deps.keyring, {}, `${request.reviewers.length} reviewer(s), ${request.requiredApprovals} approval(s) needed`)],
    opened: [],
    reminded: [],
    ...(request.escalateTo.length > 0 ? { escalateTo: request.escalateTo, escalateAfterSeconds: request.escalateAfterSeconds } : {}),
    ...(request.remindBeforeSeconds ? { remindBeforeSeconds: request.remindBeforeSeconds } : {}),
  };

  const existing = await deps.store.createIfAbsent(fresh);
  let record = existing ?? fresh;
  let toEmail: number[] = fresh.notified;
  if (existing) {
    toEmail = [];
    if (existing.tokenHash !== tokenHash && canTransition('replaceToken', existing, { nowSeconds })) {
      // A retry with a new task token: the old one is dead, so every decision must use this one.
      if (await deps.store.replaceToken(requestId, fresh.sealedToken!, tokenHash)) record = { ...existing, sealedToken: fresh.sealedToken, tokenHash };
    }
    if (record.status === 'PENDING') {
      // A retry (Step Functions' Retry runs one attempt at a time): email whoever was claimed but
      // has no email on record (an earlier attempt died before sending it), and claim the rest.
      const emailed = new Set(emailedReviewers(existing));
      // Escalation reviewers, appended later, are the sweeper's to email.
      const original = existing.reviewers.length - (existing.escalated ? (existing.escalateTo?.length ?? 0) : 0);
      for (let i = 0; i < original; i++) {
        if (emailed.has(i)) continue;
        if (existing.notified.includes(i) || (await deps.store.claimNotification(requestId, i))) toEmail.push(i);
      }
    }
  }

  const { failed, rejected } = await emailReviewers(deps, record, toEmail, 'request', now);
  for (const i of failed) await deps.store.releaseNotification(requestId, i);

  if (task.executionId && toEmail.length > failed.length) {
    // Checked again once the emails are out: if the execution ended meanwhile, its end may have
    // found the request before these emails were recorded, so this attempt closes it (if still
    // open) and tells the reviewers it just emailed, after their review email, never before.
    const { closedStatus } = await deps.executions.register(task.executionId, requestId, expiresAt);
    if (closedStatus) {
      await closeRequest(deps, requestId, closedStatus, now, { record, indices: toEmail.filter((i) => !failed.includes(i)) });
      return { requestId, emailed: toEmail.length - failed.length, alreadyEmailed: record.reviewers.length - toEmail.length, closed: true };
    }
  }
  if (failed.length > 0) {
    // Only refusals that a retry cannot change: fail for good (EmailRejected) rather than retry.
    const code = rejected.length === failed.length ? 'EMAIL_REJECTED' : 'EMAIL_DELIVERY_FAILED';
    throw new ApprovalError(code, { details: failed.map((i) => `reviewer ${i}: ${rejected.includes(i) ? 'EMAIL_REJECTED' : 'EMAIL_DELIVERY_FAILED'}`) });
  }

  return { requestId, emailed: toEmail.length, alreadyEmailed: record.reviewers.length - toEmail.length };
}
