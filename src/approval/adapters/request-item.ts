/**
 * The request item in DynamoDB: an ApprovalRecord as the store writes it (reviewer sets as
 * DynamoDB sets, the pending index's keys, the TTL) and read back, and an item's position in the
 * pending index.
 */
import { indexPartition } from '../domain/pending-index';
import type { ApprovalRecord } from '../domain/ports';
import type { IndexPosition } from '../domain/request-store';
import { PENDING_INDEX_KEY, TABLE_KEY, requestKey } from './table-schema';

export type Item = Record<string, unknown>;

/** The record's reviewer-index lists that the item keeps as DynamoDB number sets. */
export const SETS = ['notified', 'opened', 'reminded', 'toldClosed'] as const;
export type SetName = (typeof SETS)[number];

/**
 * The item the store writes for a new request. Index keys: `pendingKey` is `PENDING#<shard>` while
 * the request awaits a decision (the dashboard's and the sweeper's query), then `DONE#<shard>`
 * with the time it closed as `pendingSort`, for the dashboard's "recently decided".
 */
export function requestItem(record: ApprovalRecord, retentionSeconds: number, shards: number): Item {
  const { notified, opened, reminded, toldClosed, ...rest } = record;
  const sets: Item = {};
  // DynamoDB sets cannot be empty; an absent attribute means "none yet".
  for (const [name, values] of [['notified', notified], ['opened', opened], ['reminded', reminded], ['toldClosed', toldClosed ?? []]] as const) if (values.length > 0) sets[name] = new Set(values);
  return {
    ...requestKey(record.requestId),
    ...rest,
    ...sets,
    pendingKey: indexPartition('PENDING', record.requestId, shards),
    pendingSort: record.createdAt,
    ttl: record.expiresAt + retentionSeconds,
  };
}

/**
 * The index fields of a request that closes at `at`: it moves to its `DONE#<shard>` partition,
 * sorted by when it closed (as `:done` and `:at` in an update expression).
 */
export function closedIndexValues(requestId: string, shards: number, at: string): { ':done': string; ':at': string } {
  return { ':done': indexPartition('DONE', requestId, shards), ':at': at };
}

/** The index position of an item: its table and index keys, what DynamoDB takes as ExclusiveStartKey. */
export function positionOf(item: Item): IndexPosition {
  const position: IndexPosition = {};
  for (const name of [TABLE_KEY.partition, TABLE_KEY.sort, PENDING_INDEX_KEY.partition, PENDING_INDEX_KEY.sort]) position[name] = String(item[name]);
  return position;
}

/** The record an item holds: keys and index fields dropped, defaults for fields older items lack, sets as sorted lists. */
export function fromItem(item: Item): ApprovalRecord {
  const { pk: _pk, sk: _sk, pendingKey: _pendingKey, pendingSort: _pendingSort, ttl: _ttl, ...rest } = item;
  const record = { votes: {}, audit: [], requiredApprovals: 1, approvalsNeeded: 1, ...rest } as unknown as ApprovalRecord;
  for (const name of SETS) {
    const value = item[name];
    record[name] = value instanceof Set ? [...value].map(Number).sort((a, b) => a - b) : [];
  }
  return record;
}
