import { systemEvent } from '../domain/audit';
import { voteKey, type ExecutionRegistry, type Mailer, type RequestStore } from '../domain/ports';
import { renderReviewClosedEmail } from '../email/review-email';

/** The final statuses of a Step Functions execution. */
export type ExecutionEndStatus = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionEnd {
  executionArn: string;
  status: ExecutionEndStatus;
}

export interface CloseRequestsDeps {
  store: RequestStore;
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
    const record = await deps.store.closePending(requestId, systemEvent('closed', now, `the workflow ended (${end.status}) before a decision`));
    if (!record) continue;
    result.closed.push(requestId);
    if (!deps.mailer) continue;
    const email = renderReviewClosedEmail({ subject: record.subject, executionStatus: end.status });
    for (const i of record.notified) {
      const reviewer = record.reviewers[i];
      if (!reviewer || record.votes[voteKey({ kind: 'reviewer', index: i })]) continue;
      try {
        await deps.mailer.send({ to: reviewer, ...email });
        result.told++;
      } catch {
        // The links say the same thing: a lost note costs nobody a decision.
        result.untold++;
      }
    }
  }
  return result;
}
