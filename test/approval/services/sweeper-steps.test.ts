import { expect } from 'chai';
import type { ApprovalRecord, AuditEvent, OutgoingEmail, SweepCursor, SweepCursorStore, TokenCipher } from '../../../src/approval/domain/ports';
import type { IndexPosition, PendingPage, SweeperStore } from '../../../src/approval/domain/request-store';
import { sealToken } from '../../../src/approval/domain/sealed-token';
import { sweep, type SweeperDeps } from '../../../src/approval/services/sweeper';
import { keyring } from '../../support/approval-harness';

/**
 * The sweeper's steps one request at a time, against in-memory ports: what it reads and writes,
 * and at which second. (test/approval/services/sweeper.test.ts runs it against DynamoDB.)
 */
const HOUR = 3600;
const DAY = 24 * HOUR;
const created = new Date('2026-11-28T09:00:00.000Z');
const createdSeconds = created.getTime() / 1000;
const at = (secondsAfterCreation: number) => new Date(created.getTime() + secondsAfterCreation * 1000);
const iso = (secondsAfterCreation: number) => at(secondsAfterCreation).toISOString();

/** Not encryption: the sealed token is the deflated token, as text. */
const cipher: TokenCipher = {
  encrypt: (plaintext) => Promise.resolve(new Uint8Array(plaintext)),
  decrypt: (ciphertext) => Promise.resolve(new Uint8Array(ciphertext)),
};

function record(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    requestId: 'AAAAAAAAAAAAAAAAAAAAAA',
    status: 'PENDING',
    subject: 'Publish',
    summary: 'A post.',
    reviewers: ['alice@example.com', 'bob@example.com'],
    createdAt: created.toISOString(),
    expiresAt: createdSeconds + 7 * DAY,
    sealedToken: 'c2VhbGVk',
    notified: [0, 1],
    requiredApprovals: 1,
    approvalsNeeded: 1,
    votes: {},
    audit: [
      { type: 'emailed', at: iso(0), actor: 'r0' },
      { type: 'emailed', at: iso(0), actor: 'r1' },
    ],
    opened: [],
    reminded: [],
    ...overrides,
  };
}

/** One shard; every request in PENDING#0; records every call but reads. */
class MemoryStore {
  readonly pendingShards = 1;
  readonly calls: string[] = [];
  readonly reads: string[] = [];
  readonly events: AuditEvent[] = [];
  constructor(readonly items: Map<string, ApprovalRecord>) {}

  pendingPage(partition: string, _limit: number, after?: IndexPosition): Promise<PendingPage> {
    this.reads.push(`page ${partition}${after ? ` after ${after.pk}` : ''}`);
    if (partition !== 'PENDING#0' || after) return Promise.resolve({ items: [] });
    return Promise.resolve({ items: [...this.items.values()].map((r) => ({ record: structuredClone(r), position: { pk: r.requestId } })) });
  }
  get(requestId: string): Promise<ApprovalRecord | undefined> {
    this.reads.push(`get ${requestId}`);
    const r = this.items.get(requestId);
    return Promise.resolve(r && structuredClone(r));
  }
  expirePending(requestId: string, _now: number, event: AuditEvent): Promise<boolean> {
    this.calls.push(`expirePending ${requestId}`);
    this.events.push(event);
    return Promise.resolve(true);
  }
  escalate(requestId: string, reviewers: string[], _now: number, event: AuditEvent): Promise<ApprovalRecord | undefined> {
    this.calls.push(`escalate ${requestId}`);
    this.events.push(event);
    const r = this.items.get(requestId)!;
    Object.assign(r, { reviewers: [...r.reviewers, ...reviewers], escalated: true, audit: [...r.audit, event] });
    return Promise.resolve(structuredClone(r));
  }
  claimNotification(_requestId: string, reviewer: number): Promise<boolean> {
    this.calls.push(`claimNotification r${reviewer}`);
    return Promise.resolve(true);
  }
  releaseNotification(_requestId: string, reviewer: number): Promise<void> {
    this.calls.push(`releaseNotification r${reviewer}`);
    return Promise.resolve();
  }
  claimReminder(_requestId: string, reviewer: number): Promise<boolean> {
    this.calls.push(`claimReminder r${reviewer}`);
    return Promise.resolve(true);
  }
  appendAudit(_requestId: string, events: AuditEvent[]): Promise<void> {
    this.calls.push(`appendAudit ${events.map((e) => `${e.type}:${e.actor}`).join(',')}`);
    return Promise.resolve();
  }
  takeOverDecision(requestId: string, expiredLease: number, newLease: number): Promise<boolean> {
    this.calls.push(`takeOverDecision ${requestId} ${expiredLease} ${newLease}`);
    return Promise.resolve(true);
  }
  completeDecision(requestId: string, lease: number, decision: string): Promise<void> {
    this.calls.push(`completeDecision ${requestId} ${lease} ${decision}`);
    return Promise.resolve();
  }
}

