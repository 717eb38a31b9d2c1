import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { SESSION_COOKIE, clearSessionCookie, keyVersionOfToken, readCookie, type AdminSession, type AdminSessions, type SignInLedger } from '../domain/admin-auth';
import { ApprovalError, ERROR_TABLE, retryAfter, toApprovalError, type ErrorCode } from '../domain/errors';
import { humanIsoTime } from '../domain/human-time';
import type { KeyringSource } from '../domain/mac-keyring';
import type { Mailer } from '../domain/ports';
import type { AdminStore } from '../domain/request-store';
import { MAX_ENCODED_COMMENT_CHARS } from '../domain/review-form';
import { parseStrictParams } from '../domain/strict-params';
import { logFailure, type AppLogger } from '../logger';
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
import { assertSameOrigin, decodePathSegment, header, readBody, type HttpResult } from './http';
import { clientOf, type Decider } from './review-handler';

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
const FORM_TYPE = 'application/x-www-form-urlencoded';
const READ = 'GET, HEAD';
const REQUEST_PATH = /^\/admin\/requests\/([^/]+)$/;

/**
 * Where the shared table's words speak of review links, the dashboard says what applies to it.
 * Codes and statuses stay those of the table.
 */
const ADMIN_WORDS: Partial<Record<ErrorCode, { title: string; message: string }>> = {
  CSRF_REJECTED: { title: 'Please use the dashboard', message: 'The form was not sent from this dashboard. Open the dashboard and try again.' },
  METHOD_NOT_ALLOWED: { title: 'Not allowed', message: 'This page does not take that kind of request.' },
  UNSUPPORTED_MEDIA_TYPE: { title: 'Unsupported media type', message: 'Send the form as the dashboard does (application/x-www-form-urlencoded).' },
  INVALID_INPUT: { title: 'Invalid form', message: 'The form is damaged or incomplete. Open the dashboard and try again.' },
  LINK_MALFORMED: { title: 'This address is damaged', message: 'The address of this page is damaged. Open the dashboard and follow the link from there.' },
  // The same words whether the address is an admin's or not: a limit tells nobody who is an admin.
  RATE_LIMITED: {
    title: 'Too many sign-in requests',
    message: 'Sign-in links for this address were asked for too often. Nothing more was sent: use a link already received, or try again later.',
  },
};

class MethodNotAllowed extends ApprovalError {
  constructor(readonly allow: string) {
    super('METHOD_NOT_ALLOWED');
  }
}

function respond(statusCode: number, body: string, extra: { headers?: Record<string, string>; cookies?: string[] } = {}): HttpResult {
  return { statusCode, headers: { ...ADMIN_PAGE_HEADERS, ...extra.headers }, body, ...(extra.cookies ? { cookies: extra.cookies } : {}) };
}

/** 303 See Other: after a POST, the browser GETs the page (a reload never posts twice). */
function seeOther(location: string, cookies?: string[]): HttpResult {
  return respond(303, '', { headers: { location }, cookies });
}

/** The Cookie header as API Gateway v2 hands it over (`cookies`), or as a plain header (local mode, tests). */
function cookieHeader(event: APIGatewayProxyEventV2): string | undefined {
  return event.cookies && event.cookies.length > 0 ? event.cookies.join('; ') : header(event, 'cookie');
}

/** Whether the request carries our cookie at all (well-formed or not): then a refusal also clears it. */
function sentSessionCookie(event: APIGatewayProxyEventV2): boolean {
  return (cookieHeader(event) ?? '').split(';').some((pair) => pair.trim().startsWith(`${SESSION_COOKIE}=`));
}

/** A form body: form content type, bounded size, same origin, then strictly known fields. */
function readForm(event: APIGatewayProxyEventV2, spec: { required?: string[]; optional?: string[] }): Record<string, string> {
  const contentType = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (contentType !== FORM_TYPE) throw new ApprovalError('UNSUPPORTED_MEDIA_TYPE');
  const body = readBody(event, MAX_FORM_BYTES);
  assertSameOrigin(event);
  try {
    return parseStrictParams(body, { required: spec.required ?? [], optional: spec.optional });
  } catch {
    throw new ApprovalError('INVALID_INPUT');
  }
}

