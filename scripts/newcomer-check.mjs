/**
 * The newcomer's path on the machine's own Node (whatever it is, 18 or newer): a fresh clone,
 * `npm install && npm start`, then a post submitted, its review email opened, Approve confirmed,
 * and the post read back PUBLISHED. Plain JavaScript on purpose: it runs on the old Node itself.
 *
 *   node scripts/newcomer-check.mjs            # clones this repository's committed HEAD
 *
 * Exits 0 when the post is published, 1 otherwise (with the server's output).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'newcomer-'));
const clone = join(work, 'project');
const started = Date.now();
const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;

function step(what) {
  console.log(`newcomer: ${what} (${seconds()})`);
}

async function waitFor(what, check, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let server;
let output = '';
try {
  step(`node ${process.version}, npm ${execFileSync('npm', ['-v'], { encoding: 'utf8' }).trim()}`);
  execFileSync('git', ['clone', '-q', root, clone], { stdio: 'inherit' });
  step('npm install');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: clone, stdio: 'inherit' });

  step('npm start');
  server = spawn('npm', ['start'], {
    cwd: clone,
    env: { ...process.env, PORT: '0', INBOX_PORT: '0', DATA_DIR: join(work, 'data'), SWEEP_SECONDS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  server.stdout.on('data', (chunk) => (output += chunk));
  server.stderr.on('data', (chunk) => (output += chunk));
  const urls = await waitFor(
    'the server to print its addresses',
    async () => {
      if (server.exitCode !== null) throw new Error(`npm start exited with ${server.exitCode}`);
      const api = /Posts and workflow\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
      const inbox = /Reviewers' inbox\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
      return api && inbox ? { api, inbox } : undefined;
    },
    120_000,
  );

  step('submit a post');
  const title = `Hello from ${process.version}`;
  const submitted = await fetch(`${urls.api}/posts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title, body: 'A first post.', authorEmail: 'author@example.com' }),
  });
  if (submitted.status !== 202) throw new Error(`POST /posts answered ${submitted.status}`);
  const { id } = await submitted.json();

  step('open the review email and approve');
  const email = await waitFor('the review email', async () => {
    const { emails } = await (await fetch(`${urls.inbox}/store`)).json();
    return emails.find((e) => e.subject === `Review requested: New post: ${title}`);
  });
  const approve = /^Approve: (\S+)$/m.exec(email.body.text ?? '')?.[1];
  if (!approve) throw new Error('no Approve link in the email');
  const page = await fetch(approve);
  const html = await page.text();
  if (page.status !== 200) throw new Error(`the Approve link answered ${page.status}`);
  const fields = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]] = m[2].replace(/&#x2F;/g, '/').replace(/&amp;/g, '&');
  const origin = new URL(approve).origin;
  const confirmed = await fetch(`${origin}/review`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ ...fields, decision: 'approve' }),
  });
  if (confirmed.status !== 200) throw new Error(`confirming answered ${confirmed.status}`);

  step('read the post back');
  await waitFor('the post to be PUBLISHED', async () => {
    const post = await (await fetch(`${urls.api}/posts/${id}`)).json();
    return post.status === 'PUBLISHED' ? post : undefined;
  });
  step(`PUBLISHED: npm install && npm start work on ${process.version}`);
} catch (err) {
  console.error(`newcomer: FAILED after ${seconds()}: ${err instanceof Error ? err.message : String(err)}`);
  if (output) console.error(`--- npm start output ---\n${output}`);
  process.exitCode = 1;
} finally {
  if (server && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGINT');
    } catch {
      // Already gone.
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // Stopped.
    }
  }
  rmSync(work, { recursive: true, force: true });
}
