import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isShardCount } from '../domain/pending-index';
import type { IndexPosition, SweepCursor, SweepCursorStore } from '../domain/ports';
import { serviceError } from './aws-errors';
import { sweepCursorKey } from './table-schema';

const isPosition = (value: unknown): value is IndexPosition =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');

/** The stored cursor if it has the shape this code writes; anything else starts a new pass. */
function cursorOf(item: Record<string, unknown>): SweepCursor | undefined {
  const { passStartedAt, shards, partitions } = item;
  if (typeof passStartedAt !== 'string' || typeof shards !== 'number' || !isShardCount(shards)) return undefined;
  if (typeof partitions !== 'object' || partitions === null) return undefined;
  const out: SweepCursor['partitions'] = {};
  for (const [partition, at] of Object.entries(partitions)) {
    if (at === 'done' || isPosition(at)) out[partition] = at;
    else return undefined;
  }
  return { passStartedAt, shards, partitions: out };
}

/**
 * The sweeper's cursor on the requests' table (`SWEEP#cursor`, a few KB at most). Each save is a
 * put conditional on the version it read, so of two sweeps running at once only one moves the
 * cursor; the other learns it was overtaken and stops.
 */
export class DynamoSweepCursor implements SweepCursorStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async load(): Promise<{ cursor?: SweepCursor; version: number }> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: sweepCursorKey(), ConsistentRead: true }));
      if (!Item) return { version: 0 };
      const version = typeof Item.version === 'number' ? Item.version : 0;
      const cursor = cursorOf(Item);
      return cursor ? { cursor, version } : { version };
    } catch (err) {
      throw serviceError(err);
    }
  }

  async save(cursor: SweepCursor, version: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...sweepCursorKey(), version: version + 1, passStartedAt: cursor.passStartedAt, shards: cursor.shards, partitions: cursor.partitions },
          ConditionExpression: version === 0 ? 'attribute_not_exists(pk) OR attribute_not_exists(version) OR version = :v' : 'version = :v',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw serviceError(err);
    }
  }
}
