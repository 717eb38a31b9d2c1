import { expect } from 'chai';
import fc from 'fast-check';
import {
  DECISION_LEASE_SECONDS,
  FINAL_STATUSES,
  STATUSES,
  TRANSITIONS,
  canEscalate,
  canVote,
  canTransition,
  decidesNow,
  isFinal,
  isOpen,
  isStaleClaim,
  leaseFrom,
  mayVote,
  nextStatuses,
  parseVoteKey,
  refusal,
  reviewerIndexOf,
  voteKey,
  voteTransition,
  type LifecycleFacts,
  type RequestStatus,
  type Voter,
} from '../../../src/approval/domain/lifecycle';

const NOW = 1_800_000_000;
const admin: Voter = { kind: 'admin', email: 'boss@example.com' };
const reviewer = (index: number): Voter => ({ kind: 'reviewer', index });

function facts(overrides: Partial<LifecycleFacts> = {}): LifecycleFacts {
  return { status: 'PENDING', expiresAt: NOW + 3600, reviewers: ['a@example.com', 'b@example.com', 'c@example.com'], approvalsNeeded: 1, votes: {}, ...overrides };
}

describe('lifecycle: vote keys', () => {
  it('names a reviewer r<index> and an admin "admin", and reads both back', () => {
    expect(voteKey(reviewer(0))).to.equal('r0');
    expect(voteKey(reviewer(12))).to.equal('r12');
    expect(voteKey(admin)).to.equal('admin');
    expect(parseVoteKey('admin')).to.deep.equal({ kind: 'admin' });
    expect(parseVoteKey('r7')).to.deep.equal({ kind: 'reviewer', index: 7 });
  });

  it('reads back every reviewer key it writes (indices 0 to 999)', () => {
    fc.assert(fc.property(fc.nat(999), (index) => reviewerIndexOf(voteKey(reviewer(index))) === index));
  });

  it('reads nothing else as a reviewer: other actors, leading zeros, case, spaces, four digits', () => {
    for (const key of ['system', 'alice@example.com', 'r', 'r01', 'r0001', 'R3', ' r2', 'r2 ', 'r-1', 'r1.5', 'r1000', 'xr1', 'admin']) expect(reviewerIndexOf(key), key).to.equal(undefined);
    for (const key of ['system', 'Admin', 'r01', '']) expect(parseVoteKey(key), key).to.equal(undefined);
  });
});

