/**
 * Cookies over HTTP: reading one from a Cookie header, and the Set-Cookie headers that set and
 * clear the admin session. The session's value itself is made and checked by the domain
 * (`issueSession`, `verifySession`); this module only carries it.
 */

/** `__Host-`: browsers only accept it with Secure, Path=/ and no Domain, so no subdomain can plant or shadow it. */
export const SESSION_COOKIE = '__Host-admin';

const COOKIE_ATTRIBUTES = 'HttpOnly; Secure; SameSite=Strict; Path=/';
const B64URL = /^[A-Za-z0-9_-]+$/;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/;

/** The Set-Cookie header for a session: script-proof, HTTPS-only, never sent from another site. */
export function sessionCookie(value: string, maxAgeSeconds: number): string {
  // Refuse anything that could break out of the header (a `;` or CR/LF would add attributes or headers).
  if (!B64URL.test(value)) throw new RangeError('session cookie value must be base64url');
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) throw new RangeError('Max-Age must be a whole number of seconds');
  return `${SESSION_COOKIE}=${value}; ${COOKIE_ATTRIBUTES}; Max-Age=${maxAgeSeconds}`;
}

/** The Set-Cookie header that removes the session cookie (sign-out). Same attributes, or a `__Host-` cookie is refused. */
export function clearSessionCookie(): string {
  return `${SESSION_COOKIE}=; ${COOKIE_ATTRIBUTES}; Max-Age=0`;
}

/**
 * The value of cookie `name` in a Cookie header, or undefined when it is absent, empty, not plain
 * cookie characters, or present more than once: with two candidates there is no telling which one
 * the server set, so neither is trusted. Names are case-sensitive. Other malformed pairs are ignored
 * (they belong to someone else). With an API Gateway v2 event, pass `event.cookies?.join('; ')`.
 */
export function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader || !COOKIE_NAME.test(name)) return undefined;
  let found: string | undefined;
  let count = 0;
  for (const pair of cookieHeader.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    count++;
    found = pair.slice(eq + 1).trim();
  }
  return count === 1 && found && COOKIE_VALUE.test(found) ? found : undefined;
}

/** Whether a Cookie header carries cookie `name` at all, well-formed or not. */
export function sentCookie(cookieHeader: string | undefined, name: string): boolean {
  return (cookieHeader ?? '').split(';').some((pair) => pair.trim().startsWith(`${name}=`));
}
