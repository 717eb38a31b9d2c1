import { expect } from 'chai';
import { EncryptCommand } from '@aws-sdk/client-kms';
import { SendEmailCommand, MessageRejected } from '@aws-sdk/client-ses';
import { approvalTask, kms, makeTaskToken, ses, sentEmails, sfn, startHarness, type Harness } from '../../support/approval-harness';
import { logLines, logMark } from '../../support/log-guard';

describe('request Lambda', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  it('stores the request as PENDING with the sealed token before emailing each reviewer once', async () => {
    const order: string[] = [];
    ses.on(SendEmailCommand).callsFake(async () => {
      order.push(`email after ${h.table.calls.join(',')}`);
      return { MessageId: 'x' };
    });
    const requestId = await h.submit();

    // Each email is recorded (an audit update) right after it is sent.
    expect(order).to.deep.equal(['email after PutItemCommand', 'email after PutItemCommand,UpdateItemCommand']);
    const items = (await h.table.snapshot()) as Record<string, { S?: string; N?: string }>[];
    expect(items).to.have.length(1);
    expect(items[0]!.requestId!.S).to.equal(requestId);
    expect(items[0]!.status!.S).to.equal('PENDING');
    expect(items[0]!.sealedToken!.S).to.match(/^[A-Za-z0-9_-]{200,}$/);
    expect(Number(items[0]!.ttl!.N)).to.be.greaterThan(Number(items[0]!.expiresAt!.N));
    expect(sentEmails().map((e) => e.to)).to.deep.equal(['alice@example.com', 'bob@example.com']);
  });

  it('binds the KMS ciphertext to the request id with an encryption context', async () => {
    const requestId = await h.submit();
    const input = kms.commandCalls(EncryptCommand)[0]!.args[0].input;
    expect(input.EncryptionContext).to.deep.equal({ requestId, purpose: 'task-token' });
  });

  it('sends a plain-text part and HTML where every inserted value stays text', async () => {
    await h.submit(approvalTask({ subject: '<script>alert(1)</script> & "quotes"', summary: '<img src=x onerror=alert(1)>' }));
    const [email] = sentEmails();

    expect(email!.html).to.not.include('<script>alert(1)</script>').and.not.include('<img src=x');
    expect(email!.html).to.include('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(email!.text).to.include('> <script>alert(1)</script> & "quotes"');
    expect(email!.subject).to.equal('Review requested: <script>alert(1)</script> & "quotes"');
  });

  it('gives each reviewer personal approve and reject links that opt out of SES click tracking', async () => {
    await h.submit();
    const [alice, bob] = sentEmails();

    expect(alice!.approveUrl).to.not.equal(bob!.approveUrl);
    expect(new URL(alice!.approveUrl).searchParams.get('a')).to.equal('approve');
    expect(new URL(alice!.rejectUrl).searchParams.get('a')).to.equal('reject');
    const anchors = alice!.html.match(/<a\s[^>]*>/g) ?? [];
    expect(anchors).to.have.length(2);
    for (const a of anchors) expect(a).to.include('ses:no-track');
    // Attribute values escape only & and ": the link reads as itself, no &#x2F; or &#x3D;.
    const hrefs = anchors.map((a) => /href="([^"]+)"/.exec(a)![1]!);
    expect(hrefs).to.deep.equal([alice!.approveUrl, alice!.rejectUrl].map((url) => url.replace(/&/g, '&amp;')));
  });

  it('opens both links from the email on the link handler', async () => {
    await h.submit();
    const [alice] = sentEmails();
    for (const url of [alice!.approveUrl, alice!.rejectUrl]) {
      const page = await h.open(url);
      expect(page.statusCode).to.equal(200);
      expect(page.body).to.include('<textarea id="comment"').and.include('value="approve"').and.include('value="reject"');
    }
  });

  it('does not email reviewers again when Step Functions retries the same task', async () => {
    const task = approvalTask();
    await h.request(task);
    await h.request(task);
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(2);
  });

  it('keeps one request across a retry that brings a new task token, and decides with the new token', async () => {
    const first = approvalTask({}, makeTaskToken());
    const key = 'arn:aws:states:eu-west-1:1:execution:m:e#RequestApproval#2026-11-28T09:00:00Z';
    ses.on(SendEmailCommand, { Destination: { ToAddresses: ['bob@example.com'] } }).rejectsOnce(new MessageRejected({ message: 'x', $metadata: {} }));
    await h.request({ ...first, idempotencyKey: key }).catch(() => undefined);
    const retryToken = makeTaskToken();
    await h.request({ ...first, taskToken: retryToken, idempotencyKey: key });

    const emails = sentEmails();
    expect(emails.map((e) => e.to)).to.deep.equal(['alice@example.com', 'bob@example.com', 'bob@example.com']);
    const res = await h.confirm(emails[0]!.approveUrl); // alice's link was sent before the retry
    expect(res.statusCode).to.equal(200);
    expect(sfn.calls()[0]!.args[0].input).to.have.property('taskToken', retryToken);
  });

  it('fails with EmailRejected, which the workflow does not retry, when SES refuses every failed email (an unverified sender)', async () => {
    const task = approvalTask({ reviewers: ['a@example.com', 'b@example.com'] });
    ses.on(SendEmailCommand).rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));

    let failure: Error | undefined;
    await h.request(task).catch((err: Error) => (failure = err));
    expect(failure?.name).to.equal('EmailRejected');
    expect(failure?.message).to.equal('reviewer 0: EMAIL_REJECTED; reviewer 1: EMAIL_REJECTED');
  });

  it('emails on retry exactly the reviewers an earlier attempt had not emailed (none twice)', async () => {
    const task = approvalTask({ reviewers: ['a@example.com', 'b@example.com', 'c@example.com'] });
    // The first attempt dies before c's email: SES stops answering, then the task fails.
    let sent = 0;
    ses.on(SendEmailCommand).callsFake(async () => {
      if (++sent === 3) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      return { MessageId: `m-${sent}` };
    });
    let failure: Error | undefined;
    await h.request(task).catch((err: Error) => (failure = err));
    expect(failure?.name).to.equal('EmailDeliveryFailed');

    await h.request(task);
    const recipients = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input.Destination!.ToAddresses![0]);
    expect(recipients).to.deep.equal(['a@example.com', 'b@example.com', 'c@example.com', 'c@example.com']);
  });

  it('does not fail the task when an email cannot be recorded (a retry would send that email again)', async () => {
    const task = approvalTask({ reviewers: ['a@example.com', 'b@example.com'] });
    let sent = 0;
    ses.on(SendEmailCommand).callsFake(async () => {
      // The audit record of b's email fails, and so does the attempt to record it again at the end.
      if (++sent === 2) h.table.failNext('UpdateItemCommand', Object.assign(new Error('boom'), { name: 'InternalServerError', $fault: 'server' }), 2);
      return { MessageId: `m-${sent}` };
    });
    const result = await h.request(task);
    expect(result).to.include({ emailed: 2 });
    expect(ses.commandCalls(SendEmailCommand)).to.have.length(2);
  });

  it('emails on retry only the reviewers whose email failed', async () => {
    const task = approvalTask({ reviewers: ['a@example.com', 'b@example.com', 'c@example.com'] });
    ses
      .on(SendEmailCommand, { Destination: { ToAddresses: ['b@example.com'] } })
      .rejectsOnce(Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: {} }));

    let failure: Error | undefined;
    await h.request(task).catch((err: Error) => (failure = err));
    expect(failure?.name).to.equal('EmailDeliveryFailed');
    expect(failure?.message).to.equal('reviewer 1: EMAIL_DELIVERY_FAILED');

    await h.request(task);
    const recipients = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input.Destination!.ToAddresses![0]);
    expect(recipients).to.deep.equal(['a@example.com', 'b@example.com', 'c@example.com', 'b@example.com']);
    expect(kms.commandCalls(EncryptCommand)).to.have.length(2); // the retry reuses the stored ciphertext
    const links = sentEmails().map((e) => new URL(e.approveUrl).searchParams.get('c'));
    expect(links[3]).to.equal(links[0]);
  });

  it('de-duplicates reviewers regardless of case', async () => {
    await h.submit(approvalTask({ reviewers: ['Alice@Example.com', 'alice@example.com', 'bob@example.com'] }));
    expect(sentEmails().map((e) => e.to)).to.deep.equal(['alice@example.com', 'bob@example.com']);
  });

  const invalid: [string, unknown, string][] = [
    ['no task token', { request: approvalTask().request }, 'taskToken'],
    ['an empty reviewer list', approvalTask({ reviewers: [] }), 'request.reviewers'],
    ['a reviewer that is not an address', approvalTask({ reviewers: ['alice'] }), 'request.reviewers.0'],
    ['a CRLF in the subject (header injection)', approvalTask({ subject: 'Hi\r\nBcc: victim@example.com' }), 'request.subject'],
    ['a NUL in the subject', approvalTask({ subject: 'Hi\u0000' }), 'request.subject'],
    ['a reviewer address with CRLF', approvalTask({ reviewers: ['a@example.com\r\nBcc: x@example.com'] }), 'request.reviewers.0'],
    ['a TTL below a minute', approvalTask({ ttlSeconds: 5 }), 'request.ttlSeconds'],
    ['a TTL above a year', approvalTask({ ttlSeconds: 400 * 24 * 3600 }), 'request.ttlSeconds'],
    ['an unknown field', approvalTask({ reviewrs: ['a@example.com'] }), 'request'],
    ['a token over 2,048 characters', approvalTask({}, 'A'.repeat(2049)), 'taskToken'],
    ['a quorum larger than the reviewer list', approvalTask({ requiredApprovals: 3 }), 'request.requiredApprovals'],
    ['a missing request', { taskToken: 'AAAA' }, 'request'],
    ['an execution id that is not an ARN', { ...approvalTask(), executionId: 'p-1' }, 'executionId'],
    ['an execution id over 500 characters', { ...approvalTask(), executionId: `arn:${'a'.repeat(497)}` }, 'executionId'],
    ['not an object at all', 'hello', '(input)'],
  ];
  for (const [name, input, path] of invalid) {
    it(`fails the task with InvalidApprovalRequest and emails nobody on ${name}`, async () => {
      let failure: Error | undefined;
      await h.request(input).catch((err: Error) => (failure = err));

      expect(failure?.name).to.equal('InvalidApprovalRequest');
      expect(failure?.message).to.include(`${path}:`);
      expect(ses.calls()).to.have.length(0);
      expect(kms.calls()).to.have.length(0);
      expect(await h.table.snapshot()).to.deep.equal([]);
    });
  }

  it('fails the task with NoReviewers (not InvalidApprovalRequest) and emails nobody when the requester is the only reviewer', async () => {
    let failure: Error | undefined;
    await h.request(approvalTask({ reviewers: ['author@example.com'], requestedBy: 'Author@example.com' })).catch((err: Error) => (failure = err));

    expect(failure?.name).to.equal('NoReviewers');
    expect(failure?.message).to.include('request.reviewers:');
    expect(ses.calls()).to.have.length(0);
    expect(kms.calls()).to.have.length(0);
    expect(await h.table.snapshot()).to.deep.equal([]);
  });

  it('logs structured JSON with the request id and without the token or ciphertext', async () => {
    const mark = logMark();
    const token = makeTaskToken();
    const requestId = await h.submit(approvalTask({}, token));

    const lines = logLines(mark);
    const line = lines.find((l) => l.message === 'approval requested');
    expect(line).to.include({ level: 'INFO', requestId, emailed: 2 });
    const all = JSON.stringify(lines);
    expect(all).to.not.include(token);
    const c = new URL(sentEmails()[0]!.approveUrl).searchParams.get('c')!;
    expect(all).to.not.include(c);
  });
});
