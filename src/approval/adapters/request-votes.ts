/** Votes and reviewers opening their links (VoteWriter): the link and dashboard Lambdas' first writes. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ApprovalError } from '../domain/errors';
import { LAST_APPROVAL, countsTowardQuorum, voteKey } from '../domain/lifecycle';
import type { AuditEvent } from '../domain/ports';
import type { ClaimResult, DecisionClaim, VoteResult, VoteWriter } from '../domain/request-store';
import { onlyTarget, transitionCondition } from './request-conditions';
import { fromItem, type Item } from './request-item';
import { mapError, type RequestTable } from './request-table';

/** The vote's SET clauses, names and values shared by claimDecision and recordVote (`claim` and `vote` in the lifecycle). */
function voteParts(claim: DecisionClaim, transition: 'claim' | 'vote') {
  const vote = { decision: claim.decision, at: claim.decidedAt, ...(claim.comment ? { comment: claim.comment } : {}), ...(claim.voter.kind === 'admin' ? { by: claim.voter.email } : {}) };
  // A claim writes its new status (`:to`); a vote leaves the request PENDING.
  const guard = transitionCondition(transition, transition === 'claim' ? onlyTarget('claim') : undefined);
  return {
    names: { ...guard.names, '#vote': voteKey(claim.voter) },
    values: { ...guard.values, ':now': claim.nowSeconds, ':vote': vote, ':events': claim.audit, ':empty': [] } as Item,
    set: 'votes.#vote = :vote, audit = list_append(if_not_exists(audit, :empty), :events)',
    // A reviewer votes once, and only if their index exists (the lifecycle's `mayVote`).
    condition: `${guard.condition}${claim.voter.kind === 'reviewer' ? ' AND size(reviewers) > :reviewer AND attribute_not_exists(votes.#vote)' : ''}`,
  };
}

/** The voting reviewer's index (undefined for an admin); a damaged one is an invalid link. */
function reviewerIndex(claim: DecisionClaim): number | undefined {
  if (claim.voter.kind !== 'reviewer') return undefined;
  const { index } = claim.voter;
  if (!Number.isSafeInteger(index) || index < 0) throw new ApprovalError('LINK_INVALID');
  return index;
}

export class VoteWrites implements VoteWriter {
  constructor(private readonly table: RequestTable) {}

  async claimDecision(claim: DecisionClaim): Promise<ClaimResult> {
    const index = reviewerIndex(claim);
    const parts = voteParts(claim, 'claim');
    const quorumVote = countsTowardQuorum(claim.voter, claim.decision);
    // decidedBy is copied from the stored reviewer list inside the same atomic write.
    const decidedBy = index !== undefined ? `reviewers[${index}]` : ':admin';
    try {
      const { Attributes } = await this.table.update({
        requestId: claim.requestId,
        UpdateExpression:
          `SET #status = :to, decision = :decision, decidedBy = ${decidedBy}, decidedAt = :at, leaseUntil = :lease, ${parts.set}` +
          (claim.comment ? ', #comment = :comment' : '') +
          (quorumVote ? ' ADD approvalsNeeded :minusOne' : ''),
        // An approval decides only when it is the last one missing (the lifecycle's `decidesNow`).
        ConditionExpression: parts.condition + (quorumVote ? ' AND approvalsNeeded <= :lastApproval' : ''),
        ExpressionAttributeNames: { ...parts.names, ...(claim.comment ? { '#comment': 'comment' } : {}) },
        ExpressionAttributeValues: {
          ...parts.values,
          ':decision': claim.decision,
          ':at': claim.decidedAt,
          ':lease': claim.leaseUntil,
          ...(index !== undefined ? { ':reviewer': index } : { ':admin': (claim.voter as { email: string }).email }),
          ...(claim.comment ? { ':comment': claim.comment } : {}),
          ...(quorumVote ? { ':minusOne': -1, ':lastApproval': LAST_APPROVAL } : {}),
        },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return { claimed: true, record: fromItem(Attributes!) };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return { claimed: false, current: await this.table.current(err, claim.requestId) };
      throw mapError(err);
    }
  }

  async recordVote(claim: DecisionClaim & { voter: { kind: 'reviewer'; index: number } }): Promise<VoteResult> {
    // Only an approval counts toward the quorum; a rejection always claims (see `decidesNow`).
    if (!countsTowardQuorum(claim.voter, claim.decision)) throw new RangeError('recordVote takes approvals only');
    const index = reviewerIndex(claim)!;
    const parts = voteParts(claim, 'vote');
    try {
      const { Attributes } = await this.table.update({
        requestId: claim.requestId,
        UpdateExpression: `SET ${parts.set} ADD approvalsNeeded :minusOne`,
        // Not the last approval missing: that one claims instead.
        ConditionExpression: `${parts.condition} AND approvalsNeeded > :lastApproval`,
        ExpressionAttributeNames: parts.names,
        ExpressionAttributeValues: { ...parts.values, ':reviewer': index, ':minusOne': -1, ':lastApproval': LAST_APPROVAL },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return { recorded: true, record: fromItem(Attributes!) };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return { recorded: false, current: await this.table.current(err, claim.requestId) };
      throw mapError(err);
    }
  }

  async recordOpened(requestId: string, reviewer: number, event: AuditEvent): Promise<void> {
    await this.table.claimSetMember(requestId, 'opened', reviewer, [event]);
  }
}
