import { reviewRequestHtml, reviewRequestText } from './compiled-templates.generated';
import { compileTemplate } from './template';

// Parsed once per container; every email after that is a walk over the tokens.
const html = compileTemplate(reviewRequestHtml);
const text = compileTemplate(reviewRequestText);

export interface ReviewEmailView {
  subject: string;
  summary: string;
  details?: string;
  requestedBy?: string;
  reviewer: string;
  approveUrl: string;
  rejectUrl: string;
  /** Human-readable expiry, e.g. "on 5 Dec 2026, 14:00 UTC". */
  expiresAt: string;
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

/** Fills the precompiled MJML (every value HTML-escaped by mustache) and the plain-text part. */
export function renderReviewEmail(view: ReviewEmailView): RenderedEmail {
  return {
    subject: assertHeaderSafe(`Review requested: ${view.subject}`),
    html: html.html(view),
    text: text.text(view),
  };
}

/** "Sat, 05 Dec 2026 14:00 UTC": unambiguous for reviewers anywhere. */
export function formatExpiry(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toUTCString().replace(/:\d\d GMT$/, ' UTC');
}
