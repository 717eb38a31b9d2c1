/**
 * Reviewer teams in local mode, end to end over HTTP: a 2-of-3 quorum with an escalation, set
 * by the same settings the Pulumi program takes (REQUIRED_APPROVALS, ESCALATE_TO,
 * ESCALATE_AFTER_HOURS). Only Date is faked, to move the clock a day on; timers stay real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import { startLocalStack, teamSettings, type LocalStack } from '../../src/local/local-stack';
import { confirm, emailsWithSubject, getPost, inbox, linksOf, submitPost, waitFor } from '../support/local-client';

const HOUR = 3600 * 1000;

describe('local mode, reviewer teams', function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack | undefined;
  let clock: ReturnType<typeof FakeTimers.install> | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-teams-'));
    clock = FakeTimers.install({ now: Date.now(), toFake: ['Date'], shouldAdvanceTime: true, advanceTimeDelta: 10 });
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    clock?.uninstall();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes after 2 of 3 approvals, one of them from the reviewer added by escalation a day later', async () => {
    const reviewers = ['ana@example.com', 'ben@example.com', 'cai@example.com'];
    stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, reviewers, requiredApprovals: 2, escalateTo: ['dee@example.com'], escalateAfterHours: 24, sweepSeconds: 0 });
    const s = stack;
    const title = `Team ${process.pid}-${Date.now()}`;
    const { body } = await submitPost(s.apiUrl, { title, body: 'Needs two approvals.', authorEmail: 'author@example.com' });
    const subject = `Review requested: New post: ${title}`;
    const asked = await waitFor('three review emails', async () => {
      const found = emailsWithSubject(await inbox(s.inboxUrl), subject);
      return found.length === 3 ? found : undefined;
    });
    expect(asked.map((e) => e.destination.to[0]).sort()).to.deep.equal(reviewers);

    // One approval of two: recorded, the post still waits.
    const first = await confirm(linksOf(asked.find((e) => e.destination.to[0] === 'ana@example.com')!).approve);
    expect(first.status).to.equal(200);
    expect(first.html).to.include('1 of 2');
    expect((await getPost(s.apiUrl, body.id)).status).to.equal('IN_REVIEW');

    // A day later nobody else has decided: the sweep adds dee, who is asked once.
    clock!.setSystemTime(Date.now() + 25 * HOUR);
    await s.sweep();
    const escalated = await waitFor('the escalation email', async () => emailsWithSubject(await inbox(s.inboxUrl), `Review requested (escalated): New post: ${title}`)[0]);
    expect(escalated.destination.to).to.deep.equal(['dee@example.com']);
    await s.sweep();
    expect(emailsWithSubject(await inbox(s.inboxUrl), `Review requested (escalated): New post: ${title}`)).to.have.length(1);

    // Dee's approval completes the quorum.
    const second = await confirm(linksOf(escalated).approve);
    expect(second.status).to.equal(200);
    const post = await waitFor('post PUBLISHED', async () => {
      const p = await getPost(s.apiUrl, body.id);
      return p.status === 'PUBLISHED' ? p : undefined;
    });
    expect(post.decision).to.include({ decision: 'approved' });
    // Those who had not answered learn that nothing is needed of them any more.
    const notes = await waitFor('two "no action needed" notes', async () => {
      const found = emailsWithSubject(await inbox(s.inboxUrl), `No action needed: New post: ${title}`);
      return found.length === 2 ? found : undefined;
    });
    expect(notes.map((e) => e.destination.to[0]).sort()).to.deep.equal(['ben@example.com', 'cai@example.com']);
  });

  it('refuses team settings that could never work, before starting', () => {
    const three = ['a@example.com', 'b@example.com', 'c@example.com'];
    expect(() => teamSettings({ requiredApprovals: 4 }, three)).to.throw('REQUIRED_APPROVALS must be a whole number from 1 to the number of reviewers (3)');
    expect(() => teamSettings({ escalateTo: ['d@example.com'], escalateAfterHours: 200, linkTtlHours: 168 }, three)).to.throw('ESCALATE_AFTER_HOURS');
    expect(() => teamSettings({ reminderHoursBeforeExpiry: 0 }, three)).to.throw('REMINDER_HOURS_BEFORE_EXPIRY');
    expect(teamSettings({ linkTtlHours: 1 }, three).remindBeforeSeconds).to.equal(1800);
    expect(teamSettings({ requiredApprovals: 2, escalateTo: ['d@example.com'] }, three)).to.deep.equal({ requiredApprovals: 2, escalateTo: ['d@example.com'], escalateAfterSeconds: 48 * 3600, remindBeforeSeconds: 24 * 3600 });
  });
});
