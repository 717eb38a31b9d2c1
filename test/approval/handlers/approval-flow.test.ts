import { expect } from 'chai';
import { SendTaskSuccessCommand, TaskTimedOut, TaskDoesNotExist, InvalidToken, SFNServiceException } from '@aws-sdk/client-sfn';
import { DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { approvalTask, formFields, httpEvent, kms, makeTaskToken, ses, sentEmails, sfn, startHarness, type Harness } from '../../support/approval-harness';

const successCalls = () => sfn.commandCalls(SendTaskSuccessCommand);
const outputOf = (i = 0) => JSON.parse(successCalls()[i]!.args[0].input.output!) as Record<string, unknown>;

describe('approval flow (request Lambda → email → link handler)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  it('resumes the execution with "approved" when a reviewer approves', async () => {
    const token = makeTaskToken();
    await h.submit(approvalTask({}, token));
    const [alice] = sentEmails();

    const res = await h.confirm(alice!.approveUrl, undefined, 'Looks good');

    expect(res.statusCode).to.equal(200);
    expect(res.body).to.include('Approved');
    expect(successCalls()).to.have.length(1);
    expect(successCalls()[0]!.args[0].input.taskToken).to.equal(token);
    const at = h.clock.now.toISOString();
    expect(outputOf()).to.deep.equal({
      decision: 'approved',
      decidedBy: 'alice@example.com',
      decidedAt: at,
      comment: 'Looks good',
      votes: [{ reviewer: 'alice@example.com', decision: 'approved', at, comment: 'Looks good' }],
    });
  });

  it('resumes with "rejected" through SendTaskSuccess, never SendTaskFailure', async () => {
    await h.submit();
    const [, bob] = sentEmails();

    const res = await h.confirm(bob!.rejectUrl, undefined, 'Needs sources');

    expect(res.statusCode).to.equal(200);
    expect(res.body).to.include('Rejected');
    expect(outputOf()).to.include({ decision: 'rejected', decidedBy: 'bob@example.com', comment: 'Needs sources' });
    expect(sfn.calls().map((c) => c.args[0].constructor.name)).to.deep.equal(['SendTaskSuccessCommand']);
  });

  it('accepts the longest comment a form can carry: 1,000 characters of 4-byte UTF-8 (emoji)', async () => {
    await h.submit();
    const comment = '\u{1F600}'.repeat(1000);

    const res = await h.confirm(sentEmails()[0]!.approveUrl, undefined, comment);

    expect(res.statusCode).to.equal(200);
    expect(outputOf()).to.include({ decision: 'approved', comment });
  });

  it("accepts the confirmation as browsers send it under no-referrer: Origin null, Sec-Fetch-Site same-origin", async () => {
    await h.submit();
    const page = await h.open(sentEmails()[0]!.approveUrl);
    const res = await h.post({ ...formFields(page.body as string), decision: 'approve' }, { origin: 'null', 'sec-fetch-site': 'same-origin' });
    expect(res.statusCode).to.equal(200);
    expect(successCalls()).to.have.length(1);
  });

  it('lets the reviewer choose the other action on the confirmation page', async () => {
    await h.submit();
    const res = await h.confirm(sentEmails()[0]!.approveUrl, 'reject');
    expect(res.statusCode).to.equal(200);
    expect(outputOf().decision).to.equal('rejected');
  });

  it('shows "already decided by X at T" on a second click and never calls back twice', async () => {
    await h.submit();
    const [alice] = sentEmails();
    await h.confirm(alice!.approveUrl);
    const decidedAt = 'Sat 28 Nov 2026, 09:00 UTC (1 minute ago)';
    expect(h.clock.now.toISOString()).to.equal('2026-11-28T09:00:00.000Z');
    h.clock.advance(60);

    const again = await h.confirm(alice!.approveUrl);
    expect(again.statusCode).to.equal(409);
    expect(again.body).to.include('ALREADY_DECIDED');
    expect(successCalls()).to.have.length(1);

    const get = await h.open(alice!.rejectUrl);
    expect(get.statusCode).to.equal(409);
    expect(get.body).to.include('alice@example.com').and.include(decidedAt);
  });

  it('answers two identical POSTs with exactly one SendTaskSuccess', async () => {
    await h.submit();
    const [alice] = sentEmails();
    const page = await h.open(alice!.approveUrl);
    const fields = { ...formFields(page.body as string), decision: 'approve' };

    const [a, b] = await Promise.all([h.post(fields), h.post(fields)]);

    expect([a.statusCode, b.statusCode].sort()).to.deep.equal([200, 409]);
    expect(successCalls()).to.have.length(1);
  });

  it('lets only the first of two reviewers deciding at once call back', async () => {
    await h.submit();
    const [alice, bob] = sentEmails();

    const [a, b] = await Promise.all([h.confirm(alice!.approveUrl), h.confirm(bob!.rejectUrl)]);

    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses).to.deep.equal([200, 409]);
    expect(successCalls()).to.have.length(1);
    const winner = a.statusCode === 200 ? 'approved' : 'rejected';
    expect(outputOf().decision).to.equal(winner);
  });

  it('recovers a crash between the conditional write and SendTaskSuccess, calling back exactly once', async () => {
    await h.submit();
    const [alice, bob] = sentEmails();
    const bobForm = { ...formFields((await h.open(bob!.rejectUrl)).body as string), decision: 'reject' };
    // Alice's callback is lost in flight (the Lambda dies or the network fails after the
    // conditional write): Step Functions may or may not have it, so the record stays DECIDING.
    sfn.on(SendTaskSuccessCommand).rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'NetworkingError' }));

    const first = await h.confirm(alice!.approveUrl);
    expect(first.statusCode).to.equal(503);
    expect(first.headers['retry-after']).to.equal('30');
    expect(first.body).to.include('UNAVAILABLE').and.not.include('socket hang up');
    expect(successCalls()).to.have.length(1);

    // Within the lease nobody else may deliver.
    const during = await h.post(bobForm);
    expect(during.statusCode).to.equal(409);
    expect(during.body).to.include('DECISION_IN_PROGRESS');

    // After the lease, the next attempt finishes alice's decision (not bob's), once.
    h.clock.advance(61);
    const [recovered, concurrent] = await Promise.all([h.post(bobForm), h.post(bobForm)]);
    expect([recovered.statusCode, concurrent.statusCode].sort()).to.deep.equal([200, 409]);
    expect(successCalls()).to.have.length(2);
    expect(outputOf(1)).to.include({ decision: 'approved', decidedBy: 'alice@example.com' });

    const after = await h.post(bobForm);
    expect(after.statusCode).to.equal(409);
    expect(after.body).to.include('ALREADY_DECIDED');
    expect(successCalls()).to.have.length(2);
  });

  it('records the decision, not an expiry, when a recovery finds the workflow already resumed', async () => {
    await h.submit();
    const [alice, bob] = sentEmails();
    const bobForm = { ...formFields((await h.open(bob!.rejectUrl)).body as string), decision: 'reject' };
    // Alice's callback reaches Step Functions, then her Lambda dies before marking the request decided.
    const claimAndDie = async () => {
      h.table.failNext('UpdateItemCommand', Object.assign(new Error('Lambda timed out'), { name: 'TimeoutError' }), 1);
    };
    const page = await h.open(alice!.approveUrl);
    // One chain: each `…Once` of a new `sfn.on(…)` counts from the first call ever, so a second
    // chain's rejectsOnce would fall on the call already made and never fire.
    sfn
      .on(SendTaskSuccessCommand)
      .callsFakeOnce(async () => {
        await claimAndDie();
        return {};
      })
      .rejectsOnce(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const first = await h.post({ ...formFields(page.body as string), decision: 'approve' });
    expect(first.statusCode).to.equal(503); // the completing write timed out: UNAVAILABLE, the lease decides

    h.clock.advance(61);
    const recovered = await h.post(bobForm);
    expect(successCalls()).to.have.length(2); // the recovery's callback was refused: the task had already resumed
    expect(recovered.statusCode).to.equal(200);
    expect(recovered.body).to.include('Approved');
    type Item = { status: { S: string }; decision: { S: string }; audit: { L: { M: { type: { S: string }; detail?: { S: string } } }[] } };
    const item = ((await h.table.snapshot()) as Item[])[0]!;
    expect(item.status.S).to.equal('APPROVED');
    expect(item.decision.S).to.equal('approved');
    const recoveredEvents = item.audit.L.filter((e) => e.M.type.S === 'recovered').map((e) => e.M.detail?.S);
    expect(recoveredEvents).to.deep.equal(['approved; the workflow had already resumed']);
    expect(item.audit.L.map((e) => e.M.type.S)).to.not.include('expired');
  });

  for (const [name, error] of [
    ['TaskTimedOut', new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'Task does not exist', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: 'Invalid token', $metadata: {} })],
  ] as const) {
    it(`shows an "expired / closed" page on ${name} and marks the request EXPIRED`, async () => {
      await h.submit();
      const [alice, bob] = sentEmails();
      sfn.on(SendTaskSuccessCommand).rejectsOnce(error);

      const res = await h.confirm(alice!.approveUrl);

      expect(res.statusCode).to.equal(410);
      expect(res.body).to.include('TASK_CLOSED').and.not.include(error.message);
      const later = await h.confirm(bob!.approveUrl);
      expect(later.statusCode).to.equal(410);
      expect(successCalls()).to.have.length(1);
    });
  }

  it('answers Step Functions throttling with 503 and Retry-After, leaving the request open', async () => {
    await h.submit();
    const [alice] = sentEmails();
    sfn.on(SendTaskSuccessCommand).rejectsOnce(
      new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', message: 'Rate exceeded', $metadata: {} }),
    );

    const res = await h.confirm(alice!.approveUrl);
    expect(res.statusCode).to.equal(503);
    expect(res.headers['retry-after']).to.equal('5');

    const retry = await h.confirm(alice!.approveUrl);
    expect(retry.statusCode).to.equal(200);
    expect(successCalls()).to.have.length(2);
    expect(outputOf(1).decision).to.equal('approved');
  });

  it('answers DynamoDB throttling with 503 and writes nothing', async () => {
    await h.submit();
    const [alice] = sentEmails();
    const page = await h.open(alice!.approveUrl);
    const before = await h.table.snapshot();
    const throttle = Object.assign(new Error('throughput'), { name: 'ProvisionedThroughputExceededException' });
    h.table.failNext('UpdateItemCommand', throttle);

    const res = await h.post({ ...formFields(page.body as string), decision: 'approve' });

    expect(res.statusCode).to.equal(503);
    expect(await h.table.snapshot()).to.deep.equal(before);
    expect(kms.commandCalls(DecryptCommand)).to.have.length(0);
    expect(successCalls()).to.have.length(0);
  });

  it('refuses an expired link before reading anything', async () => {
    await h.submit();
    const [alice] = sentEmails();
    h.clock.advance(7 * 24 * 3600);
    h.table.calls.length = 0;

    const res = await h.open(alice!.approveUrl);

    expect(res.statusCode).to.equal(410);
    expect(res.body).to.include('LINK_EXPIRED');
    expect(h.table.calls).to.deep.equal([]);
  });

  it('never changes the request, decrypts or calls Step Functions on GET and HEAD (it only notes the first open)', async () => {
    await h.submit();
    const [alice] = sentEmails();
    const state = async () =>
      ((await h.table.snapshot()) as Record<string, unknown>[]).map(({ audit: _audit, opened: _opened, ...item }) => item);
    const before = await state();
    h.table.calls.length = 0;
    kms.resetHistory();

    const query = new URL(alice!.approveUrl).search.slice(1);
    const get = await h.review(httpEvent('GET', query));
    const again = await h.review(httpEvent('GET', query));
    const head = await h.review(httpEvent('HEAD', query));

    expect(get.statusCode).to.equal(200);
    expect(again.statusCode).to.equal(200);
    expect(head.statusCode).to.equal(200);
    expect(head.body).to.equal('');
    // The first open is one audit line; the second finds it recorded; HEAD reads nothing.
    expect(h.table.calls).to.deep.equal(['GetItemCommand', 'UpdateItemCommand', 'GetItemCommand']);
    expect(await state()).to.deep.equal(before);
    const audit = ((await h.table.snapshot()) as { audit: { L: { M: { type: { S: string } } }[] } }[])[0]!.audit.L.map((e) => e.M.type.S);
    expect(audit).to.deep.equal(['created', 'emailed', 'emailed', 'opened']);
    expect(kms.calls()).to.have.length(0);
    expect(sfn.calls()).to.have.length(0);
  });

  it('uses one KMS Encrypt per request whatever the number of reviewers', async () => {
    const reviewers = Array.from({ length: 10 }, (_, i) => `r${i}@example.com`);
    await h.submit(approvalTask({ reviewers }));
    expect(kms.commandCalls(EncryptCommand)).to.have.length(1);
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(10);
  });
});
