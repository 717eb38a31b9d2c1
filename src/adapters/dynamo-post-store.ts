import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Post, PostDecision } from '../domain/post';
import type { PostFailureReason } from '../domain/post-failure';
import type { PostStore } from '../domain/ports';
import { serviceError } from './aws-errors';
import { postKey } from './table-schema';

/** The state machine stores the decision as JSON (`decisionJson`); an unreadable one is left out. */
function parseDecision(json: unknown): PostDecision | undefined {
  if (typeof json !== 'string') return undefined;
  try {
    const { decision, decidedBy, decidedAt, comment } = JSON.parse(json) as PostDecision;
    return { decision, decidedBy, decidedAt, ...(comment ? { comment } : {}) };
  } catch {
    return undefined;
  }
}

export function postFromItem(item: Record<string, unknown>): Post {
  const { pk: _pk, sk: _sk, decisionJson, authorToldAt: _told, ...post } = item;
  const decision = parseDecision(decisionJson);
  return { ...(post as unknown as Post), ...(decision ? { decision } : {}) };
}

/** Posts in the same table as the requests; the state machine updates `status` and `decision`. */
export class DynamoPostStore implements PostStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly tableName: string) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async createIfAbsent(post: Post): Promise<Post | undefined> {
    try {
      await this.doc.send(
        new PutCommand({ TableName: this.tableName, Item: { ...postKey(post.id), ...post }, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return this.get(post.id);
      throw serviceError(err);
    }
  }

  async failInReview(id: string, reason: PostFailureReason, ifAbsent?: Omit<Post, 'status'>): Promise<Post | undefined> {
    // Stored whole from `ifAbsent` when the item does not exist (each field only if missing).
    const fields = ifAbsent ? { title: ifAbsent.title, body: ifAbsent.body, authorEmail: ifAbsent.authorEmail, createdAt: ifAbsent.createdAt, id } : {};
    const names = Object.keys(fields);
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: postKey(id),
          UpdateExpression: ['SET #status = :failed, failureReason = :reason', ...names.map((n) => `#${n} = if_not_exists(#${n}, :${n})`)].join(', '),
          // Or already failed by an earlier attempt whose email to the author did not go out.
          ConditionExpression:
            (ifAbsent ? 'attribute_not_exists(pk) OR ' : '') + '#status = :inReview OR (#status = :failed AND failureReason = :reason AND attribute_not_exists(authorToldAt))',
          ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(names.map((n) => [`#${n}`, n])) },
          ExpressionAttributeValues: { ':failed': 'FAILED', ':reason': reason, ':inReview': 'IN_REVIEW', ...Object.fromEntries(names.map((n) => [`:${n}`, (fields as Record<string, string>)[n]])) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return postFromItem(Attributes!);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw serviceError(err);
    }
  }

  async markAuthorTold(id: string, at: string): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: postKey(id), UpdateExpression: 'SET authorToldAt = :at', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':at': at } }));
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return;
      throw serviceError(err);
    }
  }

  async get(id: string): Promise<Post | undefined> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: postKey(id), ConsistentRead: true }));
      return Item ? postFromItem(Item) : undefined;
    } catch (err) {
      throw serviceError(err);
    }
  }
}
