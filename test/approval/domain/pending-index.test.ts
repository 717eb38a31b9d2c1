import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DEFAULT_PENDING_SHARDS, MAX_PENDING_SHARDS, indexPartition, indexPartitions, isShardCount, pendingShard } from '../../../src/approval/domain/pending-index';

const requestId = () => randomBytes(16).toString('base64url').slice(0, 22);

describe('pending index shards', () => {
  it('hashes the id with 32-bit FNV-1a (the published test vectors), modulo the shard count', () => {
    // FNV-1a("") = 0x811c9dc5, FNV-1a("a") = 0xe40c292c, FNV-1a("foobar") = 0xbf9cf968.
    expect(pendingShard('', 256)).to.equal(0x811c9dc5 % 256);
    expect(pendingShard('a', 256)).to.equal(0xe40c292c % 256);
    expect(pendingShard('foobar', 256)).to.equal(0xbf9cf968 % 256);
    expect(pendingShard('foobar', 16)).to.equal(0xbf9cf968 % 16);
    expect(pendingShard('foobar', 7)).to.equal(0xbf9cf968 % 7);
  });

  it('gives a request the same shard every time (stored items depend on it)', () => {
    // Frozen: changing the function would strand every stored request in a shard nobody reads.
    expect(pendingShard('AAAAAAAAAAAAAAAAAAAAAA', 16)).to.equal(11);
    expect(pendingShard('AAAAAAAAAAAAAAAAAAAAAA', 16)).to.equal(11);
    expect(indexPartition('PENDING', 'foobar', 16)).to.equal('PENDING#8');
    expect(indexPartition('DONE', 'foobar', 16)).to.equal('DONE#8');
  });

  it('spreads request ids evenly over the shards', () => {
    for (const shards of [DEFAULT_PENDING_SHARDS, 7, MAX_PENDING_SHARDS]) {
      const perShard = new Array<number>(shards).fill(0);
      const ids = 200 * shards;
      for (let i = 0; i < ids; i++) perShard[pendingShard(requestId(), shards)]!++;
      // 200 expected per shard: a fair split stays well within ±40% (about 5.6 standard deviations).
      expect(Math.min(...perShard), `${shards} shards`).to.be.above(120);
      expect(Math.max(...perShard), `${shards} shards`).to.be.below(280);
      // Chi-square against uniform, far under the 0.1% critical value for these degrees of freedom.
      const chi = perShard.reduce((sum, n) => sum + (n - 200) ** 2 / 200, 0);
      expect(chi, `${shards} shards`).to.be.below(shards + 5 * Math.sqrt(2 * shards));
    }
  });

  it('reads, at a larger count, every shard a smaller count wrote to (so the count may grow)', () => {
    const id = requestId();
    const readAt32 = indexPartitions('PENDING', 32);
    for (const shards of [1, 2, 16, 32]) expect(readAt32).to.include(indexPartition('PENDING', id, shards));
  });

  it('lists every shard and then the unsharded partition of requests stored before sharding', () => {
    expect(indexPartitions('PENDING', 3)).to.deep.equal(['PENDING#0', 'PENDING#1', 'PENDING#2', 'PENDING']);
    expect(indexPartitions('DONE', 1)).to.deep.equal(['DONE#0', 'DONE']);
  });

  it('accepts whole shard counts from 1 to 256 only', () => {
    for (const n of [1, 16, 256]) expect(isShardCount(n), String(n)).to.equal(true);
    for (const n of [0, -1, 1.5, 257, Number.NaN]) {
      expect(isShardCount(n), String(n)).to.equal(false);
      // The message names the range and the count given (a bad PENDING_SHARDS fails the cold start with it).
      expect(() => pendingShard('x', n), String(n)).to.throw(RangeError, `shard count must be a whole number from 1 to 256, got ${n}`);
      expect(() => indexPartitions('PENDING', n), String(n)).to.throw(RangeError, `shard count must be a whole number from 1 to 256, got ${n}`);
    }
  });
});
