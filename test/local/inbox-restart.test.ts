/**
 * The reviewers' inbox is kept in DATA_DIR: after local mode restarts, the review email of a
 * post still pending is in the inbox (its page and /store), and its approve link still works.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startLocalStack, type LocalStack } from '../../src/local/local-stack';
import { INBOX_FILE } from '../../src/local/ses-store';
import { confirm, emailsWithSubject, getPost, inbox, linksOf, submitPost, waitFor } from '../support/local-client';

describe('local mode: the inbox survives a restart', function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-inbox-restart-'));
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = (port = 0) => startLocalStack({ port, inboxPort: 0, dataDir, reviewers: ['reviewer@example.com'], sweepSeconds: 0 });

  it('shows a pending post’s review email after a restart on the same DATA_DIR, and its approve link publishes the post', async () => {
    stack = await start();
    const title = `Still here ${process.pid}-${Date.now()}`;
    const subject = `Review requested: New post: ${title}`;
    const { status, body } = await submitPost(stack.apiUrl, { title, body: 'Body.', authorEmail: 'author@example.com' });
    expect(status).to.equal(202);
    const before = await waitFor('the review email', async () => emailsWithSubject(await inbox(stack!.inboxUrl), subject)[0]);
    const port = Number(new URL(stack.apiUrl).port);
    await stack.stop();
    stack = undefined;
    expect(existsSync(join(dataDir, INBOX_FILE))).to.equal(true);
    expect(readFileSync(join(dataDir, INBOX_FILE), 'utf8')).to.include(before.messageId);

    // The API on its old port (the links in the email name it); the inbox on a new one.
    stack = await start(port);
    const after = emailsWithSubject(await inbox(stack.inboxUrl), subject);
    expect(after).to.deep.equal([before]);
    expect((await fetch(`${stack.inboxUrl}/`)).status).to.equal(200);

    const result = await confirm(linksOf(after[0]!).approve);
    expect(result.status).to.equal(200);
    await waitFor('the post published', async () => ((await getPost(stack!.apiUrl, body.id)).status === 'PUBLISHED' ? true : undefined));
    // Nothing was sent twice: one review email, still.
    expect(emailsWithSubject(await inbox(stack.inboxUrl), subject)).to.have.length(1);
  });
});
