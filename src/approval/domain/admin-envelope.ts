/**
 * The signed envelope of admin sign-in tokens and session cookie values: length-prefixed fields
 * (key version, random id, address, expiry, and for sessions the generation) followed by a MAC
 * over the purpose and the fields, as canonical base64url. Pure: keys come from the keyring.
 */
import { randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { normalizeEmail } from './admin-auth';
import { MAC_BYTES, lengthPrefixed, purposeMac } from './mac';
import type { MacKeyring } from './mac-keyring';

/** The MAC purposes: each kind of token verifies only as itself. */
export const PURPOSE = { signIn: 'admin-sign-in', session: 'admin-session', csrf: 'admin-csrf' } as const;
const ID_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]+$/;
const ID_TEXT = /^[A-Za-z0-9_-]{22}$/;
const EXPIRY = /^[1-9][0-9]{0,11}$/;
const KEY_VERSION = /^[0-9]{1,4}$/;
const GENERATION = /^(?:0|[1-9][0-9]{0,8})$/;
/** Four length-prefixed fields of at most 254 characters and a MAC fit well below this. */
const MAX_TOKEN_CHARS = 512;

export interface Envelope {
  keyVersion: string;
  id: string;
  email: string;
  expiresAt: number;
  /** Sessions only: the admin's session generation (a fifth field). */
  generation?: number;
}

/** Sign-in tokens have four fields, sessions five (the generation last). */
export const SIGN_IN_FIELDS = 4;
export const SESSION_FIELDS = 5;

function envelopeFields(e: Envelope): string[] {
  const fields = [e.keyVersion, e.id, e.email, String(e.expiresAt)];
  return e.generation === undefined ? fields : [...fields, String(e.generation)];
}

/** The purpose comes first in the MAC input, so a sign-in token never verifies as a session or the reverse. */
export const mac = purposeMac;

/** base64url of the length-prefixed fields followed by the raw MAC. */
export function seal(purpose: string, e: Envelope, key: KeyObject): string {
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
export function open(text: string, count: number): { envelope: Envelope; mac: Buffer } | undefined {
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
export function macMatches(purpose: string, envelope: Envelope, given: Buffer, keyring: MacKeyring): boolean {
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

export function randomId(): string {
  return randomBytes(ID_BYTES).toString('base64url');
}

/** Whole seconds only: a fractional expiry would be written into a token that then fails its own shape check. */
export function expiryFrom(nowSeconds: number, lifetimeSeconds: number): number {
  if (!Number.isSafeInteger(nowSeconds) || nowSeconds <= 0) throw new RangeError('now must be whole seconds since the epoch');
  if (!Number.isSafeInteger(lifetimeSeconds) || lifetimeSeconds <= 0) throw new RangeError('lifetime must be a positive whole number of seconds');
  return nowSeconds + lifetimeSeconds;
}

export function assertEmail(email: string): string {
  const normalized = normalizeEmail(email);
  // A caller bug, not a user error: addresses reach here only after adminAddress() matched them.
  if (!normalized) throw new RangeError('not a plain ASCII email address');
  return normalized;
}
