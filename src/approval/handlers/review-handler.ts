import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ApprovalError, toApprovalError, type ErrorCode } from '../domain/errors';
import type { KeyringSource } from '../domain/mac-keyring';
import type { ClientInfo } from '../domain/audit';
import type { Mailer, TaskCallback, TokenCipher } from '../domain/ports';
import type { ReviewStore } from '../domain/request-store';
import { MAX_ENCODED_COMMENT_CHARS } from '../domain/review-form';
import { linkKeyVersion } from '../domain/review-link';
import { logFailure, type AppLogger } from '../logger';
import { confirmationPage, resultPage } from '../pages/review-page';
import { FormRefused, checkReviewLink, decideReview, viewReview } from '../services/review-decision';
import { assertSameOrigin, header, htmlError, htmlResponse, readBody, type HttpResult } from './http';

/** What only a POST needs: KMS, Step Functions, and the mailer for "no action needed" notes. */
export interface Decider {
  cipher: TokenCipher;
  callback: TaskCallback;
  mailer?: Mailer;
}

/** The client as the audit trail records it (hashed there, never stored raw). */
export function clientOf(event: APIGatewayProxyEventV2): ClientInfo {
  return { ip: event.requestContext.http.sourceIp, userAgent: event.requestContext.http.userAgent };
}

export interface ReviewHandlerDeps {
  store: ReviewStore;
  /** Resolved lazily: the GET path must not construct or load what only POST needs. */
  decider: () => Promise<Decider> | Decider;
  /** Asked for the version the link names, so a warm container finds a key added since it loaded. */
  keyring: KeyringSource;
  logger: AppLogger;
  now?: () => Date;
  leaseSeconds?: number;
}

const MAX_QUERY_CHARS = 6144;
/** The link's fields (as in its query), the CSRF token and decision, and the longest comment. */
export const MAX_REVIEW_FORM_BYTES = MAX_QUERY_CHARS + 256 + MAX_ENCODED_COMMENT_CHARS;
const FORM_TYPE = 'application/x-www-form-urlencoded';

/** Refusals that come before the form is known to be ours (its origin, link MAC and CSRF token). */
const UNVERIFIED = new Set<ErrorCode>(['LINK_MALFORMED', 'LINK_INVALID', 'CSRF_REJECTED', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE']);

/** The comment field of a form body, read leniently (it is only shown back, escaped), or undefined. */
function typedComment(body: string): string | undefined {
  return new URLSearchParams(body).get('comment')?.trim() || undefined;
}

/**
 * The link handler behind `/review` (API Gateway HTTP API, payload 2.0). GET shows the
 * confirmation page, HEAD only checks the link, POST records the decision; nothing else is allowed.
 */
export function createReviewHandler(deps: ReviewHandlerDeps) {
  const now = deps.now ?? (() => new Date());

  /**
   * `typed` receives the comment a POST carried, shown back on an error page so it is not lost
   * there: one per request (a container may serve several at once in local mode).
   */
  async function route(event: APIGatewayProxyEventV2, typed: { comment?: string }): Promise<HttpResult> {
    const method = event.requestContext.http.method.toUpperCase();
    const rawQuery = event.rawQueryString ?? '';
    if (method === 'GET' || method === 'HEAD') {
      if (rawQuery.length > MAX_QUERY_CHARS) throw new ApprovalError('LINK_MALFORMED');
      const keyring = await deps.keyring(linkKeyVersion(rawQuery));
      if (method === 'HEAD') {
        checkReviewLink(rawQuery, keyring, now());
        return htmlResponse(200, '');
      }
      const view = await viewReview(rawQuery, { store: deps.store, keyring }, now(), clientOf(event));
      return htmlResponse(200, confirmationPage(view));
    }
    if (method !== 'POST') throw new ApprovalError('METHOD_NOT_ALLOWED');
    if (rawQuery !== '') throw new ApprovalError('LINK_MALFORMED');
    const contentType = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (contentType !== FORM_TYPE) throw new ApprovalError('LINK_MALFORMED');
    const body = readBody(event, MAX_REVIEW_FORM_BYTES);
    typed.comment = typedComment(body);
    assertSameOrigin(event);
    const keyring = await deps.keyring(linkKeyVersion(body));
    const decider = await deps.decider();
    const result = await decideReview(body, { store: deps.store, keyring, ...decider, leaseSeconds: deps.leaseSeconds }, now(), clientOf(event));
    deps.logger.info(result.progress ? 'vote recorded' : 'decision delivered', { decision: result.decision });
    return htmlResponse(200, resultPage(result, now()));
  }

  return async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResult> => {
    if (context) deps.logger.addContext(context);
    const typed: { comment?: string } = {};
    try {
      return await route(event, typed);
    } catch (err) {
      const error = toApprovalError(err);
      logFailure(deps.logger, 'review', error, { method: event.requestContext.http.method });
      // No decision, or a comment refused: the form again, with what was typed and why.
      if (error instanceof FormRefused) return htmlResponse(error.status, confirmationPage(error.form));
      // Shown back only from a form whose link and CSRF token checked out: a page from another
      // site must not be able to put words of its own on ours.
      const ours = !UNVERIFIED.has(error.code);
      const response = htmlError(error, {}, { now: now(), typed: ours ? typed.comment : undefined });
      return event.requestContext.http.method.toUpperCase() === 'HEAD' ? { ...response, body: '' } : response;
    }
  };
}
