import { expect } from 'chai';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { SFNClient, SFNServiceException, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { DynamoRequestStore } from '../../../src/approval/adapters/dynamo-request-store';
import { KmsTokenCipher } from '../../../src/approval/adapters/kms-token-cipher';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { SfnTaskCallback } from '../../../src/approval/adapters/sfn-task-callback';
import { ApprovalError } from '../../../src/approval/domain/errors';
import type { ApprovalRecord } from '../../../src/approval/domain/ports';
import type { ClaimResult, DecisionClaim, ReviewStore, VoteResult } from '../../../src/approval/domain/request-store';
import { decide, decideReview, FormRefused, viewReview, type ReviewDeps, type VoteInput } from '../../../src/approval/services/review-decision';
import { approvalTask, keyring, kms, ses, sentEmails, sfn, startHarness, type Harness } from '../../support/approval-harness';
import { fakeDecrypt, TEST_KEY_ID } from '../../support/fake-kms';
import { codeOf } from '../../support/records';
import { approvalRecord } from '../../support/records';

const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const three = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
const successCalls = () => sfn.commandCalls(SendTaskSuccessCommand);
const throttling = () => new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: {} });
const networkError = () => Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });


describe('review decisions (votes, claims, delivery)', () => {
  let h: Harness;
  let store: DynamoRequestStore;
  let deps: ReviewDeps;
  const vote = (input: Partial<VoteInput> & Pick<VoteInput, 'requestId'>) =>
    decide({ voter: { kind: 'reviewer', index: 0 }, decision: 'approved', ...input }, deps, h.clock.now);

  beforeEach(async () => {
    h = await startHarness();
    store = new DynamoRequestStore(h.table.client, h.table.tableName);
    deps = {
      store,
      cipher: new KmsTokenCipher(new KMSClient(region), TEST_KEY_ID),
      callback: new SfnTaskCallback(new SFNClient(region)),
      keyring,
      mailer: new SesMailer(new SESClient(region), 'approvals@example.com'),
    };
  });
  afterEach(() => h.stop());

  describe('taking a claim back when nothing reached Step Functions', () => {
    it('restores the approval a throttled quorum approval had counted, so the retry completes the quorum', async () => {
      const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
      await vote({ requestId: id, voter: { kind: 'reviewer', index: 0 } });
      expect(await store.get(id)).to.include({ approvalsNeeded: 1 });
      sfn.on(SendTaskSuccessCommand).rejectsOnce(throttling());

      expect(await codeOf(vote({ requestId: id, voter: { kind: 'reviewer', index: 1 } }))).to.equal('THROTTLED');

      const undone = (await store.get(id))!;
      expect(undone).to.include({ status: 'PENDING', approvalsNeeded: 1 });
      expect(Object.keys(undone.votes)).to.deep.equal(['r0']);
      expect(undone.decision).to.equal(undefined);
      const retry = await vote({ requestId: id, voter: { kind: 'reviewer', index: 1 } });
      expect(retry).to.include({ decision: 'approved', decidedBy: 'bob@example.com' });
    });

    it('leaves the approvals still needed alone when it takes back a throttled rejection', async () => {
      const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
      await vote({ requestId: id, voter: { kind: 'reviewer', index: 0 } });
      sfn.on(SendTaskSuccessCommand).rejectsOnce(throttling());

      expect(await codeOf(vote({ requestId: id, voter: { kind: 'reviewer', index: 1 }, decision: 'rejected' }))).to.equal('THROTTLED');

      expect(await store.get(id)).to.include({ status: 'PENDING', approvalsNeeded: 1 });
      // One more approval still completes the quorum of two.
      expect(await vote({ requestId: id, voter: { kind: 'reviewer', index: 2 } })).to.include({ decision: 'approved', decidedBy: 'carol@example.com' });
    });

    it('takes back an admin decision without counting it as an approval', async () => {
      const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
      sfn.on(SendTaskSuccessCommand).rejectsOnce(throttling());

      expect(await codeOf(vote({ requestId: id, voter: { kind: 'admin', email: 'boss@example.com' } }))).to.equal('THROTTLED');

      const undone = (await store.get(id))!;
      expect(undone).to.include({ status: 'PENDING', approvalsNeeded: 2 });
      expect(undone.votes).to.deep.equal({});
    });

    it('takes the claim back when the token cannot be decrypted, so the reviewer can simply retry', async () => {
      const id = await h.submit();
      let failed = false;
      kms.on(DecryptCommand).callsFake((input) => {
        if (failed) return { Plaintext: fakeDecrypt(input.KeyId, input.CiphertextBlob, input.EncryptionContext), KeyId: input.KeyId };
        failed = true;
        return Promise.reject(networkError());
      });

      expect(await codeOf(vote({ requestId: id }))).to.equal('UNAVAILABLE');

      expect(await store.get(id)).to.include({ status: 'PENDING', approvalsNeeded: 1 });
      expect(successCalls()).to.have.length(0);
      expect(await vote({ requestId: id })).to.include({ decision: 'approved', decidedBy: 'alice@example.com' });
      expect(successCalls()).to.have.length(1);
    });

    it('keeps the claim (the lease decides) when SendTaskSuccess fails with an unknown outcome', async () => {
      const id = await h.submit();
      sfn.on(SendTaskSuccessCommand).rejectsOnce(networkError());

      expect(await codeOf(vote({ requestId: id }))).to.equal('UNAVAILABLE');

      expect(await store.get(id)).to.include({ status: 'DECIDING', approvalsNeeded: 0, leaseUntil: Math.floor(h.clock.now.getTime() / 1000) + 60 });
    });
  });

  describe('the lease', () => {
    it('is the configured number of seconds from now, and a later attempt takes it over at that second exactly, not before', async () => {
      deps = { ...deps, leaseSeconds: 90 };
      const id = await h.submit();
      sfn.on(SendTaskSuccessCommand).rejectsOnce(networkError());
      await codeOf(vote({ requestId: id }));
      const start = Math.floor(h.clock.now.getTime() / 1000);
      expect(await store.get(id)).to.include({ status: 'DECIDING', leaseUntil: start + 90 });

      h.clock.advance(89);
      expect(await codeOf(vote({ requestId: id, voter: { kind: 'reviewer', index: 1 }, decision: 'rejected' }))).to.equal('DECISION_IN_PROGRESS');
      h.clock.advance(1);
      const recovered = await vote({ requestId: id, voter: { kind: 'reviewer', index: 1 }, decision: 'rejected' });

      expect(recovered).to.include({ decision: 'approved', decidedBy: 'alice@example.com' });
      expect(successCalls()).to.have.length(2);
      const record = (await store.get(id))!;
      expect(record).to.include({ status: 'APPROVED' });
      expect(record.audit.at(-1)).to.include({ type: 'recovered', detail: 'approved' });
    });
  });

  describe('quorum votes', () => {
    it('records an approval below the quorum and says how far it is', async () => {
      const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 3 }));
      const result = await vote({ requestId: id, comment: 'fine' });
      expect(result).to.deep.equal({
        subject: 'Publish “Hello world”',
        decision: 'approved',
        decidedBy: 'alice@example.com',
        decidedAt: h.clock.now.toISOString(),
        comment: 'fine',
        progress: { approvals: 1, required: 3 },
      });
      expect(await store.get(id)).to.include({ status: 'PENDING', approvalsNeeded: 2 });
      expect(successCalls()).to.have.length(0);
    });

    it('refuses a second approval from the same reviewer (ALREADY_VOTED) while more approvals are needed', async () => {
      const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 3 }));
      await vote({ requestId: id });
      expect(await codeOf(vote({ requestId: id }))).to.equal('ALREADY_VOTED');
      expect(await store.get(id)).to.include({ approvalsNeeded: 2 });
    });

    it('refuses an approval once the links expired (LINK_EXPIRED), even with approvals still needed', async () => {
      const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 3 }));
      h.clock.advance(7 * 24 * 3600);
      expect(await codeOf(vote({ requestId: id }))).to.equal('LINK_EXPIRED');
      expect(await store.get(id)).to.include({ approvalsNeeded: 3 });
    });

    it('refuses an approval from a reviewer index the request does not have (LINK_INVALID)', async () => {
      const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 3 }));
      expect(await codeOf(vote({ requestId: id, voter: { kind: 'reviewer', index: 3 } }))).to.equal('LINK_INVALID');
      expect(await store.get(id)).to.include({ approvalsNeeded: 3 });
    });

    it('answers an approval while a rejection is being delivered with DECISION_IN_PROGRESS', async () => {
      const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 3 }));
      sfn.on(SendTaskSuccessCommand).rejectsOnce(networkError());
      await codeOf(vote({ requestId: id, decision: 'rejected' }));
      expect(await codeOf(vote({ requestId: id, voter: { kind: 'reviewer', index: 1 } }))).to.equal('DECISION_IN_PROGRESS');
      expect(await store.get(id)).to.include({ status: 'DECIDING', approvalsNeeded: 3 });
    });
  });

  it('records each vote in the audit trail with its voter, the decision and the client as keyed hashes', async () => {
    const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
    const client = { ip: '203.0.113.7', userAgent: 'UA-1' };
    await decide({ requestId: id, voter: { kind: 'reviewer', index: 1 }, decision: 'approved' }, deps, h.clock.now, client);
    await decide({ requestId: id, voter: { kind: 'admin', email: 'boss@example.com' }, decision: 'rejected' }, deps, h.clock.now);
    const trail = (await store.get(id))!.audit.filter((e) => e.type === 'voted' || e.type === 'delivered');
    expect(trail.map((e) => [e.type, e.actor, e.detail])).to.deep.equal([
      ['voted', 'r1', 'approved'],
      ['voted', 'boss@example.com', 'rejected'],
      ['delivered', 'system', 'rejected'],
    ]);
    expect(trail[0]!.ipHash).to.match(/^[A-Za-z0-9_-]{12}$/);
    expect(trail[0]!.uaHash).to.match(/^[A-Za-z0-9_-]{12}$/);
    expect(trail[1]).to.not.have.any.keys('ipHash', 'uaHash');
  });

  describe('when the workflow no longer waits', () => {
    const taskTimedOut = () => new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} });

    it('marks a fresh decision EXPIRED, by the system, saying the workflow no longer waits', async () => {
      const id = await h.submit();
      sfn.on(SendTaskSuccessCommand).rejectsOnce(taskTimedOut());
      expect(await codeOf(vote({ requestId: id }))).to.equal('TASK_CLOSED');
      const record = (await store.get(id))!;
      expect(record.status).to.equal('EXPIRED');
      expect(record.audit.at(-1)).to.include({ type: 'expired', actor: 'system', detail: 'the workflow no longer waits' });
    });

    it('records a recovered decision whose task had closed as decided, by the system, noting the workflow had resumed', async () => {
      const id = await h.submit();
      sfn.on(SendTaskSuccessCommand).rejectsOnce(networkError()).rejectsOnce(taskTimedOut());
      await codeOf(vote({ requestId: id }));
      h.clock.advance(60);
      expect(await vote({ requestId: id, voter: { kind: 'reviewer', index: 1 }, decision: 'rejected' })).to.include({ decision: 'approved', decidedBy: 'alice@example.com' });
      const record = (await store.get(id))!;
      expect(record.status).to.equal('APPROVED');
      expect(record.audit.at(-1)).to.include({ type: 'recovered', actor: 'system', detail: 'approved; the workflow had already resumed' });
    });
  });

  describe('the confirmation form', () => {
    const queryOf = (url: string) => new URL(url).search.slice(1);

    it('shows how many approvals a quorum has and needs, and nothing of the kind for a single approval', async () => {
      const quorum = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 3 }));
      await vote({ requestId: quorum });
      const [, bob] = sentEmails();
      expect((await viewReview(queryOf(bob!.approveUrl), deps, h.clock.now)).progress).to.deep.equal({ approvals: 1, required: 3 });

      ses.resetHistory();
      await h.submit(approvalTask({ reviewers: three }));
      const view = await viewReview(queryOf(sentEmails()[0]!.approveUrl), deps, h.clock.now);
      expect(view).to.not.have.property('progress');
    });

    it('comes back, deciding nothing, with the reason and its details when the comment cannot be used, or empty when none was typed', async () => {
      const id = await h.submit();
      const view = await viewReview(queryOf(sentEmails()[0]!.approveUrl), deps, h.clock.now);
      const body = (extra: Record<string, string>) => new URLSearchParams({ ...view.hidden, ...extra }).toString();

      let refused: unknown;
      await decideReview(body({ decision: 'approve', comment: 'x'.repeat(2001) }), deps, h.clock.now).catch((err: unknown) => (refused = err));
      expect(refused).to.be.instanceOf(FormRefused);
      const tooLong = refused as FormRefused;
      expect(tooLong.code).to.equal('INVALID_COMMENT');
      expect(tooLong.details).to.deep.equal(['Your comment has 2,001 characters; at most 2,000 fit. Shorten it and confirm again.']);
      expect(tooLong.cause).to.be.instanceOf(ApprovalError).and.include({ code: 'INVALID_COMMENT' });
      expect(tooLong.form).to.include({ kind: 'confirm', comment: 'x'.repeat(2001) });

      await decideReview(body({}), deps, h.clock.now).catch((err: unknown) => (refused = err));
      expect(refused).to.be.instanceOf(FormRefused).and.include({ code: 'INVALID_DECISION' });
      expect((refused as FormRefused).form.comment).to.equal('');
      expect(await store.get(id)).to.include({ status: 'PENDING', approvalsNeeded: 1 });
      expect(successCalls()).to.have.length(0);
    });
  });

  it('emails the reviewers who had not voted once decided, and nobody who voted', async () => {
    const id = await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
    await vote({ requestId: id });
    ses.resetHistory();
    await vote({ requestId: id, voter: { kind: 'reviewer', index: 2 } });
    const notes = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    expect(notes.map((n) => `${n.Destination!.ToAddresses![0]} ${n.Message!.Subject!.Data!.split(':')[0]}`)).to.deep.equal(['bob@example.com No action needed']);
  });
});

