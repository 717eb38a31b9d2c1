/**
 * The store and the pure lifecycle agree: for requests in every state (status, links open, at
 * their expiry instant or expired, with or without a lease, votes, quorum, escalation), each
 * conditional write of the store changes the item on dynalite exactly when the lifecycle says
 * the transition is allowed. And each method sends only the DynamoDB actions it declares, which
 * the IAM suite checks each Lambda's role allows.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoRequestStore, requestItem } from '../../../src/approval/adapters/dynamo-request-store';
import { STORE_ACTIONS, type DynamoAction } from '../../../src/approval/adapters/request-conditions';
import { requestKey } from '../../../src/approval/adapters/table-schema';
import { STATUSES, canEscalate, canTransition, voteTransition, type Decision, type Voter } from '../../../src/approval/domain/lifecycle';
import type { ApprovalRecord, AuditEvent, StoredVote } from '../../../src/approval/domain/ports';
import type { RequestStore } from '../../../src/approval/domain/request-store';
import { startTestTable, type TestTable } from '../../support/dynalite';
import { approvalRecord } from '../../support/records';

const NOW = new Date('2026-11-28T09:00:00.000Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const event: AuditEvent = { type: 'closed', at: NOW.toISOString(), actor: 'system' };
const LEASES = [NOW_S - 10, NOW_S + 60];

const ACTIONS = ['replaceToken', 'claim', 'vote', 'escalate', 'close', 'expire', 'takeOver', 'complete', 'abandon', 'markExpired'] as const;
type Action = (typeof ACTIONS)[number];

interface Case {
  record: ApprovalRecord;
  action: Action;
  voter: Voter;
  decision: Decision;
  callerLease: number;
}

const vote = (decision: Decision): StoredVote => ({ decision, at: NOW.toISOString() });

interface Params {
  status: ApprovalRecord['status'];
  /** Seconds from now to the links' expiry. */
  expiresIn: number;
  leaseUntil?: number;
  approvalsNeeded: number;
  voted: string[];
  escalated: boolean;
  action: Action;
  voter: Voter;
  decision: Decision;
  callerLease: number;
}

function caseOf(c: Params): Case {
  return {
    record: approvalRecord(NOW, {
      requestId: 'placeholder',
      status: c.status,
      reviewers: ['a@example.com', 'b@example.com', 'c@example.com'],
      sealedToken: 'sealed',
      expiresAt: NOW_S + c.expiresIn,
      requiredApprovals: 3,
      approvalsNeeded: c.approvalsNeeded,
      votes: Object.fromEntries(c.voted.map((key) => [key, vote('approved')])),
      ...(c.leaseUntil !== undefined ? { leaseUntil: c.leaseUntil } : {}),
      ...(c.escalated ? { escalated: true } : {}),
      ...(c.status !== 'PENDING' ? { decision: 'approved' as const, decidedBy: 'a@example.com', decidedAt: NOW.toISOString() } : {}),
    }),
    action: c.action,
    voter: c.voter,
    decision: c.decision,
    callerLease: c.callerLease,
  };
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    // Weighted toward the states with most to decide.
    status: fc.oneof({ arbitrary: fc.constant('PENDING' as const), weight: 4 }, { arbitrary: fc.constant('DECIDING' as const), weight: 2 }, { arbitrary: fc.constantFrom(...STATUSES), weight: 2 }),
    expiresIn: fc.constantFrom(-60, 0, 3600, 3600),
    leaseUntil: fc.option(fc.constantFrom(...LEASES), { nil: undefined }),
    approvalsNeeded: fc.constantFrom(0, 1, 2, 3),
    voted: fc.subarray(['r0', 'r1', 'admin']),
    escalated: fc.boolean(),
    action: fc.constantFrom(...ACTIONS),
    voter: fc.oneof(fc.constantFrom(0, 1, 2, 3).map((index): Voter => ({ kind: 'reviewer', index })), fc.constant<Voter>({ kind: 'admin', email: 'boss@example.com' })),
    decision: fc.constantFrom<Decision>('approved', 'rejected'),
    callerLease: fc.constantFrom(...LEASES),
  })
  .map(caseOf);

/** One case per action that the lifecycle allows, so each rule is always tried both ways. */
const ALLOWED_EXAMPLES: [Case][] = ACTIONS.map((action) => {
  const pending: Params = { status: 'PENDING', expiresIn: 3600, approvalsNeeded: 1, voted: [], escalated: false, action, voter: { kind: 'reviewer', index: 2 }, decision: 'rejected', callerLease: LEASES[0]! };
  const leased: Params = { ...pending, status: 'DECIDING', leaseUntil: LEASES[0]! };
  const params: Record<Action, Params> = {
    replaceToken: pending,
    claim: pending,
    vote: { ...pending, decision: 'approved', approvalsNeeded: 2 },
    escalate: pending,
    close: pending,
    expire: { ...pending, expiresIn: 0 },
    takeOver: leased,
    complete: leased,
    abandon: leased,
    markExpired: leased,
  };
  return [caseOf(params[action])];
});

