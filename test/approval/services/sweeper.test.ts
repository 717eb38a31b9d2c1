import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { KMSClient } from '@aws-sdk/client-kms';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import FakeTimers from '@sinonjs/fake-timers';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoRequestStore } from '../../../src/approval/adapters/dynamo-request-store';
import { DEFAULT_RETENTION_SECONDS } from '../../../src/approval/defaults';
import { DynamoSweepCursor } from '../../../src/approval/adapters/dynamo-sweep-cursor';
import { requestKey } from '../../../src/approval/adapters/table-schema';
import { pendingShard } from '../../../src/approval/domain/pending-index';
import { KmsTokenCipher } from '../../../src/approval/adapters/kms-token-cipher';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { SfnTaskCallback } from '../../../src/approval/adapters/sfn-task-callback';
import type { ApprovalRecord } from '../../../src/approval/domain/ports';
import { read } from '../../../src/approval/config';
import { SWEEPER_ENV } from '../../../src/approval/lambda/env';
import { createSweeperHandler, sweepEvery, sweeperLambda } from '../../../src/approval/lambda/sweeper-lambda';
import type { Context } from 'aws-lambda';
import { DEFAULT_MARGIN_MS, sweep, type SweepBudget, type SweeperDeps, type SweepSummary } from '../../../src/approval/services/sweeper';
import { REVIEW_URL, approvalTask, keyring, ses, sentEmails, sfn, startHarness, type Harness } from '../../support/approval-harness';
import { TEST_KEY_ID } from '../../support/fake-kms';
import { logLines, logMark } from '../../support/log-guard';
import { approvalRecord } from '../../support/records';

const HOUR = 3600;
const DAY = 24 * HOUR;
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

const successCalls = () => sfn.commandCalls(SendTaskSuccessCommand);
const outputOf = (i: number) => JSON.parse(successCalls()[i]!.args[0].input.output!) as Record<string, unknown>;
const auditTypes = (record: ApprovalRecord | undefined) => record!.audit.map((e) => e.type);
const total = (summaries: SweepSummary[], key: 'recovered' | 'expired' | 'reminded' | 'escalated') => summaries.reduce((n, s) => n + s[key], 0);
const networkError = () => Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });

/** Makes the next email fail, whatever was sent before (`rejectsOnce` counts from the first call ever). */
function failNextEmail(): void {
  let failed = false;
  ses.on(SendEmailCommand).callsFake(() => {
    if (failed) return Promise.resolve({ MessageId: 'm-2' });
    failed = true;
    return Promise.reject(networkError());
  });
}

