/**
 * The admin dashboard's pages: sign-in, the list of pending and decided requests, one request with
 * its audit trail, and errors. Server-rendered, no scripts, the review pages' look and headers.
 * Every inserted value goes through mustache's `{{…}}` escaping; only the style is inserted raw.
 */
import Mustache from 'mustache';
import { humanIsoTime, humanTime, utcDateTime } from '../domain/human-time';
import { MAX_COMMENT_FIELD_UNITS } from '../domain/review-form';
import type { Overview, RequestDetail, RequestSummary } from '../services/admin-results';

export type { AuditEntry, RequestSummary } from '../services/admin-results';
import { pageHeaders } from './page-headers';
import { STYLE as BASE_STYLE } from './review-page';

export const ADMIN_STYLE = `${BASE_STYLE}
main.wide{max-width:72rem}table{border-collapse:collapse;width:100%;margin:1rem 0}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e4e7eb;vertical-align:top}
input[type=email]{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}
nav{display:flex;gap:1rem;align-items:center;margin-bottom:1rem}nav form{margin-left:auto}
form.decide{margin:0 0 .3rem}form.decide textarea{padding:.3rem;min-width:12rem}form.decide p{display:flex;gap:.4rem;margin:.3rem 0 0}
form.decide button,nav button{padding:.3rem .8rem;font-size:.9rem}form.decide button{min-width:5.5rem}
.notice{background:#fef3c7;padding:.6rem;border-radius:4px}.nowrap{white-space:nowrap}`;

/** Headers for every admin page: the CSP allows exactly ADMIN_STYLE, no scripts, forms to this origin. */
export const ADMIN_PAGE_HEADERS = pageHeaders(ADMIN_STYLE);

/** Where the pages' forms and links point: the handler's routes. */
export const ADMIN_PATHS = {
  dashboard: '/admin',
  signIn: '/admin/sign-in',
  session: '/admin/session',
  signOut: '/admin/sign-out',
  decide: '/admin/decide',
  request: (requestId: string) => `/admin/requests/${encodeURIComponent(requestId)}`,
} as const;

/** The dashboard: what the service's overview holds. */
export type DashboardView = Overview;

export interface RequestView extends Omit<RequestDetail, 'now'> {
  /** Seconds since the epoch: when given, a pending request shows its time left. */
  now?: number;
  /** When a decision was refused: the comment as typed, shown again in the form. */
  comment?: string;
  /** When a decision was refused: why nothing was decided, in plain words. */
  problem?: string;
}

