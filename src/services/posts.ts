import { ApprovalError } from '../domain/errors';
import { POST_ID, excerpt, isIdempotencyKey, parsePostSubmission, postIdFor, type Post } from '../domain/post';
import type { PostStore, WorkflowStarter } from '../domain/ports';

export interface PostsDeps {
  posts: Pick<PostStore, 'createIfAbsent' | 'get'>;
  workflow: WorkflowStarter;
}

/** What the moderation state machine receives as its execution input. */
export interface ModerationInput {
  postId: string;
  title: string;
  excerpt: string;
  authorEmail: string;
}

export const moderationInput = (post: Post): ModerationInput => ({
  postId: post.id,
  title: post.title,
  excerpt: excerpt(post.body),
  authorEmail: post.authorEmail,
});

/**
 * POST /posts: validate, store the post (IN_REVIEW), start its execution named after the post.
 * The same Idempotency-Key returns the same post and re-issues the same (idempotent)
 * StartExecution, which also finishes a submission that crashed between the two writes.
 */
export async function submitPost(input: unknown, idempotencyKey: string | undefined, deps: PostsDeps, now: Date): Promise<Post> {
  if (idempotencyKey !== undefined && !isIdempotencyKey(idempotencyKey)) {
    throw new ApprovalError('INVALID_INPUT', { details: ['Idempotency-Key: must be 1-128 characters of A-Z a-z 0-9 _ . : -'] });
  }
  const parsed = parsePostSubmission(input);
  if (!parsed.ok) throw new ApprovalError('INVALID_INPUT', { details: parsed.problems });
  const fresh: Post = { id: postIdFor(idempotencyKey), ...parsed.value, status: 'IN_REVIEW', createdAt: now.toISOString() };
  const post = (await deps.posts.createIfAbsent(fresh)) ?? fresh;
  await deps.workflow.start(post.id, moderationInput(post));
  return post;
}

/** GET /posts/{id}. */
export async function getPost(id: string, deps: Pick<PostsDeps, 'posts'>): Promise<Post> {
  if (!POST_ID.test(id)) throw new ApprovalError('NOT_FOUND');
  const post = await deps.posts.get(id);
  if (!post) throw new ApprovalError('NOT_FOUND');
  return post;
}
