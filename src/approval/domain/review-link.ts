import { ApprovalError } from './errors';
import { purposeMac, sameMacText } from './mac';
import type { MacKeyring } from './mac-keyring';
import { parseStrictParams } from './strict-params';

export type ReviewAction = 'approve' | 'reject';

/** What a review link says, before and after signing. */
export interface LinkClaims {
  requestId: string;
  /** Index of the reviewer in the request's reviewer list (keeps addresses out of URLs and access logs). */
  reviewer: number;
  action: ReviewAction;
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
  /** KMS ciphertext of the compressed task token, base64url. */
  ciphertext: string;
}

export interface SignedLink extends LinkClaims {
  keyVersion: string;
  mac: string;
}

/** Query parameters of a link, in the order they are written. */
export const LINK_PARAMS = ['r', 'v', 'a', 'x', 'k', 'c', 'm'] as const;

const B64URL = /^[A-Za-z0-9_-]+$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{22}$/;
const MAC_TEXT = /^[A-Za-z0-9_-]{22}$/;
const REVIEWER = /^(?:0|[1-9][0-9]{0,2})$/;
const EXPIRY = /^[1-9][0-9]{0,11}$/;
const KEY_VERSION = /^[0-9]{1,4}$/;
/** KMS ciphertext of a deflated 2,048-character token stays far below this. */
const MAX_CIPHERTEXT_CHARS = 4096;

/** The signed fields of a link, in order (the purpose and the key version come first). */
function macFields(keyVersion: string, claims: LinkClaims): string[] {
  return [keyVersion, claims.requestId, String(claims.reviewer), claims.action, String(claims.expiresAt), claims.ciphertext];
}

/** Signs link claims with the keyring's current key. */
export function signLink(claims: LinkClaims, keyring: MacKeyring): SignedLink {
  const { version, key } = keyring.current;
  return { ...claims, keyVersion: version, mac: purposeMac(key, 'review-link', macFields(version, claims)).toString('base64url') };
}

/** The query string of a signed link (`r=…&v=…&…`). */
export function linkQuery(link: SignedLink): string {
  const values: Record<(typeof LINK_PARAMS)[number], string> = {
    r: link.requestId,
    v: String(link.reviewer),
    a: link.action,
    x: String(link.expiresAt),
    k: link.keyVersion,
    c: link.ciphertext,
    m: link.mac,
  };
  return LINK_PARAMS.map((p) => `${p}=${values[p]}`).join('&');
}

/** Reads link fields out of already-parsed parameters, checking only their shape. */
export function linkFromParams(params: Record<string, string>): SignedLink {
  const { r, v, a, x, k, c, m } = params as Record<(typeof LINK_PARAMS)[number], string | undefined>;
  if (
    !r || !REQUEST_ID.test(r) ||
    !v || !REVIEWER.test(v) ||
    (a !== 'approve' && a !== 'reject') ||
    !x || !EXPIRY.test(x) ||
    !k || !KEY_VERSION.test(k) ||
    !c || c.length > MAX_CIPHERTEXT_CHARS || !B64URL.test(c) ||
    !m || !MAC_TEXT.test(m)
  ) {
    throw new ApprovalError('LINK_MALFORMED');
  }
  return { requestId: r, reviewer: Number(v), action: a, expiresAt: Number(x), keyVersion: k, ciphertext: c, mac: m };
}

/** Parses a link's raw query string strictly (no unknown or repeated parameters). */
export function parseLinkQuery(rawQuery: string): SignedLink {
  return linkFromParams(parseStrictParams(rawQuery, { required: LINK_PARAMS }));
}

/**
 * The key version (`k`) a link query or its confirmation form names, read before anything is
 * verified so the caller can fetch a keyring that holds it. Undefined when absent, repeated or
 * not a version (the strict parse refuses those anyway).
 */
export function linkKeyVersion(params: string): string | undefined {
  const k = new URLSearchParams(params).getAll('k');
  return k.length === 1 && KEY_VERSION.test(k[0]!) ? k[0] : undefined;
}

/**
 * Verifies the MAC (constant time) and then the expiry. Pure: needs only the keyring
 * and the clock, so a forged or expired link is refused before any read or decrypt.
 */
export function verifyLink(link: SignedLink, keyring: MacKeyring, nowSeconds: number): void {
  const key = keyring.get(link.keyVersion);
  if (!key) throw new ApprovalError('LINK_INVALID');
  if (!sameMacText(link.mac, purposeMac(key.key, 'review-link', macFields(link.keyVersion, link)))) throw new ApprovalError('LINK_INVALID');
  if (nowSeconds >= link.expiresAt) throw new ApprovalError('LINK_EXPIRED');
}

/**
 * The anti-CSRF value the confirmation page embeds: a MAC tied to this very link,
 * so a form posted from anywhere but the page rendered for this link is refused.
 */
export function csrfToken(link: SignedLink, keyring: MacKeyring): string {
  const key = keyring.get(link.keyVersion);
  if (!key) throw new ApprovalError('LINK_INVALID');
  return purposeMac(key.key, 'csrf', macFields(link.keyVersion, link)).toString('base64url');
}

export function verifyCsrfToken(link: SignedLink, keyring: MacKeyring, token: string | undefined): void {
  if (!token || !MAC_TEXT.test(token)) throw new ApprovalError('CSRF_REJECTED');
  const key = keyring.get(link.keyVersion);
  if (!key || !sameMacText(token, purposeMac(key.key, 'csrf', macFields(link.keyVersion, link)))) throw new ApprovalError('CSRF_REJECTED');
}
