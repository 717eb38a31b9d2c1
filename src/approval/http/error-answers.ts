/**
 * How every error code is answered over HTTP: its status and the plain words a person reads (on
 * a page, or as the `message` of a JSON error). The only place that decides either. Where the
 * admin dashboard's words must differ from the review pages' (the defaults speak of review links),
 * they are the entry's `dashboard` words, in this same table.
 */
import type { ApprovalError, ErrorCode } from '../domain/errors';

export interface ErrorWords {
  title: string;
  message: string;
}

export interface ErrorEntry extends ErrorWords {
  status: number;
  /** Whether the caller may try the same thing again later. */
  retryable?: boolean;
  /** The dashboard's words, where the defaults would speak of something it does not have. */
  dashboard?: ErrorWords;
}

/** Where an answer is read: the words of some codes differ on the admin dashboard. */
export type ErrorSurface = 'default' | 'dashboard';

export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorEntry>> = {
  LINK_MALFORMED: {
    status: 400,
    title: 'This link is incomplete',
    message: 'The link is damaged or incomplete. Open it again from the email, without editing it.',
    dashboard: { title: 'This address is damaged', message: 'The address of this page is damaged. Open the dashboard and follow the link from there.' },
  },
  LINK_INVALID: { status: 403, title: 'This link is not valid', message: 'The link could not be verified. Open it again from the email, without editing it.' },
  LINK_EXPIRED: { status: 410, title: 'This link has expired', message: 'The review period for this request has ended. No decision was recorded.' },
  CSRF_REJECTED: {
    status: 403,
    title: 'Please confirm from the review page',
    message: 'The form was not sent from the review page. Open the link from the email and confirm there.',
    dashboard: { title: 'Please use the dashboard', message: 'The form was not sent from this dashboard. Open the dashboard and try again.' },
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Not allowed',
    message: 'Open the link from the email and confirm on the page.',
    dashboard: { title: 'Not allowed', message: 'This page does not take that kind of request.' },
  },
  INVALID_DECISION: { status: 400, title: 'Choose approve or reject', message: 'Choose Approve or Reject: nothing is decided until you press one of them.' },
  INVALID_COMMENT: { status: 400, title: 'The comment cannot be used', message: 'A comment is text of at most 2,000 characters: line breaks are fine, control characters and broken characters are not.' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Too large', message: 'The request is larger than this service accepts.' },
  REQUEST_NOT_FOUND: { status: 404, title: 'Request not found', message: 'This approval request does not exist any more.' },
  ALREADY_DECIDED: { status: 409, title: 'Already decided', message: 'This request has already been decided.' },
  ALREADY_VOTED: { status: 409, title: 'You have already voted', message: 'Your vote is recorded. The request is decided when enough reviewers approve, or when one rejects it.' },
  DECISION_IN_PROGRESS: { status: 409, title: 'Decision being recorded', message: 'A decision for this request is being recorded. Reload this page in a minute.', retryable: true },
  TASK_CLOSED: { status: 410, title: 'This request is closed', message: 'The workflow is no longer waiting for this decision (it expired or was stopped). Nothing was changed.' },
  THROTTLED: { status: 503, title: 'Busy, please retry', message: 'The service is busy. Nothing was recorded: please try again in a few seconds.', retryable: true },
  UNAVAILABLE: { status: 503, title: 'Briefly unavailable, please retry', message: 'A service this one depends on did not answer. Please try again in a minute: nothing will be recorded twice.', retryable: true },
  INVALID_APPROVAL_REQUEST: { status: 400, title: 'Invalid approval request', message: 'The approval request is not valid.' },
  NO_REVIEWERS: { status: 400, title: 'No reviewers', message: 'The approval request has no reviewer once its requester is removed: nobody may review their own request.' },
  REVIEW_CLOSED: {
    status: 410,
    title: 'This review is over',
    message: 'The workflow that asked for this review has ended without a decision (it was stopped, failed or was resumed another way). Nothing was recorded and nothing more is needed from you.',
  },
  INVALID_INPUT: {
    status: 400,
    title: 'Invalid input',
    message: 'The request is not valid.',
    dashboard: { title: 'Invalid form', message: 'The form is damaged or incomplete. Open the dashboard and try again.' },
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported media type',
    message: 'Send JSON with content-type application/json.',
    dashboard: { title: 'Unsupported media type', message: 'Send the form as the dashboard does (application/x-www-form-urlencoded).' },
  },
  NOT_FOUND: { status: 404, title: 'Not found', message: 'Nothing is here.' },
  EMAIL_DELIVERY_FAILED: { status: 502, title: 'Email not sent', message: 'Some review emails could not be sent.', retryable: true },
  EMAIL_REJECTED: {
    status: 502,
    title: 'Email refused',
    message: 'The email service refused the message (for example, an unverified sender or recipient); retrying the same message will not help.',
  },
  SIGN_IN_INVALID: {
    status: 403,
    title: 'This sign-in link is not valid',
    message: 'The sign-in link could not be verified. Open it again from the email, without editing it, or ask for a new one.',
  },
  SIGN_IN_EXPIRED: { status: 410, title: 'This sign-in link has expired', message: 'Sign-in links work for 15 minutes. Ask for a new one.' },
  SIGN_IN_USED: { status: 410, title: 'This sign-in link was already used', message: 'Each sign-in link works once. Ask for a new one.' },
  SESSION_REQUIRED: { status: 401, title: 'Please sign in', message: 'You are not signed in, or your session has ended. Sign in again.' },
  NOT_ADMIN: { status: 403, title: 'Not an admin', message: 'This address is not on the list of admins any more.' },
  RATE_LIMITED: {
    status: 429,
    title: 'Too many requests',
    message: 'Too many requests for this address or from this network. Nothing was sent: please try again later.',
    retryable: true,
    // The same words whether the address is an admin's or not: a limit tells nobody who is an admin.
    dashboard: {
      title: 'Too many sign-in requests',
      message: 'Sign-in links for this address were asked for too often. Nothing more was sent: use a link already received, or try again later.',
    },
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'Idempotency-Key already used',
    message: 'This Idempotency-Key was already used for a different post by this author. Use a new key for a new post.',
  },
  INTERNAL: { status: 500, title: 'Something went wrong', message: 'Something went wrong on our side. Nothing was changed; please try again later.' },
};

/** The HTTP status of an error. */
export function statusOf(err: ApprovalError): number {
  return ERROR_TABLE[err.code].status;
}

/** The title and message a person reads for `code` where they read it. */
export function errorWords(code: ErrorCode, surface: ErrorSurface = 'default'): ErrorWords {
  const entry = ERROR_TABLE[code];
  return (surface === 'dashboard' && entry.dashboard) || entry;
}

/**
 * The Retry-After header (seconds) for an error, when trying again later may work: the error's own
 * wait (a rate limit's window), else 5 s for a throttle and 30 s for any other 503.
 */
export function retryAfter(err: ApprovalError): string | undefined {
  if (err.retryAfterSeconds !== undefined) return String(Math.max(1, Math.ceil(err.retryAfterSeconds)));
  if (ERROR_TABLE[err.code].status !== 503) return undefined;
  return err.code === 'THROTTLED' ? '5' : '30';
}
