import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SignInLedger } from '../domain/admin-sign-in';
import { serviceError } from './aws-errors';
import { signInKey } from './table-schema';

/** A used id is kept a day past the token's expiry: by then the token is refused as expired anyway. */
const KEEP_AFTER_EXPIRY_SECONDS = 24 * 3600;

/**
 * Single use of admin sign-in tokens, on the requests' table: one conditional put per id. The
 * condition makes DynamoDB the judge, so two tabs (or a replayed POST) racing with the same
 * link get one session between them. TTL removes the items after expiry.
 */
export class DynamoSignInLedger implements SignInLedger {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async consume(id: string, expiresAt: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...signInKey(id), ttl: expiresAt + KEEP_AFTER_EXPIRY_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw serviceError(err);
    }
  }

  async isUsed(id: string): Promise<boolean> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: signInKey(id), ConsistentRead: true, ProjectionExpression: 'pk' }));
      return Item !== undefined;
    } catch (err) {
      throw serviceError(err);
    }
  }
}
