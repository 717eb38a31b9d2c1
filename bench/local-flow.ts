/**
 * Section 6 of `npm run bench`: local mode end to end. One local stack (dynalite, local KMS,
 * aws-ses-v2-local, the local Step Functions running the real definition, the real handlers) in a
 * fresh temporary DATA_DIR with one reviewer, driven over HTTP on loopback the way a reviewer
 * would: submit a post → find its review email in the inbox → open the approve link (the
 * confirmation page) → confirm it (the "click") → the execution resumes, publishes the post and
 * succeeds → GET /posts/{id} says PUBLISHED.
 *
 * BENCH_LOCAL_POSTS sets the number of posts (default 1,000) and BENCH_LOCAL_CONCURRENCY the
 * posts in flight (default 16). The stack runs in this process: client and services share one
 * event loop, as in `npm start` with a browser elsewhere.
 */
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StateMachine } from 'aws-local-stepfunctions';
import { LOCAL_STATE_MACHINE_ARN, startLocalStack } from '../src/local/local-stack';
import type { ExecutionRecord } from '../src/local/local-step-functions';
import { HOUR_SECONDS, LINK_TTL_HOURS } from '../src/approval/defaults';
import { moderationWorkflow } from '../src/blog/workflow/moderation-workflow';
import type { BenchRow } from './bundles';

const DEFAULT_POSTS = 1000;
const DEFAULT_CONCURRENCY = 16;
/** The whole run (after start-up and warm-up) stops here and reports what finished. */
const DEADLINE_MS = 180_000;
const POLL_MS = 100;
const WARM_UP_POSTS = 4;
const REVIEWER = 'reviewer@example.com';
const SUBJECT_PREFIX = 'Review requested: New post: ';
const EXECUTION_PREFIX = `${LOCAL_STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:`;

