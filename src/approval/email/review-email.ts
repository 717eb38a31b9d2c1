import { noActionNeededHtml, noActionNeededText, reviewClosedHtml, reviewClosedText, reviewRequestHtml, reviewRequestText } from './compiled-templates.generated';
import { humanEpochTime, humanIsoTime, utcDateTime } from '../domain/human-time';
import { quoteBlock } from './quote';
import { compileTemplate } from './template';

// Parsed once per container; every email after that is a walk over the tokens.
const html = compileTemplate(reviewRequestHtml);
const text = compileTemplate(reviewRequestText);

/** A first request, a reminder before expiry, or a request escalated to more reviewers. */
export type ReviewEmailKind = 'request' | 'reminder' | 'escalation';

export interface ReviewEmailView {
  kind?: ReviewEmailKind;
  /** With a quorum: how many approvals decide. */
  required?: number;
  subject: string;
  summary: string;
  details?: string;
  requestedBy?: string;
  reviewer: string;
  approveUrl: string;
  rejectUrl: string;
  /** When the links expire (epoch seconds); the email says it for people (see `formatExpiry`). */
  expiresAt: number;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

const HEADER_UNSAFE = /[\r\n\0]/;

/** A value headed for a mail header: CR, LF and NUL would let it add headers of its own. */
export function assertHeaderSafe(value: string): string {
  if (HEADER_UNSAFE.test(value)) throw new Error('header value contains CR, LF or NUL');
  return value;
}

const SUBJECT_PREFIX: Record<ReviewEmailKind, string> = {
  request: 'Review requested',
  reminder: 'Reminder: review requested',
  escalation: 'Review requested (escalated)',
};

/**
 * Fills the precompiled MJML (every value HTML-escaped) and the plain-text part, where the real
 * links come first and the request's own words follow, quoted (`> `), so text an author wrote
 * cannot put a look-alike link above ours.
 */
export function renderReviewEmail(view: ReviewEmailView, now?: Date): RenderedEmail {
  const filled = { ...view, expiresAt: formatExpiry(view.expiresAt, now), reminder: view.kind === 'reminder' };
  return {
    subject: assertHeaderSafe(`${SUBJECT_PREFIX[view.kind ?? 'request']}: ${view.subject}`),
    html: html.html(filled),
    text: text.text({ ...filled, quoted: quoteBlock([view.subject, view.summary, view.details]) }),
  };
}

/**
 * "Sat 5 Dec 2026, 14:00 UTC (in 7 days)": unambiguous for reviewers anywhere, and how far off it
 * is when the email is written; without `now`, the date and time alone.
 */
export function formatExpiry(epochSeconds: number, now?: Date): string {
  return now ? humanEpochTime(epochSeconds, now) : utcDateTime(new Date(epochSeconds * 1000));
}

const noActionHtml = compileTemplate(noActionNeededHtml);
const noActionText = compileTemplate(noActionNeededText);

/** The short note to reviewers who had not answered when the request was decided (`decidedAt` ISO, shown for people). */
export function renderNoActionEmail(view: { subject: string; decision: string; decidedBy: string; decidedAt: string }, now: Date): RenderedEmail {
  const filled = { ...view, decidedAt: humanIsoTime(view.decidedAt, now) };
  return {
    subject: assertHeaderSafe(`No action needed: ${view.subject}`),
    html: noActionHtml.html(filled),
    text: noActionText.text(filled),
  };
}

const closedHtml = compileTemplate(reviewClosedHtml);
const closedText = compileTemplate(reviewClosedText);

/** How an execution ended, in the words of the "review closed" note. */
const ENDED: Record<string, string> = {
  ABORTED: 'was stopped',
  FAILED: 'failed',
  TIMED_OUT: 'ran out of time',
  SUCCEEDED: 'went on without this review',
};

/** The note to reviewers who had not answered when the execution ended without a decision. */
export function renderReviewClosedEmail(view: { subject: string; executionStatus: string }): RenderedEmail {
  const filled = { subject: view.subject, how: ENDED[view.executionStatus] ?? 'ended' };
  return {
    subject: assertHeaderSafe(`Review closed: ${view.subject}`),
    html: closedHtml.html(filled),
    text: closedText.text(filled),
  };
}
