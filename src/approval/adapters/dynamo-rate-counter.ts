import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateCounter, RateKind } from '../domain/rate-limit';
import { serviceError } from './aws-errors';
import { TTL_ATTRIBUTE, rateKey } from './table-schema';

/**
 * Fixed-window counters on the one table: one conditional `ADD` per request, so the count is
 * DynamoDB's, shared by every container, and a request at the limit adds nothing.
 */
export class DynamoRateCounter implements RateCounter {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async hit(kind: RateKind, subject: string, windowStart: number, max: number, expiresAt: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: rateKey(kind, subject, windowStart),
          UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':ttl': expiresAt },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw serviceError(err);
    }
  }
}
