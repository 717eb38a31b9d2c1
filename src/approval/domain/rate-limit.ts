/**
 * Abuse limits: how many posts an author address and a client may submit, and how many sign-in
 * links an address may be sent, in fixed windows. What is counted is a keyed hash (never a raw
 * address or IP), and the counter is DynamoDB's, so every container counts the same.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ApprovalError } from './errors';
import { purposeMac } from './mac';
import type { MacKeyring } from './mac-keyring';

/** The admin sign-in emails' counter (the blog example counts `post-author` and `post-client`). */
export const SIGN_IN_RATE_KIND = 'sign-in';
export type RateKind = 'post-author' | 'post-client' | typeof SIGN_IN_RATE_KIND;

/** At most `max` in each fixed window of `windowSeconds`; a `max` of 0 turns the limit off. */
export interface RateLimit {
  kind: RateKind;
  max: number;
  windowSeconds: number;
}

export const HOUR_SECONDS = 3600;
export const QUARTER_HOUR_SECONDS = 15 * 60;

/** The defaults on AWS (the stack keys and the Lambdas' variables); local mode sets none unless told. */
export const DEFAULT_LIMITS = { postsPerAuthorPerHour: 5, postsPerClientPerHour: 20, signInsPerAddressPer15Minutes: 3 } as const;
/** The largest limit a setting takes: far above any honest use, and still a bound. */
export const MAX_RATE_LIMIT = 1_000_000;

/** One counter per kind, subject and window. */
export interface RateCounter {
  /**
   * Counts one more for `subject` in the window that starts at `windowStart`, unless `max` are
   * counted there already: true when counted, false at the limit. The count is kept until
   * `expiresAt`. Throws (THROTTLED, UNAVAILABLE) when it cannot tell; callers then refuse.
   */
  hit(kind: RateKind, subject: string, windowStart: number, max: number, expiresAt: number): Promise<boolean>;
}

/** The fixed window `nowSeconds` falls in: [start, end), aligned on multiples of its length. */
export function rateWindow(windowSeconds: number, nowSeconds: number): { start: number; end: number } {
  const start = Math.floor(nowSeconds / windowSeconds) * windowSeconds;
  return { start, end: start + windowSeconds };
}

/**
 * Counts one request against `limit`, or refuses it with RATE_LIMITED and the seconds until the
 * window ends. Fails closed: when the counter cannot be written (throttled, unavailable) its
 * error goes to the caller, and nothing is sent. A throttled counter is usually the flood itself
 * on one hot key, so only that key's requests are refused, for a few seconds, not everyone's.
 */
export async function enforceRateLimit(counter: RateCounter, limit: RateLimit, subject: string, nowSeconds: number): Promise<void> {
  if (limit.max <= 0) return;
  const { start, end } = rateWindow(limit.windowSeconds, nowSeconds);
  if (!(await counter.hit(limit.kind, subject, start, limit.max, end))) {
    throw new ApprovalError('RATE_LIMITED', { retryAfterSeconds: end - nowSeconds });
  }
}

/**
 * What a counter is kept under: a keyed hash of the address or network (keyed like the audit
 * trail's hashes: without the key nobody can test candidate addresses or IPs against the table).
 * 22 base64url characters (128 bits).
 */
export function rateSubject(keyring: MacKeyring, kind: RateKind, value: string): string {
  return purposeMac(keyring.current.key, 'rate-limit', [kind, value]).toString('base64url');
}

/**
 * The network a client is counted as: an IPv4 address as it is; an IPv6 address by its /64
 * (one subscriber's prefix: counting single IPv6 addresses would let a client pick a new one
 * per request); an IPv4-mapped IPv6 address as its IPv4 address. Undefined when it is neither.
 */
export function clientNetwork(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1];
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address (lower-case, no leading zeros), `::` and a trailing IPv4 part expanded. */
function expandIPv6(ip: string): string[] {
  let text = ip.toLowerCase().split('%')[0]!;
  const last = text.lastIndexOf(':');
  if (text.includes('.', last)) {
    const [a, b, c, d] = text.slice(last + 1).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, last + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...middle, ...right].map((group) => (parseInt(group, 16) || 0).toString(16));
}
