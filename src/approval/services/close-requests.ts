import { systemEvent } from '../domain/audit';
import { hasVoted, reviewerIndexOf } from '../domain/lifecycle';
import type { ApprovalRecord, ExecutionRegistry, Mailer } from '../domain/ports';
import type { CloserStore } from '../domain/request-store';
import { renderReviewClosedEmail } from '../email/review-email';

/** The final statuses of a Step Functions execution. */
export type ExecutionEndStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionEnd {
  executionArn: string;
  status: ExecutionEndStatus;
}

export interface CloseRequestsDeps {
  store: CloserStore;
  executions: ExecutionRegistry;
  /** Tells reviewers who had not answered that the review is over (best effort). */
  mailer?: Mailer;
}

export interface CloseRequestsResult {
  /** Requests this call closed (PENDING → CLOSED). */
  closed: string[];
  /** Reviewers told, and notes that could not be sent. */
  told: number;
  untold: number;
}

/** The audit event of a request closed because its execution ended. */
export const closedEvent = (now: Date, status: string) => systemEvent('closed', now, `the workflow ended (${status}) before a decision`);

/** Reviewers whose review email was sent (an `emailed` audit event), by index. */
export function emailedReviewers(record: Pick<ApprovalRecord, 'audit' | 'reviewers'>): number[] {
  const indices = new Set<number>();
  for (const event of record.audit) {
    const i = event.type === 'emailed' ? reviewerIndexOf(event.actor) : undefined;
    if (i !== undefined && i < record.reviewers.length) indices.add(i);
  }
  return [...indices].sort((a, b) => a - b);
}

/**
 * Tells each of `indices` who has not voted that the review closed without a decision, once
 * each (a conditional claim per reviewer, shared by everyone who may tell them), and only
 * reviewers whose review email was already sent, so the note never arrives before the links.
 * Best effort: the links say the same thing.
 */
export async function tellReviewClosed(
  deps: Pick<CloseRequestsDeps, 'store' | 'mailer'>,
  record: ApprovalRecord,
  indices: number[],
  executionStatus: string,
): Promise<{ told: number; untold: number }> {
  const result = { told: 0, untold: 0 };
  if (!deps.mailer) return result;
  const email = renderReviewClosedEmail({ subject: record.subject, executionStatus });
  for (const i of indices) {
    const reviewer = record.reviewers[i];
    if (!reviewer || hasVoted(record, { kind: 'reviewer', index: i })) continue;
    try {
      if (!(await deps.store.claimClosedNotice(record.requestId, i))) continue;
      await deps.mailer.send({ to: reviewer, ...email });
      result.told++;
    } catch {
      result.untold++;
    }
  }
  return result;
}

/**
 * Closes one request whose execution ended (if it is still PENDING) and tells its reviewers:
 * `told` if given (the ones a caller just emailed), else those with a review email on record.
 * The notes go out whoever closed it, each reviewer at most once.
 */
export async function closeRequest(
  deps: Pick<CloseRequestsDeps, 'store' | 'mailer'>,
  requestId: string,
  executionStatus: string,
  now: Date,
  told?: { record: ApprovalRecord; indices: number[] },
): Promise<{ closed: boolean; told: number; untold: number }> {
  const record = await deps.store.closePending(requestId, closedEvent(now, executionStatus), Math.floor(now.getTime() / 1000));
  const notes = told ?? (record ? { record, indices: emailedReviewers(record) } : undefined);
  const sent = notes ? await tellReviewClosed(deps, notes.record, notes.indices, executionStatus) : { told: 0, untold: 0 };
  return { closed: record !== undefined, ...sent };
}

/**
 * An execution ended: close every approval request it made that is still PENDING, so its links
 * say "this review is over" instead of offering a form that can only fail, and tell the
 * reviewers who were emailed and had not voted. Requests already decided, deciding (a decision
 * being delivered: it finishes on its own) or expired are left as they are. Safe to repeat: a
 * second delivery of the same event closes nothing and emails nobody.
 */
export async function closeRequestsOf(end: ExecutionEnd, deps: CloseRequestsDeps, now: Date): Promise<CloseRequestsResult> {
  const requestIds = await deps.executions.close(end.executionArn, end.status, now.toISOString());
  const result: CloseRequestsResult = { closed: [], told: 0, untold: 0 };
  for (const requestId of requestIds) {
    const { closed, told, untold } = await closeRequest(deps, requestId, end.status, now);
    if (closed) result.closed.push(requestId);
    result.told += told;
    result.untold += untold;
  }
  return result;
}
