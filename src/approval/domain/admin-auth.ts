/**
 * Admin dashboard sign-in by emailed link: who is an admin. The rest of sign-in lives beside this
 * module: the single-use sign-in token (admin-sign-in.ts), the session and the dashboard's CSRF
 * token (admin-session.ts), and the signed envelope tokens and sessions share (admin-envelope.ts).
 * Refusals are ApprovalErrors with the codes a person is told. Pure.
 */
import type { AdminSession } from './admin-session';
import { ApprovalError } from './errors';

/** Printable ASCII with one @: see `normalizeEmail` for why only ASCII. */
const EMAIL = /^[\x21-\x3f\x41-\x7e]{1,64}@[\x21-\x3f\x41-\x7e]{1,189}$/;

/**
 * Lower-cases ASCII addresses only. Unicode case mapping folds different addresses together
 * (`\u212A` "Kelvin" lower-cases to `k`), which would let a look-alike address pass as an admin's
 * and receive the admin's link; admin addresses are configuration, so ASCII is no loss.
 */
export function normalizeEmail(email: string): string | undefined {
  const trimmed = email.trim();
  return EMAIL.test(trimmed) ? trimmed.toLowerCase() : undefined;
}

/**
 * The configured admin address that `email` names (case-insensitive), or undefined.
 * Send the sign-in link to this address, never to the text that was typed.
 */
export function adminAddress(email: string, admins: readonly string[]): string | undefined {
  const wanted = normalizeEmail(email);
  if (!wanted) return undefined;
  return admins.map(normalizeEmail).find((admin) => admin === wanted);
}

/** Whether `email` is in the admins list, ignoring ASCII case. */
export function isAdmin(email: string, admins: readonly string[]): boolean {
  return adminAddress(email, admins) !== undefined;
}

/** Refuses a valid session whose address was removed from the admins list since sign-in. */
export function requireAdmin(session: AdminSession, admins: readonly string[]): void {
  if (!isAdmin(session.email, admins)) throw new ApprovalError('NOT_ADMIN');
}
