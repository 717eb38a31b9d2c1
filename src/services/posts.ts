import { ApprovalError } from '../domain/errors';
import { POST_ID, excerpt, isIdempotencyKey, parsePostSubmission, postIdFor, type Post } from '../domain/post';
import type { PostStore, WorkflowStarter } from '../domain/ports';

export interface PostsDeps {
  posts: Pick<PostStore, 'createIfAbsent' | 'get'>;
  workflow: WorkflowStarter;
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
 * to create the post. The same Idempotency-Key returns the same post and never starts a second
 * execution.
 */
export async function submitPost(input: unknown, idempotencyKey: string | undefined, deps: PostsDeps, now: Date): Promise<Post> {
  if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) {
    throw new ApprovalError('INVALID_INPUT', { details: ['Idempotency-Key: must be 1-128 characters of A-Z a-z 0-9 _ . : -'] });
  }
  const parsed = parsePostSubmission(input);
  if (!parsed.ok) throw new ApprovalError('INVALID_INPUT', { details: parsed.problems });
  const id = postIdFor(idempotencyKey);
  if (idempotencyKey !== undefined) {
    // A repeat: its execution started before its post was stored (or the workflow stored it).
    const stored = await deps.posts.get(id);
    if (stored) return stored;
  }
  const fresh: Post = { id, ...parsed.value, status: 'IN_REVIEW', createdAt: now.toISOString() };
  // ExecutionAlreadyExists (a concurrent repeat with the same key) counts as started.
  await deps.workflow.start(id, moderationInput(fresh));
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
