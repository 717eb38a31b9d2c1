import { expect } from 'chai';
import type { ApprovalRecord, AuditEvent, ExecutionRegistry, Mailer, OutgoingEmail } from '../../../src/approval/domain/ports';
import type { CloserStore } from '../../../src/approval/domain/request-store';
import { closeRequest, closeRequestsOf, emailedReviewers, tellReviewClosed } from '../../../src/approval/services/close-requests';
import { approvalRecord } from '../../support/records';

const now = new Date('2026-11-28T09:00:00.000Z');
const nowSeconds = now.getTime() / 1000;
const four = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dan@example.com'];

const emailed = (actor: string): AuditEvent => ({ type: 'emailed', at: now.toISOString(), actor, detail: 'request' });

function record(overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return approvalRecord(now, { status: 'CLOSED', reviewers: four, ...overrides });
}

/** A store that closes what `closable` holds and grants each closed-notice claim once; records the calls. */
function fakeStore(closable: Record<string, ApprovalRecord>, calls: string[] = []) {
  const claimed = new Set<string>();
  const closedEvents: AuditEvent[] = [];
  const store = {
    closePending: (requestId: string, event: AuditEvent, at: number) => {
      calls.push(`closePending ${requestId} ${at}`);
      closedEvents.push(event);
      const found = closable[requestId];
      delete closable[requestId];
      return Promise.resolve(found);
    },
    claimClosedNotice: (requestId: string, reviewer: number) => {
      calls.push(`claim ${requestId} r${reviewer}`);
      const key = `${requestId} ${reviewer}`;
      if (claimed.has(key)) return Promise.resolve(false);
      claimed.add(key);
      return Promise.resolve(true);
    },
  } as unknown as CloserStore;
  return { store, closedEvents };
}

/** A mailer that records who it was asked to email, and fails for the addresses in `failFor`. */
function fakeMailer(failFor: string[] = []) {
  const sent: OutgoingEmail[] = [];
  const mailer: Mailer = {
    send: (email) => {
      if (failFor.includes(email.to)) return Promise.reject(new Error('SES said no'));
      sent.push(email);
      return Promise.resolve();
    },
  };
  return { mailer, sent };
}

describe('closing requests: who was emailed', () => {
  it('lists the reviewers with a review email on record, in index order, once each', () => {
    const audit = [emailed('r2'), emailed('r0'), emailed('r2'), emailed('r1')];
    expect(emailedReviewers({ reviewers: four, audit })).to.deep.equal([0, 1, 2]);
  });

  it('orders indices as numbers, not as text (r10 after r9)', () => {
    const reviewers = Array.from({ length: 12 }, (_, i) => `r${i}@example.com`);
    expect(emailedReviewers({ reviewers, audit: [emailed('r10'), emailed('r9'), emailed('r2')] })).to.deep.equal([2, 9, 10]);
  });

  it('counts only `emailed` events, not other events by a reviewer (opened, voted, reminded)', () => {
    const audit: AuditEvent[] = ['opened', 'voted', 'reminded'].map((type) => ({ type, at: now.toISOString(), actor: 'r1' }) as AuditEvent);
    expect(emailedReviewers({ reviewers: four, audit: [...audit, emailed('r3')] })).to.deep.equal([3]);
  });

  it('ignores actors that are not exactly r and one to three digits', () => {
    const actors = ['system', 'alice@example.com', 'r', 'xr1', 'r1x', 'r 1', 'r0001', ' r2', 'R3'];
    const reviewers = Array.from({ length: 1001 }, (_, i) => `r${i}@example.com`);
    expect(emailedReviewers({ reviewers, audit: actors.map(emailed) })).to.deep.equal([]);
    expect(emailedReviewers({ reviewers, audit: ['r999', 'r10', 'r1'].map(emailed) })).to.deep.equal([1, 10, 999]);
  });

  it('ignores an index the request has no reviewer for (the last reviewer counts, one past it does not)', () => {
    expect(emailedReviewers({ reviewers: four, audit: [emailed('r3'), emailed('r4'), emailed('r9')] })).to.deep.equal([3]);
  });
});

