/**
 * The admin dashboard's use cases: sign-in by emailed link, the lists of pending and decided
 * requests, one request with its audit trail, and an admin's decision through the same
 * exactly-once path as the email links. Every failure is an ApprovalError with a stable code.
 */
import { adminAddress, requireAdmin } from '../domain/admin-auth';
import { adminCsrfToken, issueSession, requireCurrentGeneration, verifyAdminCsrf, verifySession, type AdminSession, type AdminSessions } from '../domain/admin-session';
import { issueSignInToken, verifySignInToken, type SignInLedger } from '../domain/admin-sign-in';
import type { ClientInfo } from '../domain/audit';
import { ApprovalError } from '../domain/errors';
import type { MacKeyring } from '../domain/mac-keyring';
import { QUARTER_HOUR_SECONDS, enforceRateLimit, rateSubject, type RateCounter } from '../domain/rate-limit';
import { reviewerIndexOf } from '../domain/lifecycle';
import { decisionFromAction, votesOf, type ApprovalRecord, type Mailer } from '../domain/ports';
import type { AdminStore } from '../domain/request-store';
import { checkComment, checkDecision } from '../domain/review-form';
import { renderAdminSignInEmail } from '../email/admin-email';
import type { AuditEntry, Overview, RequestDetail, RequestSummary } from './admin-results';
import { decide, type ReviewDeps, type VoteOutcome } from './review-decision';

export type { AuditEntry, Overview, RequestDetail, RequestSummary, SignedIn } from './admin-results';

/** What every admin use case needs: who is an admin, and the keys that sign links, sessions and forms. */
export interface AdminAuthDeps {
  keyring: MacKeyring;
  admins: readonly string[];
}

export interface SignInRequestDeps extends AdminAuthDeps {
  mailer: Mailer;
  /** The absolute address of the page the emailed link opens; the token goes in its query. */
  signInUrl: string;
  /** How many sign-in links one address may be sent per 15 minutes (0: no limit); none when absent. */
  limit?: SignInLimit;
}

export interface SignInLimit {
  counter: RateCounter;
  perAddressPer15Minutes: number;
}

export interface SignInLinkDeps extends AdminAuthDeps {
  ledger: Pick<SignInLedger, 'isUsed'>;
}

export interface SignInDeps extends AdminAuthDeps {
  ledger: SignInLedger;
  sessions: Pick<AdminSessions, 'generation'>;
}

/** Who is an admin and each admin's current session generation: what every dashboard request checks. */
export interface SessionDeps extends AdminAuthDeps {
  sessions: Pick<AdminSessions, 'generation'>;
}

export interface DashboardDeps {
  store: AdminStore;
  keyring: MacKeyring;
}

export type AdminDecideDeps = ReviewDeps & AdminAuthDeps;

/** What happened to a sign-in request. For the log only: the person always sees the same page. */
export type SignInOutcome = 'sent' | 'not-admin' | 'send-failed';

/** The form an admin posts to decide: raw text, checked here. */
export interface AdminDecisionForm {
  requestId: string;
  csrf?: string;
  decision: string;
  comment?: string;
}

export const PENDING_LIMIT = 100;
export const DECIDED_LIMIT = 50;

const REQUEST_ID = /^[A-Za-z0-9_-]{22}$/;
/**
 * Signs the token nobody receives when the address is not an admin's: the same work is done
 * either way (token, link, email rendered), so the answer's timing says little about the address.
 */
const DECOY_ADDRESS = 'nobody@admin.invalid';

const seconds = (now: Date) => Math.floor(now.getTime() / 1000);

// ---- Sign-in ---------------------------------------------------------------------------------

/**
 * Emails a single-use sign-in link when `email` names a configured admin (to the configured
 * address, never to the text typed). Anyone else gets the same outcome on the page: this never
 * throws for an unknown address, and a failed send is reported to the log, not to the person.
 * Every address typed is counted alike, admin or not (RATE_LIMITED past the limit), so a 429
 * says nothing about who is an admin.
 */
export async function requestSignIn(email: string, deps: SignInRequestDeps, now: Date): Promise<SignInOutcome> {
  if (deps.limit) {
    const limit = { kind: 'sign-in', max: deps.limit.perAddressPer15Minutes, windowSeconds: QUARTER_HOUR_SECONDS } as const;
    // Trimmed and lower-cased as adminAddress compares, so no spelling of an admin's address escapes the count.
    await enforceRateLimit(deps.limit.counter, limit, rateSubject(deps.keyring, limit.kind, email.trim().toLowerCase()), seconds(now));
  }
  const address = adminAddress(email, deps.admins);
  const issued = issueSignInToken(address ?? DECOY_ADDRESS, deps.keyring, seconds(now));
  const message = renderAdminSignInEmail({
    admin: issued.email,
    signInUrl: `${deps.signInUrl}?token=${issued.token}`,
    expiresAt: issued.expiresAt,
  }, now);
  if (!address) return 'not-admin';
  try {
    await deps.mailer.send({ to: address, ...message });
    return 'sent';
  } catch {
    return 'send-failed';
  }
}

/**
 * What opening the emailed link does: checks the token (MAC, then expiry), then whether it was
 * used already (SIGN_IN_USED: a read, after the MAC), and changes nothing, so a mail scanner
 * fetching the link does not use it up. Returns the token for the confirm form. If the ledger
 * cannot be read, the form is shown all the same: the confirmation's conditional write still
 * refuses a used token, so the read only spares a person a form that cannot work.
 */
export async function checkSignInLink(token: string | undefined, deps: SignInLinkDeps, now: Date): Promise<string> {
  const signIn = verifySignInToken(token, deps.keyring, seconds(now));
  const used = await deps.ledger.isUsed(signIn.id).catch(() => false);
  if (used) throw new ApprovalError('SIGN_IN_USED');
  return token!;
}