describe('lifecycle: statuses and transitions', () => {
  it('has four final statuses that lead nowhere', () => {
    expect([...FINAL_STATUSES].sort()).to.deep.equal(['APPROVED', 'CLOSED', 'EXPIRED', 'REJECTED']);
    for (const status of FINAL_STATUSES) expect(nextStatuses(status), status).to.deep.equal([]);
    expect(STATUSES.filter((s) => !isFinal(s))).to.deep.equal(['PENDING', 'DECIDING']);
  });

  it('moves PENDING to DECIDING, EXPIRED or CLOSED, and DECIDING back to PENDING or on to a final status', () => {
    expect(nextStatuses('PENDING')).to.deep.equal(['DECIDING', 'EXPIRED', 'CLOSED']);
    expect(nextStatuses('DECIDING')).to.deep.equal(['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED']);
  });

  it('reaches a final status from every status', () => {
    const reachesFinal = (status: RequestStatus, seen = new Set<RequestStatus>()): boolean =>
      isFinal(status) || nextStatuses(status).some((next) => !seen.has(next) && reachesFinal(next, new Set([...seen, status])));
    for (const status of STATUSES) expect(reachesFinal(status), status).to.equal(true);
  });

  it('requires each transition’s from-status, whatever else holds', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[])), fc.constantFrom(...STATUSES), fc.integer({ min: -100, max: 100 }), (transition, status, offset) => {
        const record = facts({ status, expiresAt: NOW + offset, leaseUntil: NOW });
        return !canTransition(transition, record, { nowSeconds: NOW, lease: NOW }) || status === TRANSITIONS[transition].from;
      }),
    );
  });

  it('counts the links as expired from their expiry second on: expire then, claim and close only before', () => {
    const at = (expiresAt: number) => facts({ expiresAt });
    expect(canTransition('expire', at(NOW), { nowSeconds: NOW })).to.equal(true);
    expect(canTransition('expire', at(NOW + 1), { nowSeconds: NOW })).to.equal(false);
    for (const t of ['claim', 'vote', 'close', 'escalate'] as const) {
      expect(canTransition(t, at(NOW + 1), { nowSeconds: NOW }), t).to.equal(true);
      expect(canTransition(t, at(NOW), { nowSeconds: NOW }), t).to.equal(false);
    }
    expect(isOpen(at(NOW + 1), NOW)).to.equal(true);
    expect(isOpen(at(NOW), NOW)).to.equal(false);
  });

  it('lets only the holder of the lease finish, take over, abandon or expire a decision', () => {
    const deciding = facts({ status: 'DECIDING', leaseUntil: NOW + 60 });
    for (const t of ['takeOver', 'complete', 'abandon', 'markExpired'] as const) {
      expect(canTransition(t, deciding, { nowSeconds: NOW, lease: NOW + 60 }), t).to.equal(true);
      expect(canTransition(t, deciding, { nowSeconds: NOW, lease: NOW + 59 }), t).to.equal(false);
      expect(canTransition(t, deciding, { nowSeconds: NOW }), `${t} without a lease`).to.equal(false);
      expect(canTransition(t, facts({ status: 'DECIDING' }), { nowSeconds: NOW, lease: NOW + 60 }), `${t} on a record without one`).to.equal(false);
    }
  });

  it('escalates an open request once', () => {
    expect(canEscalate(facts(), NOW)).to.equal(true);
    expect(canEscalate(facts({ escalated: true }), NOW)).to.equal(false);
    expect(canEscalate(facts({ expiresAt: NOW }), NOW)).to.equal(false);
    expect(canEscalate(facts({ status: 'DECIDING' }), NOW)).to.equal(false);
  });
});

describe('lifecycle: the quorum', () => {
  it('decides on any rejection and on any admin vote, and on an approval only when it is the last one missing', () => {
    for (const needed of [0, 1, 2, 5]) {
      expect(decidesNow(admin, 'approved', needed), `admin, ${needed}`).to.equal(true);
      expect(decidesNow(reviewer(0), 'rejected', needed), `rejection, ${needed}`).to.equal(true);
      expect(decidesNow(reviewer(0), 'approved', needed), `approval, ${needed}`).to.equal(needed <= 1);
    }
  });

  it('decides with the k-th distinct approval of k required, each earlier one recorded as a vote', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((k) => fc.tuple(fc.constant(k), fc.shuffledSubarray([...Array(8).keys()], { minLength: k, maxLength: k }))), ([k, order]) => {
        let record = facts({ reviewers: Array.from({ length: 8 }, (_, i) => `r${i}@example.com`), approvalsNeeded: k });
        for (const [n, index] of order.entries()) {
          const step = voteTransition(record, reviewer(index), 'approved', NOW);
          if (step !== (n === k - 1 ? 'claim' : 'vote')) return false;
          record = { ...record, approvalsNeeded: record.approvalsNeeded - 1, votes: { ...record.votes, [voteKey(reviewer(index))]: true } };
        }
        return true;
      }),
    );
  });

  it('takes one vote per reviewer the request has, and an admin’s at any time it is open', () => {
    const voted = facts({ votes: { r1: {} } });
    expect(mayVote(voted, reviewer(1))).to.equal(false);
    expect(mayVote(voted, reviewer(0))).to.equal(true);
    for (const index of [3, -1, 1.5, Number.NaN]) expect(mayVote(voted, reviewer(index)), String(index)).to.equal(false);
    expect(mayVote(facts({ votes: { admin: {} } }), admin)).to.equal(true);
    expect(voteTransition(voted, reviewer(1), 'rejected', NOW)).to.equal(undefined);
    expect(voteTransition(facts({ status: 'DECIDING' }), admin, 'approved', NOW)).to.equal(undefined);
    expect(voteTransition(facts({ expiresAt: NOW }), admin, 'approved', NOW)).to.equal(undefined);
  });
});

