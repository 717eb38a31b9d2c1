import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AdminSessions } from '../domain/admin-session';
import { serviceError } from './aws-errors';
import { adminSessionsKey } from './table-schema';

/**
 * Each admin's session generation, one small item per admin (`ADMIN#<address>`, no TTL: it must
 * outlive every cookie). Reads are strongly consistent, so a session ended by a sign-out is
 * refused on the very next request, whichever container serves it.
 */
export class DynamoAdminSessions implements AdminSessions {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async generation(email: string): Promise<number> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: adminSessionsKey(email), ConsistentRead: true }));
      return Number(Item?.generation ?? 0);
    } catch (err) {
      throw serviceError(err);
    }
  }

  async endAll(email: string): Promise<number> {
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: adminSessionsKey(email),
          UpdateExpression: 'ADD generation :one',
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.generation);
    } catch (err) {
      throw serviceError(err);
    }
  }
}