/** A store whose every write is refused in the way `current` says; records the calls. */
function refusingStore(current: ApprovalRecord | undefined, calls: string[]): ReviewStore {
  const refuse = (name: string) => () => {
    calls.push(name);
    return Promise.resolve(name === 'takeOverDecision' ? false : undefined);
  };
  return {
    claimDecision: (_claim: DecisionClaim): Promise<ClaimResult> => {
      calls.push('claimDecision');
      return Promise.resolve({ claimed: false, current });
    },
    recordVote: (): Promise<VoteResult> => {
      calls.push('recordVote');
      return Promise.resolve({ recorded: false, current });
    },
    takeOverDecision: refuse('takeOverDecision'),
  } as unknown as ReviewStore;
}

describe('review decisions: why a vote is refused', () => {
  const now = new Date('2026-11-28T09:00:00.000Z');
  const nowSeconds = now.getTime() / 1000;
  const base: ApprovalRecord = approvalRecord(now, { reviewers: three, sealedToken: 'sealed' });
  const decided = { decision: 'approved' as const, decidedBy: 'bob@example.com', decidedAt: '2026-11-28T08:00:00.000Z' };

  async function refusal(current: ApprovalRecord | undefined, input: Partial<VoteInput> = {}): Promise<{ code: string; decided?: unknown; calls: string[] }> {
    const calls: string[] = [];
    const deps = { store: refusingStore(current, calls), keyring } as unknown as ReviewDeps;
    try {
      await decide({ requestId: base.requestId, voter: { kind: 'reviewer', index: 0 }, decision: 'approved', ...input }, deps, now);
    } catch (err) {
      if (!(err instanceof ApprovalError)) throw err;
      return { code: err.code, ...(err.decided ? { decided: err.decided } : {}), calls };
    }
    throw new Error('the vote was not refused');
  }

  it('names who decided and when on a decided request (ALREADY_DECIDED)', async () => {
    for (const status of ['APPROVED', 'REJECTED'] as const) {
      expect(await refusal({ ...base, status, ...decided }), status).to.deep.equal({ code: 'ALREADY_DECIDED', decided, calls: ['claimDecision'] });
    }
  });

  it('says a decision is being recorded while another one is delivered within its lease (DECISION_IN_PROGRESS)', async () => {
    const deciding = { ...base, status: 'DECIDING' as const, leaseUntil: nowSeconds + 1, ...decided };
    expect(await refusal(deciding)).to.deep.equal({ code: 'DECISION_IN_PROGRESS', decided, calls: ['claimDecision'] });
  });

  it('backs off when another attempt took over a lease that ran out first', async () => {
    const stale = { ...base, status: 'DECIDING' as const, leaseUntil: nowSeconds, ...decided };
    expect(await refusal(stale)).to.deep.equal({ code: 'DECISION_IN_PROGRESS', decided, calls: ['claimDecision', 'takeOverDecision'] });
  });

  it('says the workflow stopped waiting (TASK_CLOSED) or the review is over (REVIEW_CLOSED)', async () => {
    expect((await refusal({ ...base, status: 'EXPIRED' })).code).to.equal('TASK_CLOSED');
    expect((await refusal({ ...base, status: 'CLOSED' })).code).to.equal('REVIEW_CLOSED');
  });

  it('says the request does not exist (REQUEST_NOT_FOUND)', async () => {
    expect((await refusal(undefined)).code).to.equal('REQUEST_NOT_FOUND');
  });

  it('calls a pending request expired from its expiry second on (LINK_EXPIRED)', async () => {
    expect((await refusal({ ...base, expiresAt: nowSeconds })).code).to.equal('LINK_EXPIRED');
    expect((await refusal({ ...base, expiresAt: nowSeconds + 1 })).code).to.equal('LINK_INVALID');
  });

  it('says ALREADY_VOTED only to the reviewer whose vote is recorded', async () => {
    const voted = { ...base, votes: { r0: { decision: 'approved' as const, at: now.toISOString() } } };
    expect((await refusal(voted)).code).to.equal('ALREADY_VOTED');
    expect((await refusal(voted, { voter: { kind: 'reviewer', index: 1 }, decision: 'rejected' })).code).to.equal('LINK_INVALID');
  });

  it('never records a refused vote as a non-deciding approval unless it is a reviewer approval, in time, from a listed reviewer, with two or more approvals still needed', async () => {
    const contested = { ...base, requiredApprovals: 3, approvalsNeeded: 2 };
    const refusedAt = (current: ApprovalRecord, input: Partial<VoteInput> = {}) => refusal(current, input);
    // A rejection always decides: refused, it is not counted as an approval.
    expect(await refusedAt(contested, { decision: 'rejected' })).to.deep.equal({ code: 'LINK_INVALID', calls: ['claimDecision'] });
    // An admin's decision is final, never a quorum vote.
    expect(await refusedAt(contested, { voter: { kind: 'admin', email: 'boss@example.com' } })).to.deep.equal({ code: 'LINK_INVALID', calls: ['claimDecision'] });
    // From the expiry second on.
    expect(await refusedAt({ ...contested, expiresAt: nowSeconds })).to.deep.equal({ code: 'LINK_EXPIRED', calls: ['claimDecision'] });
    // A reviewer index one past the last reviewer.
    expect(await refusedAt(contested, { voter: { kind: 'reviewer', index: 3 } })).to.deep.equal({ code: 'LINK_INVALID', calls: ['claimDecision'] });
    // With one approval still needed, an approval decides: it goes through the claim, never recordVote.
    expect(await refusedAt({ ...contested, approvalsNeeded: 1 })).to.deep.equal({ code: 'LINK_INVALID', calls: ['claimDecision'] });
  });

  it('gives up with THROTTLED after four rounds of votes that keep losing a race, without delivering anything', async () => {
    const contested = { ...base, requiredApprovals: 2, approvalsNeeded: 2 };
    const { code, calls } = await refusal(contested);
    expect(code).to.equal('THROTTLED');
    expect(calls).to.deep.equal(Array.from({ length: 4 }, () => ['claimDecision', 'recordVote']).flat());
  });
});