describe('lifecycle: the decision lease', () => {
  it('lasts DECISION_LEASE_SECONDS (60) unless configured', () => {
    expect(DECISION_LEASE_SECONDS).to.equal(60);
    expect(leaseFrom(NOW)).to.equal(NOW + 60);
    expect(leaseFrom(NOW, 90)).to.equal(NOW + 90);
  });

  it('is stale from its last second on, only while DECIDING, and never without a lease', () => {
    expect(isStaleClaim(facts({ status: 'DECIDING', leaseUntil: NOW }), NOW)).to.equal(true);
    expect(isStaleClaim(facts({ status: 'DECIDING', leaseUntil: NOW + 1 }), NOW)).to.equal(false);
    expect(isStaleClaim(facts({ status: 'DECIDING' }), NOW)).to.equal(false);
    expect(isStaleClaim(facts({ status: 'APPROVED', leaseUntil: NOW - 100 }), NOW)).to.equal(false);
  });
});

describe('lifecycle: refusals', () => {
  const decided = { decision: 'approved' as const, decidedBy: 'a@example.com', decidedAt: '2026-11-28T09:00:00.000Z' };
  const codeOf = (record: LifecycleFacts | undefined, voter?: Voter) => refusal(record, NOW, voter).code;

  it('names why each state refuses a vote', () => {
    expect(codeOf(undefined)).to.equal('REQUEST_NOT_FOUND');
    expect(codeOf(facts({ status: 'APPROVED', ...decided }))).to.equal('ALREADY_DECIDED');
    expect(codeOf(facts({ status: 'REJECTED', ...decided }))).to.equal('ALREADY_DECIDED');
    expect(codeOf(facts({ status: 'DECIDING', ...decided }))).to.equal('DECISION_IN_PROGRESS');
    expect(codeOf(facts({ status: 'EXPIRED' }))).to.equal('TASK_CLOSED');
    expect(codeOf(facts({ status: 'CLOSED' }))).to.equal('REVIEW_CLOSED');
    expect(codeOf(facts({ expiresAt: NOW, votes: { r0: {} } }), reviewer(0))).to.equal('LINK_EXPIRED');
    expect(codeOf(facts({ votes: { r0: {} } }), reviewer(0))).to.equal('ALREADY_VOTED');
    expect(codeOf(facts(), reviewer(7))).to.equal('LINK_INVALID');
  });

  it('carries who decided, when the request holds a decision', () => {
    expect(refusal(facts({ status: 'APPROVED', ...decided }), NOW).decided).to.deep.equal(decided);
    expect(refusal(facts({ status: 'DECIDING', ...decided }), NOW).decided).to.deep.equal(decided);
    expect(refusal(facts({ status: 'DECIDING' }), NOW).decided).to.equal(undefined);
  });

  it('refuses exactly the votes the lifecycle cannot take, with a code that says the request is not open when it is not', () => {
    const arb = fc.record({
      status: fc.constantFrom(...STATUSES),
      expiresAt: fc.integer({ min: NOW - 2, max: NOW + 2 }),
      votes: fc.subarray(['r0', 'r1', 'admin']).map((keys) => Object.fromEntries(keys.map((k) => [k, {}]))),
      approvalsNeeded: fc.integer({ min: 0, max: 3 }),
    });
    const voterArb = fc.oneof(fc.integer({ min: -1, max: 4 }).map(reviewer), fc.constant(admin));
    fc.assert(
      fc.property(arb, voterArb, fc.constantFrom('approved' as const, 'rejected' as const), (overrides, voter, decision) => {
        const record = facts(overrides);
        const step = voteTransition(record, voter, decision, NOW);
        if (step !== undefined) return canVote(record, voter, NOW) && isOpen(record, NOW) && mayVote(record, voter);
        if (canVote(record, voter, NOW)) return false;
        const code = codeOf(record, voter);
        return isOpen(record, NOW) ? ['ALREADY_VOTED', 'LINK_INVALID'].includes(code) : !['ALREADY_VOTED', 'LINK_INVALID'].includes(code);
      }),
    );
  });
});
