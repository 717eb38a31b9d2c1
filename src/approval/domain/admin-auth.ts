/**
 * Admin dashboard sign-in by emailed link: who is an admin, the single-use sign-in token, the
 * session value (the HTTP layer carries it in a cookie) and the dashboard's CSRF token. Refusals
 * are ApprovalErrors with the codes a person is told, and a finer `reason` for the log. Pure: the keyring and the clock (epoch seconds)
 * come in as parameters; single use of a sign-in token is the caller's job, through a SignInLedger.
 */
import { randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { MAC_BYTES, lengthPrefixed, purposeMac } from './mac';
import type { MacKeyring } from './mac-keyring';
import { ApprovalError } from './errors';

/** Records that a sign-in token was used. The adapter writes `id` conditionally and keeps it until `expiresAt`. */
export interface SignInLedger {
  /** True the first time an id is consumed, false every time after. */
  consume(id: string, expiresAt: number): Promise<boolean>;
  /** Whether the id was consumed already (a read: opening a link tells it is used, and uses nothing). */
  isUsed(id: string): Promise<boolean>;
}

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

/** Claims of a verified sign-in token. */
export interface SignIn {
  /** Random id, 22 base64url characters: the key the ledger consumes. */
  id: string;
  email: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export interface IssuedSignIn extends SignIn {
  /** base64url text for the link's query string. */
  token: string;
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

export const SIGN_IN_TTL_SECONDS = 15 * 60;
export const SESSION_LIFETIME_SECONDS = 8 * 3600;

const PURPOSE = { signIn: 'admin-sign-in', session: 'admin-session', csrf: 'admin-csrf' } as const;
const ID_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]+$/;
const ID_TEXT = /^[A-Za-z0-9_-]{22}$/;
const MAC_TEXT = /^[A-Za-z0-9_-]{22}$/;
const EXPIRY = /^[1-9][0-9]{0,11}$/;
const KEY_VERSION = /^[0-9]{1,4}$/;
const GENERATION = /^(?:0|[1-9][0-9]{0,8})$/;
/** The largest session generation a cookie carries (nine digits): sign-outs of one admin never get near it. */
export const MAX_SESSION_GENERATION = 999_999_999;
/** Printable ASCII with one @: see `normalizeEmail` for why only ASCII. */
const EMAIL = /^[\x21-\x3f\x41-\x7e]{1,64}@[\x21-\x3f\x41-\x7e]{1,189}$/;
/** Four length-prefixed fields of at most 254 characters and a MAC fit well below this. */
const MAX_TOKEN_CHARS = 512;

// ---- Who is an admin ----------------------------------------------------------------------

/**
 * Lower-cases ASCII addresses only. Unicode case mapping folds different addresses together
 * (`\u212A` "Kelvin" lower-cases to `k`), which would let a look-alike address pass as an admin's
 * and receive the admin's link; admin addresses are configuration, so ASCII is no loss.
 */
function normalizeEmail(email: string): string | undefined {
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

// ---- Signed envelopes (shared by sign-in tokens and sessions) ----------------------------

interface Envelope {
  keyVersion: string;
  id: string;
  email: string;
  expiresAt: number;
  /** Sessions only: the admin's session generation (a fifth field). */
  generation?: number;
}

/** Sign-in tokens have four fields, sessions five (the generation last). */
const SIGN_IN_FIELDS = 4;
const SESSION_FIELDS = 5;

function envelopeFields(e: Envelope): string[] {
  const fields = [e.keyVersion, e.id, e.email, String(e.expiresAt)];
  return e.generation === undefined ? fields : [...fields, String(e.generation)];
}

/** The purpose comes first in the MAC input, so a sign-in token never verifies as a session or the reverse. */
const mac = purposeMac;

/** base64url of the length-prefixed fields followed by the raw MAC. */
function seal(purpose: string, e: Envelope, key: KeyObject): string {
  const fields = envelopeFields(e);
  return Buffer.concat([lengthPrefixed(fields), mac(key, purpose, fields)]).toString('base64url');
}

/** Splits decoded bytes into exactly `count` length-prefixed fields and a MAC; anything else is undefined. */
function readFields(bytes: Buffer, count: number): { fields: string[]; mac: Buffer } | undefined {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) return undefined;
    const len = bytes.readUInt32BE(at);
    at += 4;
    if (len > bytes.length - at) return undefined;
    const raw = bytes.subarray(at, at + len);
    const text = raw.toString('utf8');
    // Only one byte sequence per field: invalid UTF-8 would decode to U+FFFD and re-encode differently.
    if (!Buffer.from(text, 'utf8').equals(raw)) return undefined;
    fields.push(text);
    at += len;
  }
  if (bytes.length - at !== MAC_BYTES) return undefined;
  return { fields, mac: bytes.subarray(at) };
}

/**
 * Decodes and shape-checks an envelope, without checking the MAC. The text must be the canonical
 * base64url of its bytes: Node's decoder skips stray characters and ignores the last character's
 * spare bits, so without this check one MAC would have many spellings.
 */
function open(text: string, count: number): { envelope: Envelope; mac: Buffer } | undefined {
  if (text.length > MAX_TOKEN_CHARS || !B64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  const read = readFields(bytes, count);
  if (!read) return undefined;
  const [keyVersion, id, email, expiry, generation] = read.fields as [string, string, string, string, string | undefined];
  if (!KEY_VERSION.test(keyVersion) || !ID_TEXT.test(id) || !EXPIRY.test(expiry) || normalizeEmail(email) !== email) return undefined;
  if (generation !== undefined && !GENERATION.test(generation)) return undefined;
  const envelope: Envelope = { keyVersion, id, email, expiresAt: Number(expiry), ...(generation !== undefined ? { generation: Number(generation) } : {}) };
  return { envelope, mac: read.mac };
}

/** Whether the MAC is right for the envelope, compared in constant time. Unknown key versions are simply wrong. */
function macMatches(purpose: string, envelope: Envelope, given: Buffer, keyring: MacKeyring): boolean {
  const key = keyring.get(envelope.keyVersion);
  if (!key) return false;
  return timingSafeEqual(given, mac(key.key, purpose, envelopeFields(envelope)));
}

/**
 * The key version a sign-in token or session cookie value names, read before its MAC is checked
 * so the caller can fetch a keyring that holds it. Undefined when the text is missing or damaged.
 */
export function keyVersionOfToken(text: string | undefined): string | undefined {
  return text === undefined ? undefined : (open(text, SIGN_IN_FIELDS) ?? open(text, SESSION_FIELDS))?.envelope.keyVersion;
}

function randomId(): string {
  return randomBytes(ID_BYTES).toString('base64url');
}

/** Whole seconds only: a fractional expiry would be written into a token that then fails its own shape check. */
function expiryFrom(nowSeconds: number, lifetimeSeconds: number): number {
  if (!Number.isSafeInteger(nowSeconds) || nowSeconds <= 0) throw new RangeError('now must be whole seconds since the epoch');
  if (!Number.isSafeInteger(lifetimeSeconds) || lifetimeSeconds <= 0) throw new RangeError('lifetime must be a positive whole number of seconds');
  return nowSeconds + lifetimeSeconds;
}

function assertEmail(email: string): string {
  const normalized = normalizeEmail(email);
  // A caller bug, not a user error: addresses reach here only after adminAddress() matched them.
  if (!normalized) throw new RangeError('not a plain ASCII email address');
  return normalized;
}

// ---- Sign-in token -------------------------------------------------------------------------

/**
 * A sign-in token for the link emailed to an admin: a random id, the lower-cased address and the
 * expiry, MACed with the keyring's current key. Consume `id` in a SignInLedger when it is used.
 */
export function issueSignInToken(email: string, keyring: MacKeyring, nowSeconds: number, ttlSeconds = SIGN_IN_TTL_SECONDS): IssuedSignIn {
  const envelope: Envelope = { keyVersion: keyring.current.version, id: randomId(), email: assertEmail(email), expiresAt: expiryFrom(nowSeconds, ttlSeconds) };
  return { token: seal(PURPOSE.signIn, envelope, keyring.current.key), id: envelope.id, email: envelope.email, expiresAt: envelope.expiresAt };
}

/**
 * Checks a sign-in token's shape, then its MAC (constant time), then its expiry, so a forged token
 * never learns whether it would have expired. Does not consume it: the caller does, through the ledger.
 */
export function verifySignInToken(token: string | undefined, keyring: MacKeyring, nowSeconds: number): SignIn {
  const opened = token === undefined ? undefined : open(token, SIGN_IN_FIELDS);
  if (!opened) throw new ApprovalError('SIGN_IN_INVALID', { reason: 'SIGN_IN_MALFORMED' });
  const { envelope } = opened;
  if (!macMatches(PURPOSE.signIn, envelope, opened.mac, keyring)) throw new ApprovalError('SIGN_IN_INVALID');
  if (nowSeconds >= envelope.expiresAt) throw new ApprovalError('SIGN_IN_EXPIRED');
  return { id: envelope.id, email: envelope.email, expiresAt: envelope.expiresAt };
}

// ---- Session ------------------------------------------------------------------------

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
