import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import type { ApprovalRecord, AuditEvent, ExecutionRegistry, Mailer, OutgoingEmail, TokenCipher } from '../../../src/approval/domain/ports';
import type { RequestWriter } from '../../../src/approval/domain/request-store';
import { emailReviewers, requestApproval, requestIdFor, type RequestApprovalDeps } from '../../../src/approval/services/request-approval';
import { keyring } from '../../support/approval-harness';
import { codeOf } from '../../support/records';

describe('request ids', () => {
  it('are 22 base64url characters, the same for the same task token', () => {
    expect(requestIdFor('token-a')).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(requestIdFor('token-a')).to.equal(requestIdFor('token-a'));
    expect(requestIdFor('token-a')).to.not.equal(requestIdFor('token-b'));
  });

  it('come from the idempotency key when there is one, whatever the task token', () => {
    expect(requestIdFor('token-a', 'exec#RequestApproval')).to.equal(requestIdFor('token-b', 'exec#RequestApproval'));
    expect(requestIdFor('token-a', 'exec-1#RequestApproval')).to.not.equal(requestIdFor('token-a', 'exec-2#RequestApproval'));
  });

  it('never collide between a key and a task token that spell the same text', () => {
    expect(requestIdFor('x', 'same')).to.not.equal(requestIdFor('same'));
  });
});

const now = new Date('2026-11-28T09:00:00.000Z');
const nowSeconds = now.getTime() / 1000;
const REVIEW_URL = 'https://approvals.example.com/review';
const three = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

/** An in-memory RequestWriter with the conditional semantics requestApproval relies on; records its calls. */
class MemoryStore {
  readonly records = new Map<string, ApprovalRecord>();
  readonly calls: string[] = [];
  /** Audit writes to refuse, counted down. */
  failAudits = 0;
  /** Reviewer indices whose notification another attempt holds. */
  claimedElsewhere = new Set<number>();

  createIfAbsent(record: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    this.calls.push('createIfAbsent');
    const existing = this.records.get(record.requestId);
    if (existing) return Promise.resolve(structuredClone(existing));
    this.records.set(record.requestId, structuredClone(record));
    return Promise.resolve(undefined);
  }

  replaceToken(requestId: string, sealedToken: string, tokenHash: string): Promise<boolean> {
    this.calls.push('replaceToken');
    const r = this.records.get(requestId)!;
    Object.assign(r, { sealedToken, tokenHash });
    return Promise.resolve(true);
  }

  claimNotification(requestId: string, reviewer: number): Promise<boolean> {
    this.calls.push(`claimNotification r${reviewer}`);
    const r = this.records.get(requestId)!;
    if (r.notified.includes(reviewer) || this.claimedElsewhere.has(reviewer)) return Promise.resolve(false);
    r.notified.push(reviewer);
    return Promise.resolve(true);
  }

  releaseNotification(requestId: string, reviewer: number): Promise<void> {
    this.calls.push(`releaseNotification r${reviewer}`);
    const r = this.records.get(requestId)!;
    r.notified = r.notified.filter((i) => i !== reviewer);
    return Promise.resolve();
  }

  appendAudit(requestId: string, events: AuditEvent[]): Promise<void> {
    this.calls.push(`appendAudit ${events.map((e) => `${e.type}:${e.actor}`).join(',')}`);
    if (this.failAudits > 0) {
      this.failAudits--;
      return Promise.reject(new ApprovalError('UNAVAILABLE'));
    }
    this.records.get(requestId)!.audit.push(...events);
    return Promise.resolve();
  }

  closePending(requestId: string, event: AuditEvent): Promise<ApprovalRecord | undefined> {
    this.calls.push('closePending');
    const r = this.records.get(requestId);
    if (!r || r.status !== 'PENDING') return Promise.resolve(undefined);
    r.status = 'CLOSED';
    r.audit.push(event);
    return Promise.resolve(structuredClone(r));
  }

  claimClosedNotice(_requestId: string, reviewer: number): Promise<boolean> {
    this.calls.push(`claimClosedNotice r${reviewer}`);
    return Promise.resolve(true);
  }
}

/** Ends the execution after `registrations` calls to register (never, by default). */
function registry(closedAfter = Number.POSITIVE_INFINITY) {
  const calls: string[] = [];
  const executions: ExecutionRegistry = {
    register: (executionId, requestId, expiresAt) => {
      calls.push(`register ${executionId} ${requestId} ${expiresAt}`);
      return Promise.resolve(calls.length > closedAfter ? { closedStatus: 'ABORTED' } : {});
    },
    close: () => Promise.resolve([]),
  };
  return { executions, calls };
}

function mailer(failFor: string[] = []) {
  const sent: OutgoingEmail[] = [];
  const m: Mailer = {
    send: (email) => {
      if (failFor.includes(email.to)) return Promise.reject(new ApprovalError('EMAIL_DELIVERY_FAILED'));
      sent.push(email);
      return Promise.resolve();
    },
  };
  return { mailer: m, sent };
}

