import { ApprovalError } from '../../approval';
import { POST_ID, type Post } from '../domain/post';
import type { PostFailureReason } from '../domain/post-failure';
import type { Mailer } from '../../approval';
import type { PostStore } from '../domain/ports';
import { renderAuthorEmail } from '../email/author-email';
import type { ExecutionEndStatus } from '../../approval';

/** The post an execution was started with, when its input carries one (see ModerationInput). */
function postFromInput(id: string, input: string | null | undefined): Omit<Post, 'status'> | undefined {
  if (!input) return undefined;
  try {
    const { postId, title, body, authorEmail, createdAt } = JSON.parse(input) as Record<string, unknown>;
    if (postId !== id || typeof title !== 'string' || typeof body !== 'string' || typeof authorEmail !== 'string' || typeof createdAt !== 'string') return undefined;
    return { id, title, body, authorEmail, createdAt };
  } catch {
    return undefined;
  }
}

/** Why a post failed, by how its execution ended without giving it a final status. */
const REASON: Partial<Record<ExecutionEndStatus, PostFailureReason>> = {
  ABORTED: 'ABORTED',
  FAILED: 'EXECUTION_FAILED',
  TIMED_OUT: 'EXECUTION_TIMED_OUT',
};

export interface PostEndedDeps {
  posts: Pick<PostStore, 'failInReview' | 'markAuthorTold'>;
  mailer: Mailer;
}

/**
 * A moderation execution ended (its name is the post id). If it ended without giving the post a
 * final status (stopped by an operator, failed in a state that could not catch it, timed out),
 * the post becomes FAILED with the reason and its author is told (again on a retry, until sent). A post that is already
 * PUBLISHED, REJECTED, EXPIRED or FAILED is left alone, so the workflow's own outcome stands.
 */
export async function failPostOfEndedExecution(
  end: { name: string; status: ExecutionEndStatus; input?: string | null },
  deps: PostEndedDeps,
  now: Date = new Date(),
): Promise<{ failed?: PostFailureReason }> {
  const reason = REASON[end.status];
  if (!reason || !POST_ID.test(end.name)) return {};
  // A post that was never stored (its execution failed before StorePost, and the API's own write
  // failed too) is stored now, FAILED, from the execution's input: the author is told either way.
  const post = await deps.posts.failInReview(end.name, reason, postFromInput(end.name, end.input));
  if (!post) return {};
  try {
    await deps.mailer.send({ to: post.authorEmail, ...renderAuthorEmail({ title: post.title, outcome: 'failed', reason }) });
  } catch (err) {
    // The post is FAILED either way (GET /posts/{id} says why). Failing here makes Lambda retry,
    // which sends again (the author is not marked told yet), and raises the Errors alarm.
    throw err instanceof ApprovalError ? err : new ApprovalError('EMAIL_DELIVERY_FAILED', { cause: err });
  }
  await deps.posts.markAuthorTold(post.id, now.toISOString());
  return { failed: reason };
}