/**
 * The admin dashboard behind `/admin` and `/admin/*` (API Gateway HTTP API, payload 2.0):
 * sign-in by emailed link, the dashboard, one request, decisions and sign-out. GET and HEAD
 * change nothing; every POST is a same-origin form, and every dashboard route needs a session.
 */
export function createAdminHandler(deps: AdminHandlerDeps) {
  const now = deps.now ?? (() => new Date());
  const admins = deps.admins;

  async function session(event: APIGatewayProxyEventV2): Promise<AdminSession> {
    const cookie = readCookie(cookieHeader(event), SESSION_COOKIE);
    return authenticate(cookie, { keyring: await deps.keyring(keyVersionOfToken(cookie)), admins, sessions: deps.sessions }, now());
  }

  async function route(event: APIGatewayProxyEventV2, method: string, path: string): Promise<HttpResult> {
    const read = method === 'GET' || method === 'HEAD';

    if (path === ADMIN_PATHS.dashboard) {
      if (!read) throw new MethodNotAllowed(READ);
      // No cookie: the sign-in page is this address's ordinary answer. A refused cookie: the same page, 401.
      if (!sentSessionCookie(event)) return respond(200, signInPage());
      let signedIn: AdminSession;
      try {
        signedIn = await session(event);
      } catch (err) {
        const error = toApprovalError(err);
        if (error.code !== 'SESSION_REQUIRED' && error.code !== 'NOT_ADMIN') throw error;
        deps.logger.warn('admin session refused', { code: error.code });
        return respond(ERROR_TABLE[error.code].status, signInPage({ message: ERROR_TABLE[error.code].message }), { cookies: [clearSessionCookie()] });
      }
      return respond(200, dashboardPage(await dashboard(signedIn, { store: deps.store, keyring: await deps.keyring(signedIn.keyVersion) }, now())));
    }

    if (path === ADMIN_PATHS.signIn) {
      if (read) return respond(200, signInPage());
      if (method !== 'POST') throw new MethodNotAllowed('GET, HEAD, POST');
      const form = readForm(event, { required: ['email'] });
      const floor = new Promise((resolve) => setTimeout(resolve, deps.signInFloorMs ?? 0));
      let outcome;
      try {
        outcome = await requestSignIn(form.email!, { keyring: await deps.keyring(), admins, mailer: await deps.mailer(), baseUrl: deps.baseUrl, limit: deps.signInLimit }, now());
      } finally {
        // Refused (a limit reached) or not, every answer takes the same time.
        await floor;
      }
      if (outcome === 'send-failed') deps.logger.error('sign-in email not sent', { outcome });
      else deps.logger.info('sign-in requested', { outcome });
      return respond(200, signInSentPage());
    }

    if (path === ADMIN_PATHS.session) {
      if (read) {
        const raw = event.rawQueryString ?? '';
        let token: string | undefined;
        try {
          if (raw.length <= MAX_QUERY_CHARS) token = parseStrictParams(raw, { required: ['token'] }).token;
        } catch {
          token = undefined;
        }
        const checked = await checkSignInLink(token, { keyring: await deps.keyring(keyVersionOfToken(token)), admins, ledger: deps.ledger }, now());
        return respond(200, signInConfirmPage({ token: checked }));
      }
      if (method !== 'POST') throw new MethodNotAllowed('GET, HEAD, POST');
      const form = readForm(event, { optional: ['token', 'confirm'] });
      if (form.confirm !== 'sign-in') {
        // Sent without pressing the button (a scanner submitting the form): nothing is used up.
        const token = await checkSignInLink(form.token, { keyring: await deps.keyring(keyVersionOfToken(form.token)), admins, ledger: deps.ledger }, now());
        return respond(400, signInConfirmPage({ token, message: 'Press Sign in to continue: nothing has happened yet.' }));
      }
      const signedIn = await completeSignIn(form.token, { keyring: await deps.keyring(keyVersionOfToken(form.token)), admins, ledger: deps.ledger, sessions: deps.sessions }, now());
      deps.logger.info('admin signed in');
      return seeOther(ADMIN_PATHS.dashboard, [signedIn.setCookie]);
    }

    if (path === ADMIN_PATHS.decide) {
      if (method !== 'POST') throw new MethodNotAllowed('POST');
      // `decision` is the pressed button: absent when none was, which decides nothing.
      const form = readForm(event, { required: ['requestId'], optional: ['csrf', 'comment', 'decision'] });
      const signedIn = await session(event);
      const keyring = await deps.keyring(signedIn.keyVersion);
      const decider = await deps.decider();
      let result;
      try {
        result = await adminDecide(
          signedIn,
          { requestId: form.requestId!, csrf: form.csrf, decision: form.decision ?? '', comment: form.comment },
          { store: deps.store, keyring, admins, ...decider, leaseSeconds: deps.leaseSeconds },
          now(),
          clientOf(event),
        );
      } catch (err) {
        // No decision chosen, or a comment refused (checked after the CSRF token): the request's
        // page again, with the comment as typed and why, rather than an error page that loses it.
        if (!(err instanceof ApprovalError) || (err.code !== 'INVALID_DECISION' && err.code !== 'INVALID_COMMENT')) throw err;
        deps.logger.warn('admin decision refused', { code: err.code });
        const detail = await requestDetail(form.requestId!, signedIn, { store: deps.store, keyring }, now());
        return respond(400, requestPage({ ...detail, comment: form.comment ?? '', problem: err.details?.[0] ?? ERROR_TABLE[err.code].message }));
      }
      deps.logger.info('admin decision delivered', { decision: result.decision });
      return seeOther(ADMIN_PATHS.dashboard);
    }

    if (path === ADMIN_PATHS.signOut) {
      if (method !== 'POST') throw new MethodNotAllowed('POST');
      const form = readForm(event, { optional: ['csrf'] });
      const signedIn = await session(event);
      const cleared = await signOut(signedIn, form.csrf, { keyring: await deps.keyring(signedIn.keyVersion), admins, sessions: deps.sessions });
      deps.logger.info('admin signed out: every session of this admin ended');
      return seeOther(ADMIN_PATHS.dashboard, [cleared]);
    }

    const requestPath = REQUEST_PATH.exec(path);
    if (requestPath) {
      if (!read) throw new MethodNotAllowed(READ);
      const signedIn = await session(event);
      const requestId = decodePathSegment(requestPath[1]!, 'LINK_MALFORMED');
      return respond(200, requestPage(await requestDetail(requestId, signedIn, { store: deps.store, keyring: await deps.keyring(signedIn.keyVersion) }, now())));
    }

    throw new ApprovalError('NOT_FOUND');
  }

  return async (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResult> => {
    if (context) deps.logger.addContext(context);
    const method = event.requestContext.http.method.toUpperCase();
    const rawPath = event.rawPath ?? event.requestContext.http.path;
    // `/admin/` is `/admin`; no other trailing slash is accepted.
    const path = rawPath === `${ADMIN_PATHS.dashboard}/` ? ADMIN_PATHS.dashboard : rawPath;
    let response: HttpResult;
    try {
      response = await route(event, method, path);
    } catch (err) {
      const error = toApprovalError(err);
      logFailure(deps.logger, 'admin request', error, { method });
      response = errorResponse(error, sentSessionCookie(event), now());
    }
    return method === 'HEAD' ? { ...response, body: '' } : response;
  };
}

/** The error page: stable code, plain words, who decided when that is the news; never exception text. */
function errorResponse(error: ApprovalError, cookieSent: boolean, now: Date): HttpResult {
  const entry = ERROR_TABLE[error.code];
  const words = ADMIN_WORDS[error.code] ?? entry;
  const decided = error.decided ? ` It was ${error.decided.decision} by ${error.decided.decidedBy} at ${humanIsoTime(error.decided.decidedAt, now)}.` : '';
  const headers: Record<string, string> = {};
  const wait = retryAfter(error);
  if (wait) headers['retry-after'] = wait;
  if (error instanceof MethodNotAllowed) headers.allow = error.allow;
  // A cookie that no longer opens a session is removed, so the browser stops sending it.
  const signedOut = cookieSent && (error.code === 'SESSION_REQUIRED' || error.code === 'NOT_ADMIN');
  return respond(entry.status, adminErrorPage(error.code, `${words.message}${decided}`, words.title), { headers, cookies: signedOut ? [clearSessionCookie()] : undefined });
}