/** Not encryption: enough for a store that only keeps the text. */
const cipher: TokenCipher = {
  encrypt: (plaintext) => Promise.resolve(new Uint8Array(plaintext)),
  decrypt: (ciphertext) => Promise.resolve(new Uint8Array(ciphertext)),
};

function task(request: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return { taskToken: 'TOKEN-1', request: { subject: 'Publish', summary: 'A post.', reviewers: three, requestedBy: 'author@example.com', ...request }, ...extra };
}


describe('requesting approval (service, in-memory ports)', () => {
  let store: MemoryStore;
  let deps: RequestApprovalDeps;
  let sent: OutgoingEmail[];
  let registrations: string[];

  function wire(options: { failFor?: string[]; closedAfter?: number } = {}) {
    const m = mailer(options.failFor);
    const r = registry(options.closedAfter);
    sent = m.sent;
    registrations = r.calls;
    deps = { store: store as unknown as RequestWriter, executions: r.executions, cipher, mailer: m.mailer, keyring, reviewUrl: REVIEW_URL };
  }

  beforeEach(() => {
    store = new MemoryStore();
    wire();
  });

  const only = (id: string) => store.records.get(id)!;

  it('stores a request without escalation settings when it names no escalation reviewers, and records who asked for how many approvals', async () => {
    const { requestId } = await requestApproval(task({ requiredApprovals: 2 }), deps, now);
    const record = only(requestId);
    expect(record).to.not.have.any.keys('escalateTo', 'escalateAfterSeconds', 'remindBeforeSeconds');
    expect(record.audit[0]).to.deep.equal({ type: 'created', at: now.toISOString(), actor: 'author@example.com', detail: '3 reviewer(s), 2 approval(s) needed' });

    const escalating = await requestApproval(task({ escalateTo: ['dana@example.com'], escalateAfterSeconds: 3600, remindBeforeSeconds: 7200 }, { taskToken: 'TOKEN-2' }), deps, now);
    expect(only(escalating.requestId)).to.include({ escalateAfterSeconds: 3600, remindBeforeSeconds: 7200 });
    expect(only(escalating.requestId).escalateTo).to.deep.equal(['dana@example.com']);
  });

  it('says in the email how many approvals decide only when more than one is needed', async () => {
    await requestApproval(task({ requiredApprovals: 1 }), deps, now);
    expect(sent).to.have.length(3);
    for (const email of sent) expect(email.text).to.not.include('approvals decide');

    sent.length = 0;
    await requestApproval(task({ requiredApprovals: 2 }, { taskToken: 'TOKEN-2' }), deps, now);
    expect(sent).to.have.length(3);
    for (const email of sent) expect(email.text).to.include('2 approvals decide.');
  });

  it('records each email right after sending it, and writes the records that failed once more, together, at the end', async () => {
    store.failAudits = 2; // alice's and bob's records fail; carol's goes through.
    const { requestId, emailed } = await requestApproval(task(), deps, now);
    expect(emailed).to.equal(3);
    expect(store.calls.filter((c) => c.startsWith('appendAudit'))).to.deep.equal([
      'appendAudit emailed:r0',
      'appendAudit emailed:r1',
      'appendAudit emailed:r2',
      'appendAudit emailed:r0,emailed:r1',
    ]);
    expect(only(requestId).audit.filter((e) => e.type === 'emailed').map((e) => e.actor)).to.deep.equal(['r2', 'r0', 'r1']);
  });

  it('makes no second audit write when every email was recorded', async () => {
    await requestApproval(task(), deps, now);
    expect(store.calls.filter((c) => c.startsWith('appendAudit'))).to.have.length(3);
  });

  it('records no emailed event for a reminder (the reminder claim records it)', async () => {
    const { requestId } = await requestApproval(task(), deps, now);
    const before = store.calls.length;
    const { failed } = await emailReviewers(deps, only(requestId), [1], 'reminder', now);
    expect(failed).to.deep.equal([]);
    expect(store.calls.slice(before)).to.deep.equal([]);
    expect(sent.at(-1)!.subject).to.match(/^Reminder: /);
  });

  it('keeps the stored ciphertext when a retry brings the same task token', async () => {
    const { requestId } = await requestApproval(task(), deps, now);
    const sealed = only(requestId).sealedToken;
    await requestApproval(task(), deps, now);
    expect(store.calls).to.not.include('replaceToken');
    expect(only(requestId).sealedToken).to.equal(sealed);
  });

  it('answers a retry of a request already decided without emailing, claiming or replacing anything, even with a new task token', async () => {
    const key = { idempotencyKey: 'exec-1#RequestApproval' };
    const { requestId } = await requestApproval(task({}, key), deps, now);
    Object.assign(only(requestId), { status: 'APPROVED', audit: [], notified: [] });
    const callsBefore = store.calls.length;
    sent.length = 0;
    expect(await requestApproval(task({}, key), deps, now)).to.deep.equal({ requestId, emailed: 0, alreadyEmailed: 3 });
    expect(await requestApproval(task({}, { ...key, taskToken: 'TOKEN-RETRY' }), deps, now)).to.deep.equal({ requestId, emailed: 0, alreadyEmailed: 3 });
    expect(sent).to.deep.equal([]);
    expect(store.calls.slice(callsBefore)).to.deep.equal(['createIfAbsent', 'createIfAbsent']);
  });

  it('replaces the stored token when a retry of a pending request brings a new one', async () => {
    const key = { idempotencyKey: 'exec-1#RequestApproval' };
    const { requestId } = await requestApproval(task({}, key), deps, now);
    const sealed = only(requestId).sealedToken;
    await requestApproval(task({}, { ...key, taskToken: 'TOKEN-RETRY' }), deps, now);
    expect(store.calls).to.include('replaceToken');
    expect(only(requestId).sealedToken).to.not.equal(sealed);
  });

  it('records a request without a requester as created by the system', async () => {
    const { requestId } = await requestApproval(task({ requestedBy: undefined }), deps, now);
    expect(only(requestId).audit[0]).to.include({ type: 'created', actor: 'system' });
  });

  it('on a retry, emails only unclaimed or claimed-but-unsent original reviewers, never an escalation reviewer or one another attempt holds', async () => {
    const { requestId } = await requestApproval(task(), deps, now);
    // As stored later: escalated to dana; alice's email on record, bob claimed but unsent, carol unclaimed and held elsewhere.
    Object.assign(only(requestId), {
      reviewers: [...three, 'dana@example.com'],
      escalateTo: ['dana@example.com'],
      escalated: true,
      notified: [1],
      audit: [{ type: 'emailed', at: now.toISOString(), actor: 'r0' }],
    });
    store.claimedElsewhere.add(2);
    sent.length = 0;

    const result = await requestApproval(task(), deps, now);

    expect(sent.map((e) => e.to)).to.deep.equal(['bob@example.com']);
    expect(result).to.deep.equal({ requestId, emailed: 1, alreadyEmailed: 3 });
    expect(store.calls.filter((c) => c.startsWith('claimNotification'))).to.deep.equal(['claimNotification r2']);
  });

  it('claims and emails an original reviewer on a retry of a request that was never escalated', async () => {
    const { requestId } = await requestApproval(task({ escalateTo: ['dana@example.com'] }), deps, now);
    Object.assign(only(requestId), { notified: [0, 1], audit: [{ type: 'emailed', at: now.toISOString(), actor: 'r0' }, { type: 'emailed', at: now.toISOString(), actor: 'r1' }] });
    sent.length = 0;
    expect(await requestApproval(task({ escalateTo: ['dana@example.com'] }), deps, now)).to.deep.equal({ requestId, emailed: 1, alreadyEmailed: 2 });
    expect(sent.map((e) => e.to)).to.deep.equal(['carol@example.com']);
  });

  describe('with an execution', () => {
    const executionId = 'arn:aws:states:eu-west-1:123456789012:execution:m:e-1';

    it('registers once more after the emails, and closes the request, telling only the reviewers it did email, when the execution ended meanwhile', async () => {
      wire({ failFor: ['bob@example.com'], closedAfter: 1 });
      const result = await requestApproval(task({}, { executionId }), deps, now);
      expect(result).to.deep.equal({ requestId: result.requestId, emailed: 2, alreadyEmailed: 0, closed: true });
      expect(registrations).to.have.length(2);
      expect(registrations[1]).to.equal(`register ${executionId} ${result.requestId} ${nowSeconds + 7 * 24 * 3600}`);
      expect(only(result.requestId).status).to.equal('CLOSED');
      expect(store.calls.filter((c) => c.startsWith('claimClosedNotice'))).to.deep.equal(['claimClosedNotice r0', 'claimClosedNotice r2']);
      expect(sent.map((e) => `${e.to} ${e.subject.split(':')[0]}`)).to.deep.equal([
        'alice@example.com Review requested',
        'carol@example.com Review requested',
        'alice@example.com Review closed',
        'carol@example.com Review closed',
      ]);
    });

    it('does not register again when this attempt emailed nobody', async () => {
      const { requestId } = await requestApproval(task({}, { executionId }), deps, now);
      expect(registrations).to.have.length(2);
      expect(await requestApproval(task({}, { executionId }), deps, now)).to.deep.equal({ requestId, emailed: 0, alreadyEmailed: 3 });
      expect(registrations).to.have.length(3);
    });

    it('does not register again when every email failed, and fails the task for a retry', async () => {
      wire({ failFor: three, closedAfter: 1 });
      expect(await codeOf(requestApproval(task({}, { executionId }), deps, now))).to.equal('EMAIL_DELIVERY_FAILED');
      expect(registrations).to.have.length(1);
      expect(store.calls.filter((c) => c.startsWith('releaseNotification'))).to.deep.equal(['releaseNotification r0', 'releaseNotification r1', 'releaseNotification r2']);
    });
  });
});
