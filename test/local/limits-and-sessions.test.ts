/**
 * Local mode over HTTP: the abuse limits, off unless local mode's environment sets them (as
 * POSTS_PER_AUTHOR_PER_HOUR and the others do for `npm start`), and on here with small values;
 * then sign-out ending a copied session cookie and a used sign-in link saying so. Only Date is
 * faked, to move the clock past a window; timers stay real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../src/local/local-stack';
import { emailsWithSubject, inbox, submitPost, waitFor } from '../support/local-client';
import { rememberSecret } from '../support/log-guard';

const ADMIN = 'admin@example.com';
const SIGN_IN_SUBJECT = 'Your sign-in link for the approvals dashboard';
const HOUR = 3600_000;

describe('local mode: abuse limits, sign-out and used sign-in links', function () {
  this.timeout(60_000);
  let dataDir: string;
  let stack: LocalStack | undefined;
  let clock: ReturnType<typeof FakeTimers.install> | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-limits-'));
    // The start of an hour (and of a quarter hour), so that one window holds the whole test.
    clock = FakeTimers.install({ now: Math.ceil(Date.now() / HOUR) * HOUR, toFake: ['Date'], shouldAdvanceTime: true, advanceTimeDelta: 10 });
  });
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
    clock?.uninstall();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (options: LocalStackOptions = {}) => (stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, admins: [ADMIN], sweepSeconds: 0, ...options }));
  const post = (n: number, authorEmail = 'author@example.com') => ({ title: `Limits ${n} ${process.pid}`, body: 'Body.', authorEmail });
  /** The sign-in links this stack sent (the inbox may also hold an earlier test's). */
  const signInLinks = async (s: LocalStack) =>
    emailsWithSubject(await inbox(s.inboxUrl), SIGN_IN_SUBJECT)
      .map((e) => /^Sign in: (\S+)$/m.exec(e.body.text ?? '')![1]!)
      .filter((link) => link.startsWith(`${s.apiUrl}/`));
  const askForLink = (s: LocalStack, email: string) => fetch(`${s.apiUrl}/admin/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email }) });

  it('limits nothing unless its environment sets the limits', async () => {
    const s = await start();
    for (let n = 1; n <= 7; n++) expect((await submitPost(s.apiUrl, post(n))).status, `post ${n}`).to.equal(202);
    for (let n = 1; n <= 4; n++) expect((await askForLink(s, ADMIN)).status, `sign-in ${n}`).to.equal(200);
  });

  it('answers 429 past each limit (per author, per client, sign-ins per address) and takes requests again once the window is over', async () => {
    const s = await start({ postsPerAuthorPerHour: 2, postsPerClientPerHour: 4, signInsPerAddressPer15Minutes: 1 });

    // Per author: the third post of one author in the hour.
    for (let n = 1; n <= 2; n++) expect((await submitPost(s.apiUrl, post(n))).status).to.equal(202);
    const byAuthor = await fetch(`${s.apiUrl}/posts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(post(3)) });
    expect(byAuthor.status).to.equal(429);
    expect(Number(byAuthor.headers.get('retry-after'))).to.be.within(3000, 3600);
    expect(((await byAuthor.json()) as { error: { code: string } }).error.code).to.equal('RATE_LIMITED');
    // Per client (all of these come from 127.0.0.1), refused posts included: the fourth request, then none.
    expect((await submitPost(s.apiUrl, post(4, 'other@example.com'))).status).to.equal(202);
    const byClient = await submitPost(s.apiUrl, post(5, 'third@example.com'));
    expect(byClient.status).to.equal(429);

    // Sign-in links per address: the second in a quarter hour is refused, with the same page for any address.
    expect((await askForLink(s, ADMIN)).status).to.equal(200);
    const signIns = await askForLink(s, ADMIN);
    expect(signIns.status).to.equal(429);
    expect(signIns.headers.get('content-type')).to.include('text/html');
    expect(Number(signIns.headers.get('retry-after'))).to.be.within(600, 900);
    expect(await signIns.text()).to.include('RATE_LIMITED');
    expect(await signInLinks(s)).to.have.length(1);

    // A quarter hour on: sign-ins again; the posts' hour is not over yet.
    clock!.tick(15 * 60_000);
    expect((await askForLink(s, ADMIN)).status).to.equal(200);
    expect((await submitPost(s.apiUrl, post(6, 'fourth@example.com'))).status).to.equal(429);
    // An hour on: posts again, from the same author and client.
    clock!.tick(45 * 60_000);
    expect((await submitPost(s.apiUrl, post(7))).status).to.equal(202);
  });

  it('ends a copied session cookie at sign-out, and says a used sign-in link is used when it is opened again', async () => {
    const s = await start();
    expect((await askForLink(s, ADMIN)).status).to.equal(200);
    const link = await waitFor('the sign-in email', async () => (await signInLinks(s))[0]);
    const token = new URL(link).searchParams.get('token')!;
    rememberSecret(token);
    expect((await fetch(link)).status).to.equal(200);
    const confirmed = await fetch(`${s.apiUrl}/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, confirm: 'sign-in' }),
      redirect: 'manual',
    });
    expect(confirmed.status).to.equal(303);
    const cookie = confirmed.headers.get('set-cookie')!.split(';')[0]!;
    rememberSecret(cookie.slice(cookie.indexOf('=') + 1));
    const copied = cookie;

    const dashboard = (c: string) => fetch(`${s.apiUrl}/admin`, { headers: { cookie: c } });
    const page = await dashboard(cookie);
    expect(page.status).to.equal(200);
    const form = /<form method="post" action="\/admin\/sign-out"[^>]*>([\s\S]*?)<\/form>/.exec(await page.text())![1]!;
    const csrf = /name="csrf" value="([^"]*)"/.exec(form)![1]!;
    rememberSecret(csrf);
    const out = await fetch(`${s.apiUrl}/admin/sign-out`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ csrf }),
      redirect: 'manual',
    });
    expect(out.status).to.equal(303);

    const refused = await dashboard(copied);
    expect(refused.status).to.equal(401);
    expect(await refused.text()).to.not.include('Signed in as');

    const reopened = await fetch(link);
    expect(reopened.status).to.equal(410);
    expect(await reopened.text()).to.include('SIGN_IN_USED');
  });
});