function positiveInt(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// A small HTTP client (node:http, keep-alive): lighter than fetch, and this process also serves.
// ---------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function http(method: string, url: string, signal: AbortSignal, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, signal, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves with the promise, or rejects once the signal aborts (the global deadline). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('deadline'));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('deadline'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Mustache's escapes (& < > " ' / ` =) and any other numeric or common named reference. */
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') return String.fromCodePoint(ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10));
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** The confirmation form's hidden fields (`<input type="hidden" name="…" value="…">`), unescaped. */
function hiddenFields(html: string): [string, string][] {
  const fields: [string, string][] = [];
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
    const name = attr('name');
    if (attr('type') === 'hidden' && name !== undefined) fields.push([unescapeHtml(name), unescapeHtml(attr('value') ?? '')]);
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const ms = (n: number) => (Number.isNaN(n) ? '–' : `${n.toFixed(n < 10 ? 1 : 0)} ms`);

/** Per post: client-side step times (performance.now) and the execution's own stamps (epoch ms). */
interface PostTimes {
  submit: number; // POST /posts → 202
  email: number; // POST /posts sent → review email seen by the poller
  page: number; // GET approve link → confirmation page
  confirm: number; // POST /review → 200 (the "click")
  clickToCallback: number; // click sent → SendTaskSuccess arrived (callbackAt)
  clickToResumed: number; // click sent → waiting task exited (resumedAt)
  callbackToResumed: number; // callbackAt → resumedAt
  resumedToDone: number; // resumedAt → SUCCEEDED (publish + author notice)
  clickToDone: number; // click sent → SUCCEEDED seen here
  readBack: number; // GET /posts/{id} → PUBLISHED
  total: number; // POST /posts sent → PUBLISHED read back
}

/**
 * What LocalStepFunctions.run() does once per execution before it runs anything: construct an
 * aws-local-stepfunctions StateMachine, which validates the definition with asl-validator (a new
 * Ajv instance compiling the ASL schemas each time). Median ms, validated vs `noValidate`.
 */
function stateMachineConstruction(): { validated: number; unvalidated: number } {
  const lambda = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
  const definition = moderationWorkflow({ requestFunctionArn: lambda('request'), notifyFunctionArn: lambda('notify'), tableName: 'email-approval', reviewers: [REVIEWER], linkTtlSeconds: LINK_TTL_HOURS.default * HOUR_SECONDS });
  const time = (validationOptions: object, rounds: number) => {
    const times: number[] = [];
    for (let i = 0; i < rounds + 3; i++) {
      const copy = JSON.parse(JSON.stringify(definition)) as never;
      const t0 = performance.now();
      new StateMachine(copy, { validationOptions });
      if (i >= 3) times.push(performance.now() - t0);
    }
    return percentile(times, 50);
  };
  return { validated: time({ checkArn: false }, 15), unvalidated: time({ noValidate: true }, 200) };
}

export async function benchLocalFlow(progress: (line: string) => void): Promise<{ posts: number; rows: BenchRow[]; notes: string[] }> {
  const posts = positiveInt('BENCH_LOCAL_POSTS', DEFAULT_POSTS);
  const concurrency = Math.min(posts, positiveInt('BENCH_LOCAL_CONCURRENCY', DEFAULT_CONCURRENCY));
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-local-'));
  const stopAll = new AbortController();
  const signal = stopAll.signal;

  const startedAt = performance.now();
  const stack = await startLocalStack({ port: 0, inboxPort: 0, dataDir, reviewers: [REVIEWER], logLevel: 'ERROR' });
  const startupMs = performance.now() - startedAt;
  const origin = new URL(stack.apiUrl).origin;

  // Executions: one listener, resolving whoever waits for that execution to stop running.
  const executionWaiters = new Map<string, (record: ExecutionRecord) => void>();
  const unsubscribe = stack.stepFunctions.onChange((record) => {
    if (record.status === 'RUNNING') return;
    const waiter = executionWaiters.get(record.executionArn);
    if (!waiter) return;
    executionWaiters.delete(record.executionArn);
    waiter({ ...record });
  });
  const executionDone = (postId: string) => {
    const arn = `${EXECUTION_PREFIX}${postId}`;
    return new Promise<ExecutionRecord>((resolve) => {
      const current = stack.stepFunctions.executions.get(arn);
      if (current && current.status !== 'RUNNING') resolve({ ...current });
      else executionWaiters.set(arn, resolve);
    });
  };

  // The inbox: one poller fetching `?since=` and handing each review email to the post awaiting it.
  const emailWaiters = new Map<string, (text: string) => void>();
  const poller = { polls: 0, bytes: 0, emails: 0, busyMs: 0, running: true };
  const pollLoop = (async () => {
    let since = Math.floor(Date.now() / 1000) - 1;
    while (poller.running && !signal.aborted) {
      const t0 = performance.now();
      if (emailWaiters.size > 0) {
        const sentAt = Date.now();
        try {
          const reply = await http('GET', `${stack.inboxUrl}/store?since=${since}`, signal);
          // Every email sent after the previous poll started has at ≥ that second.
          since = Math.floor(sentAt / 1000);
          poller.polls++;
          poller.bytes += reply.body.length;
          const { emails } = JSON.parse(reply.body) as { emails: { subject?: string; body?: { text?: string } }[] };
          poller.emails += emails.length;
          for (const email of emails) {
            if (!email.subject?.startsWith(SUBJECT_PREFIX)) continue;
            const waiter = emailWaiters.get(email.subject.slice(SUBJECT_PREFIX.length));
            if (!waiter) continue;
            emailWaiters.delete(email.subject.slice(SUBJECT_PREFIX.length));
            waiter(email.body?.text ?? '');
          }
        } catch {
          // Aborted at the deadline, or one failed poll: the next one covers the same window.
        }
        poller.busyMs += performance.now() - t0;
      }
      await new Promise((done) => setTimeout(done, Math.max(0, POLL_MS - (performance.now() - t0))));
    }
  })();

  const runId = Date.now().toString(36);
  /** One post, submit to PUBLISHED; every wait bounded by the global deadline. */
  async function onePost(i: number): Promise<PostTimes> {
    const title = `Bench ${runId} #${i}`;
    const emailText = untilAborted(new Promise<string>((resolve) => emailWaiters.set(title, resolve)), signal);
    emailText.catch(() => undefined);
    const t0 = performance.now();
    try {
      const submitted = await http('POST', `${stack.apiUrl}/posts`, signal, JSON.stringify({ title, body: `Body of post ${i}: local-mode benchmark.`, authorEmail: 'author@example.com' }), {
        'content-type': 'application/json',
      });
      const t1 = performance.now();
      if (submitted.status !== 202) throw new Error(`POST /posts: ${submitted.status} ${submitted.body.slice(0, 200)}`);
      const { id } = JSON.parse(submitted.body) as { id: string };

      const text = await emailText;
      const t2 = performance.now();
      const approveUrl = /^Approve: (\S+)$/m.exec(text)?.[1];
      if (!approveUrl) throw new Error('review email without an Approve link');

      const page = await http('GET', approveUrl, signal);
      const t3 = performance.now();
      if (page.status !== 200) throw new Error(`GET approve link: ${page.status}`);
      const form = new URLSearchParams(hiddenFields(page.body));
      if (!form.has('t')) throw new Error('confirmation page without its form');
      form.set('decision', 'approve');

      const done = untilAborted(executionDone(id), signal);
      done.catch(() => undefined);
      const clickStart = Date.now();
      const t4 = performance.now();
      const confirmed = await http('POST', `${origin}/review`, signal, form.toString(), { 'content-type': 'application/x-www-form-urlencoded', origin });
      const t5 = performance.now();
      if (confirmed.status !== 200) throw new Error(`POST /review: ${confirmed.status}`);

      const record = await done;
      const t6 = performance.now();
      if (record.status !== 'SUCCEEDED') throw new Error(`execution ${record.status}: ${record.error ?? ''} ${record.cause ?? ''}`);
      if (record.resumedAt === undefined || record.callbackAt === undefined || record.stopDate === undefined) throw new Error('execution without its timestamps');

      const post = await http('GET', `${stack.apiUrl}/posts/${id}`, signal);
      const t7 = performance.now();
      const status = post.status === 200 ? (JSON.parse(post.body) as { status: string }).status : `HTTP ${post.status}`;
      if (status !== 'PUBLISHED') throw new Error(`post ${id} is ${status}`);
      return {
        submit: t1 - t0,
        email: t2 - t0,
        page: t3 - t2,
        confirm: t5 - t4,
        clickToCallback: record.callbackAt - clickStart,
        clickToResumed: record.resumedAt - clickStart,
        callbackToResumed: record.resumedAt - record.callbackAt,
        resumedToDone: record.stopDate - record.resumedAt,
        clickToDone: t6 - t4,
        readBack: t7 - t6,
        total: t7 - t0,
      };
    } finally {
      emailWaiters.delete(title);
    }
  }

  const results: PostTimes[] = [];
  const failures = new Map<string, number>();
  const run = { seconds: 0, elu: 0, cpuMs: 0, warmUpMs: 0, timedOut: false };
  const deadline = setTimeout(() => {
    run.timedOut = true;
    stopAll.abort();
  }, DEADLINE_MS);
  try {
    // Warm-up, not counted: loads the lazily imported clients and JITs the path once.
    const w0 = performance.now();
    for (let i = 0; i < Math.min(WARM_UP_POSTS, posts); i++) await onePost(-1 - i);
    run.warmUpMs = performance.now() - w0;
    deadline.refresh();

    progress(`  ${posts.toLocaleString('en-GB')} posts, ${concurrency} in flight, deadline ${DEADLINE_MS / 1000} s…`);
    const every = posts >= 1000 ? 100 : Math.max(1, Math.ceil(posts / 10));
    const eluStart = performance.eventLoopUtilization();
    const cpuStart = process.cpuUsage();
    const runStart = performance.now();
    let next = 0;
    const worker = async () => {
      while (!signal.aborted) {
        const i = next++;
        if (i >= posts) return;
        try {
          results.push(await onePost(i));
          if (results.length % every === 0 || results.length === posts) {
            const s = (performance.now() - runStart) / 1000;
            progress(`  ${String(results.length).padStart(String(posts).length)}/${posts} finished, ${s.toFixed(1)} s (${(results.length / s).toFixed(0)} posts/s so far)`);
          }
        } catch (err) {
          if (signal.aborted) return;
          const reason = err instanceof Error ? err.message.replace(/p-[A-Za-z0-9_-]+/g, 'p-…') : String(err);
          failures.set(reason, (failures.get(reason) ?? 0) + 1);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    run.seconds = (performance.now() - runStart) / 1000;
    run.elu = performance.eventLoopUtilization(eluStart).utilization;
    const cpu = process.cpuUsage(cpuStart);
    run.cpuMs = (cpu.user + cpu.system) / 1000;
    if (run.timedOut) progress(`  deadline reached after ${run.seconds.toFixed(1)} s: ${results.length} finished`);
  } finally {
    clearTimeout(deadline);
    poller.running = false;
    stopAll.abort();
    await pollLoop;
    unsubscribe();
    // After the deadline, requests the stack already accepted are still running: let them end
    // before their services close under them (else they log errors and the SDK retries).
    if (run.timedOut) await new Promise((done) => setTimeout(done, 2000));
    await stack.stop();
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const construction = stateMachineConstruction();
  const col = (key: keyof PostTimes) => results.map((r) => r[key]);
  const p = (key: keyof PostTimes, q: number) => percentile(col(key), q);
  const finished = results.length;
  const rate = run.seconds > 0 ? finished / run.seconds : 0;
  const p99Resumed = p('clickToResumed', 99);
  const step = (label: string, key: keyof PostTimes): BenchRow => ({ figure: `  ${label}, p50 / p99`, value: `${ms(p(key, 50))} / ${ms(p(key, 99))}`, target: '' });
  const rows: BenchRow[] = [
    { figure: 'posts finished (PUBLISHED, execution SUCCEEDED)', value: `${finished.toLocaleString('en-GB')} / ${posts.toLocaleString('en-GB')}`, target: `all ${posts.toLocaleString('en-GB')}`, pass: finished === posts },
    { figure: 'posts/s end to end', value: rate.toFixed(1), target: '≥ 50/s', pass: finished === posts && rate >= 50 },
    { figure: 'click → resumed, p50', value: ms(p('clickToResumed', 50)), target: '' },
    { figure: 'click → resumed, p99', value: ms(p99Resumed), target: '≤ 100 ms', pass: finished > 0 && p99Resumed <= 100 },
    { figure: 'submit → review email, p50', value: ms(p('email', 50)), target: '' },
    step('POST /posts → 202', 'submit'),
    step('submit → review email seen', 'email'),
    step('GET approve link (confirmation page)', 'page'),
    step('POST /review (click) → 200', 'confirm'),
    step('click → SendTaskSuccess arrived', 'clickToCallback'),
    step('SendTaskSuccess → resumed', 'callbackToResumed'),
    step('resumed → SUCCEEDED (publish, notify)', 'resumedToDone'),
    step('click → SUCCEEDED seen by the bench', 'clickToDone'),
    step('GET /posts/{id}', 'readBack'),
    step('one post, submit → PUBLISHED read back', 'total'),
    { figure: 'CPU per post (this process: stack + client)', value: finished > 0 ? ms(run.cpuMs / finished) : '–', target: '' },
    { figure: '  new StateMachine() per execution, validated', value: ms(construction.validated), target: '' },
    { figure: '  new StateMachine() with noValidate', value: `${(construction.unvalidated * 1000).toFixed(1)} µs`, target: '' },
  ];
  const notes = [
    `${finished.toLocaleString('en-GB')} posts in ${run.seconds.toFixed(1)} s with ${concurrency} in flight, after ${WARM_UP_POSTS} warm-up posts (${(run.warmUpMs / 1000).toFixed(1)} s, not counted); stack start-up ${startupMs.toFixed(0)} ms; fresh DATA_DIR, one reviewer.`,
    `Click = the confirmation form POSTed to /review; "click → resumed" is the execution's resumedAt (waiting task exited) minus Date.now() just before sending it.`,
    `Inbox: one poller, GET /store?since=<s> every ${POLL_MS} ms while a post waits: ${poller.polls.toLocaleString('en-GB')} polls, ${(poller.bytes / 1e6).toFixed(0)} MB, ${poller.emails.toLocaleString('en-GB')} emails returned (the filter is to the second, so each comes back several times), ${(poller.busyMs / 1000).toFixed(1)} s inside polls; "submit → email" includes up to one poll interval.`,
    `Client and stack share one Node process: event-loop utilisation over the run ${(run.elu * 100).toFixed(0)}%, CPU ${(run.cpuMs / 1000).toFixed(1)} s in ${run.seconds.toFixed(1)} s.`,
    'new StateMachine(): LocalStepFunctions.run() constructs one per execution with validationOptions { checkArn: false }, so asl-validator builds an Ajv instance and compiles the ASL schemas every time (median of 15, measured after the run).',
  ];
  if (run.timedOut) notes.push(`Stopped at the ${DEADLINE_MS / 1000} s deadline: figures cover the posts that finished.`);
  for (const [reason, count] of failures) notes.push(`failed: ${count} × ${reason}`);
  return { posts, rows, notes };
}