/** What the lifecycle allows for this case: the item changes exactly then. */
function allowed(c: Case): boolean {
  const at = { nowSeconds: NOW_S, lease: c.callerLease };
  switch (c.action) {
    case 'claim':
      return voteTransition(c.record, c.voter, c.decision, NOW_S) === 'claim';
    case 'vote':
      return c.voter.kind === 'reviewer' && voteTransition(c.record, c.voter, c.decision, NOW_S) === 'vote';
    case 'escalate':
      return canEscalate(c.record, NOW_S);
    case 'close':
      return canTransition('close', c.record, at);
    default:
      return canTransition(c.action, c.record, at);
  }
}

/** Runs the store method of the action; returns its name and whether it said it made the change (when it says). */
async function run(store: RequestStore, c: Case, requestId: string): Promise<{ method: keyof RequestStore; said?: boolean }> {
  const claim = { requestId, voter: c.voter, decision: c.decision, decidedAt: NOW.toISOString(), nowSeconds: NOW_S, leaseUntil: NOW_S + 60, audit: [event] };
  switch (c.action) {
    case 'replaceToken':
      return { method: 'replaceToken', said: await store.replaceToken(requestId, 'resealed', 'hash') };
    case 'claim':
      return { method: 'claimDecision', said: (await store.claimDecision(claim)).claimed };
    case 'vote':
      // Only a reviewer's approval is ever recorded without claiming: the store refuses anything else.
      if (c.voter.kind !== 'reviewer') return { method: 'recordVote', said: false };
      if (c.decision !== 'approved') {
        const refused = await store.recordVote({ ...claim, voter: c.voter }).then(() => false, (err: unknown) => err instanceof RangeError);
        expect(refused, 'a rejection is refused before any write').to.equal(true);
        return { method: 'recordVote', said: false };
      }
      return { method: 'recordVote', said: (await store.recordVote({ ...claim, voter: c.voter })).recorded };
    case 'escalate':
      return { method: 'escalate', said: (await store.escalate(requestId, ['d@example.com'], NOW_S, event)) !== undefined };
    case 'close':
      return { method: 'closePending', said: (await store.closePending(requestId, event, NOW_S)) !== undefined };
    case 'expire':
      return { method: 'expirePending', said: await store.expirePending(requestId, NOW_S, event) };
    case 'takeOver':
      return { method: 'takeOverDecision', said: await store.takeOverDecision(requestId, c.callerLease, NOW_S + 120) };
    case 'complete':
      await store.completeDecision(requestId, c.callerLease, c.decision, event);
      return { method: 'completeDecision' };
    case 'abandon':
      await store.abandonDecision(requestId, c.callerLease, { voter: c.voter, approval: c.decision === 'approved' });
      return { method: 'abandonDecision' };
    case 'markExpired':
      await store.markExpired(requestId, c.callerLease, event);
      return { method: 'markExpired' };
  }
}

describe('the request store and the pure lifecycle agree', function () {
  this.timeout(120_000);
  let table: TestTable;
  let doc: DynamoDBDocumentClient;
  let store: DynamoRequestStore;
  let counter = 0;

  before(async () => {
    table = await startTestTable();
    doc = DynamoDBDocumentClient.from(table.client, { marshallOptions: { removeUndefinedValues: true } });
    store = new DynamoRequestStore(table.client, table.tableName);
  });
  after(() => table.stop());

  const item = async (requestId: string) => (await doc.send(new GetCommand({ TableName: table.tableName, Key: requestKey(requestId), ConsistentRead: true }))).Item;

  it('changes an item exactly when the lifecycle allows the transition, for every state and action, sending only the declared actions', async () => {
    const seen = new Map<Action, Set<boolean>>();
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const requestId = `lifecycle-${++counter}`;
        await doc.send(new PutCommand({ TableName: table.tableName, Item: requestItem({ ...c.record, requestId }, 3600, 1) }));
        const before = await item(requestId);
        table.calls.length = 0;
        const { method, said } = await run(store, c, requestId);
        const sent = table.calls.map((name) => name.replace(/Command$/, '') as DynamoAction);
        const after = await item(requestId);
        const expected = allowed(c);
        const changed = JSON.stringify(after) !== JSON.stringify(before);
        seen.set(c.action, (seen.get(c.action) ?? new Set()).add(expected));
        const where = `${c.action} on ${c.record.status} (expires ${c.record.expiresAt - NOW_S}s, lease ${c.record.leaseUntil ?? '-'} vs ${c.callerLease}, needed ${c.record.approvalsNeeded}, votes ${Object.keys(c.record.votes)}, voter ${JSON.stringify(c.voter)} ${c.decision})`;
        if (said !== undefined) expect(said, `${where}: answer`).to.equal(expected);
        if (c.action === 'close') {
          // A close refused because the links expired ends the request EXPIRED instead.
          const expires = canTransition('expire', c.record, { nowSeconds: NOW_S });
          expect(changed, `${where}: changed`).to.equal(expected || expires);
          if (expires) expect(after?.status, where).to.equal('EXPIRED');
        } else {
          expect(changed, `${where}: changed`).to.equal(expected);
        }
        for (const action of sent) expect(STORE_ACTIONS[method], `${method} sent ${action}`).to.include(action);
      }),
      { numRuns: 300, examples: ALLOWED_EXAMPLES },
    );
    // Every action was tried both where the lifecycle allows it and where it refuses it.
    for (const action of ACTIONS) expect([...(seen.get(action) ?? [])].sort(), action).to.deep.equal([false, true]);
  });
});