describe('sweeper (reminders, escalation, expiry, crash recovery)', () => {
  let h: Harness;
  let store: DynamoRequestStore;
  let deps: SweeperDeps;
  /** Sweeps at the harness's frozen time. */
  const sweepNow = () => sweep(deps, h.clock.now);

  beforeEach(async () => {
    h = await startHarness();
    store = new DynamoRequestStore(h.table.client, h.table.tableName);
    deps = {
      store,
      cursor: new DynamoSweepCursor(h.table.client, h.table.tableName),
      mailer: new SesMailer(new SESClient(region), 'approvals@example.com'),
      keyring,
      reviewUrl: REVIEW_URL,
      cipher: new KmsTokenCipher(new KMSClient(region), TEST_KEY_ID),
      callback: new SfnTaskCallback(new SFNClient(region)),
      defaults: { remindBeforeSeconds: DAY },
    };
  });
  afterEach(() => h.stop());

  describe('reminders', () => {
    it('reminds each reviewer who has not voted once, when the reminder time comes, and not the one who voted', async () => {
      // Two approvals needed: alice's approval is recorded and the request stays pending.
      const id = await h.submit(approvalTask({ reviewers: ['alice@example.com', 'bob@example.com', 'carol@example.com'], requiredApprovals: 2 }));
      const [alice] = sentEmails();
      expect((await h.confirm(alice!.approveUrl)).statusCode).to.equal(200);

      h.clock.advance(6 * DAY - 1); // one second before expiry − 24 h
      const early = await sweepNow();
      expect(early).to.include({ scanned: 1, reminded: 0 });
      expect(sentEmails()).to.have.length(3);

      h.clock.advance(1);
      const due = await sweepNow();
      expect(due).to.include({ scanned: 1, reminded: 2, escalated: 0, expired: 0, recovered: 0 });
      expect(due.problems).to.deep.equal([]);
      const reminders = sentEmails().slice(3);
      expect(reminders.map((e) => e.to)).to.deep.equal(['bob@example.com', 'carol@example.com']);
      for (const email of reminders) expect(email.subject).to.match(/^Reminder: review requested/);

      h.clock.advance(HOUR);
      expect(await sweepNow()).to.include({ reminded: 0 });
      expect(sentEmails()).to.have.length(5);
      expect((await store.get(id))!.reminded).to.deep.equal([1, 2]);

      // The reminder carries the reviewer's own working links: bob's approval completes the quorum.
      expect((await h.confirm(reminders[0]!.approveUrl)).statusCode).to.equal(200);
      expect(successCalls()).to.have.length(1);
      expect(outputOf(0)).to.include({ decision: 'approved', decidedBy: 'bob@example.com' });
    });

    it("uses the request's own remindBeforeSeconds over the configured default", async () => {
      await h.submit(approvalTask({ remindBeforeSeconds: 2 * DAY }));
      h.clock.advance(5 * DAY - 1);
      expect(await sweepNow()).to.include({ reminded: 0 });
      h.clock.advance(1);
      expect(await sweepNow()).to.include({ reminded: 2 });
    });

    it('never reminds in the first hour after the request was created', async () => {
      // Two hours to review, reminders a day before expiry: due at once, but held for an hour.
      await h.submit(approvalTask({ ttlSeconds: 2 * HOUR }));
      h.clock.advance(HOUR - 1);
      expect(await sweepNow()).to.include({ reminded: 0 });
      expect(sentEmails()).to.have.length(2);
      h.clock.advance(1);
      expect(await sweepNow()).to.include({ reminded: 2 });
      expect(sentEmails()).to.have.length(4);
    });

    it('sends no second reminder when the sweeper runs twice, one after the other', async () => {
      await h.submit();
      h.clock.advance(6 * DAY);
      const runs = [await sweepNow(), await sweepNow()];
      expect(runs.map((r) => r.reminded)).to.deep.equal([2, 0]);
      expect(sentEmails()).to.have.length(4);
    });

    it('sends no second reminder when two sweeps run at the same moment', async () => {
      const id = await h.submit(approvalTask({ reviewers: ['alice@example.com', 'bob@example.com', 'carol@example.com'] }));
      h.clock.advance(6 * DAY);
      const runs = await Promise.all([sweepNow(), sweepNow(), sweepNow()]);
      expect(total(runs, 'reminded')).to.equal(3);
      const reminders = sentEmails().slice(3);
      expect(reminders.map((e) => e.to).sort()).to.deep.equal(['alice@example.com', 'bob@example.com', 'carol@example.com']);
      expect(auditTypes(await store.get(id)).filter((t) => t === 'reminded')).to.have.length(3);
    });

    it('keeps the claim when a reminder cannot be sent, so nobody is reminded twice, and reports it', async () => {
      const id = await h.submit();
      h.clock.advance(6 * DAY);
      failNextEmail();

      const first = await sweepNow();
      expect(first.reminded).to.equal(1);
      expect(first.problems).to.deep.equal([{ requestId: id, step: 'remind', reviewer: 0, code: 'EMAIL_DELIVERY_FAILED' }]);

      h.clock.advance(HOUR);
      expect(await sweepNow()).to.include({ reminded: 0 });
      expect(sentEmails().map((e) => e.to)).to.deep.equal(['alice@example.com', 'bob@example.com', 'alice@example.com', 'bob@example.com']);
      const details = (await store.get(id))!.audit.filter((e) => e.type === 'reminded').map((e) => `${e.actor} ${e.detail}`);
      expect(details).to.deep.equal(['r0 reminder', 'r0 reminder email failed', 'r1 reminder']);
    });
    it('reminds nobody when the item was decided after the index copy it read (the index lags)', async () => {
      const id = await h.submit();
      const stale = (await store.get(id))!;
      expect((await h.confirm(sentEmails()[0]!.approveUrl)).statusCode).to.equal(200);
      const lagging: DynamoRequestStore = Object.create(store);
      const shard = `PENDING#${pendingShard(id, store.pendingShards)}`;
      lagging.pendingPage = async (partition) => ({ items: partition === shard ? [{ record: stale, position: { pk: id } }] : [] });
      deps = { ...deps, store: lagging };
      h.clock.advance(6 * DAY);
      const emails = ses.commandCalls(SendEmailCommand).length;

      expect(await sweepNow()).to.include({ scanned: 1, reminded: 0 });
      expect(ses.commandCalls(SendEmailCommand)).to.have.length(emails);
      expect((await store.get(id))!.reminded).to.deep.equal([]);
    });

  });

  describe('escalation', () => {
    const escalating = () => approvalTask({ escalateTo: ['dana@example.com'], escalateAfterSeconds: 2 * DAY });

    it('escalates once after the delay, emailing only the new reviewers, whose links then work', async () => {
      const id = await h.submit(escalating());
      h.clock.advance(2 * DAY - 1);
      expect(await sweepNow()).to.include({ escalated: 0 });
      expect(sentEmails()).to.have.length(2);

      h.clock.advance(1);
      const runs = await Promise.all([sweepNow(), sweepNow()]);
      expect(total(runs, 'escalated')).to.equal(1);
      const added = sentEmails().slice(2);
      expect(added.map((e) => e.to)).to.deep.equal(['dana@example.com']);
      expect(added[0]!.subject).to.match(/^Review requested \(escalated\)/);

      expect(await sweepNow()).to.include({ escalated: 0 });
      expect(sentEmails()).to.have.length(3);
      const record = await store.get(id);
      expect(record).to.include({ escalated: true });
      expect(record!.reviewers).to.deep.equal(['alice@example.com', 'bob@example.com', 'dana@example.com']);
      expect(record!.notified).to.deep.equal([0, 1, 2]);

      const res = await h.confirm(added[0]!.approveUrl, undefined, 'Fine by me');
      expect(res.statusCode).to.equal(200);
      expect(successCalls()).to.have.length(1);
      expect(outputOf(0)).to.include({ decision: 'approved', decidedBy: 'dana@example.com', comment: 'Fine by me' });
    });

    it('escalates halfway through the review period when the request sets no delay', async () => {
      await h.submit(approvalTask({ escalateTo: ['dana@example.com'] }));
      h.clock.advance(3.5 * DAY - 1);
      expect(await sweepNow()).to.include({ escalated: 0 });
      h.clock.advance(1);
      expect(await sweepNow()).to.include({ escalated: 1 });
    });

    it('emails every escalation reviewer when several are added, and only them', async () => {
      const id = await h.submit(approvalTask({ escalateTo: ['dana@example.com', 'erin@example.com'], escalateAfterSeconds: 2 * DAY }));
      h.clock.advance(2 * DAY);
      expect(await sweepNow()).to.include({ escalated: 1 });
      expect(sentEmails().slice(2).map((e) => e.to)).to.deep.equal(['dana@example.com', 'erin@example.com']);
      expect((await store.get(id))!.notified).to.deep.equal([0, 1, 2, 3]);

      // Their reminders come an hour after escalation at the earliest, and each of the four is reminded once.
      h.clock.advance(4 * DAY);
      expect(await sweepNow()).to.include({ reminded: 4 });
      expect(sentEmails().slice(4).map((e) => e.to).sort()).to.deep.equal(['alice@example.com', 'bob@example.com', 'dana@example.com', 'erin@example.com']);
    });

    it('does not escalate a request without escalation reviewers', async () => {
      const id = await h.submit();
      h.clock.advance(6 * DAY + 23 * HOUR);
      expect(await sweepNow()).to.include({ escalated: 0 });
      expect((await store.get(id))!.escalated).to.equal(undefined);
    });

    it('emails an escalation reviewer on the next sweep when the first email failed', async () => {
      const id = await h.submit(escalating());
      h.clock.advance(2 * DAY);
      failNextEmail();

      const first = await sweepNow();
      expect(first).to.include({ escalated: 1 });
      expect(first.problems).to.deep.equal([{ requestId: id, step: 'escalate', reviewer: 2, code: 'EMAIL_DELIVERY_FAILED' }]);

      h.clock.advance(300);
      const runs = await Promise.all([sweepNow(), sweepNow()]);
      expect(runs.flatMap((r) => r.problems)).to.deep.equal([]);
      expect(sentEmails().map((e) => e.to)).to.deep.equal(['alice@example.com', 'bob@example.com', 'dana@example.com', 'dana@example.com']);
      expect(await sweepNow()).to.include({ escalated: 0 });
      expect(sentEmails()).to.have.length(4);
    });

    it('does not remind an escalation reviewer in the hour after escalation', async () => {
      await h.submit(approvalTask({ escalateTo: ['dana@example.com'], escalateAfterSeconds: 6 * DAY + HOUR }));
      h.clock.advance(6 * DAY + HOUR);
      expect(await sweepNow()).to.include({ escalated: 1, reminded: 2 });
      expect(sentEmails().slice(2).map((e) => `${e.to} ${e.subject.split(':')[0]}`)).to.deep.equal([
        'dana@example.com Review requested (escalated)',
        'alice@example.com Reminder',
        'bob@example.com Reminder',
      ]);
      h.clock.advance(HOUR);
      expect(await sweepNow()).to.include({ reminded: 1 });
      expect(sentEmails().at(-1)!.to).to.equal('dana@example.com');
    });
  });

  describe('expiry', () => {
    it('expires a pending request after its links expired, and leaves a fresh one alone', async () => {
      const old = await h.submit(approvalTask({ ttlSeconds: 2 * HOUR }));
      h.clock.advance(HOUR + 30 * 60);
      const fresh = await h.submit(approvalTask({ ttlSeconds: 2 * HOUR }));
      h.clock.advance(30 * 60 - 1);
      expect(await sweepNow()).to.include({ expired: 0 });

      h.clock.advance(1);
      const summary = await sweepNow();
      expect(summary).to.include({ scanned: 2, expired: 1, reminded: 0 });

      const closed = await store.get(old);
      expect(closed).to.include({ status: 'EXPIRED' });
      expect(closed!.sealedToken).to.equal(undefined);
      expect(closed!.audit.at(-1)).to.include({ type: 'expired', actor: 'system', at: h.clock.now.toISOString() });
      expect(await store.get(fresh)).to.include({ status: 'PENDING' });
      expect((await store.listPending(10)).map((r) => r.requestId)).to.deep.equal([fresh]);

      // Two sweeps at once after the other one expires: closed once.
      h.clock.advance(HOUR + 30 * 60);
      const runs = await Promise.all([sweepNow(), sweepNow()]);
      expect(total(runs, 'expired')).to.equal(1);
      expect(auditTypes(await store.get(fresh)).filter((t) => t === 'expired')).to.have.length(1);
      expect(successCalls()).to.have.length(0);
    });
  });

  describe('crash recovery', () => {
    it('finishes a decision left DECIDING by a crash once its lease ran out, calling back exactly once', async () => {
      const id = await h.submit();
      const [alice] = sentEmails();
      sfn.on(SendTaskSuccessCommand).rejectsOnce(networkError());
      expect((await h.confirm(alice!.approveUrl)).statusCode).to.equal(503);
      expect(await store.get(id)).to.include({ status: 'DECIDING' });

      h.clock.advance(59); // within the lease the decider may still be alive
      expect(await sweepNow()).to.include({ recovered: 0 });
      expect(successCalls()).to.have.length(1);

      h.clock.advance(2);
      const runs = await Promise.all([sweepNow(), sweepNow()]);
      expect(total(runs, 'recovered')).to.equal(1);
      expect(runs.flatMap((r) => r.problems)).to.deep.equal([]);
      expect(successCalls()).to.have.length(2); // the lost one and the recovered one
      expect(outputOf(1)).to.include({ decision: 'approved', decidedBy: 'alice@example.com' });

      const record = await store.get(id);
      expect(record).to.include({ status: 'APPROVED' });
      expect(record!.audit.at(-1)).to.include({ type: 'recovered', actor: 'system', detail: 'approved' });
      // Bob, who had not answered, learns that no action is needed.
      expect(ses.commandCalls(SendEmailCommand).at(-1)!.args[0].input.Destination!.ToAddresses).to.deep.equal(['bob@example.com']);

      h.clock.advance(DAY);
      expect(await sweepNow()).to.include({ scanned: 0, recovered: 0 });
      expect(successCalls()).to.have.length(2);
    });

    it('keeps a failed recovery DECIDING and finishes it on a later sweep', async () => {
      const id = await h.submit();
      sfn.on(SendTaskSuccessCommand).rejects(networkError());
      await h.confirm(sentEmails()[0]!.rejectUrl);
      h.clock.advance(61);

      const failed = await sweepNow();
      expect(failed).to.include({ recovered: 0 });
      expect(failed.problems).to.deep.equal([{ requestId: id, step: 'recover', code: 'UNAVAILABLE', cause: 'NetworkingError' }]);
      expect(await store.get(id)).to.include({ status: 'DECIDING' });

      sfn.on(SendTaskSuccessCommand).resolves({});
      h.clock.advance(61);
      expect(await sweepNow()).to.include({ recovered: 1 });
      expect(await store.get(id)).to.include({ status: 'REJECTED' });
      expect(successCalls()).to.have.length(3);
    });
    it("takes a recovery lease of leaseSeconds from the sweep's time: a failed recovery is retried once that lease ran out, not before", async () => {
      deps = { ...deps, defaults: { ...deps.defaults, leaseSeconds: 90 } };
      const id = await h.submit();
      sfn.on(SendTaskSuccessCommand).rejects(networkError());
      await h.confirm(sentEmails()[0]!.rejectUrl);
      h.clock.advance(60);

      expect((await sweepNow()).problems.map((p) => p.step)).to.deep.equal(['recover']);
      const recoveredAt = Math.floor(h.clock.now.getTime() / 1000);
      expect(await store.get(id)).to.include({ status: 'DECIDING', leaseUntil: recoveredAt + 90 });
      expect(successCalls()).to.have.length(2);

      sfn.on(SendTaskSuccessCommand).resolves({});
      h.clock.advance(89);
      expect(await sweepNow()).to.include({ recovered: 0 });
      expect(successCalls()).to.have.length(2);
      h.clock.advance(1);
      expect(await sweepNow()).to.include({ recovered: 1 });
      expect(await store.get(id)).to.include({ status: 'REJECTED' });
    });
  });

  describe('audit trail', () => {
    it('records escalation, reminders and expiry with their time and actor', async () => {
      const id = await h.submit(approvalTask({ escalateTo: ['dana@example.com'], escalateAfterSeconds: DAY }));
      h.clock.advance(DAY);
      await sweepNow();
      const escalatedAt = h.clock.now.toISOString();
      h.clock.advance(5 * DAY);
      await sweepNow();
      const remindedAt = h.clock.now.toISOString();
      h.clock.advance(DAY);
      await sweepNow();

      const trail = (await store.get(id))!.audit.map((e) => [e.type, e.actor, e.at]);
      expect(trail).to.deep.equal([
        ['created', 'author@example.com', '2026-11-28T09:00:00.000Z'],
        ['emailed', 'r0', '2026-11-28T09:00:00.000Z'],
        ['emailed', 'r1', '2026-11-28T09:00:00.000Z'],
        ['escalated', 'system', escalatedAt],
        ['emailed', 'r2', escalatedAt],
        ['reminded', 'r0', remindedAt],
        ['reminded', 'r1', remindedAt],
        ['reminded', 'r2', remindedAt],
        ['expired', 'system', h.clock.now.toISOString()],
      ]);
    });
  });

  describe('Lambda wiring', () => {
    const env = { TABLE_NAME: 'approvals', TOKEN_KEY_ID: TEST_KEY_ID, MAC_SECRET_ID: 'mac', SENDER_EMAIL: 'approvals@example.com', REVIEW_URL };

    it('fails a cold start that lacks configuration, naming every missing variable', () => {
      expect(() => sweeperLambda({}, {})).to.throw('Missing environment variables: TABLE_NAME, TOKEN_KEY_ID, MAC_SECRET_ID, SENDER_EMAIL, REVIEW_URL');
      expect(() => sweeperLambda({ ...env, REMINDER_HOURS_BEFORE_EXPIRY: 'soon' })).to.throw('REMINDER_HOURS_BEFORE_EXPIRY');
    });

    it('reads REMINDER_HOURS_BEFORE_EXPIRY in hours, 24 by default', () => {
      const reminderSeconds = (hours: string | undefined) => read(SWEEPER_ENV, { ...env, REMINDER_HOURS_BEFORE_EXPIRY: hours }).REMINDER_HOURS_BEFORE_EXPIRY * HOUR;
      expect(reminderSeconds(undefined)).to.equal(DAY);
      expect(reminderSeconds('1.5')).to.equal(1.5 * HOUR);
      for (const bad of ['0', '-1', '9000', 'x']) expect(() => reminderSeconds(bad)).to.throw('REMINDER_HOURS_BEFORE_EXPIRY must be a number of hours above 0 and at most 8760');
    });

    it('sweeps on a scheduled event (ignoring the event), logging failed steps and a summary', async () => {
      const id = await h.submit();
      h.clock.advance(6 * DAY);
      failNextEmail();
      const mark = logMark();
      const handler = createSweeperHandler({ ...deps, keyring: () => Promise.resolve(keyring), logger: new Logger({ serviceName: 'approval-sweeper' }), now: () => h.clock.now });

      const summary = await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });

      expect(summary).to.deep.include({ scanned: 1, recovered: 0, expired: 0, reminded: 1, escalated: 0 });
      const lines = logLines(mark).filter((l) => l.service === 'approval-sweeper');
      expect(lines.map((l) => [l.level, l.message])).to.deep.equal([
        ['WARN', 'sweep step failed'],
        ['INFO', 'sweep finished'],
      ]);
      expect(lines[0]).to.include({ requestId: id, step: 'remind', reviewer: 0, code: 'EMAIL_DELIVERY_FAILED' });
      expect(lines[1]).to.include({ scanned: 1, reminded: 1, failed: 1, ended: 'finished' });
    });

    it('reads PENDING_SHARDS at cold start and refuses a count outside 1 to 256', () => {
      // A closed loopback port: the keyring's first read (started at cold start) fails at once, offline.
      const offline = { secretsManager: { endpoint: 'http://127.0.0.1:9', ...region } };
      expect(() => sweeperLambda({ ...env, PENDING_SHARDS: '64' }, offline, new Logger({ serviceName: 'approval-sweeper', logLevel: 'ERROR' }))).to.not.throw();
      for (const bad of ['0', '300', 'lots']) expect(() => sweeperLambda({ ...env, PENDING_SHARDS: bad }), bad).to.throw('PENDING_SHARDS');
    });

    it("stops starting new work when the Lambda's remaining time falls to the safety margin", async () => {
      await h.submit();
      h.clock.advance(6 * DAY);
      const handler = createSweeperHandler({ ...deps, keyring: () => keyring, logger: new Logger({ serviceName: 'approval-sweeper' }), now: () => h.clock.now });
      const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

      expect(await handler({}, context(DEFAULT_MARGIN_MS))).to.include({ ended: 'time', scanned: 0, reminded: 0 });
      expect(sentEmails()).to.have.length(2);
      expect(await handler({}, context(DEFAULT_MARGIN_MS + 5_000))).to.include({ ended: 'finished', scanned: 1, reminded: 2 });
      // Without a Lambda context (local mode) a run gets the Lambda's timeout, less the same margin.
      const local = createSweeperHandler({ ...deps, keyring: () => keyring, logger: new Logger({ serviceName: 'approval-sweeper' }), now: () => h.clock.now, budget: { runMs: DEFAULT_MARGIN_MS } });
      expect(await local()).to.include({ ended: 'time', scanned: 0 });
    });

    it('fails the invocation, after logging what it did, when the cursor cannot be saved', async () => {
      await h.submit();
      h.clock.advance(6 * DAY);
      h.table.failNext('PutItemCommand', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
      const mark = logMark();
      const handler = createSweeperHandler({ ...deps, keyring: () => keyring, logger: new Logger({ serviceName: 'approval-sweeper' }), now: () => h.clock.now });

      const failed = await handler().catch((err: unknown) => err);
      expect(failed).to.be.instanceOf(Error).and.to.have.property('message', 'sweep cursor not saved (THROTTLED)');
      const lines = logLines(mark).filter((l) => l.service === 'approval-sweeper');
      expect(lines.map((l) => [l.level, l.message])).to.deep.equal([
        ['INFO', 'sweep finished'],
        ['ERROR', 'sweep cursor not saved'],
      ]);
      expect(lines[0]).to.include({ scanned: 1, reminded: 2, ended: 'cursor-failed' });
    });
  });
});