class MemoryCursor implements SweepCursorStore {
  readonly saved: SweepCursor[] = [];
  constructor(private stored: { cursor?: SweepCursor; version: number } = { version: 0 }) {}
  load() {
    return Promise.resolve(structuredClone(this.stored));
  }
  save(cursor: SweepCursor, version: number) {
    this.saved.push(structuredClone(cursor));
    this.stored = { cursor: structuredClone(cursor), version: version + 1 };
    return Promise.resolve(true);
  }
}

function wire(items: ApprovalRecord[], cursor = new MemoryCursor()) {
  const store = new MemoryStore(new Map(items.map((r) => [r.requestId, r])));
  const sent: OutgoingEmail[] = [];
  const delivered: { token: string; output: unknown }[] = [];
  const deps: SweeperDeps = {
    store: store as unknown as SweeperStore,
    cursor,
    mailer: { send: (email) => (sent.push(email), Promise.resolve()) },
    keyring,
    reviewUrl: 'https://approvals.example.com/review',
    cipher,
    callback: { succeed: (token, output) => (delivered.push({ token, output }), Promise.resolve()) },
    defaults: { remindBeforeSeconds: DAY },
  };
  return { deps, store, sent, delivered, cursor };
}

describe('sweeper steps (in-memory ports)', () => {
  describe('the pass', () => {
    it('carries on a pass whose partitions are only partly read, skipping the ones it finished', async () => {
      const cursor = new MemoryCursor({ cursor: { passStartedAt: iso(-HOUR), shards: 1, partitions: { PENDING: 'done' } }, version: 3 });
      const { deps, store } = wire([record()], cursor);
      const summary = await sweep(deps, at(HOUR));
      expect(summary).to.include({ ended: 'finished', passStartedAt: iso(-HOUR), scanned: 1 });
      expect(store.reads.filter((r) => r.startsWith('page'))).to.deep.equal(['page PENDING#0']);
    });

    it('starts a new pass once every partition of the last one was read', async () => {
      const cursor = new MemoryCursor({ cursor: { passStartedAt: iso(-HOUR), shards: 1, partitions: { 'PENDING#0': 'done', PENDING: 'done' } }, version: 3 });
      const { deps, store } = wire([record()], cursor);
      expect(await sweep(deps, at(HOUR))).to.include({ ended: 'finished', passStartedAt: iso(HOUR), scanned: 1 });
      expect(store.reads.filter((r) => r.startsWith('page')).sort()).to.deep.equal(['page PENDING', 'page PENDING#0']);
    });

    it('leaves alone a request the index still lists but that is no longer pending or deciding', async () => {
      for (const status of ['APPROVED', 'REJECTED', 'EXPIRED', 'CLOSED'] as const) {
        // Past its expiry, its escalation and its reminder time: a pending one would get all three.
        const { deps, store, sent } = wire([record({ status, escalateTo: ['dana@example.com'], escalateAfterSeconds: HOUR })]);
        expect(await sweep(deps, at(7 * DAY + 1)), status).to.include({ scanned: 1, expired: 0, escalated: 0, reminded: 0 });
        expect(store.calls, status).to.deep.equal([]);
        expect(sent, status).to.deep.equal([]);
      }
    });
  });

  describe('expiry and escalation', () => {
    it('expires a request from its expiry second on, recording that its links expired', async () => {
      const { deps, store } = wire([record()]);
      expect(await sweep(deps, at(7 * DAY - 1))).to.include({ expired: 0 });
      expect(store.calls.filter((c) => c.startsWith('expirePending'))).to.deep.equal([]);
      expect(await sweep(deps, at(7 * DAY))).to.include({ expired: 1 });
      expect(store.events).to.deep.equal([{ type: 'expired', at: iso(7 * DAY), actor: 'system', detail: 'the review links expired' }]);
    });

    it('records how many reviewers an escalation added', async () => {
      const { deps, store, sent } = wire([record({ escalateTo: ['dana@example.com', 'erin@example.com'], escalateAfterSeconds: HOUR })]);
      expect(await sweep(deps, at(HOUR))).to.include({ escalated: 1 });
      expect(store.events).to.deep.equal([{ type: 'escalated', at: iso(HOUR), actor: 'system', detail: '2 reviewer(s) added' }]);
      expect(sent.map((e) => e.to)).to.deep.equal(['dana@example.com', 'erin@example.com']);
    });

    it('takes over an escalation email claimed but never sent from ten minutes after the escalation on, not before', async () => {
      // Escalated to carol at 2 days; a sweep claimed her email and died before sending it.
      const escalated = record({
        reviewers: ['alice@example.com', 'bob@example.com', 'carol@example.com'],
        escalateTo: ['carol@example.com'],
        escalated: true,
        notified: [0, 1, 2],
        audit: [...record().audit, { type: 'escalated', at: iso(2 * DAY), actor: 'system', detail: '1 reviewer(s) added' }],
      });
      const early = wire([escalated]);
      await sweep(early.deps, at(2 * DAY + 10 * 60 - 1));
      expect(early.sent).to.deep.equal([]);
      expect(early.store.calls).to.deep.equal([]);

      const due = wire([escalated]);
      await sweep(due.deps, at(2 * DAY + 10 * 60));
      expect(due.sent.map((e) => `${e.to} ${e.subject.split(':')[0]}`)).to.deep.equal(['carol@example.com Review requested (escalated)']);
      expect(due.store.calls).to.deep.equal(['appendAudit emailed:r2']);
    });
  });

  describe('reminders', () => {
    it('reads the item again only when someone is due a reminder', async () => {
      const { deps, store } = wire([record({ reminded: [0, 1] })]);
      expect(await sweep(deps, at(6 * DAY))).to.include({ reminded: 0 });
      expect(store.reads.filter((r) => r.startsWith('get'))).to.deep.equal([]);
    });

    it('reports a reminder that could not be rendered with the reviewer it was for', async () => {
      const { deps, sent } = wire([record({ sealedToken: undefined })]);
      const summary = await sweep(deps, at(6 * DAY));
      expect(summary.problems).to.deep.equal([
        { requestId: 'AAAAAAAAAAAAAAAAAAAAAA', step: 'remind', reviewer: 0, code: 'INTERNAL' },
        { requestId: 'AAAAAAAAAAAAAAAAAAAAAA', step: 'remind', reviewer: 1, code: 'INTERNAL' },
      ]);
      expect(sent).to.deep.equal([]);
    });
  });

  describe('crash recovery', () => {
    it('takes over a lease from the second it runs out, for leaseSeconds from the sweep, and delivers once', async () => {
      const sealed = await sealToken(cipher, 'TASK-TOKEN', 'AAAAAAAAAAAAAAAAAAAAAA');
      const deciding = record({
        status: 'DECIDING',
        sealedToken: sealed,
        leaseUntil: createdSeconds + DAY,
        decision: 'rejected',
        decidedBy: 'bob@example.com',
        decidedAt: iso(DAY - 60),
        votes: { r1: { decision: 'rejected', at: iso(DAY - 60) } },
      });
      const early = wire([deciding]);
      early.deps.defaults.leaseSeconds = 90;
      expect(await sweep(early.deps, at(DAY - 1))).to.include({ recovered: 0 });
      expect(early.store.calls).to.deep.equal([]);

      const due = wire([deciding]);
      due.deps.defaults.leaseSeconds = 90;
      expect(await sweep(due.deps, at(DAY))).to.include({ recovered: 1 });
      const lease = createdSeconds + DAY + 90;
      expect(due.store.calls).to.deep.equal([`takeOverDecision AAAAAAAAAAAAAAAAAAAAAA ${createdSeconds + DAY} ${lease}`, `completeDecision AAAAAAAAAAAAAAAAAAAAAA ${lease} rejected`]);
      expect(due.delivered.map((d) => d.token)).to.deep.equal(['TASK-TOKEN']);
    });
  });
});
