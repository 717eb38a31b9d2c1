import { ApprovalError, type ErrorCode } from '../domain/errors';
import { humanEpochTime } from '../domain/human-time';
import type { KeyringSource } from '../domain/mac-keyring';
import type { Mailer, TaskCallback, TokenCipher } from '../domain/ports';
import type { ReviewStore } from '../domain/request-store';
import { MAX_ENCODED_COMMENT_CHARS } from '../domain/review-form';
import { linkKeyVersion } from '../domain/review-link';
import { errorWords, statusOf } from '../http/error-answers';
import { httpHandler, respond, type HtmlAnswer, type HttpResult } from '../http/handler';
import { FORM_TYPE, assertSameOrigin } from '../http/forms';
import { readBody, requireMediaType, type HttpRequest } from '../http/request';
import type { AppLogger } from '../logger';
import { PAGE_HEADERS, confirmationPage, errorPage, resultPage, type ConfirmView } from '../pages/review-page';
import { FormRefused, checkReviewLink, decideReview, viewReview, type ReviewPrompt } from '../services/review-decision';

/** What only a POST needs: KMS, Step Functions, and the mailer for "no action needed" notes. */
export interface Decider {
  cipher: TokenCipher;
  callback: TaskCallback;
  mailer?: Mailer;
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

/** Refusals that come before the form is known to be ours (its origin, link MAC and CSRF token). */
const UNVERIFIED = new Set<ErrorCode>(['LINK_MALFORMED', 'LINK_INVALID', 'CSRF_REJECTED', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE']);

/** The confirmation page's view of a prompt: times written for people, and why the form came back. */
export function confirmView(prompt: ReviewPrompt, now: Date, problem?: string): ConfirmView {
  const { request } = prompt;
  return {
    subject: request.subject,
    summary: request.summary,
    details: request.details,
    requestedBy: request.requestedBy,
    reviewer: prompt.reviewer,
    expiresAt: humanEpochTime(request.expiresAt, now),
    hidden: prompt.hidden,
    commentLimit: prompt.commentLimit,
    ...(prompt.progress ? { progress: prompt.progress } : {}),
    ...(prompt.comment !== undefined ? { comment: prompt.comment } : {}),
    ...(problem !== undefined ? { problem } : {}),
  };
}

/**
 * The comment a refused POST carried, shown back on the error page so it is not lost there: only
 * from a form whose link and CSRF token checked out, so a page from another site cannot put words
 * of its own on ours. Read leniently (it is only shown back, escaped).
 */
function typedComment(request: HttpRequest, code: ErrorCode): string | undefined {
  if (request.method !== 'POST' || UNVERIFIED.has(code)) return undefined;
  return new URLSearchParams(readBody(request, MAX_REVIEW_FORM_BYTES)).get('comment')?.trim() || undefined;
}

/**
 * The link handler behind `/review` (API Gateway HTTP API, payload 2.0). GET shows the
 * confirmation page, HEAD only checks the link, POST records the decision; nothing else is allowed.
 */
export function createReviewHandler(deps: ReviewHandlerDeps) {
  const now = deps.now ?? (() => new Date());
  const answer: HtmlAnswer = {
    type: 'html',
    headers: PAGE_HEADERS,
    errorPage: (error, request) => errorPage(error, { now: now(), typed: typedComment(request, error.code) }),
  };
  const page = (body: string): HttpResult => respond(answer, 200, body);

  async function handle(request: HttpRequest): Promise<HttpResult> {
    request.allow('GET', 'HEAD', 'POST');
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (request.query.length > MAX_QUERY_CHARS) throw new ApprovalError('LINK_MALFORMED');
      const keyring = await deps.keyring(linkKeyVersion(request.query));
      if (request.method === 'HEAD') {
        checkReviewLink(request.query, keyring, now());
        return page('');
      }
      return page(confirmationPage(confirmView(await viewReview(request.query, { store: deps.store, keyring }, now(), request.client), now())));
    }
    if (request.query !== '') throw new ApprovalError('LINK_MALFORMED');
    requireMediaType(request, FORM_TYPE, 'LINK_MALFORMED');
    const body = readBody(request, MAX_REVIEW_FORM_BYTES);
    assertSameOrigin(request);
    const keyring = await deps.keyring(linkKeyVersion(body));
    const decider = await deps.decider();
    const result = await decideReview(body, { store: deps.store, keyring, ...decider, leaseSeconds: deps.leaseSeconds }, now(), request.client);
    deps.logger.info(result.progress ? 'vote recorded' : 'decision delivered', { decision: result.decision });
    return page(resultPage(result, now()));
  }

  return httpHandler({
    logger: deps.logger,
    name: 'review',
    answer,
    handle,
    // No decision, or a comment refused: the form again, with what was typed and why.
    answerError: (error) =>
      error instanceof FormRefused ? respond(answer, statusOf(error), confirmationPage(confirmView(error.form, now(), error.details?.[0] ?? errorWords(error.code).message))) : undefined,
  });
}