const LAYOUT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><title>{{title}}</title><style>{{{style}}}</style></head>
<body><main{{#signedIn}} class="wide"{{/signedIn}}>{{#signedIn}}<nav><a href="${ADMIN_PATHS.dashboard}">Dashboard</a><span class="muted">Signed in as {{admin}}</span>
<form method="post" action="${ADMIN_PATHS.signOut}"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Sign out</button></form></nav>{{/signedIn}}
{{> content}}</main></body></html>`;

// No CSRF field: signing in needs no session, and the answer is the same whoever posts it.
const SIGN_IN = `<h1>Admin sign-in</h1>
{{#message}}<p class="notice">{{message}}</p>{{/message}}
<form method="post" action="${ADMIN_PATHS.signIn}">
<label for="email">Your admin email address</label>
<input type="email" id="email" name="email" maxlength="254" required autocomplete="email">
<p><button type="submit">Email me a sign-in link</button></p>
</form>
<p class="muted">The link works once, for 15 minutes.</p>`;

/** Same words whatever address was entered, so the page never tells who is an admin. */
export const SIGN_IN_SENT_TEXT = 'If that address belongs to an admin, a sign-in link is on its way. It works once, for 15 minutes.';

const SIGN_IN_SENT = `<h1>Check your email</h1>
<p>{{text}}</p>
<p class="muted">You can close this page.</p>`;

// Only the pressed button sends `confirm`: a scanner that submits the form as it stands signs nobody in.
const SIGN_IN_CONFIRM = `<h1>Admin sign-in</h1>
{{#message}}<p class="notice" role="alert">{{message}}</p>{{/message}}
<form method="post" action="${ADMIN_PATHS.session}">
<input type="hidden" name="token" value="{{token}}">
<p><button type="submit" name="confirm" value="sign-in">Sign in</button></p>
</form>
<p class="muted">The link works once: continue here, not from another copy of it.</p>`;

// One form, two buttons: the pressed one sends the decision, and the comment goes with either.
const DECIDE = `<form method="post" action="${ADMIN_PATHS.decide}" class="decide">
<input type="hidden" name="requestId" value="{{requestId}}"><input type="hidden" name="csrf" value="{{csrf}}">
{{#problem}}<p class="problem" id="problem-{{requestId}}" role="alert"><strong>Nothing was decided yet.</strong> {{problem}}</p>{{/problem}}
<textarea name="comment" rows="2" maxlength="${MAX_COMMENT_FIELD_UNITS}" autocomplete="off" placeholder="Comment (optional)" aria-label="Comment on {{subject}} (optional)">{{comment}}</textarea>
<p><button type="submit" name="decision" value="approve" class="approve">Approve</button><button type="submit" name="decision" value="reject" class="reject">Reject</button></p></form>`;

const DASHBOARD = `<h1>Approval requests</h1>
<h2>Pending</h2>
{{#pending.length}}<table><thead><tr><th>Request</th><th>Author</th><th>Reviewers</th><th>Age</th><th>Time left</th><th>Approvals</th><th>Decide</th></tr></thead><tbody>
{{#pending}}<tr><td><a href="{{href}}">{{subject}}</a></td><td>{{requestedBy}}</td><td>{{reviewers}}</td>
<td class="nowrap">{{age}}</td><td class="nowrap">{{timeLeft}}</td><td class="nowrap">{{approvals}}</td>
<td>{{#open}}{{> decide}}{{/open}}{{^open}}{{status}}{{/open}}</td></tr>
{{/pending}}</tbody></table>{{/pending.length}}
{{^pending}}<p class="muted">Nothing is waiting for a decision.</p>{{/pending}}
<h2>Decided</h2>
{{#decided.length}}<table><thead><tr><th>Request</th><th>Outcome</th><th>By</th><th>When</th></tr></thead><tbody>
{{#decided}}<tr><td><a href="{{href}}">{{subject}}</a></td><td>{{outcome}}</td><td>{{decidedBy}}</td><td>{{decidedAt}}</td></tr>
{{/decided}}</tbody></table>{{/decided.length}}
{{^decided}}<p class="muted">No decided requests.</p>{{/decided}}`;

const REQUEST = `<p class="muted">Request {{requestId}}{{#requestedBy}} · by {{requestedBy}}{{/requestedBy}}</p>
<h1>{{subject}}</h1>
<table><tbody>
<tr><th>Status</th><td>{{status}}</td></tr>
<tr><th>Reviewers</th><td>{{reviewers}}</td></tr>
<tr><th>Created</th><td>{{createdAt}}</td></tr>
<tr><th>Expires</th><td>{{expiresAt}}</td></tr>
<tr><th>Approvals</th><td>{{approvals}}</td></tr>
{{#outcome}}<tr><th>Outcome</th><td>{{outcome}}{{#decidedBy}} by {{decidedBy}}{{/decidedBy}}{{#decidedAt}} at {{decidedAt}}{{/decidedAt}}</td></tr>{{/outcome}}
</tbody></table>
{{#open}}<h2>Decide</h2>{{> decide}}{{/open}}
<h2>Votes</h2>
{{#votes.length}}<table><thead><tr><th>Reviewer</th><th>Vote</th><th>When</th><th>Comment</th></tr></thead><tbody>
{{#votes}}<tr><td>{{reviewer}}</td><td>{{decision}}</td><td>{{at}}</td><td class="details">{{comment}}</td></tr>
{{/votes}}</tbody></table>{{/votes.length}}
{{^votes}}<p class="muted">No votes yet.</p>{{/votes}}
<h2>Audit trail</h2>
{{#audit.length}}<table><thead><tr><th>When</th><th>Event</th><th>Actor</th><th>Detail</th></tr></thead><tbody>
{{#audit}}<tr><td>{{at}}</td><td>{{type}}</td><td>{{actor}}</td><td>{{detail}}</td></tr>
{{/audit}}</tbody></table>{{/audit.length}}
{{^audit}}<p class="muted">No events recorded.</p>{{/audit}}`;

const ERROR = `<h1>{{title}}</h1>
<p>{{message}}</p>
<p><a href="${ADMIN_PATHS.signIn}">Sign in again</a> · <a href="${ADMIN_PATHS.dashboard}">Dashboard</a></p>
<p class="code">Code: {{code}}</p>`;

for (const t of [LAYOUT, SIGN_IN, SIGN_IN_SENT, SIGN_IN_CONFIRM, DECIDE, DASHBOARD, REQUEST, ERROR]) Mustache.parse(t);

function page(title: string, content: string, view: object): string {
  return Mustache.render(LAYOUT, { ...view, title, style: ADMIN_STYLE }, { content, decide: DECIDE });
}

/** Signed-in pages show the navigation bar with the sign-out form. */
function signedInPage<V extends { admin: string; csrf: string }>(title: string, content: string, view: V): string {
  return page(title, content, { ...view, signedIn: true });
}

// ---- Formatting ------------------------------------------------------------------------------

/** A duration the way a person says it: "< 1 min", "45 min", "3 h", "2 d". Rounds down. */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return '< 1 min';
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/**
 * A time as people read it, "Fri 1 May 2026, 10:00 UTC (3 days ago)": the same for every reader,
 * whatever their zone, and how far it is from `now` (seconds since the epoch) when that is known.
 * Text that is not a time is shown as it is (escaped).
 */
function when(iso: string | undefined, now: number | undefined): string {
  if (!iso) return '';
  if (now !== undefined) return humanIsoTime(iso, new Date(now * 1000));
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : utcDateTime(new Date(ms));
}

/** Seconds since the epoch, as `when` writes it. */
function whenEpoch(epochSeconds: number, now: number | undefined): string {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return String(epochSeconds);
  return now === undefined ? utcDateTime(date) : humanTime(date, new Date(now * 1000));
}

function timeLeft(expiresAt: number, now: number): string {
  return expiresAt > now ? humanDuration(expiresAt - now) : 'expired';
}

function approvals(r: RequestSummary): string {
  const approved = r.votes.filter((v) => v.decision === 'approved').length;
  return `${approved} of ${r.requiredApprovals}`;
}

function outcome(r: RequestSummary): string {
  if (r.decision === 'approved') return 'Approved';
  if (r.decision === 'rejected') return 'Rejected';
  if (r.status === 'CLOSED') return 'Closed: the workflow ended without a decision';
  return r.status === 'PENDING' ? '' : r.status;
}

/**
 * The fields a template reads for one request. Every key is set (to '' when absent) so mustache
 * never falls back to a same-named value from the page around it.
 */
function requestRow(r: RequestSummary, now: number | undefined) {
  const created = Date.parse(r.createdAt);
  return {
    requestId: r.requestId,
    href: ADMIN_PATHS.request(r.requestId),
    subject: r.subject,
    requestedBy: r.requestedBy ?? '',
    reviewers: r.reviewers.join(', '),
    status: r.status,
    open: r.status === 'PENDING',
    age: Number.isNaN(created) || now === undefined ? '' : humanDuration(now - created / 1000),
    timeLeft: now === undefined ? '' : timeLeft(r.expiresAt, now),
    approvals: approvals(r),
    outcome: outcome(r),
    decidedBy: r.decidedBy ?? '',
    decidedAt: when(r.decidedAt, now),
    // Set for the decide form (a partial): a refused decision's text and reason, never the page's.
    comment: '',
    problem: '',
  };
}

// ---- Pages -----------------------------------------------------------------------------------

/** The sign-in form; `message` (escaped) explains why the person is here, e.g. after a session expired. */
export function signInPage(view: { message?: string } = {}): string {
  return page('Admin sign-in', SIGN_IN, { message: view.message ?? '' });
}

/** The answer to every sign-in request, admin or not: nothing in it depends on the address. */
export function signInSentPage(): string {
  return page('Check your email', SIGN_IN_SENT, { text: SIGN_IN_SENT_TEXT });
}

/**
 * What the emailed link opens: one button that posts the token. Opening the link changes nothing,
 * so mail scanners that fetch links do not use up the single-use token; and the session cookie is
 * set in answer to a same-site POST, so the SameSite=Strict cookie is sent on the redirect after it.
 */
export function signInConfirmPage(view: { token: string; message?: string }): string {
  return page('Admin sign-in', SIGN_IN_CONFIRM, { token: view.token, message: view.message ?? '' });
}

/** Pending requests with approve/reject forms, and decided ones with outcome, who and when. */
export function dashboardPage(view: DashboardView): string {
  return signedInPage('Approval requests', DASHBOARD, {
    admin: view.admin,
    csrf: view.csrf,
    pending: view.pending.map((r) => requestRow(r, view.now)),
    decided: view.decided.map((r) => requestRow(r, view.now)),
  });
}

/**
 * One request: its facts, votes, decide form while pending (with a refused decision's comment
 * and reason, when there was one), and the audit trail. Every time is written for people.
 */
export function requestPage(view: RequestView): string {
  const r = view.request;
  const row = requestRow(r, view.now);
  return signedInPage(`Request: ${r.subject}`, REQUEST, {
    admin: view.admin,
    csrf: view.csrf,
    ...row,
    comment: view.comment ?? '',
    problem: view.problem ?? '',
    createdAt: when(r.createdAt, view.now),
    expiresAt: whenEpoch(r.expiresAt, view.now),
    votes: r.votes.map((v) => ({ reviewer: v.reviewer, decision: v.decision, at: when(v.at, view.now), comment: v.comment ?? '' })),
    audit: view.audit.map((e) => ({ type: e.type, at: when(e.at, view.now), actor: e.actor, detail: e.detail ?? '' })),
  });
}

/** An error page with a stable code and plain words; never exception text. */
export function adminErrorPage(code: string, message: string, title = 'Cannot continue'): string {
  return page(title, ERROR, { title, message, code });
}
