import { ApprovalError, JSON_TYPE, decodePathSegment, httpHandler, json, readBody, requireMediaType, trimTrailingSlashes } from '../../approval';
import type { AppLogger, HttpRequest, HttpResult } from '../../approval';
import { MAX_POST_BYTES, type Post, type PostDecision } from '../domain/post';
import { POST_FAILURE_REASONS, isPostFailureReason, type PostFailureReason } from '../domain/post-failure';
import { getPost, submitPost, type PostsDeps } from '../services/posts';

/**
 * The public view (anyone who has the id may read it): status, title and outcome, never an
 * address. A FAILED post says why, as a code and in words. A post whose stored decision the
 * store refused (malformed, a key twice: see dynamo-post-store's readDecision) keeps its status
 * and says, instead of a decision, that its decision cannot be shown; the store logged an error.
 */
const view = (post: Post & { decisionUnreadable?: boolean }) => ({
  id: post.id,
  title: post.title,
  status: post.status,
  ...(post.decision ? { decision: publicDecision(post.decision) } : {}),
  ...(post.decisionUnreadable ? { decisionError: DECISION_UNREADABLE } : {}),
  ...(post.status === 'FAILED' ? failure(post.failureReason) : {}),
});

const DECISION_UNREADABLE = {
  code: 'DECISION_UNREADABLE',
  message: 'This post was decided, but the stored decision could not be read, so it is not shown. Its status stands; the fault is logged for the operators.',
} as const;

/**
 * What and when, not who: who decided is a reviewer's or an admin's address. A rejection keeps
 * its comment (the reason the post is not published); an approval's comment is a note to the
 * author, who has it by email, and stays out of the public view.
 */
function publicDecision({ decision, decidedAt, comment }: PostDecision) {
  return { decision, decidedAt, ...(decision === 'rejected' && comment ? { comment } : {}) };
}

function failure(reason: PostFailureReason | undefined) {
  const known = reason && isPostFailureReason(reason) ? reason : 'INTERNAL';
  const words = POST_FAILURE_REASONS[known];
  return { reason: known, message: `${words.summary} ${words.advice}` };
}

export interface PostsHandlerDeps extends PostsDeps {
  logger: AppLogger;
  now?: () => Date;
}

/** The JSON API: `POST /posts` and `GET /posts/{id}` (API Gateway HTTP API, payload 2.0). */
export function createPostsHandler(deps: PostsHandlerDeps) {
  const now = deps.now ?? (() => new Date());

  async function handle(request: HttpRequest): Promise<HttpResult> {
    const path = trimTrailingSlashes(request.path);
    if (path === '/posts') {
      request.allow('POST');
      requireMediaType(request, JSON_TYPE);
      const text = readBody(request, MAX_POST_BYTES);
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        throw new ApprovalError('INVALID_INPUT', { details: ['(body): must be JSON'] });
      }
      const post = await submitPost(input, request.header('idempotency-key'), deps, now(), { ip: request.client.ip });
      deps.logger.info('post submitted', { postId: post.id });
      return json(202, { id: post.id, status: post.status });
    }
    const match = /^\/posts\/([^/]+)$/.exec(path);
    if (match) {
      request.allow('GET', 'HEAD');
      return json(200, view(await getPost(decodePathSegment(match[1]!, 'INVALID_INPUT', ['id: malformed percent-escape']), deps)));
    }
    throw new ApprovalError('NOT_FOUND');
  }

  return httpHandler({ logger: deps.logger, name: 'posts request', answer: { type: 'json' }, handle });
}
