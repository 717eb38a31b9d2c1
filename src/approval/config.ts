import { DEFAULT_PENDING_SHARDS, MAX_PENDING_SHARDS, isShardCount } from './domain/pending-index';
import { MAX_RATE_LIMIT } from './domain/rate-limit';

/**
 * Reads the named environment variables once (at cold start) and fails fast,
 * naming every missing one at once rather than the first.
 */
export function readEnv<R extends string, O extends string = never>(
  env: NodeJS.ProcessEnv,
  required: readonly R[],
  optional: readonly O[] = [],
): Record<R, string> & Partial<Record<O, string>> {
  const missing = required.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`);
  const out: Record<string, string> = {};
  for (const name of [...required, ...optional]) {
    const value = env[name]?.trim();
    if (value) out[name] = value;
  }
  return out as Record<R, string> & Partial<Record<O, string>>;
}

/** AUDIT_RETENTION_DAYS (days a request and its audit trail outlive its links; default 365) in seconds. */
export function retentionSeconds(days: string | undefined): number {
  if (days === undefined) return 365 * 24 * 3600;
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new Error(`AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 3650, got ${JSON.stringify(days)}`);
  return n * 24 * 3600;
}

/** PENDING_SHARDS (how many partitions the pending index spreads requests over; default 16, 1–256). */
export function pendingShards(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PENDING_SHARDS;
  const n = Number(value);
  if (!isShardCount(n)) throw new Error(`PENDING_SHARDS must be a whole number from 1 to ${MAX_PENDING_SHARDS}, got ${JSON.stringify(value)}`);
  return n;
}

/** The optional variables that go with TABLE_NAME wherever requests are read or written. */
export const REQUEST_TABLE_OPTIONS = ['AUDIT_RETENTION_DAYS', 'PENDING_SHARDS'] as const;

/** Where requests live and how: the table, how long they outlive their links, and the pending index's shard count. */
export interface RequestTableConfig {
  tableName: string;
  retentionSeconds: number;
  pendingShards: number;
}

/**
 * The request table's settings, read together so that no Lambda that reads or writes requests can
 * take the table without the index layout every other one uses.
 */
export function requestTableConfig(config: { TABLE_NAME: string } & Partial<Record<(typeof REQUEST_TABLE_OPTIONS)[number], string>>): RequestTableConfig {
  return { tableName: config.TABLE_NAME, retentionSeconds: retentionSeconds(config.AUDIT_RETENTION_DAYS), pendingShards: pendingShards(config.PENDING_SHARDS) };
}

/** An abuse limit (`POSTS_PER_AUTHOR_PER_HOUR`, …): a whole number from 0 (off) to 1,000,000; `fallback` when unset. */
export function rateLimitSetting(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_RATE_LIMIT) throw new Error(`${name} must be a whole number from 0 (no limit) to ${MAX_RATE_LIMIT}, got ${JSON.stringify(value)}`);
  return n;
}
