import { expect } from 'chai';
import { votesOf } from '../../../src/approval/domain/ports';

describe('votes as reported', () => {
  const reviewers = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

  it('lists every vote in time order, whatever order they were stored in, with the reviewer by address', () => {
    const votes = {
      r2: { decision: 'rejected' as const, at: '2026-11-28T09:03:00.000Z', comment: 'No.' },
      r0: { decision: 'approved' as const, at: '2026-11-28T09:01:00.000Z' },
      admin: { decision: 'approved' as const, at: '2026-11-28T09:02:00.000Z', by: 'boss@example.com' },
    };
    expect(votesOf({ reviewers, votes })).to.deep.equal([
      { reviewer: 'alice@example.com', decision: 'approved', at: '2026-11-28T09:01:00.000Z' },
      { reviewer: 'boss@example.com', decision: 'approved', at: '2026-11-28T09:02:00.000Z' },
      { reviewer: 'carol@example.com', decision: 'rejected', at: '2026-11-28T09:03:00.000Z', comment: 'No.' },
    ]);
  });

  it('calls an admin vote that names nobody "admin", and keeps the key of a reviewer index it has no address for', () => {
    const votes = {
      admin: { decision: 'rejected' as const, at: '2026-11-28T09:01:00.000Z' },
      r7: { decision: 'approved' as const, at: '2026-11-28T09:02:00.000Z' },
    };
    expect(votesOf({ reviewers, votes }).map((v) => v.reviewer)).to.deep.equal(['admin', 'r7']);
  });
});
