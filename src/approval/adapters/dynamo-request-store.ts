import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { RequestTableConfig } from '../config';
import { DEFAULT_RETENTION_SECONDS } from '../defaults';
import { ApprovalError } from '../domain/errors';
import { DEFAULT_PENDING_SHARDS, MAX_PENDING_SHARDS, indexPartition, indexPartitions, isShardCount, type IndexState } from '../domain/pending-index';
import { LAST_APPROVAL, canTransition, countsTowardQuorum, decidedStatus, voteKey, type Decision, type RequestStatus, type Transition, type Voter } from '../domain/lifecycle';
import type { ApprovalRecord, AuditEvent } from '../domain/ports';
import type { ClaimResult, DecisionClaim, IndexPosition, PendingPage, RequestStore, VoteResult } from '../domain/request-store';
import { serviceError } from './aws-errors';
import { onlyTarget, transitionCondition } from './request-conditions';
import { PENDING_INDEX_KEY, PENDING_INDEX_NAME, TABLE_KEY, requestKey } from './table-schema';

const key = requestKey;
const SETS = ['notified', 'opened', 'reminded', 'toldClosed'] as const;

type Item = Record<string, unknown>;

/**
 * The item the store writes for a new request. Index keys: `pendingKey` is `PENDING#<shard>` while
 * the request awaits a decision (the dashboard's and the sweeper's query), then `DONE#<shard>`
 * with the time it closed as `pendingSort`, for the dashboard's "recently decided".
 */
export function requestItem(record: ApprovalRecord, retentionSeconds: number, shards: number): Item {
  const { notified, opened, reminded, toldClosed, ...rest } = record;
  const sets: Item = {};
  // DynamoDB sets cannot be empty; an absent attribute means "none yet".
  for (const [name, values] of [['notified', notified], ['opened', opened], ['reminded', reminded], ['toldClosed', toldClosed ?? []]] as const) if (values.length > 0) sets[name] = new Set(values);
  return {
    ...key(record.requestId),
    ...rest,
    ...sets,
    pendingKey: indexPartition('PENDING', record.requestId, shards),
    pendingSort: record.createdAt,
    ttl: record.expiresAt + retentionSeconds,
  };
}

/** The index position of an item: its table and index keys, what DynamoDB takes as ExclusiveStartKey. */
function positionOf(item: Item): IndexPosition {
  const position: IndexPosition = {};
  for (const name of [TABLE_KEY.partition, TABLE_KEY.sort, PENDING_INDEX_KEY.partition, PENDING_INDEX_KEY.sort]) position[name] = String(item[name]);
  return position;
}

function fromItem(item: Item): ApprovalRecord {
  const { pk: _pk, sk: _sk, pendingKey: _pendingKey, pendingSort: _pendingSort, ttl: _ttl, ...rest } = item;
  const record = { votes: {}, audit: [], requiredApprovals: 1, approvalsNeeded: 1, ...rest } as unknown as ApprovalRecord;
  for (const name of SETS) {
    const value = item[name];
    record[name] = value instanceof Set ? [...value].map(Number).sort((a, b) => a - b) : [];
  }
  return record;
}

/** Runs a write, turning throttling into THROTTLED and a failed condition into `false`. */
async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw mapError(err);
  }
}

function mapError(err: unknown): unknown {
  return serviceError(err);
}

/**
 * The request store on one DynamoDB table (pk/sk). Every state change is a conditional
 * write, so concurrent clicks, votes and retries resolve in DynamoDB, not in memory; each
 * write appends its audit events to the item in the same request.
 */
export class DynamoRequestStore implements RequestStore {
  private readonly doc: DynamoDBDocumentClient;

