import { expect } from 'chai';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoSweepCursor } from '../../../src/approval/adapters/dynamo-sweep-cursor';
import { sweepCursorKey } from '../../../src/approval/adapters/table-schema';
import { ApprovalError } from '../../../src/approval/domain/errors';
import type { SweepCursor } from '../../../src/approval/domain/ports';
import { startTestTable, type TestTable } from '../../support/dynalite';

const throttled = () => Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ThrottlingException' });
const position = { pk: 'REQ#abc', sk: 'REQUEST', pendingKey: 'PENDING#3', pendingSort: '2026-11-28T09:00:00.000Z' };
const cursor: SweepCursor = { passStartedAt: '2026-11-28T09:00:00.000Z', shards: 4, partitions: { 'PENDING#0': 'done', 'PENDING#3': position } };

describe('DynamoSweepCursor', () => {
  let table: TestTable;
  let cursors: DynamoSweepCursor;
  beforeEach(async () => {
    table = await startTestTable();
    cursors = new DynamoSweepCursor(table.client, table.tableName);
  });
  afterEach(() => table.stop());

  it('has no cursor and version 0 before the first save', async () => {
    expect(await cursors.load()).to.deep.equal({ version: 0 });
  });

  it('stores the cursor as the next version, and reads it back as stored', async () => {
    expect(await cursors.save(cursor, 0)).to.equal(true);
    expect(await cursors.load()).to.deep.equal({ cursor, version: 1 });
    const next = { ...cursor, partitions: { ...cursor.partitions, 'PENDING#3': 'done' as const } };
    expect(await cursors.save(next, 1)).to.equal(true);
    expect(await cursors.load()).to.deep.equal({ cursor: next, version: 2 });
  });

  it('refuses a save from a sweep that read an older version (another sweep saved first)', async () => {
    expect(await cursors.save(cursor, 0)).to.equal(true);
    // Two sweeps that both read version 1: the first save wins, the second is told so.
    expect(await cursors.save({ ...cursor, shards: 8 }, 1)).to.equal(true);
    expect(await cursors.save({ ...cursor, shards: 16 }, 1)).to.equal(false);
    expect(await cursors.save({ ...cursor, shards: 16 }, 0)).to.equal(false);
    expect((await cursors.load()).cursor!.shards).to.equal(8);
  });

  it('starts a new pass from an item it cannot read as a cursor, keeping its version', async () => {
    const doc = DynamoDBDocumentClient.from(table.client);
    await doc.send(new PutCommand({ TableName: table.tableName, Item: { ...sweepCursorKey(), version: 5, passStartedAt: 'x', shards: 4, partitions: { 'PENDING#0': 7 } } }));
    expect(await cursors.load()).to.deep.equal({ version: 5 });
    expect(await cursors.save(cursor, 5)).to.equal(true);
  });

  it('turns throttling on read or write into THROTTLED, and a network failure into UNAVAILABLE', async () => {
    table.failNext('GetItemCommand', throttled());
    const read = await cursors.load().catch((err: unknown) => err);
    expect(read).to.be.instanceOf(ApprovalError).and.to.include({ code: 'THROTTLED' });
    table.failNext('PutItemCommand', throttled());
    const write = await cursors.save(cursor, 0).catch((err: unknown) => err);
    expect(write).to.be.instanceOf(ApprovalError).and.to.include({ code: 'THROTTLED' });
    table.failNext('PutItemCommand', Object.assign(new Error('no route'), { name: 'NetworkingError' }));
    const other = await cursors.save(cursor, 0).catch((err: unknown) => err);
    expect(other).to.be.instanceOf(ApprovalError).and.to.include({ code: 'UNAVAILABLE' });
    // Nothing was half-written: the first save still finds no cursor.
    expect(await cursors.save(cursor, 0)).to.equal(true);
  });
});
