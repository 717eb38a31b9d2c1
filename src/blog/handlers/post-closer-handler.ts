import type { Context } from 'aws-lambda';
import { parseExecutionEnded } from '../../approval';
import type { Mailer } from '../../approval';
import { describeCause, type AppLogger } from '../../approval';
import type { PostStore } from '../domain/ports';
import { failPostOfEndedExecution } from '../services/post-ended';

export interface PostCloserDeps {
  posts: Pick<PostStore, 'failInReview' | 'markAuthorTold'>;
  mailer: Mailer;
  logger: AppLogger;
}

/**
 * The blog example's handler for the same events: a moderation execution that ended without
 * a final status for its post (stopped, failed uncaught, timed out) marks the post FAILED and
 * tells its author.
 */
export function createPostCloserHandler(deps: PostCloserDeps) {
  return async (event: unknown, context?: Context) => {
    if (context) deps.logger.addContext(context);
    const ended = parseExecutionEnded(event, deps.logger);
    if (!ended) return {};
    try {
      const result = await failPostOfEndedExecution(ended, deps);
      if (result.failed) deps.logger.info('post failed', { postId: ended.name, reason: result.failed });
      return result;
    } catch (err) {
      deps.logger.error('failing the post failed', { postId: ended.name, error: err instanceof Error ? err.name : 'unknown', cause: describeCause(err) });
      throw err;
    }
  };
}
