import { adminSignInHtml, adminSignInText } from './compiled-templates.generated';
import { assertHeaderSafe, type RenderedEmail } from './review-email';
import { compileTemplate } from './template';

const html = compileTemplate(adminSignInHtml);
const text = compileTemplate(adminSignInText);

export interface AdminSignInEmailView {
  /** The configured admin address the link signs in as. */
  admin: string;
  /** `<base URL>/admin/session?token=…`: opens a confirmation page, never signs in by itself. */
  signInUrl: string;
  /** Human-readable expiry, e.g. "Sat, 28 Nov 2026 09:15 UTC". */
  expiresAt: string;
}

/** The sign-in email: precompiled MJML filled by mustache (every value HTML-escaped) and a plain-text part. */
export function renderAdminSignInEmail(view: AdminSignInEmailView): RenderedEmail {
  return {
    subject: assertHeaderSafe('Your sign-in link for the approvals dashboard'),
    html: html.html(view),
    text: text.text(view),
  };
}
