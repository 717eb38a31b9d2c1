/**
 * The admin's dashboard session (the HTTP layer carries its value in a cookie) and the
 * dashboard's CSRF token, tied to the session. Refusals are ApprovalErrors (SESSION_REQUIRED with
 * a finer `reason` for the log, CSRF_REJECTED). Pure: the keyring and the clock (epoch seconds)
 * come in as parameters; the admin's current session generation comes from AdminSessions.
 */
import { timingSafeEqual } from 'node:crypto';
import { PURPOSE, SESSION_FIELDS, assertEmail, expiryFrom, mac, macMatches, open, randomId, seal, type Envelope } from './admin-envelope';
import { ApprovalError } from './errors';
import type { MacKeyring } from './mac-keyring';

export const SESSION_LIFETIME_SECONDS = 8 * 3600;
/** The largest session generation a cookie carries (nine digits): sign-outs of one admin never get near it. */
export const MAX_SESSION_GENERATION = 999_999_999;
const MAC_TEXT = /^[A-Za-z0-9_-]{22}$/;

/**
 * Server-side record of each admin's sessions: a generation number, carried in every session
 * cookie the admin is given. Sign-out moves it on, which ends every session opened before (a
 * copied cookie included); each dashboard request reads it.
 */
export interface AdminSessions {
  /** The admin's current generation (0 until their first sign-out). Throws THROTTLED / UNAVAILABLE when it cannot tell. */
  generation(email: string): Promise<number>;
  /** Ends every session of the admin: moves the generation on and returns the new one. */
  endAll(email: string): Promise<number>;
}

/** A verified session. */
export interface AdminSession {
  email: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** Random id, 22 base64url characters: the dashboard's CSRF tokens are tied to it. */
  sessionId: string;
  /** Version of the key that signed the cookie; the CSRF token uses the same key. */
  keyVersion: string;
  /** The admin's session generation when it was opened: valid while it is still the current one. */
  generation: number;
}

/**
 * A session cookie value for `email`: address, expiry, a random session id and the admin's
 * current session `generation` (see AdminSessions), MACed with the current key.
 */
export function issueSession(
  email: string,
  keyring: MacKeyring,
  nowSeconds: number,
  lifetimeSeconds = SESSION_LIFETIME_SECONDS,
  generation = 0,
): { value: string; expiresAt: number } {
  if (!Number.isSafeInteger(generation) || generation < 0 || generation > MAX_SESSION_GENERATION) throw new RangeError('session generation must be a whole number from 0 to 999,999,999');
  const envelope: Envelope = {
    keyVersion: keyring.current.version,
    id: randomId(),
    email: assertEmail(email),
    expiresAt: expiryFrom(nowSeconds, lifetimeSeconds),
    generation,
  };
  return { value: seal(PURPOSE.session, envelope, keyring.current.key), expiresAt: envelope.expiresAt };
}

/**
 * Verifies a session cookie value: missing, then shape and MAC (one code: a damaged cookie and a
 * forged one look the same to the caller), then expiry. Follow with `requireAdmin`, then
 * `requireCurrentGeneration` with the admin's stored generation.
 */
export function verifySession(cookieValue: string | undefined, keyring: MacKeyring, nowSeconds: number): AdminSession {
  if (!cookieValue) throw new ApprovalError('SESSION_REQUIRED', { reason: 'SESSION_MISSING' });
  const opened = open(cookieValue, SESSION_FIELDS);
  if (!opened || !macMatches(PURPOSE.session, opened.envelope, opened.mac, keyring)) throw new ApprovalError('SESSION_REQUIRED', { reason: 'SESSION_INVALID' });
  const { envelope } = opened;
  if (nowSeconds >= envelope.expiresAt) throw new ApprovalError('SESSION_REQUIRED', { reason: 'SESSION_EXPIRED' });
  return { email: envelope.email, expiresAt: envelope.expiresAt, sessionId: envelope.id, keyVersion: envelope.keyVersion, generation: envelope.generation! };
}

/** Refuses a session opened before the admin's last sign-out (its generation is no longer the current one). */
export function requireCurrentGeneration(session: AdminSession, current: number): void {
  if (session.generation !== current) throw new ApprovalError('SESSION_REQUIRED', { reason: 'SESSION_ENDED' });
}

// ---- Dashboard CSRF ------------------------------------------------------------------------

function csrfMac(session: AdminSession, keyring: MacKeyring): Buffer | undefined {
  const key = keyring.get(session.keyVersion);
  return key && mac(key.key, PURPOSE.csrf, [session.keyVersion, session.sessionId, session.email, String(session.expiresAt)]);
}

/**
 * The CSRF token dashboard forms carry: a MAC of this session (its id, address and expiry), so a
 * form rendered for another session, or forged elsewhere, is refused. Changes at every sign-in.
 */
export function adminCsrfToken(session: AdminSession, keyring: MacKeyring): string {
  const expected = csrfMac(session, keyring);
  if (!expected) throw new ApprovalError('SESSION_REQUIRED', { reason: 'SESSION_INVALID' });
  return expected.toString('base64url');
}

/**
 * Checks a form's CSRF token against the session, in constant time. Compares the texts, not the
 * decoded bytes: 22 base64url characters carry 132 bits for 128, so decoding would accept 16 spellings.
 */
export function verifyAdminCsrf(session: AdminSession, keyring: MacKeyring, token: string | undefined): void {
  if (!token || !MAC_TEXT.test(token)) throw new ApprovalError('CSRF_REJECTED');
  const expected = csrfMac(session, keyring);
  const given = Buffer.from(token, 'latin1');
  if (!expected || !timingSafeEqual(given, Buffer.from(expected.toString('base64url'), 'latin1'))) throw new ApprovalError('CSRF_REJECTED');
}
