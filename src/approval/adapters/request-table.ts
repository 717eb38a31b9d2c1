/**
 * What every part of the DynamoDB request store shares: the document client on one table (pk/sk),
 * its retention and shard count, reads and updates of one request item, and how a write's failure
 * is told apart (a failed condition is an answer; anything else is a service error).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { MAX_PENDING_SHARDS, isShardCount } from '../domain/pending-index';
import type { ApprovalRecord, AuditEvent } from '../domain/ports';
import { serviceError } from './aws-errors';
import { closedIndexValues, fromItem, type SetName } from './request-item';
import { requestKey } from './table-schema';

/** Runs a write, turning throttling into THROTTLED and a failed condition into `false`. */
export async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw mapError(err);
  }
}

/** A DynamoDB error as the ApprovalError the services handle (THROTTLED, UNAVAILABLE, …). */
export function mapError(err: unknown): unknown {
  return serviceError(err);
}

export type UpdateInput = Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'> & { requestId: string };

/** The request items of one table, for the store's readers and writers. */
export class RequestTable {
  readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly tableName: string,
    readonly retentionSeconds: number,
    readonly pendingShards: number,
  ) {
    if (!isShardCount(pendingShards)) throw new RangeError(`pendingShards must be a whole number from 1 to ${MAX_PENDING_SHARDS}, got ${pendingShards}`);
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** One request, read consistently. */
  async get(requestId: string): Promise<ApprovalRecord | undefined> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: requestKey(requestId), ConsistentRead: true }));
      return Item ? fromItem(Item) : undefined;
    } catch (err) {
      throw mapError(err);
    }
  }

  /** The item a failed condition saw, from the exception when DynamoDB returns it, else a consistent read. */
  async current(err: ConditionalCheckFailedException, requestId: string): Promise<ApprovalRecord | undefined> {
    return err.Item ? fromItem(unmarshall(err.Item)) : this.get(requestId);
  }

  /** An UpdateItem on one request's item. */
  update(input: UpdateInput) {
    const { requestId, ...rest } = input;
    return this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: requestKey(requestId), ...rest }));
  }

  /** The index values (`:done`, `:at`) of a request that closes at `at` (see `closedIndexValues`). */
  closed(requestId: string, at: string): { ':done': string; ':at': string } {
    return closedIndexValues(requestId, this.pendingShards, at);
  }

  /**
   * Adds `reviewer` to one of the request's sets unless it is there already (a claim: true if this
   * call added it), appending `events` to the audit trail in the same write.
   */
  claimSetMember(requestId: string, set: SetName, reviewer: number, events: AuditEvent[] = []): Promise<boolean> {
    return conditional(() =>
      this.update({
        requestId,
        UpdateExpression: `ADD ${set} :one${events.length ? ' SET audit = list_append(if_not_exists(audit, :empty), :events)' : ''}`,
        ConditionExpression: `attribute_exists(pk) AND NOT contains(${set}, :i)`,
        ExpressionAttributeValues: { ':one': new Set([reviewer]), ':i': reviewer, ...(events.length ? { ':events': events, ':empty': [] } : {}) },
      }),
    );
  }
}
