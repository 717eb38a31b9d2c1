import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isEmailAddress } from '../../approval';
import { POST_ID, type Post, type PostDecision } from '../domain/post';
import type { PostFailureReason } from '../domain/post-failure';
import type { PostStore } from '../domain/ports';
import { createLogger } from '../../approval';
import { serviceError } from '../../approval';
import { postKey } from './table-schema';

/**
 * A post as read back. `decisionUnreadable`: the item has a `decisionJson` this store refused
 * (see `readDecision`), so no decision is presented; its status stands (the workflow writes a
 * constant status, chosen from the decision it had in hand, in the same write).
 */
export type StoredPost = Post & { decisionUnreadable?: true };

/** Where an unreadable decision is reported: an error log line (Powertools' Logger fits). */
export interface PostStoreLogger {
  error(message: string, fields: Record<string, unknown>): void;
}

let fallbackLogger: PostStoreLogger | undefined;
const defaultLogger = (): PostStoreLogger => (fallbackLogger ??= createLogger('post-store'));

/** Why a stored decision was refused: fixed words only, never its text (addresses, the comment). */
export type DecisionProblem =
  | 'not a string'
  | 'not JSON'
  | 'duplicate key'
  | 'not an object'
  | 'unknown key'
  | 'invalid decision'
  | 'invalid decidedBy'
  | 'invalid decidedAt'
  | 'invalid comment'
  | 'invalid votes'
  | 'decision does not match status';

const DECISIONS: ReadonlySet<unknown> = new Set(['approved', 'rejected']);
const DECISION_KEYS: ReadonlySet<string> = new Set(['decision', 'decidedBy', 'decidedAt', 'comment', 'votes']);
const VOTE_KEYS: ReadonlySet<string> = new Set(['reviewer', 'decision', 'at', 'comment']);
/** The status each decision leaves a post in (the workflow's PublishPost and MarkRejected). */
const STATUS_OF = { approved: 'PUBLISHED', rejected: 'REJECTED' } as const;

/**
 * Whether JSON text has an object with the same key twice (after unescaping: `"a"` and `"\u0061"`
 * are one key). JSON.parse keeps the last one silently, so a forged `"decision"` after the real
 * one would win. Only for text JSON.parse has accepted: it then needs to tell strings from
 * structure and nothing more. One pass, each character read once (a key is decoded once more).
 */
export function hasDuplicateKeys(json: string): boolean {
  // One entry per open container: the keys of an object, or null for an array.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (char === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (char === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (char === '[') {
      open.push(null);
      expectKey = false;
    } else if (char === '}' || char === ']') {
      open.pop();
      expectKey = false;
    } else if (char === ',') {
      expectKey = open[open.length - 1] instanceof Set;
    }
  }
  return false;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An instant as the services write it: UTC, `YYYY-MM-DDTHH:MM:SS[.fff]Z`, and a real date. */
function isInstant(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/.test(value)) return false;
  const time = Date.parse(value);
  // Date.parse rolls 2026-02-30 over to March: the date must read back the same.
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 19) === value.slice(0, 19);
}

function isVote(vote: unknown): boolean {
  if (!isPlainObject(vote) || Object.keys(vote).some((key) => !VOTE_KEYS.has(key))) return false;
  return (
    typeof vote.reviewer === 'string' &&
    vote.reviewer.length > 0 &&
    DECISIONS.has(vote.decision) &&
    isInstant(vote.at) &&
    (vote.comment === undefined || typeof vote.comment === 'string')
  );
}

export type DecisionReading = { ok: true; decision: PostDecision } | { ok: false; problem: DecisionProblem };

/**
 * Reads the `decisionJson` the state machine stores (`States.JsonToString($.approval)`: the
 * approval step's output) strictly: valid JSON, no key twice, no key but `decision`, `decidedBy`,
 * `decidedAt`, `comment` and `votes`, each well-formed, and a decision that matches the post's
 * status. Anything else is refused, never half-read.
 */
export function readDecision(json: unknown, status: unknown): DecisionReading {
  const refuse = (problem: DecisionProblem): DecisionReading => ({ ok: false, problem });
  if (typeof json !== 'string') return refuse('not a string');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return refuse('not JSON');
  }
  if (hasDuplicateKeys(json)) return refuse('duplicate key');
  if (!isPlainObject(value)) return refuse('not an object');
  if (Object.keys(value).some((key) => !DECISION_KEYS.has(key))) return refuse('unknown key');
  const { decision, decidedBy, decidedAt, comment, votes } = value;
  if (decision !== 'approved' && decision !== 'rejected') return refuse('invalid decision');
  if (typeof decidedBy !== 'string' || !isEmailAddress(decidedBy)) return refuse('invalid decidedBy');
  if (!isInstant(decidedAt)) return refuse('invalid decidedAt');
  if (comment !== undefined && typeof comment !== 'string') return refuse('invalid comment');
  if (votes !== undefined && !(Array.isArray(votes) && votes.every(isVote))) return refuse('invalid votes');
  if (STATUS_OF[decision] !== status) return refuse('decision does not match status');
  return { ok: true, decision: { decision, decidedBy, decidedAt, ...(comment ? { comment } : {}) } };
}

/**
 * A post from its item. A `decisionJson` that `readDecision` refuses is logged as an error (the
 * post id and the problem, nothing of its text) and the post is read without a decision, marked
 * `decisionUnreadable`.
 */
export function postFromItem(item: Record<string, unknown>, logger: PostStoreLogger = defaultLogger()): StoredPost {
  const { pk: _pk, sk: _sk, decisionJson, authorToldAt: _told, ...post } = item;
  if (decisionJson === undefined) return post as unknown as Post;
  const reading = readDecision(decisionJson, post.status);
  if (reading.ok) return { ...(post as unknown as Post), decision: reading.decision };
  logger.error('stored post decision refused: not presented', {
    postId: typeof post.id === 'string' && POST_ID.test(post.id) ? post.id : undefined,
    status: post.status,
    problem: reading.problem,
  });
  return { ...(post as unknown as Post), decisionUnreadable: true };
}

/** Posts in the example's table (`POST#<id>` items); the state machine updates `status` and `decision`. */
export class DynamoPostStore implements PostStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly logger: PostStoreLogger = defaultLogger(),
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async createIfAbsent(post: Post): Promise<StoredPost | undefined> {
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
      return postFromItem(Attributes!, this.logger);
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

  async get(id: string): Promise<StoredPost | undefined> {
    try {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: postKey(id), ConsistentRead: true }));
      return Item ? postFromItem(Item, this.logger) : undefined;
    } catch (err) {
      throw serviceError(err);
    }
  }
}
