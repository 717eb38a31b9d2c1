import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ApprovalError, ERROR_TABLE, retryAfter, toApprovalError } from '../../approval';
import { MAX_POST_BYTES, type Post, type PostDecision } from '../domain/post';
import { POST_FAILURE_REASONS, isPostFailureReason, type PostFailureReason } from '../domain/post-failure';
import { logFailure, type AppLogger } from '../../approval';
import { getPost, submitPost, type PostsDeps } from '../services/posts';
import { decodePathSegment, header, readBody, trimTrailingSlashes, type HttpResult } from '../../approval';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function json(statusCode: number, body: unknown, extra: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(body) };
}

/** `{ error: { code, message, details? } }` with the table's status; never exception text. */
function jsonError(err: ApprovalError): HttpResult {
  const extra: Record<string, string> = {};
  const wait = retryAfter(err);
  if (wait) extra['retry-after'] = wait;
  if (err.code === 'METHOD_NOT_ALLOWED') extra.allow = 'GET, POST';
  const body = { error: { code: err.code, message: ERROR_TABLE[err.code].message, ...(err.details ? { details: err.details } : {}) } };
  return json(ERROR_TABLE[err.code].status, body, extra);
}

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

  async function route(event: APIGatewayProxyEventV2): Promise<HttpResult> {
    const method = event.requestContext.http.method.toUpperCase();
    const path = trimTrailingSlashes(event.rawPath);
    if (path === '/posts') {
      if (method !== 'POST') throw new ApprovalError('METHOD_NOT_ALLOWED');
      const type = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json') throw new ApprovalError('UNSUPPORTED_MEDIA_TYPE');
      const text = readBody(event, MAX_POST_BYTES);
      let input: unknown;
      try {
        input = JSON.parse(text);
      } catch {
        throw new ApprovalError('INVALID_INPUT', { details: ['(body): must be JSON'] });
      }
      const post = await submitPost(input, header(event, 'idempotency-key'), deps, now(), { ip: event.requestContext.http.sourceIp });
      deps.logger.info('post submitted', { postId: post.id });
      return json(202, { id: post.id, status: post.status });
    }
    const match = /^\/posts\/([^/]+)$/.exec(path);
    if (match) {
      if (method !== 'GET' && method !== 'HEAD') throw new ApprovalError('METHOD_NOT_ALLOWED');
      return json(200, view(await getPost(decodePathSegment(match[1]!, 'INVALID_INPUT', ['id: malformed percent-escape']), deps)));
    }
    throw new ApprovalError('NOT_FOUND');
  }

  return async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResult> => {
    if (context) deps.logger.addContext(context);
    try {
      return await route(event);
    } catch (err) {
      const error = toApprovalError(err);
      logFailure(deps.logger, 'posts request', error);
      return jsonError(error);
    }
  };
}
