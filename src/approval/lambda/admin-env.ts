/** The dashboard Lambda's environment: its schema and the parsers of its own variables. */
import { REQUEST_TABLE_ENV, checkedText, custom, defineEnv, rateLimit, required } from '../config';
import { DEFAULT_LIMITS } from '../defaults';
import { adminAddress } from '../domain/admin-auth';
import { trimTrailingSlashes } from '../http/request';

/**
 * ADMINS: comma-separated addresses, each a plain ASCII address. An empty list is allowed (no
 * one can sign in: the dashboard answers every request with the neutral page); a malformed
 * entry fails the cold start, naming its position, since it would silently lock that admin out.
 */
export function adminList(value: string | undefined): string[] {
  const entries = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const admins: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const address = adminAddress(entry, [entry]);
    if (!address) throw new Error(`ADMINS: entry ${i + 1} is not a plain ASCII email address`);
    if (!admins.includes(address)) admins.push(address);
  }
  return admins;
}

/**
 * BASE_URL: where sign-in links point. HTTPS, or plain HTTP on a loopback address (local mode):
 * the session cookie is Secure, and a link to anywhere else would hand out a sign-in token.
 */
export function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('BASE_URL must be an absolute URL');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new Error('BASE_URL must use https (http only on a loopback address)');
  if (url.search || url.hash || url.username || url.password) throw new Error('BASE_URL must not carry a query, fragment or credentials');
  return trimTrailingSlashes(url.href);
}

/** The dashboard Lambda. SIGN_INS_PER_ADDRESS_PER_15_MINUTES bounds the sign-in emails (0: no limit). */
export const ADMIN_ENV = defineEnv({
  TABLE_NAME: REQUEST_TABLE_ENV.TABLE_NAME,
  MAC_SECRET_ID: required(),
  TOKEN_KEY_ID: required(),
  SENDER_EMAIL: required(),
  BASE_URL: checkedText((_name, raw) => baseUrl(raw)),
  ADMINS: custom<string[]>({ fallback: [], parse: (_name, raw) => adminList(raw), format: (admins) => admins.join(',') }),
  SIGN_INS_PER_ADDRESS_PER_15_MINUTES: rateLimit(DEFAULT_LIMITS.signInsPerAddressPer15Minutes),
  AUDIT_RETENTION_DAYS: REQUEST_TABLE_ENV.AUDIT_RETENTION_DAYS,
  PENDING_SHARDS: REQUEST_TABLE_ENV.PENDING_SHARDS,
});
