/**
 * How the `pending` index is partitioned. Every request sits in one partition of it: while it
 * awaits a decision `PENDING#<shard>`, once closed `DONE#<shard>`. One partition for the whole
 * deployment would put every transition on one hot key; spreading requests over shards lets the
 * index take writes in parallel, and readers query every shard at once and merge.
 *
 * Requests stored before the index was sharded sit in the unsharded `PENDING` / `DONE`
 * partitions; readers query those too (`indexPartitions`), so nothing needs migrating.
 */

export type IndexState = 'PENDING' | 'DONE';

/** Shards when PENDING_SHARDS / `pendingShards` is not set. */
export const DEFAULT_PENDING_SHARDS = 16;
/** The most shards a deployment may use: readers query every one of them on each read. */
export const MAX_PENDING_SHARDS = 256;

/** Whether `n` is a shard count the index accepts: a whole number from 1 to MAX_PENDING_SHARDS. */
export function isShardCount(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_PENDING_SHARDS;
}

const utf8 = new TextEncoder();

/**
 * The shard of a request: FNV-1a (32-bit) of its id's UTF-8 bytes, modulo `shards`. Stable by
 * design: an item keeps the shard this computed when it was written, so the function must never
 * change (a different hash would strand every stored request in a shard readers no longer expect).
 */
export function pendingShard(requestId: string, shards: number): number {
  if (!isShardCount(shards)) throw new RangeError(`shard count must be a whole number from 1 to ${MAX_PENDING_SHARDS}, got ${shards}`);
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(requestId)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % shards;
}

/** The partition a request in `state` is written to: `PENDING#<shard>` or `DONE#<shard>`. */
export function indexPartition(state: IndexState, requestId: string, shards: number): string {
  return `${state}#${pendingShard(requestId, shards)}`;
}

/**
 * Every partition a reader queries for `state`: each shard, then the unsharded partition of
 * requests stored before sharding. Querying shards 0…`shards`−1 also finds every item written
 * with a smaller shard count, so the count may grow without moving anything.
 */
export function indexPartitions(state: IndexState, shards: number): string[] {
  if (!isShardCount(shards)) throw new RangeError(`shard count must be a whole number from 1 to ${MAX_PENDING_SHARDS}, got ${shards}`);
  return [...Array.from({ length: shards }, (_, k) => `${state}#${k}`), state];
}
