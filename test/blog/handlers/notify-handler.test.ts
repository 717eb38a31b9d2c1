import { expect } from 'chai';
import { Logger } from '@aws-lambda-powertools/logger';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { createNotifyHandler } from '../../../src/blog/handlers/notify-handler';
import { ses } from '../../support/approval-harness';

describe('author notification Lambda', () => {
  const handler = createNotifyHandler({
    mailer: new SesMailer(new SESClient({ region: 'eu-west-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } }), 'approvals@example.com'),
    logger: new Logger({ serviceName: 'test' }),
  });
  beforeEach(() => {
    ses.reset();
    ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
  });

  it("emails the author a rejection with the reviewer's comment, escaped in HTML", async () => {
    await handler({ postId: 'p-1', title: 'Hello <b>', authorEmail: 'author@example.com', outcome: 'rejected', approval: { decision: 'rejected', comment: 'Needs <sources> & links' } });
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.Destination!.ToAddresses).to.deep.equal(['author@example.com']);
    expect(input.Message!.Subject!.Data).to.equal('Your post was not accepted: Hello <b>');
    expect(input.Message!.Body!.Text!.Data).to.include('Needs <sources> & links');
    expect(input.Message!.Body!.Html!.Data).to.include('Needs &lt;sources&gt; &amp; links').and.not.include('<sources>');
  });

  it('emails the author when the post expired or was published', async () => {
    await handler({ postId: 'p-1', title: 'Hello', authorEmail: 'author@example.com', outcome: 'expired' });
    await handler({ postId: 'p-1', title: 'Hello', authorEmail: 'author@example.com', outcome: 'published', approval: { decision: 'approved' } });
    const subjects = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input.Message!.Subject!.Data);
    expect(subjects).to.deep.equal(['Your post was not reviewed in time: Hello', 'Your post is published: Hello']);
  });

  it('tells the author in plain words why the post could not be reviewed, and what to do', async () => {
    await handler({ postId: 'p-1', title: 'Hello', authorEmail: 'author@example.com', outcome: 'failed', reason: 'NO_REVIEWERS' });
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.Message!.Subject!.Data).to.equal('Your post could not be reviewed: Hello');
    const text = input.Message!.Body!.Text!.Data!;
    expect(text).to.include('"Hello" could not be reviewed.');
    expect(text).to.include('you are the only reviewer');
    expect(text).to.include('add another reviewer');
    expect(input.Message!.Body!.Html!.Data).to.include('you are the only reviewer');
  });

  it('refuses a failure notice with an unknown reason and sends nothing', async () => {
    let failure: Error | undefined;
    await handler({ postId: 'p-1', title: 'Hello', authorEmail: 'author@example.com', outcome: 'failed', reason: 'BECAUSE' }).catch((e: Error) => (failure = e));
    expect(failure?.name).to.equal('InvalidInput');
    expect(ses.calls()).to.have.length(0);
  });

  it('fails with EmailRejected (not retried) when SES refuses the message, EmailDeliveryFailed when it is unreachable', async () => {
    const rejected = Object.assign(new Error('Email address is not verified.'), { name: 'MessageRejected', $fault: 'client', $metadata: {} });
    ses.on(SendEmailCommand).rejectsOnce(rejected).rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      await handler({ postId: 'p-1', title: 'Hello', authorEmail: 'author@example.com', outcome: 'expired' }).catch((e: Error) => names.push(e.name));
    }
    expect(names).to.deep.equal(['EmailRejected', 'EmailDeliveryFailed']);
  });

  it('fails the task on a malformed notice and sends nothing', async () => {
    let failure: Error | undefined;
    await handler({ postId: 'p-1', title: 'Hi\r\nBcc: x@example.com', authorEmail: 'author@example.com', outcome: 'rejected' }).catch((e: Error) => (failure = e));
    expect(failure?.name).to.equal('InvalidInput');
    expect(ses.calls()).to.have.length(0);
  });
});