  /** `pendingShards` must be the same in every Lambda of a deployment: build it from `requestTableConfig` (see `onTable`). */
  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionSeconds = DEFAULT_RETENTION_SECONDS,
    readonly pendingShards = DEFAULT_PENDING_SHARDS,
  ) {
    if (!isShardCount(pendingShards)) throw new RangeError(`pendingShards must be a whole number from 1 to ${MAX_PENDING_SHARDS}, got ${pendingShards}`);
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** The store every Lambda builds from its environment: table, retention and shard count travel together. */
  static onTable(client: DynamoDBClient, table: RequestTableConfig): DynamoRequestStore {
    return new DynamoRequestStore(client, table.tableName, table.retentionSeconds, table.pendingShards);
  }

  /** The partition a request moves to when it closes. */
  private done(requestId: string): string {
    return indexPartition('DONE', requestId, this.pendingShards);
  }

  async get(requestId: string): Promise<ApprovalRecord | undefined> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key(requestId), ConsistentRead: true }));
      return Item ? fromItem(Item) : undefined;
    } catch (err) {
      throw mapError(err);
    }
  }

  /** The item a failed condition saw, from the exception when DynamoDB returns it, else a consistent read. */
  private async current(err: ConditionalCheckFailedException, requestId: string): Promise<ApprovalRecord | undefined> {
    return err.Item ? fromItem(unmarshall(err.Item)) : this.get(requestId);
  }

  private update(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'> & { requestId: string }) {
    const { requestId, ...rest } = input;
    return this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: key(requestId), ...rest }));
  }

  async createIfAbsent(record: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: requestItem(record, this.retentionSeconds, this.pendingShards),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return this.current(err, record.requestId);
      throw mapError(err);
    }
  }

  replaceToken(requestId: string, sealedToken: string, tokenHash: string): Promise<boolean> {
    const guard = transitionCondition('replaceToken');
    return conditional(() =>
      this.update({
        requestId,
        UpdateExpression: 'SET sealedToken = :sealed, tokenHash = :hash',
        ConditionExpression: guard.condition,
        ExpressionAttributeNames: guard.names,
        ExpressionAttributeValues: { ...guard.values, ':sealed': sealedToken, ':hash': tokenHash },
      }),
    );
  }

  claimNotification(requestId: string, reviewer: number): Promise<boolean> {
    return this.claimSetMember(requestId, 'notified', reviewer);
  }

  private claimSetMember(requestId: string, set: (typeof SETS)[number], reviewer: number, events: AuditEvent[] = []): Promise<boolean> {
    return conditional(() =>
      this.update({
        requestId,
        UpdateExpression: `ADD ${set} :one${events.length ? ' SET audit = list_append(if_not_exists(audit, :empty), :events)' : ''}`,
        ConditionExpression: `attribute_exists(pk) AND NOT contains(${set}, :i)`,
        ExpressionAttributeValues: { ':one': new Set([reviewer]), ':i': reviewer, ...(events.length ? { ':events': events, ':empty': [] } : {}) },
      }),
    );
  }

  async releaseNotification(requestId: string, reviewer: number): Promise<void> {
    await conditional(() => this.update({ requestId, UpdateExpression: 'DELETE notified :one', ExpressionAttributeValues: { ':one': new Set([reviewer]) } }));
  }

  /** The vote's SET clauses, names and values shared by claimDecision and recordVote (`claim` and `vote` in the lifecycle). */
  private voteParts(claim: DecisionClaim, transition: 'claim' | 'vote') {
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

  private reviewerIndex(claim: DecisionClaim): number | undefined {
    if (claim.voter.kind !== 'reviewer') return undefined;
    const { index } = claim.voter;
    if (!Number.isSafeInteger(index) || index < 0) throw new ApprovalError('LINK_INVALID');
    return index;
  }

  async claimDecision(claim: DecisionClaim): Promise<ClaimResult> {
    const index = this.reviewerIndex(claim);
    const parts = this.voteParts(claim, 'claim');
    const quorumVote = countsTowardQuorum(claim.voter, claim.decision);
    // decidedBy is copied from the stored reviewer list inside the same atomic write.
    const decidedBy = index !== undefined ? `reviewers[${index}]` : ':admin';
    try {
      const { Attributes } = await this.update({
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
      if (err instanceof ConditionalCheckFailedException) return { claimed: false, current: await this.current(err, claim.requestId) };
      throw mapError(err);
    }
  }

  async recordVote(claim: DecisionClaim & { voter: { kind: 'reviewer'; index: number } }): Promise<VoteResult> {
    // Only an approval counts toward the quorum; a rejection always claims (see `decidesNow`).
    if (!countsTowardQuorum(claim.voter, claim.decision)) throw new RangeError('recordVote takes approvals only');
    const index = this.reviewerIndex(claim)!;
    const parts = this.voteParts(claim, 'vote');
    try {
      const { Attributes } = await this.update({
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
      if (err instanceof ConditionalCheckFailedException) return { recorded: false, current: await this.current(err, claim.requestId) };
      throw mapError(err);
    }
  }

  async recordOpened(requestId: string, reviewer: number, event: AuditEvent): Promise<void> {
    await this.claimSetMember(requestId, 'opened', reviewer, [event]);
  }

  async appendAudit(requestId: string, events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await conditional(() =>
      this.update({
        requestId,
        UpdateExpression: 'SET audit = list_append(if_not_exists(audit, :empty), :events)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':events': events, ':empty': [] },
      }),
    );
  }

  claimClosedNotice(requestId: string, reviewer: number): Promise<boolean> {
    return this.claimSetMember(requestId, 'toldClosed', reviewer);
  }

  claimReminder(requestId: string, reviewer: number, event: AuditEvent): Promise<boolean> {
    return this.claimSetMember(requestId, 'reminded', reviewer, [event]);
  }

  async escalate(requestId: string, reviewers: string[], nowSeconds: number, event: AuditEvent): Promise<ApprovalRecord | undefined> {
    const guard = transitionCondition('escalate');
    try {
      const { Attributes } = await this.update({
        requestId,
        UpdateExpression: 'SET escalated = :yes, reviewers = list_append(reviewers, :added), audit = list_append(if_not_exists(audit, :empty), :events)',
        // Once (the lifecycle's `canEscalate`).
        ConditionExpression: `${guard.condition} AND attribute_not_exists(escalated)`,
        ExpressionAttributeNames: guard.names,
        ExpressionAttributeValues: { ...guard.values, ':yes': true, ':added': reviewers, ':events': [event], ':empty': [], ':now': nowSeconds },
        ReturnValues: 'ALL_NEW',
      });
      return fromItem(Attributes!);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw mapError(err);
    }
  }

  expirePending(requestId: string, nowSeconds: number, event: AuditEvent): Promise<boolean> {
    const guard = transitionCondition('expire', onlyTarget('expire'));
    return conditional(() =>
      this.update({
        requestId,
        UpdateExpression: 'SET #status = :to, pendingKey = :done, pendingSort = :at, audit = list_append(if_not_exists(audit, :empty), :events) REMOVE sealedToken',
        ConditionExpression: guard.condition,
        ExpressionAttributeNames: guard.names,
        ExpressionAttributeValues: { ...guard.values, ':now': nowSeconds, ':done': this.done(requestId), ':at': event.at, ':events': [event], ':empty': [] },
      }),
    );
  }

  /** One page of one index partition, in `pendingSort` order (oldest first when `forward`). */
  private async page(partition: string, limit: number, forward: boolean, after?: IndexPosition): Promise<{ items: Item[]; next?: IndexPosition }> {
    try {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: PENDING_INDEX_NAME,
          KeyConditionExpression: 'pendingKey = :p',
          ExpressionAttributeValues: { ':p': partition },
          ScanIndexForward: forward,
          Limit: limit,
          ExclusiveStartKey: after,
        }),
      );
      return { items: page.Items ?? [], ...(page.LastEvaluatedKey ? { next: positionOf(page.LastEvaluatedKey) } : {}) };
    } catch (err) {
      throw mapError(err);
    }
  }

  /**
   * The first `limit` requests in `state` across every partition, merged in `pendingSort` order
   * (ties by key, as within a partition). Each partition is read a small page at a time and only
   * as far as the merge needs it, so a read costs about `limit` items plus one page per partition.
   */
  private async merged(state: IndexState, limit: number, forward: boolean): Promise<ApprovalRecord[]> {
    const partitions = indexPartitions(state, this.pendingShards);
    const pageSize = Math.min(100, Math.ceil(limit / partitions.length) + 2);
    const sources = partitions.map((partition) => ({ partition, items: [] as Item[], next: undefined as IndexPosition | undefined, exhausted: false }));
    const refill = async (source: (typeof sources)[number]) => {
      const page = await this.page(source.partition, pageSize, forward, source.next);
      source.items.push(...page.items);
      source.next = page.next;
      source.exhausted = !page.next;
    };
    const order = (a: Item, b: Item) => {
      const bySort = String(a.pendingSort).localeCompare(String(b.pendingSort)) || String(a.pk).localeCompare(String(b.pk));
      return forward ? bySort : -bySort;
    };
    const out: ApprovalRecord[] = [];
    while (out.length < limit) {
      // A partition whose read items are used up but that has more must be read on before choosing.
      await Promise.all(sources.filter((s) => s.items.length === 0 && !s.exhausted).map(refill));
      let best: (typeof sources)[number] | undefined;
      for (const source of sources) if (source.items.length > 0 && (!best || order(source.items[0]!, best.items[0]!) < 0)) best = source;
      if (!best) break;
      out.push(fromItem(best.items.shift()!));
    }
    return out;
  }

  listPending(limit: number): Promise<ApprovalRecord[]> {
    return this.merged('PENDING', limit, true);
  }

  listRecent(limit: number): Promise<ApprovalRecord[]> {
    return this.merged('DONE', limit, false);
  }

  async pendingPage(partition: string, limit: number, after?: IndexPosition): Promise<PendingPage> {
    const page = await this.page(partition, limit, true, after);
    return { items: page.items.map((item) => ({ record: fromItem(item), position: positionOf(item) })), ...(page.next ? { next: page.next } : {}) };
  }

  takeOverDecision(requestId: string, expiredLease: number, newLease: number): Promise<boolean> {
    return this.leased('takeOver', undefined, requestId, expiredLease, 'SET leaseUntil = :new', { ':new': newLease });
  }

  /** A transition for the holder of `lease` (see TRANSITIONS): true if it was made. */
  private leased(transition: Transition, to: RequestStatus | undefined, requestId: string, lease: number, update: string, values: Item, names: Record<string, string> = {}): Promise<boolean> {
    const guard = transitionCondition(transition, to);
    return conditional(() =>
      this.update({
        requestId,
        UpdateExpression: update,
        ConditionExpression: guard.condition,
        ExpressionAttributeNames: { ...guard.names, ...names },
        ExpressionAttributeValues: { ...guard.values, ':lease': lease, ...values },
      }),
    );
  }

  private async finish(transition: Transition, to: RequestStatus, requestId: string, lease: number, update: string, values: Item, names: Record<string, string> = {}): Promise<void> {
    await this.leased(transition, to, requestId, lease, update, values, names);
  }

  completeDecision(requestId: string, lease: number, decision: Decision, event: AuditEvent): Promise<void> {
    return this.finish(
      'complete',
      decidedStatus(decision),
      requestId,
      lease,
      'SET #status = :to, pendingKey = :done, pendingSort = :at, audit = list_append(if_not_exists(audit, :empty), :events) REMOVE leaseUntil, sealedToken',
      { ':done': this.done(requestId), ':at': event.at, ':events': [event], ':empty': [] },
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

  async closePending(requestId: string, event: AuditEvent, nowSeconds: number): Promise<ApprovalRecord | undefined> {
    const guard = transitionCondition('close', onlyTarget('close'));
    try {
      const { Attributes } = await this.update({
        requestId,
        UpdateExpression: 'SET #status = :to, pendingKey = :done, pendingSort = :at, audit = list_append(if_not_exists(audit, :empty), :events) REMOVE sealedToken',
        ConditionExpression: guard.condition,
        ExpressionAttributeNames: guard.names,
        ExpressionAttributeValues: { ...guard.values, ':now': nowSeconds, ':done': this.done(requestId), ':at': event.at, ':events': [event], ':empty': [] },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return fromItem(Attributes!);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw mapError(err);
      // Its links expired before the execution ended (nobody decided in time): it ends EXPIRED,
      // as the sweeper would have marked it. Decided from the item the failed write returns;
      // without one (no such item, or a DynamoDB emulator that does not return it) the expiry's
      // own condition decides. Never a read: the closer's IAM role has no GetItem.
      const current = err.Item ? fromItem(unmarshall(err.Item)) : undefined;
      if (!err.Item || canTransition('expire', current!, { nowSeconds })) {
        await this.expirePending(requestId, nowSeconds, { ...event, type: 'expired', detail: 'the links expired before a decision' });
      }
      return undefined;
    }
  }

  markExpired(requestId: string, lease: number, event: AuditEvent): Promise<void> {
    return this.finish(
      'markExpired',
      onlyTarget('markExpired'),
      requestId,
      lease,
      'SET #status = :to, pendingKey = :done, pendingSort = :at, audit = list_append(if_not_exists(audit, :empty), :events) REMOVE leaseUntil, sealedToken',
      { ':done': this.done(requestId), ':at': event.at, ':events': [event], ':empty': [] },
    );
  }
}
