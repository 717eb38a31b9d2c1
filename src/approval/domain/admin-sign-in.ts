/**
 * The admin's single-use sign-in token, for the link emailed to them: issued and verified here,
 * consumed by the caller through a SignInLedger. Refusals are ApprovalErrors (SIGN_IN_INVALID,
 * SIGN_IN_EXPIRED). Pure: the keyring and the clock (epoch seconds) come in as parameters.
 */
import { PURPOSE, SIGN_IN_FIELDS, assertEmail, expiryFrom, macMatches, open, randomId, seal, type Envelope } from './admin-envelope';
import { ApprovalError } from './errors';
import type { MacKeyring } from './mac-keyring';

export const SIGN_IN_TTL_SECONDS = 15 * 60;

/** Records that a sign-in token was used. The adapter writes `id` conditionally and keeps it until `expiresAt`. */
export interface SignInLedger {
  /** True the first time an id is consumed, false every time after. */
  consume(id: string, expiresAt: number): Promise<boolean>;
  /** Whether the id was consumed already (a read: opening a link tells it is used, and uses nothing). */
  isUsed(id: string): Promise<boolean>;
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
