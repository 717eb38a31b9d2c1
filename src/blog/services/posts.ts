import { ApprovalError } from '../../approval';
import {
  IDEMPOTENCY_TTL_SECONDS,
  POST_ID,
  excerpt,
  idempotencyKeyHash,
  isIdempotencyKey,
  newPostId,
  parsePostSubmission,
  submissionHash,
  type Post,
  type PostSubmission,
} from '../domain/post';
import type { ClientInfo } from '../../approval';
import type { KeyringSource, MacKeyring } from '../../approval';
import type { IdempotencyKeys, IdempotencyRecord, PostStore, WorkflowStarter } from '../domain/ports';
import { HOUR_SECONDS, clientNetwork, enforceRateLimit, rateSubject, type RateCounter } from '../../approval';

export interface PostsDeps {
  posts: Pick<PostStore, 'createIfAbsent' | 'get'>;
  workflow: WorkflowStarter;
  /** Idempotency-Keys, scoped to their author and their submission. */
  keys: IdempotencyKeys;
  /** Abuse limits on new posts; none when absent. */
  limits?: PostLimits;
}

/** How many new posts an author address and a client (its network) may submit per hour; 0 turns one off. */
export interface PostLimits {
  counter: RateCounter;
  /** The key the counted address and network are hashed with. */
  keyring: KeyringSource;
  perAuthorPerHour: number;
  perClientPerHour: number;
}

/**
 * What the moderation state machine receives as its execution input: the whole post (its first
 * state stores it, so a post exists exactly when its execution does) and the reviewers' excerpt.
 */
export interface ModerationInput {
  postId: string;
  title: string;
  body: string;
  excerpt: string;
  authorEmail: string;
  createdAt: string;
}

export const moderationInput = (post: Post): ModerationInput => ({
  postId: post.id,
  title: post.title,
  body: post.body,
  excerpt: excerpt(post.body),
  authorEmail: post.authorEmail,
  createdAt: post.createdAt,
});

/**
 * POST /posts: validate, start the post's execution (named after the post, with the post as
 * its input), then store the post. The execution's first state also stores it (conditionally),
 * so a post exists exactly when its execution does: a failed start stores nothing (the caller
 * may simply retry), and a crash or a failed write after the start still leaves the execution
 * to create the post.
 *
 * An Idempotency-Key belongs to its author and its submission. Before anything starts, the key
 * is stored (`IdempotencyKeys.claim`) with a random post id, the submission's hash and createdAt;
 * a request that finds the key in force continues that same post (same id, same execution input,
 * so StartExecution never starts a second execution), and one with another submission is refused
 * (IDEMPOTENCY_KEY_REUSED). Whatever failed in between (the key stored and the process dead before
 * StartExecution, StartExecution's answer lost), a retry with the key brings back the same post.
 *
 * A new post (not a retry of one) is first counted against the abuse limits (`PostLimits`), so a
 * refused one stores and starts nothing.
 */
export async function submitPost(input: unknown, idempotencyKey: string | undefined, deps: PostsDeps, now: Date, client: ClientInfo = {}): Promise<Post> {
  if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) {
    throw new ApprovalError('INVALID_INPUT', { details: ['Idempotency-Key: must be 1-128 characters of A-Z a-z 0-9 _ . : -'] });
  }
  const parsed = parsePostSubmission(input);
  if (!parsed.ok) throw new ApprovalError('INVALID_INPUT', { details: parsed.problems });
  const submission = parsed.value;
  const nowSeconds = Math.floor(now.getTime() / 1000);

  if (idempotencyKey === undefined) {
    await countNewPost(submission.authorEmail, client, deps.limits, nowSeconds);
    return startPost({ id: newPostId(), ...submission, status: 'IN_REVIEW', createdAt: now.toISOString() }, deps);
  }

  const keyHash = idempotencyKeyHash(submission.authorEmail, idempotencyKey);
  const bodyHash = submissionHash(submission);
  const found = await deps.keys.find(keyHash, nowSeconds);
  // A retry of a post already counted is not counted again.
  if (found) return continuePost(found, bodyHash, submission, deps);
  await countNewPost(submission.authorEmail, client, deps.limits, nowSeconds);
  const record = { postId: newPostId(), bodyHash, createdAt: now.toISOString(), expiresAt: nowSeconds + IDEMPOTENCY_TTL_SECONDS };
  const winner = await deps.keys.claim(keyHash, record, nowSeconds);
  // Another request with this key stored it first: continue its post. Else the post is new.
  if (winner) return continuePost(winner, bodyHash, submission, deps);
  return startPost({ id: record.postId, ...submission, status: 'IN_REVIEW', createdAt: record.createdAt }, deps);
}

/**
 * Counts a new post against the client's limit, then the author's (RATE_LIMITED past either).
 * Before anything is stored or started: a refused post leaves no trace but its counters (one
 * refused by its author's limit still counts as one of its client's requests).
 */
async function countNewPost(authorEmail: string, client: ClientInfo, limits: PostLimits | undefined, nowSeconds: number): Promise<void> {
  if (!limits || (limits.perAuthorPerHour <= 0 && limits.perClientPerHour <= 0)) return;
  let keyring: MacKeyring;
  try {
    keyring = await limits.keyring();
  } catch (err) {
    // The hashing key could not be read (Secrets Manager throttled or down): refuse, count nothing.
    throw new ApprovalError('UNAVAILABLE', { cause: err });
  }
  const network = client.ip === undefined ? undefined : clientNetwork(client.ip);
  if (network !== undefined) {
    const limit = { kind: 'post-client', max: limits.perClientPerHour, windowSeconds: HOUR_SECONDS } as const;
    await enforceRateLimit(limits.counter, limit, rateSubject(keyring, limit.kind, network), nowSeconds);
  }
  const limit = { kind: 'post-author', max: limits.perAuthorPerHour, windowSeconds: HOUR_SECONDS } as const;
  await enforceRateLimit(limits.counter, limit, rateSubject(keyring, limit.kind, authorEmail), nowSeconds);
}

/** The post an Idempotency-Key stands for: stored already, or started again exactly as the first time. */
async function continuePost(record: IdempotencyRecord, bodyHash: string, submission: PostSubmission, deps: PostsDeps): Promise<Post> {
  if (record.bodyHash !== bodyHash) throw new ApprovalError('IDEMPOTENCY_KEY_REUSED');
  const stored = await deps.posts.get(record.postId);
  if (stored) return stored;
  return startPost({ id: record.postId, ...submission, status: 'IN_REVIEW', createdAt: record.createdAt }, deps);
}

/** Starts the execution (the same name and input again is the same execution), then stores the post. */
async function startPost(fresh: Post, deps: PostsDeps): Promise<Post> {
  // ExecutionAlreadyExists (a concurrent repeat with the same key) counts as started.
  await deps.workflow.start(fresh.id, moderationInput(fresh));
  try {
    return (await deps.posts.createIfAbsent(fresh)) ?? fresh;
  } catch {
    // The execution stores the post as its first step: the submission stands.
    return fresh;
  }
}

/** GET /posts/{id}. */
export async function getPost(id: string, deps: Pick<PostsDeps, 'posts'>): Promise<Post> {
  if (!POST_ID.test(id)) throw new ApprovalError('NOT_FOUND');
  const post = await deps.posts.get(id);
  if (!post) throw new ApprovalError('NOT_FOUND');
  return post;
}
