import { expect } from 'chai';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { approvalTask, formFields, ses, sentEmails, sfn, startHarness, type Harness } from '../../support/approval-harness';

const successCalls = () => sfn.commandCalls(SendTaskSuccessCommand);
const outputOf = (i = 0) => JSON.parse(successCalls()[i]!.args[0].input.output!) as { decision: string; decidedBy: string; votes: { reviewer: string; decision: string }[] };
const three = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
const reviewEmails = () => sentEmails().filter((e) => e.subject.startsWith('Review requested'));

describe('several reviewers (quorum)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  it('approves only when k distinct reviewers approve, and lists every vote in the output', async () => {
    await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
    const [alice, bob, carol] = reviewEmails();

    const first = await h.confirm(alice!.approveUrl, undefined, 'fine by me');
    expect(first.statusCode).to.equal(200);
    expect(first.body).to.include('Approval recorded').and.include('1 of 2');
    expect(successCalls()).to.have.length(0);

    h.clock.advance(60);
    const second = await h.confirm(bob!.approveUrl);
    expect(second.body).to.include('<h1>Approved</h1>');
    expect(successCalls()).to.have.length(1);
    const output = outputOf();
    expect(output).to.include({ decision: 'approved', decidedBy: 'bob@example.com' });
    expect(output.votes.map((v) => [v.reviewer, v.decision])).to.deep.equal([
      ['alice@example.com', 'approved'],
      ['bob@example.com', 'approved'],
    ]);

    const late = await h.open(carol!.rejectUrl);
    expect(late.statusCode).to.equal(409);
    expect(late.body).to.include('ALREADY_DECIDED').and.include('bob@example.com');
  });

  it('rejects on one rejection after k-1 approvals, with one callback', async () => {
    await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
    const [alice, bob] = reviewEmails();
    await h.confirm(alice!.approveUrl);
    const res = await h.confirm(bob!.rejectUrl, undefined, 'not yet');
    expect(res.body).to.include('<h1>Rejected</h1>');
    expect(successCalls()).to.have.length(1);
    expect(outputOf().votes.map((v) => v.decision)).to.deep.equal(['approved', 'rejected']);
  });

  it('calls back exactly once when all reviewers approve at the same moment', async () => {
    await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
    const emails = reviewEmails();
    const results = await Promise.all(emails.map((e) => h.confirm(e.approveUrl)));
    expect(successCalls()).to.have.length(1);
    expect(outputOf().decision).to.equal('approved');
    expect(results.filter((r) => r.statusCode === 200).length).to.be.at.least(2);
    expect(results.every((r) => r.statusCode < 500)).to.equal(true);
  });

  it('calls back exactly once when the last approval races a rejection', async () => {
    await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
    const [alice, bob, carol] = reviewEmails();
    await h.confirm(alice!.approveUrl);
    const [b, c] = await Promise.all([h.confirm(bob!.approveUrl), h.confirm(carol!.rejectUrl)]);
    expect(successCalls()).to.have.length(1);
    const winner = outputOf().decision;
    expect([b.statusCode, c.statusCode].sort()).to.deep.equal([200, 409]);
    expect(winner).to.equal(b.statusCode === 200 ? 'approved' : 'rejected');
  });

  it('refuses a second vote from the same reviewer and keeps the count', async () => {
    await h.submit(approvalTask({ reviewers: three, requiredApprovals: 2 }));
    const [alice] = reviewEmails();
    const page = await h.open(alice!.approveUrl);
    const fields = { ...formFields(page.body as string), decision: 'approve' };
    await h.post(fields);
    const again = await h.post(fields);
    expect(again.statusCode).to.equal(409);
    expect(again.body).to.include('ALREADY_VOTED');
    const reopened = await h.open(alice!.rejectUrl);
    expect(reopened.statusCode).to.equal(409);
    expect(successCalls()).to.have.length(0);
  });

  it('tells reviewers who had not answered that no action is needed', async () => {
    await h.submit(approvalTask({ reviewers: three }));
    const [alice] = reviewEmails();
    ses.resetHistory();
    await h.confirm(alice!.approveUrl);
    const notes = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    expect(notes.map((n) => n.Destination!.ToAddresses![0])).to.deep.equal(['bob@example.com', 'carol@example.com']);
    expect(notes[0]!.Message!.Subject!.Data).to.match(/^No action needed: /);
    expect(notes[0]!.Message!.Body!.Text!.Data).to.include('approved by alice@example.com');
  });

  it('bounds the comments of approvals that do not decide on a large quorum (50: 1,000 each), keeping the text when refused', async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => `reviewer${i}@example.com`);
    await h.submit(approvalTask({ reviewers: fifty, requiredApprovals: 50 }));
    const [first, second] = reviewEmails();

    const page = await h.open(first!.approveUrl);
    expect(page.body).to.include('Up to 1,000 characters');

    const tooLong = 'x'.repeat(1001);
    const refused = await h.confirm(first!.approveUrl, 'approve', tooLong);
    expect(refused.statusCode).to.equal(400);
    expect(refused.body).to.include('Your comment has 1,001 characters; at most 1,000 fit.').and.include(`>${tooLong}</textarea>`);

    const fits = await h.confirm(first!.approveUrl, 'approve', 'x'.repeat(1000));
    expect(fits.statusCode).to.equal(200);
    expect(fits.body).to.include('1 of 50');
    // A rejection decides, so it takes the full 2,000 characters.
    const rejected = await h.confirm(second!.rejectUrl, 'reject', 'y'.repeat(2000));
    expect(rejected.statusCode).to.equal(200);
    const output = JSON.parse(successCalls()[0]!.args[0].input.output!) as { comment: string; votes: { comment?: string }[] };
    expect(output.comment).to.have.length(2000);
    expect(output.votes.map((v) => v.comment?.length)).to.deep.equal([1000, 2000]);
  });

  it('never asks the author to review their own request', async () => {
    await h.submit(approvalTask({ reviewers: ['author@example.com', 'alice@example.com'], requestedBy: 'Author@Example.com' }));
    expect(reviewEmails().map((e) => e.to)).to.deep.equal(['alice@example.com']);
  });
});
