/**
 * Delivering a claimed decision (DecisionWriter): every write here is for the holder of the
 * decision's lease, which the condition checks (`:lease`), so a deliverer whose lease was taken
 * over changes nothing.
 */
import { countsTowardQuorum, decidedStatus, voteKey, type Decision, type RequestStatus, type Transition, type Voter } from '../domain/lifecycle';
import type { AuditEvent } from '../domain/ports';
import type { DecisionWriter } from '../domain/request-store';
import { onlyTarget, transitionCondition } from './request-conditions';
import type { Item } from './request-item';
import { conditional, type RequestTable } from './request-table';

export class DecisionWrites implements DecisionWriter {
  constructor(private readonly table: RequestTable) {}

  takeOverDecision(requestId: string, expiredLease: number, newLease: number): Promise<boolean> {
    return this.leased('takeOver', undefined, requestId, expiredLease, 'SET leaseUntil = :new', { ':new': newLease });
  }

  completeDecision(requestId: string, lease: number, decision: Decision, event: AuditEvent): Promise<void> {
    return this.finish(
      'complete',
      decidedStatus(decision),
      requestId,
      lease,
      'SET #status = :to, pendingKey = :done, pendingSort = :at, audit = list_append(if_not_exists(audit, :empty), :events) REMOVE leaseUntil, sealedToken',
      { ...this.table.closed(requestId, event.at), ':events': [event], ':empty': [] },
    );
  }

  abandonDecision(requestId: string, lease: number, vote: { voter: Voter; approval: boolean }): Promise<void> {
    // The vote that claimed is taken back with the claim: nothing reached Step Functions.
    const quorum = countsTowardQuorum(vote.voter, vote.approval ? 'approved' : 'rejected');
    return this.finish(
      'abandon',
      onlyTarget('abandon'),
      requestId,
      lease,
      `SET #status = :to REMOVE decision, decidedBy, decidedAt, #comment, leaseUntil, votes.#vote${quorum ? ' ADD approvalsNeeded :plusOne' : ''}`,
      quorum ? { ':plusOne': 1 } : {},
      { '#comment': 'comment', '#vote': voteKey(vote.voter) },
    );
  }

  markExpired(requestId: string, lease: number, event: AuditEvent): Promise<void> {
    return this.finish(
      'markExpired',
      onlyTarget('markExpired'),
      requestId,
      lease,
      'SET #status = :to, pendingKey = :done, pendingSort = :at, audit = list_append(if_not_exists(audit, :empty), :events) REMOVE leaseUntil, sealedToken',
      { ...this.table.closed(requestId, event.at), ':events': [event], ':empty': [] },
    );
  }

  /** A transition for the holder of `lease` (see TRANSITIONS): true if it was made. */
  private leased(transition: Transition, to: RequestStatus | undefined, requestId: string, lease: number, update: string, values: Item, names: Record<string, string> = {}): Promise<boolean> {
    const guard = transitionCondition(transition, to);
    return conditional(() =>
      this.table.update({
        requestId,
        UpdateExpression: update,
        ConditionExpression: guard.condition,
        ExpressionAttributeNames: { ...guard.names, ...names },
        ExpressionAttributeValues: { ...guard.values, ':lease': lease, ...values },
      }),
    );
  }

  /** A final transition for the holder of `lease`; a lease lost meanwhile leaves the item as it is. */
  private async finish(transition: Transition, to: RequestStatus, requestId: string, lease: number, update: string, values: Item, names: Record<string, string> = {}): Promise<void> {
    await this.leased(transition, to, requestId, lease, update, values, names);
  }
}
