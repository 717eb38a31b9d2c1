import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** 128-bit truncated HMAC-SHA-256: forgery odds 2^-128, 22 characters of base64url. */
export const MAC_BYTES = 16;

/** Canonical, length-prefixed encoding: no two different field lists encode the same bytes. */
export function lengthPrefixed(parts: readonly string[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    chunks.push(len, bytes);
  }
  return Buffer.concat(chunks);
}

/** The purpose comes first, so a MAC made for one purpose never verifies for another. */
export function purposeMac(key: KeyObject, purpose: string, fields: readonly string[]): Buffer {
  return createHmac('sha256', key).update(lengthPrefixed([purpose, ...fields])).digest().subarray(0, MAC_BYTES);
}

/**
 * Constant-time comparison of the texts, not the decoded bytes: 22 base64url characters carry
 * 132 bits for 128, and decoding would accept 16 spellings of the same MAC.
 */
export function sameMacText(given: string, expected: Buffer): boolean {
  const a = Buffer.from(given, 'latin1');
  const b = Buffer.from(expected.toString('base64url'), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}
