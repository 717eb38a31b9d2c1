import { keyVersionOfToken } from '../domain/admin-envelope';
import type { AdminSession, AdminSessions } from '../domain/admin-session';
import type { SignInLedger } from '../domain/admin-sign-in';
import { ApprovalError, toApprovalError } from '../domain/errors';
import { humanIsoTime } from '../domain/human-time';
import type { KeyringSource } from '../domain/mac-keyring';
import type { Mailer } from '../domain/ports';
import type { AdminStore } from '../domain/request-store';
import { MAX_ENCODED_COMMENT_CHARS } from '../domain/review-form';
import { SESSION_COOKIE, clearSessionCookie, sessionCookie } from '../http/cookies';
import { errorWords, statusOf } from '../http/error-answers';
import { errorResponse, httpHandler, respond, type HtmlAnswer, type HttpResult } from '../http/handler';
import { readForm, soleQueryParam } from '../http/forms';
import { decodePathSegment, type HttpRequest } from '../http/request';
import type { AppLogger } from '../logger';
import {
  ADMIN_PAGE_HEADERS,
  ADMIN_PATHS,
  adminErrorPage,
  dashboardPage,
  requestPage,
  signInConfirmPage,
  signInPage,
  signInSentPage,
} from '../pages/admin-page';
import { adminDecide, authenticate, checkSignInLink, completeSignIn, dashboard, requestDetail, requestSignIn, signOut, type SignInLimit } from '../services/admin';
import type { Decider } from './review-handler';

export interface AdminHandlerDeps {
  store: AdminStore;
  ledger: SignInLedger;
  /** Each admin's session generation: read on every dashboard request, moved on at sign-out. */
  sessions: AdminSessions;
  /** Sign-in links per address per 15 minutes; none when absent. */
  signInLimit?: SignInLimit;
  /** Asked for the version a token or cookie names, so a warm container finds a key added since it loaded. */
  keyring: KeyringSource;
  /** Sends sign-in links; resolved on the first sign-in request. */
  mailer: () => Promise<Mailer> | Mailer;
  /** KMS and Step Functions (and the "no action needed" mailer): resolved on the first decision. */
  decider: () => Promise<Decider> | Decider;
  /** Configured admin addresses. */
  admins: readonly string[];
  /** Public base URL of the API, no trailing slash: sign-in links start with it. */
  baseUrl: string;
  logger: AppLogger;
  now?: () => Date;
  leaseSeconds?: number;
  /**
   * Every sign-in request is answered no sooner than this, admin or not, so the time an SES send
   * takes does not tell an attacker which addresses are admins. 0 (tests) turns it off.
   */
  signInFloorMs?: number;
}

/** A decision form: request id, CSRF token, decision, and the longest comment. */
const MAX_FORM_BYTES = 1024 + MAX_ENCODED_COMMENT_CHARS;
const MAX_QUERY_CHARS = 1024;
const REQUEST_PATH = /^\/admin\/requests\/([^/]+)$/;

/** Refusals that end a session: the cookie that carried it is cleared, so the browser stops sending it. */
const SIGNED_OUT = new Set(['SESSION_REQUIRED', 'NOT_ADMIN']);

/** The error page: stable code, the dashboard's words, who decided when that is the news; never exception text. */
function adminError(error: ApprovalError, now: Date): string {
  const words = errorWords(error.code, 'dashboard');
  const decided = error.decided ? ` It was ${error.decided.decision} by ${error.decided.decidedBy} at ${humanIsoTime(error.decided.decidedAt, now)}.` : '';
  return adminErrorPage(error.code, `${words.message}${decided}`, words.title);
}

/** 303 See Other: after a POST, the browser GETs the page (a reload never posts twice). */
function seeOther(answer: HtmlAnswer, location: string, cookies?: string[]): HttpResult {
  return respond(answer, 303, '', { headers: { location }, cookies });
}

/**
 * The admin dashboard behind `/admin` and `/admin/*` (API Gateway HTTP API, payload 2.0):
 * sign-in by emailed link, the dashboard, one request, decisions and sign-out. GET and HEAD
 * change nothing; every POST is a same-origin form, and every dashboard route needs a session.
 */
