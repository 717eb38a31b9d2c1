import { createHmac } from 'node:crypto';
import type { MacKeyring } from './mac-keyring';
import type { AuditEvent, AuditType } from './ports';

/** Where a request came from, as the handler saw it. */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}

/**
 * A keyed hash: two events from the same address compare equal, but without the key nobody can
 * test candidate addresses against the trail (an unkeyed hash of an IPv4 address is brute-forced in seconds).
 */
function keyedHash(keyring: MacKeyring, value: string | undefined): string | undefined {
  if (!value) return undefined;
  return createHmac('sha256', keyring.current.key).update(`audit\0${value}`).digest().subarray(0, 9).toString('base64url');
}

/** An audit event with the client's IP and user agent hashed, never stored raw. */
export function auditEvent(type: AuditType, at: Date, actor: string, keyring: MacKeyring, client: ClientInfo = {}, detail?: string): AuditEvent {
  return {
    type,
    at: at.toISOString(),
    actor,
    ...(client.ip ? { ipHash: keyedHash(keyring, client.ip) } : {}),
    ...(client.userAgent ? { uaHash: keyedHash(keyring, client.userAgent) } : {}),
    ...(detail ? { detail } : {}),
  };
}

/** An event the system records on its own (no client to hash): expiry, closing, recovery. */
export function systemEvent(type: AuditType, at: Date, detail?: string): AuditEvent {
  return { type, at: at.toISOString(), actor: 'system', ...(detail ? { detail } : {}) };
}
