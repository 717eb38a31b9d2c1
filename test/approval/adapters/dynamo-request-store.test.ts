/**
 * The request store's side of the sharded pending index, against dynalite: where each write puts
 * a request, and how the dashboard's lists and the sweeper's pages read every shard back.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoRequestStore, requestItem } from '../../../src/approval/adapters/dynamo-request-store';
import { requestKey } from '../../../src/approval/adapters/table-schema';
import { pendingShard } from '../../../src/approval/domain/pending-index';
import type { ApprovalRecord, AuditEvent } from '../../../src/approval/domain/ports';
import { startTestTable, type TestTable } from '../../support/dynalite';
import { approvalRecord } from '../../support/records';

const START = Date.parse('2026-11-28T09:00:00.000Z');
const at = (minutes: number) => new Date(START + minutes * 60_000).toISOString();
const event = (type: AuditEvent['type'], minutes: number): AuditEvent => ({ type, at: at(minutes), actor: 'system' });
const seconds = (minutes: number) => Math.floor(START / 1000) + minutes * 60;

/** A fresh request id (the 22 base64url characters the service derives). */
const newId = () => randomBytes(16).toString('base64url').slice(0, 22);

/** A request id that lands in `shard` of `shards`. */
function idInShard(shard: number, shards: number): string {
  for (;;) {
    const id = newId();
    if (pendingShard(id, shards) === shard) return id;
  }
}

function record(requestId: string, createdMinutes: number, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return approvalRecord(new Date(START), {
    requestId,
    subject: 'Publish “Hello world”',
    summary: 'A post is waiting for review.',
    reviewers: ['alice@example.com', 'bob@example.com'],
    createdAt: at(createdMinutes),
    expiresAt: Math.floor(START / 1000) + 7 * 24 * 3600,
    sealedToken: 'sealed',
    ...overrides,
  });
}