describe('sweeper: a pass over the sharded index, across runs', () => {
  const SHARDS = 3;
  const PER_PARTITION = 6;
  const PAGE = 2;
  /** Requests per full round of pages: one page from each shard and from the unsharded partition. */
  const ROUND = PAGE * (SHARDS + 1);
  /** Budget checks per full round: one before the round, one before each request. */
  const CHECKS_PER_ROUND = 1 + ROUND;
  const TOTAL = PER_PARTITION * (SHARDS + 1);

  let h: Harness;
  let store: DynamoRequestStore;
  let deps: SweeperDeps;
  let dueReminder: string[];
  let dueExpiry: string[];

  /** Allows `checks` more budget checks, then says time is up. */
  const checks = (left: number): SweepBudget => ({ remainingMs: () => (left-- > 0 ? 1 : 0), marginMs: 0 });
  /** Like `checks`, but the run dies (throws) where it would check once more, as a Lambda killed mid-run. */
  const diesAfter = (left: number): SweepBudget => ({
    remainingMs: () => {
      if (left-- > 0) return 1;
      throw Object.assign(new Error('Task timed out'), { name: 'Crash' });
    },
    marginMs: 0,
  });

  /** Reminder emails sent, per "request reviewer". */
  const reminders = () => {
    const sent = new Map<string, number>();
    for (const email of sentEmails().filter((e) => e.subject.startsWith('Reminder'))) {
      const key = `${new URL(email.approveUrl).searchParams.get('r')} ${email.to}`;
      sent.set(key, (sent.get(key) ?? 0) + 1);
    }
    return sent;
  };
  /** Every due reminder and expiry happened, each exactly once. */
  async function expectEachDueEffectOnce(): Promise<void> {
    const sent = reminders();
    expect([...sent.keys()].sort()).to.deep.equal(dueReminder.flatMap((id) => [`${id} alice@example.com`, `${id} bob@example.com`]).sort());
    expect([...sent.values()].every((n) => n === 1), 'a reminder sent twice').to.equal(true);
    for (const id of dueExpiry) {
      const record = (await store.get(id))!;
      expect(record.status, id).to.equal('EXPIRED');
      expect(record.audit.filter((e) => e.type === 'expired'), id).to.have.length(1);
    }
  }
  async function runUntilFinished(budget: () => SweepBudget): Promise<SweepSummary[]> {
    const runs: SweepSummary[] = [];
    do runs.push(await sweep(deps, h.clock.now, budget()));
    while (runs.at(-1)!.ended !== 'finished' && runs.length < 50);
    return runs;
  }
  const scanned = (runs: SweepSummary[]) => runs.reduce((n, r) => n + r.scanned, 0);

  beforeEach(async () => {
    h = await startHarness();
    store = new DynamoRequestStore(h.table.client, h.table.tableName, DEFAULT_RETENTION_SECONDS, SHARDS);
    deps = {
      store,
      cursor: new DynamoSweepCursor(h.table.client, h.table.tableName),
      mailer: new SesMailer(new SESClient(region), 'approvals@example.com'),
      keyring,
      reviewUrl: REVIEW_URL,
      cipher: new KmsTokenCipher(new KMSClient(region), TEST_KEY_ID),
      callback: new SfnTaskCallback(new SFNClient(region)),
      defaults: { remindBeforeSeconds: DAY, pageSize: PAGE },
    };
    // Six requests in each shard and six stored before sharding (the unsharded PENDING partition);
    // in each, in creation order, one is due a reminder to both reviewers, the next has expired, and so on.
    dueReminder = [];
    dueExpiry = [];
    const doc = DynamoDBDocumentClient.from(h.table.client);
    const nowSeconds = Math.floor(h.clock.now.getTime() / 1000);
    for (const partition of [0, 1, 2, 'legacy'] as const) {
      for (let i = 0; i < PER_PARTITION; i++) {
        let requestId: string;
        do requestId = randomBytes(16).toString('base64url').slice(0, 22);
        while (partition !== 'legacy' && pendingShard(requestId, SHARDS) !== partition);
        const expired = i % 2 === 1;
        const createdAt = new Date(h.clock.now.getTime() - 7 * DAY * 1000 + i * 60_000);
        await store.createIfAbsent(
          approvalRecord(createdAt, {
            requestId,
            subject: 'Publish “Hello world”',
            reviewers: ['alice@example.com', 'bob@example.com'],
            expiresAt: expired ? nowSeconds - 60 : nowSeconds + 23 * HOUR,
            sealedToken: randomBytes(300).toString('base64url'),
          }),
        );
        if (partition === 'legacy') {
          await doc.send(new UpdateCommand({ TableName: h.table.tableName, Key: requestKey(requestId), UpdateExpression: 'SET pendingKey = :legacy', ExpressionAttributeValues: { ':legacy': 'PENDING' } }));
        }
        (expired ? dueExpiry : dueReminder).push(requestId);
      }
    }
  });
  afterEach(() => h.stop());

  it('spreads a pass over several runs when time is short, each carrying on from the cursor, and reaches every request once', async () => {
    const runs = await runUntilFinished(() => checks(CHECKS_PER_ROUND + 1));
    expect(runs.length).to.be.at.least(Math.ceil(TOTAL / ROUND));
    expect(runs.slice(0, -1).map((r) => r.ended)).to.deep.equal(runs.slice(0, -1).map(() => 'time'));
    expect(scanned(runs)).to.equal(TOTAL);
    expect(new Set(runs.map((r) => r.passStartedAt)).size).to.equal(1);
    expect(runs.reduce((n, r) => n + r.reminded, 0)).to.equal(2 * dueReminder.length);
    expect(runs.reduce((n, r) => n + r.expired, 0)).to.equal(dueExpiry.length);
    await expectEachDueEffectOnce();

    // The next run starts a new pass from the beginning: the expired requests have left the index.
    h.clock.advance(60);
    const next = await sweep(deps, h.clock.now);
    expect(next).to.include({ ended: 'finished', scanned: dueReminder.length, reminded: 0, expired: 0, passStartedAt: h.clock.now.toISOString() });
    await expectEachDueEffectOnce();
  });

  it('sends each due reminder and expires each request once when two sweeps run at the same time', async () => {
    const runs: SweepSummary[] = [];
    while (!runs.some((r) => r.ended === 'finished') && runs.length < 50) {
      runs.push(...(await Promise.all([sweep(deps, h.clock.now, checks(CHECKS_PER_ROUND + 1)), sweep(deps, h.clock.now, checks(CHECKS_PER_ROUND + 5))])));
    }
    expect(runs.map((r) => r.ended)).to.include('overtaken');
    expect(runs.reduce((n, r) => n + r.reminded, 0)).to.equal(2 * dueReminder.length);
    await expectEachDueEffectOnce();
  });

  it('redoes at most one round of pages after a run dies mid-round, harmlessly', async () => {
    // Two rounds done and saved, then the run dies three requests into the third round.
    const crash = await sweep(deps, h.clock.now, diesAfter(2 * CHECKS_PER_ROUND + 1 + 3)).catch((err: unknown) => err);
    expect(crash).to.include({ name: 'Crash' });

    const runs = await runUntilFinished(() => checks(Infinity));
    expect(runs).to.have.length(1);
    // Everything after the two saved rounds: the dead run's three requests come round again (at most
    // one page per partition), but for the one it expired, which has left the index.
    expect(runs[0]!.scanned).to.equal(TOTAL - 2 * ROUND - 1);
    await expectEachDueEffectOnce();
  });

  it('carries on exactly where it stopped when a run dies right after saving the cursor', async () => {
    const crash = await sweep(deps, h.clock.now, diesAfter(2 * CHECKS_PER_ROUND)).catch((err: unknown) => err);
    expect(crash).to.include({ name: 'Crash' });
    const after = await sweep(deps, h.clock.now);
    expect(after).to.include({ ended: 'finished', scanned: TOTAL - 2 * ROUND });
    await expectEachDueEffectOnce();
  });

  it('touches no request when the cursor cannot be read, and sweeps normally on the next run', async () => {
    h.table.failNext('GetItemCommand', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    h.table.calls.length = 0;
    const failed = await sweep(deps, h.clock.now).catch((err: unknown) => err);
    expect(failed).to.include({ code: 'THROTTLED' });
    expect(h.table.calls).to.deep.equal(['GetItemCommand']);
    expect(sentEmails()).to.have.length(0);

    expect(await sweep(deps, h.clock.now)).to.include({ ended: 'finished', scanned: TOTAL });
    await expectEachDueEffectOnce();
  });

  it('reports a cursor it could not save, and the next run redoes that round without sending anything twice', async () => {
    h.table.failNext('PutItemCommand', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const first = await sweep(deps, h.clock.now);
    expect(first).to.include({ ended: 'cursor-failed', cursorError: 'THROTTLED', scanned: ROUND });

    const second = await sweep(deps, h.clock.now);
    // All but the requests the first run expired (they have left the index): its reminders are looked at again, and not sent again.
    expect(second).to.include({ ended: 'finished', scanned: TOTAL - ROUND / 2 });
    expect(first.reminded + second.reminded).to.equal(2 * dueReminder.length);
    await expectEachDueEffectOnce();
  });

  it('still sweeps the higher shards after PENDING_SHARDS is lowered (the dashboard then lists only the lower ones)', async () => {
    // A full pass at 3 shards records the count in the cursor…
    expect(await sweep(deps, h.clock.now)).to.include({ ended: 'finished', scanned: TOTAL });
    // …then a request lands in shard 2, and the deployment is redeployed with one shard.
    let late: string;
    do late = randomBytes(16).toString('base64url').slice(0, 22);
    while (pendingShard(late, SHARDS) !== 2);
    const nowSeconds = Math.floor(h.clock.now.getTime() / 1000);
    await store.createIfAbsent({ ...(await store.get(dueReminder[0]!))!, requestId: late, reminded: [], audit: [], expiresAt: nowSeconds + 23 * HOUR });
    const lowered = new DynamoRequestStore(h.table.client, h.table.tableName, DEFAULT_RETENTION_SECONDS, 1);

    h.clock.advance(60);
    const run = await sweep({ ...deps, store: lowered }, h.clock.now);
    expect(run).to.include({ ended: 'finished', reminded: 2 });
    expect([...reminders().keys()].filter((k) => k.startsWith(late))).to.have.length(2);
    expect((await lowered.listPending(100)).map((r) => r.requestId)).to.not.include(late);
    expect((await store.listPending(100)).map((r) => r.requestId)).to.include(late);
  });
});

describe('sweepEvery (local mode schedule)', () => {
  let clock: ReturnType<typeof FakeTimers.install>;
  beforeEach(() => {
    clock = FakeTimers.install({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterEach(() => clock.uninstall());

  it('runs on every interval but never two sweeps at once, and waits for the running one when stopped', async () => {
    let runs = 0;
    let running = 0;
    let most = 0;
    let release!: () => void;
    const stop = sweepEvery(async () => {
      runs++;
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => (release = resolve));
      running--;
    }, 60_000);

    await clock.tickAsync(60_000);
    expect(runs).to.equal(1);
    await clock.tickAsync(3 * 60_000); // the first sweep is still running: no second one
    expect(runs).to.equal(1);
    release();
    await clock.tickAsync(60_000);
    expect(runs).to.equal(2);

    const stopped = stop();
    release();
    await stopped;
    await clock.tickAsync(5 * 60_000);
    expect(runs).to.equal(2);
    expect(most).to.equal(1);
    expect(running).to.equal(0);
  });

  it('reports a failed sweep and keeps the schedule', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const stop = sweepEvery(() => (++runs === 1 ? Promise.reject(new Error('table unreachable')) : Promise.resolve()), 1000, (err) => errors.push(err));
    await clock.tickAsync(2000);
    await stop();
    expect(runs).to.equal(2);
    expect(errors.map((e) => (e as Error).message)).to.deep.equal(['table unreachable']);
  });
});