/**
 * The confirmation POST: verifies the token, checks the address is still an admin, reads the
 * admin's session generation, uses the token up (first use only, decided by the ledger's
 * conditional write) and opens a session of that generation. The session names the address the
 * token was issued to, whoever posts it. The generation is read before the token is used up, so
 * a failed read leaves the link usable. Returns the session value and how long it lasts.
 */
export async function completeSignIn(token: string | undefined, deps: SignInDeps, now: Date): Promise<{ email: string; session: string; maxAgeSeconds: number }> {
  const nowSeconds = seconds(now);
  const signIn = verifySignInToken(token, deps.keyring, nowSeconds);
  if (!adminAddress(signIn.email, deps.admins)) throw new ApprovalError('NOT_ADMIN');
  const generation = await deps.sessions.generation(signIn.email);
  if (!(await deps.ledger.consume(signIn.id, signIn.expiresAt))) throw new ApprovalError('SIGN_IN_USED');
  const session = issueSession(signIn.email, deps.keyring, nowSeconds, undefined, generation);
  return { email: signIn.email, session: session.value, maxAgeSeconds: session.expiresAt - nowSeconds };
}

/**
 * The session a request's cookie proves, refused when missing, forged, expired, no longer an
 * admin's, or ended by a sign-out (its generation is not the admin's current one: one read,
 * after the MAC and the admins list). A read that fails is THROTTLED / UNAVAILABLE (503), never
 * a session let through.
 */
export async function authenticate(cookieValue: string | undefined, deps: SessionDeps, now: Date): Promise<AdminSession> {
  const session = verifySession(cookieValue, deps.keyring, seconds(now));
  requireAdmin(session, deps.admins);
  requireCurrentGeneration(session, await deps.sessions.generation(session.email));
  return session;
}

/**
 * Sign-out: the form must carry this session's CSRF token. Ends every session of the admin
 * (this browser's, and any copy of any cookie they were given): the caller then clears this
 * browser's cookie. If the generation cannot be moved on, nothing is cleared and the
 * error (503) says to try again: the admin is never told they are out while a copy still works.
 */
export async function signOut(session: AdminSession, csrf: string | undefined, deps: AdminAuthDeps & { sessions: Pick<AdminSessions, 'endAll'> }): Promise<void> {
  verifyAdminCsrf(session, deps.keyring, csrf);
  await deps.sessions.endAll(session.email);
}

// ---- Dashboard -------------------------------------------------------------------------------

/** What the dashboard shows of a record: reviewers and votes by address, never by index. */
export function summaryOf(record: ApprovalRecord): RequestSummary {
  return {
    requestId: record.requestId,
    subject: record.subject,
    ...(record.requestedBy ? { requestedBy: record.requestedBy } : {}),
    reviewers: record.reviewers,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    status: record.status,
    requiredApprovals: record.requiredApprovals,
    votes: votesOf(record),
    ...(record.decision ? { decision: record.decision } : {}),
    ...(record.decidedBy ? { decidedBy: record.decidedBy } : {}),
    ...(record.decidedAt ? { decidedAt: record.decidedAt } : {}),
  };
}

/** An audit actor as a person reads it: `r<index>` becomes the reviewer's address. */
function actorName(actor: string, record: ApprovalRecord): string {
  const reviewer = reviewerIndexOf(actor);
  return reviewer !== undefined ? (record.reviewers[reviewer] ?? actor) : actor;
}

/** Requests awaiting a decision (oldest first) and the most recently decided ones. */
export async function dashboard(session: AdminSession, deps: DashboardDeps, now: Date): Promise<Overview> {
  const [pending, decided] = await Promise.all([deps.store.listPending(PENDING_LIMIT), deps.store.listRecent(DECIDED_LIMIT)]);
  return {
    admin: session.email,
    csrf: adminCsrfToken(session, deps.keyring),
    now: seconds(now),
    pending: pending.map(summaryOf),
    decided: decided.map(summaryOf),
  };
}

/** One request with its votes and audit trail. An id that cannot exist is refused before any read. */
export async function requestDetail(requestId: string, session: AdminSession, deps: DashboardDeps, now: Date): Promise<RequestDetail> {
  if (!REQUEST_ID.test(requestId)) throw new ApprovalError('REQUEST_NOT_FOUND');
  const record = await deps.store.get(requestId);
  if (!record) throw new ApprovalError('REQUEST_NOT_FOUND');
  const audit: AuditEntry[] = record.audit.map((e) => ({ type: e.type, at: e.at, actor: actorName(e.actor, record), ...(e.detail ? { detail: e.detail } : {}) }));
  return { admin: session.email, csrf: adminCsrfToken(session, deps.keyring), now: seconds(now), request: summaryOf(record), audit };
}

/**
 * An admin's decision from the dashboard: CSRF token of this session, still an admin, valid
 * input, then `decide` with the admin as voter. An admin's decision is final (it claims the
 * request whatever the quorum), and goes through the same conditional write, decryption and
 * single SendTaskSuccess as a reviewer's click.
 */
export async function adminDecide(session: AdminSession, form: AdminDecisionForm, deps: AdminDecideDeps, now: Date, client: ClientInfo = {}): Promise<VoteOutcome> {
  verifyAdminCsrf(session, deps.keyring, form.csrf);
  requireAdmin(session, deps.admins);
  if (!REQUEST_ID.test(form.requestId)) throw new ApprovalError('INVALID_INPUT');
  const decision = decisionFromAction(checkDecision(form.decision));
  const comment = checkComment(form.comment);
  return decide({ requestId: form.requestId, voter: { kind: 'admin', email: session.email }, decision, comment }, deps, now, client);
}