describe('DynamoRequestStore: the sharded pending index', () => {
  const SHARDS = 4;
  let table: TestTable;
  let doc: DynamoDBDocumentClient;
  let store: DynamoRequestStore;
  /** The index keys of a stored request, as written. */
  const indexKeys = async (requestId: string) => {
    const { Item } = await doc.send(new GetCommand({ TableName: table.tableName, Key: requestKey(requestId), ConsistentRead: true }));
    return { pendingKey: Item?.pendingKey, pendingSort: Item?.pendingSort };
  };
  /** A request as a release before sharding stored it: in the single PENDING (or DONE) partition. */
  const putLegacy = (r: ApprovalRecord, done?: { closedMinutes: number; status: ApprovalRecord['status'] }) =>
    doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...requestItem(done ? { ...r, status: done.status } : r, 3600, SHARDS), pendingKey: done ? 'DONE' : 'PENDING', pendingSort: done ? at(done.closedMinutes) : r.createdAt },
      }),
    );

  beforeEach(async () => {
    table = await startTestTable();
    doc = DynamoDBDocumentClient.from(table.client);
    store = new DynamoRequestStore(table.client, table.tableName, 3600, SHARDS);
  });
  afterEach(() => table.stop());

  it('writes a new request to its own shard, sorted by creation time', async () => {
    for (let shard = 0; shard < SHARDS; shard++) {
      const id = idInShard(shard, SHARDS);
      await store.createIfAbsent(record(id, shard));
      expect(await indexKeys(id)).to.deep.equal({ pendingKey: `PENDING#${shard}`, pendingSort: at(shard) });
    }
  });

  it('moves a request to DONE in the same shard, sorted by its closing time, whichever way it closes', async () => {
    const ids = [0, 1, 2, 3, 0].map((shard) => idInShard(shard, SHARDS));
    for (const id of ids) await store.createIfAbsent(record(id, 0, id === ids[1] ? { expiresAt: Math.floor(START / 1000) } : {}));
    const claim = (requestId: string, leaseUntil: number) =>
      store.claimDecision({ requestId, voter: { kind: 'reviewer', index: 0 }, decision: 'rejected', decidedAt: at(10), nowSeconds: Math.floor(START / 1000), leaseUntil, audit: [] });

    expect((await claim(ids[0]!, 1)).claimed).to.equal(true);
    await store.completeDecision(ids[0]!, 1, 'rejected', event('delivered', 11));
    expect(await store.expirePending(ids[1]!, Math.floor(START / 1000), event('expired', 12))).to.equal(true);
    expect(await store.closePending(ids[2]!, event('closed', 13), seconds(13))).to.not.equal(undefined);
    expect((await claim(ids[3]!, 2)).claimed).to.equal(true);
    await store.markExpired(ids[3]!, 2, event('expired', 14));
    // A decision given up (nothing delivered) leaves the request pending in its shard.
    expect((await claim(ids[4]!, 3)).claimed).to.equal(true);
    await store.abandonDecision(ids[4]!, 3, { voter: { kind: 'reviewer', index: 0 }, approval: false });
    expect(await indexKeys(ids[4]!), 'abandoned: still pending').to.deep.equal({ pendingKey: 'PENDING#0', pendingSort: at(0) });
    // A request stored before sharding closes into its shard's DONE partition like any other.
    const legacy = record(newId(), 0);
    await putLegacy(legacy);
    await store.closePending(legacy.requestId, event('closed', 15), seconds(15));
    expect(await indexKeys(legacy.requestId), 'legacy').to.deep.equal({ pendingKey: `DONE#${pendingShard(legacy.requestId, SHARDS)}`, pendingSort: at(15) });

    const expected = [
      ['APPROVED or REJECTED', ids[0], 11],
      ['EXPIRED by the sweeper', ids[1], 12],
      ['CLOSED', ids[2], 13],
      ['EXPIRED at delivery', ids[3], 14],
    ] as const;
    for (const [how, id, minutes] of expected) expect(await indexKeys(id!), how).to.deep.equal({ pendingKey: `DONE#${pendingShard(id!, SHARDS)}`, pendingSort: at(minutes) });
  });

  it('lists pending requests from every shard and the unsharded partition, oldest first', async () => {
    const created: ApprovalRecord[] = [];
    for (let i = 0; i < 30; i++) created.push(record(newId(), (i * 37) % 30)); // creation times shuffled over the shards
    for (const r of created.slice(0, 27)) await store.createIfAbsent(r);
    for (const r of created.slice(27)) await putLegacy(r);
    const oldestFirst = [...created].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((r) => r.requestId);

    expect((await store.listPending(100)).map((r) => r.requestId)).to.deep.equal(oldestFirst);
    expect((await store.listPending(7)).map((r) => r.requestId)).to.deep.equal(oldestFirst.slice(0, 7));
    const first = (await store.listPending(1))[0]!;
    expect(first).to.include({ requestId: oldestFirst[0], status: 'PENDING' });
    expect(first).to.not.have.any.keys('pendingKey', 'pendingSort', 'pk', 'sk', 'ttl');
  });

  it('lists closed requests from every shard and the unsharded partition, most recently closed first', async () => {
    const closedAt = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const id = newId();
      await store.createIfAbsent(record(id, i));
      const minutes = 100 + ((i * 7) % 20);
      await store.closePending(id, event('closed', minutes), seconds(minutes));
      closedAt.set(id, minutes);
    }
    const legacy = record(newId(), 0);
    await putLegacy(legacy, { closedMinutes: 110.5, status: 'APPROVED' });
    closedAt.set(legacy.requestId, 110.5);
    const newestFirst = [...closedAt.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);

    expect((await store.listRecent(50)).map((r) => r.requestId)).to.deep.equal(newestFirst);
    expect((await store.listRecent(5)).map((r) => r.requestId)).to.deep.equal(newestFirst.slice(0, 5));
    expect(await store.listPending(10)).to.deep.equal([]);
  });

  it('reads only as far into each partition as the merge needs', async () => {
    for (let i = 0; i < 200; i++) await store.createIfAbsent(record(newId(), i));
    table.calls.length = 0;
    expect(await store.listPending(10)).to.have.length(10);
    const queries = table.calls.filter((c) => c === 'QueryCommand').length;
    // One small page from each of the 5 partitions, and a few more where the oldest cluster.
    expect(queries).to.be.at.least(5).and.at.most(12);
  });

  it('still lists, at a larger shard count, every request written with a smaller one', async () => {
    const small = new DynamoRequestStore(table.client, table.tableName, 3600, 2);
    const large = new DynamoRequestStore(table.client, table.tableName, 3600, 8);
    const ids = Array.from({ length: 12 }, newId);
    for (const [i, id] of ids.entries()) await small.createIfAbsent(record(id, i));
    expect((await large.listPending(50)).map((r) => r.requestId)).to.deep.equal(ids);
    await large.closePending(ids[0]!, event('closed', 60), seconds(60));
    expect(await indexKeys(ids[0]!)).to.deep.equal({ pendingKey: `DONE#${pendingShard(ids[0]!, 8)}`, pendingSort: at(60) });
    expect((await large.listRecent(5)).map((r) => r.requestId)).to.deep.equal([ids[0]]);
  });

  it('pages through one partition in creation order, resuming after any request', async () => {
    const ids = Array.from({ length: 7 }, () => idInShard(2, SHARDS));
    for (const [i, id] of ids.entries()) await store.createIfAbsent(record(id, i));

    const first = await store.pendingPage('PENDING#2', 3);
    expect(first.items.map((i) => i.record.requestId)).to.deep.equal(ids.slice(0, 3));
    expect(first.next).to.not.equal(undefined);
    const second = await store.pendingPage('PENDING#2', 3, first.next);
    expect(second.items.map((i) => i.record.requestId)).to.deep.equal(ids.slice(3, 6));
    // Resuming from a request's own position starts just after it.
    const fromFifth = await store.pendingPage('PENDING#2', 10, second.items[1]!.position);
    expect(fromFifth.items.map((i) => i.record.requestId)).to.deep.equal(ids.slice(5));
    expect(fromFifth.next).to.equal(undefined);
    expect(await store.pendingPage('PENDING#1', 10)).to.deep.equal({ items: [] });
  });

  it('refuses a shard count outside 1 to 256', () => {
    for (const n of [0, 257, 2.5]) expect(() => new DynamoRequestStore(table.client, table.tableName, 3600, n), String(n)).to.throw(RangeError);
  });
});
