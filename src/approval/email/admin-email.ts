import { adminSignInHtml, adminSignInText } from './compiled-templates.generated';
import { assertHeaderSafe, formatExpiry, type RenderedEmail } from './review-email';
import { compileTemplate } from './template';

const html = compileTemplate(adminSignInHtml);
const text = compileTemplate(adminSignInText);

export interface AdminSignInEmailView {
  /** The configured admin address the link signs in as. */
  admin: string;
  /** `<base URL>/admin/session?token=…`: opens a confirmation page, never signs in by itself. */
  signInUrl: string;
  /** When the link expires, seconds since the epoch: written for people, e.g. "Sat 28 Nov 2026, 09:15 UTC (in 15 minutes)". */
  expiresAt: number;
}

/**
 * The sign-in email: precompiled MJML filled by mustache (every value HTML-escaped) and a
 * plain-text part. `now` is when it is written: the expiry says how far off it is.
 */
export function renderAdminSignInEmail(view: AdminSignInEmailView, now: Date): RenderedEmail {
  const filled = { ...view, expiresAt: formatExpiry(view.expiresAt, now) };
  return {
    subject: assertHeaderSafe('Your sign-in link for the approvals dashboard'),
    html: html.html(filled),
    text: text.text(filled),
  };
}
