import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_RETENTION_SECONDS } from '../defaults';
import type { ExecutionRegistry } from '../domain/ports';
import { serviceError } from './aws-errors';
import { executionKey } from './table-schema';

/**
 * The execution registry on the approval table: one item per execution (`EXEC#<execution ARN>`)
 * holding a string set of its request ids and, once it ended, its final status. Each side's
 * write also returns the item (ReturnValues ALL_NEW), so register and close are each one call.
 */
export class DynamoExecutionRegistry implements ExecutionRegistry {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly retentionSeconds = DEFAULT_RETENTION_SECONDS,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async register(executionId: string, requestId: string, expiresAt: number): Promise<{ closedStatus?: string }> {
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: executionKey(executionId),
          // Kept as long as its first request and its audit trail: no execution outlives that (a year at most).
          UpdateExpression: 'ADD requests :id SET #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':id': new Set([requestId]), ':ttl': expiresAt + this.retentionSeconds },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const closedStatus = Attributes?.closedStatus;
      return typeof closedStatus === 'string' ? { closedStatus } : {};
    } catch (err) {
      throw serviceError(err);
    }
  }

  async close(executionId: string, status: string, at: string): Promise<string[]> {
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: executionKey(executionId),
          // An item created here (an execution that made no request yet) expires after the retention period.
          UpdateExpression: 'SET closedStatus = if_not_exists(closedStatus, :status), closedAt = if_not_exists(closedAt, :at), #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':status': status, ':at': at, ':ttl': Math.floor(Date.parse(at) / 1000) + this.retentionSeconds },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const requests = Attributes?.requests;
      return requests instanceof Set ? [...(requests as Set<string>)].sort() : [];
    } catch (err) {
      throw serviceError(err);
    }
  }
}