describe('closing requests: telling reviewers the review is over', () => {
  it('tells each given reviewer who has not voted, once, with the review-closed email', async () => {
    const { store } = fakeStore({});
    const { mailer, sent } = fakeMailer();
    const closed = record({ votes: { r1: { decision: 'approved', at: now.toISOString() } } });

    expect(await tellReviewClosed({ store, mailer }, closed, [0, 1, 2], 'ABORTED')).to.deep.equal({ told: 2, untold: 0 });
    expect(sent.map((e) => e.to)).to.deep.equal(['alice@example.com', 'carol@example.com']);
    expect(sent[0]!.subject).to.equal('Review closed: Publish');

    // Someone else (a second delivery of the event, or the request Lambda) already told them.
    expect(await tellReviewClosed({ store, mailer }, closed, [0, 2], 'ABORTED')).to.deep.equal({ told: 0, untold: 0 });
    expect(sent).to.have.length(2);
  });

  it('skips an index with no reviewer without claiming anything', async () => {
    const calls: string[] = [];
    const { store } = fakeStore({}, calls);
    const { mailer, sent } = fakeMailer();
    expect(await tellReviewClosed({ store, mailer }, record(), [4], 'FAILED')).to.deep.equal({ told: 0, untold: 0 });
    expect(calls).to.deep.equal([]);
    expect(sent).to.deep.equal([]);
  });

  it('counts a note that could not be sent as untold and goes on with the others', async () => {
    const { store } = fakeStore({});
    const { mailer, sent } = fakeMailer(['bob@example.com']);
    expect(await tellReviewClosed({ store, mailer }, record(), [0, 1, 2, 3], 'TIMED_OUT')).to.deep.equal({ told: 3, untold: 1 });
    expect(sent.map((e) => e.to)).to.deep.equal(['alice@example.com', 'carol@example.com', 'dan@example.com']);
  });

  it('counts a claim that fails as untold', async () => {
    const store = { claimClosedNotice: () => Promise.reject(new Error('throttled')) } as unknown as CloserStore;
    const { mailer, sent } = fakeMailer();
    expect(await tellReviewClosed({ store, mailer }, record(), [0, 1], 'ABORTED')).to.deep.equal({ told: 0, untold: 2 });
    expect(sent).to.deep.equal([]);
  });

  it('tells nobody, and claims nothing, without a mailer', async () => {
    const calls: string[] = [];
    const { store } = fakeStore({}, calls);
    expect(await tellReviewClosed({ store }, record(), [0, 1], 'ABORTED')).to.deep.equal({ told: 0, untold: 0 });
    expect(calls).to.deep.equal([]);
  });
});

describe('closing requests of an ended execution', () => {
  it('closes each pending request with an audit event naming how the execution ended, and tells its emailed reviewers', async () => {
    const calls: string[] = [];
    const first = record({ requestId: 'first', audit: [emailed('r0'), emailed('r1')] });
    const second = record({ requestId: 'second', reviewers: ['erin@example.com'], audit: [emailed('r0')] });
    const { store, closedEvents } = fakeStore({ first, second }, calls);
    const { mailer, sent } = fakeMailer(['bob@example.com']);
    const executions = { close: (arn: string, status: string, at: string) => Promise.resolve(arn === 'exec-1' && status === 'ABORTED' && at === now.toISOString() ? ['first', 'decided', 'second'] : []) } as ExecutionRegistry;

    const result = await closeRequestsOf({ executionArn: 'exec-1', status: 'ABORTED' }, { store, executions, mailer }, now);

    expect(result).to.deep.equal({ closed: ['first', 'second'], told: 2, untold: 1 });
    expect(sent.map((e) => e.to)).to.deep.equal(['alice@example.com', 'erin@example.com']);
    expect(calls.filter((c) => c.startsWith('closePending'))).to.deep.equal([`closePending first ${nowSeconds}`, `closePending decided ${nowSeconds}`, `closePending second ${nowSeconds}`]);
    for (const event of closedEvents) {
      expect(event).to.deep.equal({ type: 'closed', at: now.toISOString(), actor: 'system', detail: 'the workflow ended (ABORTED) before a decision' });
    }
  });

  it('closes nothing and tells nobody when no request is still pending', async () => {
    const { store } = fakeStore({});
    const { mailer, sent } = fakeMailer();
    const executions = { close: () => Promise.resolve(['gone']) } as unknown as ExecutionRegistry;
    expect(await closeRequestsOf({ executionArn: 'exec-1', status: 'SUCCEEDED' }, { store, executions, mailer }, now)).to.deep.equal({ closed: [], told: 0, untold: 0 });
    expect(sent).to.deep.equal([]);
  });

  it('tells the reviewers a caller names (just emailed), even when someone else closed the request', async () => {
    const { store } = fakeStore({});
    const { mailer, sent } = fakeMailer();
    const told = { record: record({ audit: [] }), indices: [1, 3] };
    expect(await closeRequest({ store, mailer }, 'AAAAAAAAAAAAAAAAAAAAAA', 'FAILED', now, told)).to.deep.equal({ closed: false, told: 2, untold: 0 });
    expect(sent.map((e) => e.to)).to.deep.equal(['bob@example.com', 'dan@example.com']);
  });
});
