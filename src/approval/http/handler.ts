/**
 * The one wrapper every HTTP handler is built with: the Lambda context for the logs, the request
 * read once, and every error, whatever was thrown, answered in one place: its status from the
 * error table, Retry-After and Allow where they apply, and a body that says the code in plain
 * words, never exception text: an HTML page for people, a JSON error for programs. HEAD answers
 * carry no body.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { toApprovalError, type ApprovalError } from '../domain/errors';
import { logFailure, type AppLogger } from '../logger';
import { ERROR_TABLE, retryAfter } from './error-answers';
import { httpRequest, type HttpRequest } from './request';

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

export const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
});

/** How a handler answers: JSON for programs, or HTML pages for people. */
export type Answer = { type: 'json' } | HtmlAnswer;

export interface HtmlAnswer {
  type: 'html';
  /** Every page's headers (content type, CSP and the rest). */
  headers: Readonly<Record<string, string>>;
  /** The page for an error: its stable code and the table's words, never exception text. */
  errorPage(error: ApprovalError, request: HttpRequest): string;
}

export interface HttpHandlerOptions {
  logger: AppLogger;
  /** What log lines call a request: "<name> refused" (a 4xx), "<name> failed" (a fault). */
  name: string;
  answer: Answer;
  handle(request: HttpRequest): Promise<HttpResult>;
  /**
   * The handler's own answer to an error it can say more about (a form shown again with why);
   * undefined for the standard answer. An error thrown here is answered the standard way.
   */
  answerError?(error: ApprovalError, request: HttpRequest): Promise<HttpResult | undefined> | HttpResult | undefined;
}

export type HttpLambda = (event: APIGatewayProxyEventV2, context?: Context) => Promise<HttpResult>;

/** A response with the answer's headers (and any extra ones). */
export function respond(answer: Answer, statusCode: number, body: string, extra: { headers?: Record<string, string>; cookies?: string[] } = {}): HttpResult {
  const base = answer.type === 'json' ? JSON_HEADERS : answer.headers;
  return { statusCode, headers: { ...base, ...extra.headers }, body, ...(extra.cookies ? { cookies: extra.cookies } : {}) };
}

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return respond({ type: 'json' }, statusCode, JSON.stringify(body), { headers });
}

/**
 * The standard answer to an error: the table's status; Retry-After when trying later may work;
 * Allow on a 405; then the answer's page, or `{ error: { code, message, details? } }`.
 */
export function errorResponse(error: ApprovalError, answer: Answer, request: HttpRequest): HttpResult {
  const headers: Record<string, string> = {};
  const wait = retryAfter(error);
  if (wait) headers['retry-after'] = wait;
  if (error.code === 'METHOD_NOT_ALLOWED' && request.allowed) headers.allow = request.allowed.join(', ');
  const status = ERROR_TABLE[error.code].status;
  if (answer.type === 'json') {
    const body = { error: { code: error.code, message: ERROR_TABLE[error.code].message, ...(error.details ? { details: error.details } : {}) } };
    return json(status, body, headers);
  }
  return respond(answer, status, answer.errorPage(error, request), { headers });
}

/** An API Gateway HTTP API (payload 2.0) Lambda handler around `handle`. */
export function httpHandler(options: HttpHandlerOptions): HttpLambda {
  const { logger, name, answer } = options;

  async function answerTo(err: unknown, request: HttpRequest, again: boolean): Promise<HttpResult> {
    const error = toApprovalError(err);
    logFailure(logger, name, error, { method: request.method, route: request.event.routeKey });
    if (again && options.answerError) {
      try {
        const own = await options.answerError(error, request);
        if (own) return own;
      } catch (second) {
        return answerTo(second, request, false);
      }
    }
    return errorResponse(error, answer, request);
  }

  return async (event, context) => {
    if (context) logger.addContext(context);
    const request = httpRequest(event);
    let response: HttpResult;
    try {
      response = await options.handle(request);
    } catch (err) {
      response = await answerTo(err, request, true);
    }
    return request.method === 'HEAD' ? { ...response, body: '' } : response;
  };
}
