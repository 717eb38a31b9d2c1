import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ApprovalError } from '../../approval';
import type { IdempotencyKeys, IdempotencyRecord } from '../domain/ports';
import { serviceError } from '../../approval';
import { TTL_ATTRIBUTE } from '../../approval';
import { idempotencyKey } from './table-schema';

function recordFrom(item: Record<string, unknown> | undefined, nowSeconds: number): IdempotencyRecord | undefined {
  if (!item) return undefined;
  const expiresAt = Number(item[TTL_ATTRIBUTE]);
  // TTL deletes an item up to a few days late: one past its expiry is treated as gone.
  if (!(expiresAt > nowSeconds)) return undefined;
  return { postId: String(item.postId), bodyHash: String(item.bodyHash), createdAt: String(item.createdAt), expiresAt };
}

/**
 * Idempotency-Keys as small items (`IDEM#<hash of author and key>`) in the one table: the post id,
 * the submission's hash and its createdAt, removed by TTL once the key has expired. The put is
 * conditional, so of two requests racing with one key exactly one names the post.
 */
export class DynamoIdempotencyKeys implements IdempotencyKeys {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async find(keyHash: string, nowSeconds: number): Promise<IdempotencyRecord | undefined> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: idempotencyKey(keyHash), ConsistentRead: true }));
      return recordFrom(Item, nowSeconds);
    } catch (err) {
      throw serviceError(err);
    }
  }

  async claim(keyHash: string, record: IdempotencyRecord, nowSeconds: number): Promise<IdempotencyRecord | undefined> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...idempotencyKey(keyHash), postId: record.postId, bodyHash: record.bodyHash, createdAt: record.createdAt, [TTL_ATTRIBUTE]: record.expiresAt },
          // Absent, or expired but not yet removed by TTL.
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
      return undefined;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw serviceError(err);
    }
    const current = await this.find(keyHash, nowSeconds);
    // Refused, then gone: only an expiry between the two calls does that; let the caller retry.
    if (!current) throw new ApprovalError('UNAVAILABLE');
    return current;
  }
}
