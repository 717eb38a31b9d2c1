import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ApprovalError } from '../domain/errors';
import type { ApprovalRecord, ClaimResult, Decision, DecisionClaim, RequestStore } from '../domain/ports';
import { isThrottle } from './aws-errors';
import { requestKey } from './table-schema';

/** Records stay readable this long after expiry (then DynamoDB TTL removes them). */
const RETENTION_SECONDS = 30 * 24 * 3600;

const key = requestKey;

type Item = Record<string, unknown>;

function toItem(record: ApprovalRecord): Item {
  const { notified, ...rest } = record;
  return {
    ...key(record.requestId),
    ...rest,
    // DynamoDB sets cannot be empty; an absent attribute means "nobody claimed".
    ...(notified.length > 0 ? { notified: new Set(notified) } : {}),
    // Sparse index keys: present only while a request awaits a decision (the dashboard's "pending" query).
    pendingKey: 'PENDING',
    pendingSort: record.createdAt,
    ttl: record.expiresAt + RETENTION_SECONDS,
  };
}

function fromItem(item: Item): ApprovalRecord {
  const { pk: _pk, sk: _sk, pendingKey: _pendingKey, pendingSort: _pendingSort, ttl: _ttl, notified, ...rest } = item;
  const indices = notified instanceof Set ? [...notified].map(Number) : [];
  return { ...(rest as unknown as Omit<ApprovalRecord, 'notified'>), notified: indices.sort((a, b) => a - b) };
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
  return isThrottle(err) ? new ApprovalError('THROTTLED', { cause: err }) : err;
}

/**
 * The request store on one DynamoDB table (pk/sk). Every state change is a conditional
 * write, so concurrent clicks and retries resolve in DynamoDB, not in memory.
 */
export class DynamoRequestStore implements RequestStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
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

  async createIfAbsent(record: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(record),
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
    return conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(requestId),
          UpdateExpression: 'SET sealedToken = :sealed, tokenHash = :hash',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sealed': sealedToken, ':hash': tokenHash, ':pending': 'PENDING' },
        }),
      ),
    );
  }

  claimNotification(requestId: string, reviewer: number): Promise<boolean> {
    return conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(requestId),
          UpdateExpression: 'ADD notified :one',
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(notified, :i)',
          ExpressionAttributeValues: { ':one': new Set([reviewer]), ':i': reviewer },
        }),
      ),
    );
  }

  async releaseNotification(requestId: string, reviewer: number): Promise<void> {
    await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(requestId),
          UpdateExpression: 'DELETE notified :one',
          ExpressionAttributeValues: { ':one': new Set([reviewer]) },
        }),
      ),
    );
  }

  async claimDecision(claim: DecisionClaim): Promise<ClaimResult> {
    const { requestId, reviewer } = claim;
    if (!Number.isSafeInteger(reviewer) || reviewer < 0) throw new ApprovalError('LINK_INVALID');
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(requestId),
          // decidedBy is copied from the stored reviewer list inside the same atomic write.
          UpdateExpression: `SET #status = :deciding, decision = :decision, decidedBy = reviewers[${reviewer}], decidedAt = :at, leaseUntil = :lease${claim.comment ? ', #comment = :comment' : ''}`,
          ConditionExpression: '#status = :pending AND expiresAt > :now AND size(reviewers) > :reviewer',
          ExpressionAttributeNames: { '#status': 'status', ...(claim.comment ? { '#comment': 'comment' } : {}) },
          ExpressionAttributeValues: {
            ':deciding': 'DECIDING',
            ':pending': 'PENDING',
            ':decision': claim.decision,
            ':at': claim.decidedAt,
            ':lease': claim.leaseUntil,
            ':now': claim.nowSeconds,
            ':reviewer': reviewer,
            ...(claim.comment ? { ':comment': claim.comment } : {}),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true, record: fromItem(Attributes!) };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return { claimed: false, current: await this.current(err, requestId) };
      throw mapError(err);
    }
  }

  takeOverDecision(requestId: string, expiredLease: number, newLease: number): Promise<boolean> {
    return conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(requestId),
          UpdateExpression: 'SET leaseUntil = :new',
          ConditionExpression: '#status = :deciding AND leaseUntil = :old',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':deciding': 'DECIDING', ':old': expiredLease, ':new': newLease },
        }),
      ),
    );
  }

  private async finish(requestId: string, lease: number, update: string, values: Item, names: Record<string, string> = {}): Promise<void> {
    await conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(requestId),
          UpdateExpression: update,
          ConditionExpression: '#status = :deciding AND leaseUntil = :lease',
          ExpressionAttributeNames: { '#status': 'status', ...names },
          ExpressionAttributeValues: { ':deciding': 'DECIDING', ':lease': lease, ...values },
        }),
      ),
    );
  }

  completeDecision(requestId: string, lease: number, decision: Decision): Promise<void> {
    return this.finish(requestId, lease, 'SET #status = :final REMOVE leaseUntil, sealedToken, pendingKey, pendingSort', {
      ':final': decision === 'approved' ? 'APPROVED' : 'REJECTED',
    });
  }

  abandonDecision(requestId: string, lease: number): Promise<void> {
    return this.finish(
      requestId,
      lease,
      'SET #status = :pending REMOVE decision, decidedBy, decidedAt, #comment, leaseUntil',
      { ':pending': 'PENDING' },
      { '#comment': 'comment' },
    );
  }

  markExpired(requestId: string, lease: number): Promise<void> {
    return this.finish(requestId, lease, 'SET #status = :expired REMOVE leaseUntil, sealedToken, pendingKey, pendingSort', {
      ':expired': 'EXPIRED',
    });
  }
}