export function createAdminHandler(deps: AdminHandlerDeps) {
  const now = deps.now ?? (() => new Date());
  const admins = deps.admins;
  const answer: HtmlAnswer = { type: 'html', headers: ADMIN_PAGE_HEADERS, errorPage: (error) => adminError(error, now()) };
  const page = (status: number, body: string, cookies?: string[]) => respond(answer, status, body, { cookies });
  const signInUrl = `${deps.baseUrl}${ADMIN_PATHS.session}`;

  async function session(request: HttpRequest): Promise<AdminSession> {
    const cookie = request.cookie(SESSION_COOKIE);
    return authenticate(cookie, { keyring: await deps.keyring(keyVersionOfToken(cookie)), admins, sessions: deps.sessions }, now());
  }

  async function handle(request: HttpRequest): Promise<HttpResult> {
    const { method } = request;
    // `/admin/` is `/admin`; no other trailing slash is accepted.
    const path = request.path === `${ADMIN_PATHS.dashboard}/` ? ADMIN_PATHS.dashboard : request.path;

    if (path === ADMIN_PATHS.dashboard) {
      request.allow('GET', 'HEAD');
      // No cookie: the sign-in page is this address's ordinary answer. A refused cookie: the same page, 401.
      if (!request.sentCookie(SESSION_COOKIE)) return page(200, signInPage());
      let signedIn: AdminSession;
      try {
        signedIn = await session(request);
      } catch (err) {
        const error = toApprovalError(err);
        if (!SIGNED_OUT.has(error.code)) throw error;
        deps.logger.warn('admin session refused', { code: error.code, ...(error.reason ? { reason: error.reason } : {}) });
        return page(statusOf(error), signInPage({ message: errorWords(error.code).message }), [clearSessionCookie()]);
      }
      return page(200, dashboardPage(await dashboard(signedIn, { store: deps.store, keyring: await deps.keyring(signedIn.keyVersion) }, now())));
    }

    if (path === ADMIN_PATHS.signIn) {
      request.allow('GET', 'HEAD', 'POST');
      if (method !== 'POST') return page(200, signInPage());
      const form = readForm(request, MAX_FORM_BYTES, { required: ['email'] });
      const floor = new Promise((resolve) => setTimeout(resolve, deps.signInFloorMs ?? 0));
      let outcome;
      try {
        outcome = await requestSignIn(form.email!, { keyring: await deps.keyring(), admins, mailer: await deps.mailer(), signInUrl, limit: deps.signInLimit }, now());
      } finally {
        // Refused (a limit reached) or not, every answer takes the same time.
        await floor;
      }
      if (outcome === 'send-failed') deps.logger.error('sign-in email not sent', { outcome });
      else deps.logger.info('sign-in requested', { outcome });
      return page(200, signInSentPage());
    }

    if (path === ADMIN_PATHS.session) {
      request.allow('GET', 'HEAD', 'POST');
      if (method !== 'POST') {
        const token = soleQueryParam(request, 'token', MAX_QUERY_CHARS);
        const checked = await checkSignInLink(token, { keyring: await deps.keyring(keyVersionOfToken(token)), admins, ledger: deps.ledger }, now());
        return page(200, signInConfirmPage({ token: checked }));
      }
      const form = readForm(request, MAX_FORM_BYTES, { optional: ['token', 'confirm'] });
      if (form.confirm !== 'sign-in') {
        // Sent without pressing the button (a scanner submitting the form): nothing is used up.
        const token = await checkSignInLink(form.token, { keyring: await deps.keyring(keyVersionOfToken(form.token)), admins, ledger: deps.ledger }, now());
        return page(400, signInConfirmPage({ token, message: 'Press Sign in to continue: nothing has happened yet.' }));
      }
      const signedIn = await completeSignIn(form.token, { keyring: await deps.keyring(keyVersionOfToken(form.token)), admins, ledger: deps.ledger, sessions: deps.sessions }, now());
      deps.logger.info('admin signed in');
      return seeOther(answer, ADMIN_PATHS.dashboard, [sessionCookie(signedIn.session, signedIn.maxAgeSeconds)]);
    }

    if (path === ADMIN_PATHS.decide) {
      request.allow('POST');
      // `decision` is the pressed button: absent when none was, which decides nothing.
      const form = readForm(request, MAX_FORM_BYTES, { required: ['requestId'], optional: ['csrf', 'comment', 'decision'] });
      const signedIn = await session(request);
      const keyring = await deps.keyring(signedIn.keyVersion);
      const decider = await deps.decider();
      let result;
      try {
        result = await adminDecide(
          signedIn,
          { requestId: form.requestId!, csrf: form.csrf, decision: form.decision ?? '', comment: form.comment },
          { store: deps.store, keyring, admins, ...decider, leaseSeconds: deps.leaseSeconds },
          now(),
          request.client,
        );
      } catch (err) {
        // No decision chosen, or a comment refused (checked after the CSRF token): the request's
        // page again, with the comment as typed and why, rather than an error page that loses it.
        if (!(err instanceof ApprovalError) || (err.code !== 'INVALID_DECISION' && err.code !== 'INVALID_COMMENT')) throw err;
        deps.logger.warn('admin decision refused', { code: err.code });
        const detail = await requestDetail(form.requestId!, signedIn, { store: deps.store, keyring }, now());
        return page(400, requestPage({ ...detail, comment: form.comment ?? '', problem: err.details?.[0] ?? errorWords(err.code).message }));
      }
      deps.logger.info('admin decision delivered', { decision: result.decision });
      return seeOther(answer, ADMIN_PATHS.dashboard);
    }

    if (path === ADMIN_PATHS.signOut) {
      request.allow('POST');
      const form = readForm(request, MAX_FORM_BYTES, { optional: ['csrf'] });
      const signedIn = await session(request);
      await signOut(signedIn, form.csrf, { keyring: await deps.keyring(signedIn.keyVersion), admins, sessions: deps.sessions });
      deps.logger.info('admin signed out: every session of this admin ended');
      return seeOther(answer, ADMIN_PATHS.dashboard, [clearSessionCookie()]);
    }

    const requestPath = REQUEST_PATH.exec(path);
    if (requestPath) {
      request.allow('GET', 'HEAD');
      const signedIn = await session(request);
      const requestId = decodePathSegment(requestPath[1]!, 'LINK_MALFORMED');
      return page(200, requestPage(await requestDetail(requestId, signedIn, { store: deps.store, keyring: await deps.keyring(signedIn.keyVersion) }, now())));
    }

    throw new ApprovalError('NOT_FOUND');
  }

  return httpHandler({
    logger: deps.logger,
    name: 'admin request',
    answer,
    handle,
    // A cookie that no longer opens a session is removed, so the browser stops sending it.
    answerError: (error, request) =>
      SIGNED_OUT.has(error.code) && request.sentCookie(SESSION_COOKIE) ? { ...errorResponse(error, answer, request), cookies: [clearSessionCookie()] } : undefined,
  });
}
