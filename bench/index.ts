/**
 * Performance figures for the approval service, measured in one run (`npm run bench`):
 *
 *   1. email render: filling the precompiled template vs compiling the MJML per email;
 *   2. decision POST throughput in-process (real handler and adapters, stubbed AWS clients);
 *   3. AWS calls per request (1, 3, 10 reviewers) and per decision, counted at the stubs;
 *   4. approve-link length for 1,000- and 2,048-character task tokens;
 *   5. the cold path: each Lambda bundle's bytes and load time vs a default esbuild bundle (BENCH_ONLY=5 alone);
 *   6. local mode: 1,000 posts end to end over loopback (BENCH_LOCAL_POSTS changes the count);
 *   7. refused POST /posts: µs per request with a 1 K, 10 K and 60 K character field, and how
 *      that grows (BENCH_ONLY=7 runs this section alone);
 *   8. the sweeper over 100,000 pending requests in dynalite: one pass, its rate, the Lambda runs
 *      it takes, and every due reminder, escalation and expiry exactly once (BENCH_ONLY=8 alone;
 *      BENCH_SWEEP_REQUESTS changes the count);
 *   9. the largest request item the flow can produce, against DynamoDB's 400 KB (BENCH_ONLY=9).
 *
 * Sections 1–4 stub every AWS client with aws-sdk-client-mock; 5 loads bundles in fresh Node
 * processes; 6 runs the local stack on 127.0.0.1. Prints a plain-text report; writes no files
 * outside temporary folders it removes.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import mjml2html from 'mjml';
import Mustache from 'mustache';
import { DynamoExecutionRegistry } from '../src/approval/adapters/dynamo-execution-registry';
import { DynamoRequestStore } from '../src/approval/adapters/dynamo-request-store';
import { KmsTokenCipher } from '../src/approval/adapters/kms-token-cipher';
import { SesMailer } from '../src/approval/adapters/ses-mailer';
import { SfnTaskCallback } from '../src/approval/adapters/sfn-task-callback';
import { DECISION_LEASE_SECONDS } from '../src/approval/defaults';
import { keyringFromSecret } from '../src/approval/domain/mac-keyring';
import type { ApprovalRecord } from '../src/approval/domain/ports';
import { csrfToken, linkQuery, signLink, type ReviewAction } from '../src/approval/domain/review-link';
import { tokenContext } from '../src/approval/domain/sealed-token';
import { reviewRequestText } from '../src/approval/email/compiled-templates.generated';
import { formatExpiry, renderReviewEmail, type ReviewEmailView } from '../src/approval/email/review-email';
import { compileTemplate, escapeAttribute } from '../src/approval/email/template';
import { createRequestHandler } from '../src/approval/handlers/request-handler';
import { createReviewHandler } from '../src/approval/handlers/review-handler';
import type { AppLogger } from '../src/approval/logger';
import { requestIdFor } from '../src/approval/services/request-approval';
import { newKeyMaterial, SEAL_OVERHEAD_BYTES, seal } from '../src/local/kms-sealing';

// ---------------------------------------------------------------------------------------------
// Setting
// ---------------------------------------------------------------------------------------------

import { benchBundles } from './bundles';
import { benchInputChecks } from './input-checks';
import { benchItemSize } from './item-size';
import { benchLocalFlow } from './local-flow';
import { benchSweeperScale } from './sweeper-scale';
import { approvalRecord } from '../test/support/records';

const REVIEW_URL = 'https://abcdef1234.execute-api.eu-west-1.amazonaws.com/review';
const HOST = 'abcdef1234.execute-api.eu-west-1.amazonaws.com';
const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const TABLE = 'approvals-bench';
const CLIENT_CONFIG = { region: 'eu-west-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };

/** Handlers need a logger; JSON log lines would drown the report. */
const noopLogger = {
  info() {},
  warn() {},
  error() {},
  addContext() {},
} as unknown as AppLogger;

const keyring = keyringFromSecret(
  JSON.stringify({ current: '2', keys: { '1': randomBytes(32).toString('base64'), '2': randomBytes(32).toString('base64') } }),
);

/** A task token shaped like Step Functions' (base64 text). */
function makeTaskToken(chars: number): string {
  return randomBytes(Math.ceil((chars * 3) / 4) + 3)
    .toString('base64')
    .slice(0, chars);
}

/** The sealing local mode's KMS and the tests' stubbed KMS use: a KMS-sized ciphertext (plaintext + 162 bytes). */
const material = newKeyMaterial();
const KMS_OVERHEAD_BYTES = SEAL_OVERHEAD_BYTES;
const fakeEncrypt = (keyId: string, plaintext: Uint8Array, context?: Record<string, string>): Uint8Array => seal(material, keyId, plaintext, context);

// One stub per client class, shared by every section (aws-sdk-client-mock patches the prototype).
const docStub = mockClient(DynamoDBDocumentClient);
const ddbStub = mockClient(DynamoDBClient); // must stay at zero calls: everything goes through the document client
const kmsStub = mockClient(KMSClient);
const sesStub = mockClient(SESClient);
const sfnStub = mockClient(SFNClient);
const allStubs = [docStub, ddbStub, kmsStub, sesStub, sfnStub];

const ddbClient = new DynamoDBClient(CLIENT_CONFIG);
const store = new DynamoRequestStore(ddbClient, TABLE);
const executions = new DynamoExecutionRegistry(ddbClient, TABLE);
const cipher = new KmsTokenCipher(new KMSClient(CLIENT_CONFIG), KEY_ID);
const mailer = new SesMailer(new SESClient(CLIENT_CONFIG), 'approvals@example.com');
const callback = new SfnTaskCallback(new SFNClient(CLIENT_CONFIG));

const RETENTION_SECONDS = 30 * 24 * 3600;

/** The stored item for a record, as DynamoRequestStore's toItem writes it (document-client shape). */
function itemFor(record: ApprovalRecord): Record<string, unknown> {
  const { notified, ...rest } = record;
  return {
    pk: `REQ#${record.requestId}`,
    sk: 'REQUEST',
    ...rest,
    ...(notified.length > 0 ? { notified: new Set(notified) } : {}),
    pendingKey: 'PENDING',
    pendingSort: record.createdAt,
    ttl: record.expiresAt + RETENTION_SECONDS,
  };
}

function postEvent(body: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /review',
    rawPath: '/review',
    rawQueryString: '',
    headers: {
      host: HOST,
      origin: `https://${HOST}`,
      'content-type': 'application/x-www-form-urlencoded',
      'sec-fetch-site': 'same-origin',
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      domainName: HOST,
      domainPrefix: 'abcdef1234',
      http: { method: 'POST', path: '/review', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' },
      requestId: 'bench',
      routeKey: 'POST /review',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body,
    isBase64Encoded: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring and reporting
// ---------------------------------------------------------------------------------------------

const clock = () => process.hrtime.bigint();
const micros = (ns: bigint) => Number(ns) / 1e3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const int = (n: number) => fmt(n, 0);

interface Row {
  figure: string;
  value: string;
  target: string;
  /** true PASS, false MISS, undefined for information only. */
  pass?: boolean;
}

const sections: { title: string; rows: Row[]; notes: string[] }[] = [];

function printReport(totalSeconds: number): void {
  const all = sections.flatMap((s) => s.rows);
  const w = [
    Math.max(6, ...all.map((r) => r.figure.length)),
    Math.max(5, ...all.map((r) => r.value.length)),
    Math.max(6, ...all.map((r) => r.target.length)),
  ];
  const line = (a: string, b: string, c: string, d: string) => `  ${a.padEnd(w[0]!)}  ${b.padStart(w[1]!)}  ${c.padEnd(w[2]!)}  ${d}`;
  const rule = `  ${'-'.repeat(w[0]! + w[1]! + w[2]! + 12)}`;
  const out: string[] = [];
  out.push('', `Email approval service: benchmark (Node ${process.version}, ${process.platform}/${process.arch})`, '');
  for (const section of sections) {
    out.push(section.title, line('Figure', 'Value', 'Target', 'Result'), rule);
    for (const r of section.rows) out.push(line(r.figure, r.value, r.target, r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'MISS'));
    for (const note of section.notes) out.push(`  * ${note}`);
    out.push('');
  }
  const judged = all.filter((r) => r.pass !== undefined);
  const passed = judged.filter((r) => r.pass).length;
  out.push(`Summary: ${passed}/${judged.length} targets met${passed === judged.length ? '' : ` (MISS: ${judged.filter((r) => !r.pass).map((r) => r.figure.trim()).join('; ')})`}. Run took ${fmt(totalSeconds)} s.`, '');
  console.log(out.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Shared fixtures: a sealed 1,000-character token and the links it yields
// ---------------------------------------------------------------------------------------------

interface Sealed {
  token: string;
  requestId: string;
  packed: Buffer;
  ciphertext: string;
}

function sealFixture(chars: number): Sealed {
  const token = makeTaskToken(chars);
  const requestId = requestIdFor(token);
  const packed = deflateRawSync(Buffer.from(token, 'utf8'), { level: 9 });
  const ciphertext = Buffer.from(fakeEncrypt(KEY_ID, packed, tokenContext(requestId))).toString('base64url');
  return { token, requestId, packed, ciphertext };
}

function linkFor(sealed: Sealed, reviewer: number, action: ReviewAction, expiresAt: number) {
  return signLink({ requestId: sealed.requestId, reviewer, action, expiresAt, ciphertext: sealed.ciphertext }, keyring);
}

// ---------------------------------------------------------------------------------------------
// 1. Email render
// ---------------------------------------------------------------------------------------------

async function benchEmailRender(): Promise<void> {
  const source = await readFile(join(__dirname, '..', 'templates', 'approval', 'review-request.mjml'), 'utf8');
  const expiresAt = Math.floor(Date.now() / 1000) + 7 * 24 * 3600;
  // Sixteen different reviewers' views, with real signed links of a 1,000-character token.
  const views: ReviewEmailView[] = [];
  for (let i = 0; i < 16; i++) {
    const sealed = sealFixture(1000);
    views.push({
      subject: `Publish “Release notes ${i}”`,
      summary: 'The release notes for the next version are waiting for your review.',
      details: 'Changes:\n- faster links\n- shorter emails\n- fewer <surprises> & more tests',
      requestedBy: 'author@example.com',
      reviewer: `reviewer${i}@example.com`,
      approveUrl: `${REVIEW_URL}?${linkQuery(linkFor(sealed, i, 'approve', expiresAt))}`,
      rejectUrl: `${REVIEW_URL}?${linkQuery(linkFor(sealed, i, 'reject', expiresAt))}`,
      expiresAt,
    });
  }
  const noEscape = { escape: (value: unknown) => String(value) };

  /** What the service would do without the build step: compile the MJML for every email, then fill it. */
  async function compileAndFill(view: ReviewEmailView) {
    const { html, errors } = await mjml2html(source, { validationLevel: 'strict', minify: false });
    if (errors.length > 0) throw new Error(`MJML errors: ${errors.map((e) => e.formattedMessage).join('; ')}`);
    return {
      subject: `Review requested: ${view.subject}`,
      // Filled as the service fills it (text and attribute escaping), only parsed every time.
      html: compileTemplate(html).html({ ...view, expiresAt: formatExpiry(view.expiresAt) }),
      text: Mustache.render(reviewRequestText, { ...view, expiresAt: formatExpiry(view.expiresAt) }, {}, noEscape),
    };
  }

  let sink = 0;
  // Sanity: both paths produce an email carrying the link.
  const precompiled = renderReviewEmail(views[0]!);
  const compiled = await compileAndFill(views[0]!);
  // The attribute escaping the service uses (links stay readable: `/` and `=` are not escaped).
  const hrefOf = (html: string) => html.includes(`href="${escapeAttribute(views[0]!.approveUrl)}"`);
  if (!hrefOf(precompiled.html) || !hrefOf(compiled.html)) throw new Error('email render: approve link missing from the HTML part');

  // Warm-up.
  for (let i = 0; i < 500; i++) sink += renderReviewEmail(views[i % views.length]!).html.length;
  for (let i = 0; i < 10; i++) sink += (await compileAndFill(views[i % views.length]!)).html.length;

  const FILLS = 2000;
  const fillTimes: number[] = [];
  const fillStart = clock();
  for (let i = 0; i < FILLS; i++) {
    const t0 = clock();
    const email = renderReviewEmail(views[i % views.length]!);
    fillTimes.push(micros(clock() - t0));
    sink += email.html.length + email.text.length;
  }
  const fillMean = micros(clock() - fillStart) / FILLS;

  const COMPILES = 30;
  const compileTimes: number[] = [];
  const compileStart = clock();
  for (let i = 0; i < COMPILES; i++) {
    const t0 = clock();
    const email = await compileAndFill(views[i % views.length]!);
    compileTimes.push(micros(clock() - t0));
    sink += email.html.length + email.text.length;
  }
  const compileMean = micros(clock() - compileStart) / COMPILES;
  if (sink === 0) throw new Error('unreachable');

  const fillMedian = median(fillTimes);
  const compileMedian = median(compileTimes);
  const ratio = compileMedian / fillMedian;
  sections.push({
    title: '1. Email render (one email: HTML + text part)',
    rows: [
      { figure: 'precompiled fill, median (renderReviewEmail)', value: `${fmt(fillMedian)} µs`, target: '' },
      { figure: 'precompiled fill, mean', value: `${fmt(fillMean)} µs`, target: '' },
      { figure: 'MJML compile + fill per email, median', value: `${fmt(compileMedian)} µs`, target: '' },
      { figure: 'MJML compile + fill per email, mean', value: `${fmt(compileMean)} µs`, target: '' },
      { figure: 'speed-up of precompiled (medians)', value: `${fmt(ratio, 0)}×`, target: '≥ 200×', pass: ratio >= 200 },
    ],
    notes: [
      `${int(FILLS)} fills and ${COMPILES} compiles after warm-up; HTML part ${int(precompiled.html.length)} chars; mjml2html with validationLevel strict, as the build step.`,
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// 2. Decision POST throughput (and 3b. calls per decision)
// ---------------------------------------------------------------------------------------------

interface DecisionCounters {
  claims: number;
  completions: number;
  otherUpdates: number;
  decrypts: number;
  callbacks: number;
  wrongToken: number;
}

/** Stubs answering a decision as AWS would when the request is PENDING and the task still waits. */
function installDecisionStubs(sealed: Sealed, record: ApprovalRecord): DecisionCounters {
  const counters: DecisionCounters = { claims: 0, completions: 0, otherUpdates: 0, decrypts: 0, callbacks: 0, wrongToken: 0 };
  const pendingItem = itemFor(record);
  for (const stub of allStubs) stub.reset();
  docStub.on(UpdateCommand).callsFake((input: { UpdateExpression?: string; ReturnValues?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
    const values = input.ExpressionAttributeValues ?? {};
    if (input.ReturnValues === 'ALL_NEW' && values[':from'] === 'PENDING' && values[':to'] === 'DECIDING') {
      // The conditional write succeeded: PENDING → DECIDING, decidedBy copied from the reviewer list.
      counters.claims++;
      const reviewer = Number(/reviewers\[(\d+)\]/.exec(input.UpdateExpression ?? '')?.[1]);
      return {
        Attributes: {
          ...pendingItem,
          status: 'DECIDING',
          decision: values[':decision'],
          decidedBy: record.reviewers[reviewer],
          decidedAt: values[':at'],
          leaseUntil: values[':lease'],
          ...(values[':comment'] ? { comment: values[':comment'] } : {}),
        },
      };
    }
    if (values[':from'] === 'DECIDING' && (values[':to'] === 'APPROVED' || values[':to'] === 'REJECTED')) counters.completions++;
    else counters.otherUpdates++;
    return {};
  });
  docStub.on(GetCommand).resolves({ Item: pendingItem });
  kmsStub.on(DecryptCommand).callsFake(() => {
    counters.decrypts++;
    return { Plaintext: sealed.packed, KeyId: KEY_ID };
  });
  sfnStub.on(SendTaskSuccessCommand).callsFake((input: { taskToken?: string }) => {
    counters.callbacks++;
    if (input.taskToken !== sealed.token) counters.wrongToken++;
    return {};
  });
  return counters;
}

async function benchDecisions(): Promise<void> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const sealed = sealFixture(1000);
  const reviewers = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
  const record: ApprovalRecord = approvalRecord(new Date(nowSeconds * 1000), {
    requestId: sealed.requestId,
    subject: 'Publish “Hello world”',
    summary: 'A first blog post is waiting for review.',
    details: 'Body preview:\nHello world!',
    reviewers,
    requestedBy: 'author@example.com',
    expiresAt: nowSeconds + 7 * 24 * 3600,
    sealedToken: sealed.ciphertext,
  });
  const counters = installDecisionStubs(sealed, record);

  // The form the confirmation page posts for reviewer 1's approve link.
  const link = linkFor(sealed, 1, 'approve', record.expiresAt);
  const body = new URLSearchParams({
    ...Object.fromEntries(new URLSearchParams(linkQuery(link))),
    t: csrfToken(link, keyring),
    decision: 'approve',
    comment: 'Looks good to me.',
  }).toString();

  const review = createReviewHandler({ store, decider: () => ({ cipher, callback }), keyring: () => keyring, logger: noopLogger });

  // One decision, checked end to end before any timing; its calls are section 3's per-decision figure.
  const first = await review(postEvent(body));
  if (first.statusCode !== 200 || !String(first.body).includes('Approved')) {
    throw new Error(`decision POST: expected 200 Approved, got ${first.statusCode}: ${String(first.body).slice(0, 300)}`);
  }
  if (counters.claims !== 1 || counters.decrypts !== 1 || counters.callbacks !== 1 || counters.completions !== 1 || counters.wrongToken !== 0) {
    throw new Error(`decision POST: not a full decision (${JSON.stringify(counters)})`);
  }
  const perDecision = {
    dynamodb: docStub.calls().length + ddbStub.calls().length,
    kms: kmsStub.calls().length,
    sfn: sfnStub.calls().length,
    ses: sesStub.calls().length,
  };
  const dynamoKinds = docStub.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
  callsPerDecision = { ...perDecision, total: perDecision.dynamodb + perDecision.kms + perDecision.sfn + perDecision.ses, dynamoKinds };

  // sinon records every call; drop the history now and then so the run's memory stays flat.
  const HISTORY_EVERY = 1024;
  const resetHistory = () => {
    for (const stub of allStubs) stub.resetHistory();
  };

  async function runFor(ms: number): Promise<{ decisions: number; seconds: number; failures: number }> {
    const deadline = clock() + BigInt(ms) * 1_000_000n;
    const start = clock();
    let decisions = 0;
    let failures = 0;
    while (clock() < deadline) {
      const res = await review(postEvent(body));
      if (res.statusCode !== 200) failures++;
      if (++decisions % HISTORY_EVERY === 0) resetHistory();
    }
    return { decisions, seconds: Number(clock() - start) / 1e9, failures };
  }

  await runFor(700); // warm-up: JIT, inline caches
  const before = { ...counters };
  const timed = await runFor(2000);
  const done = (k: keyof DecisionCounters) => counters[k] - before[k];
  const verified =
    timed.failures === 0 &&
    done('claims') === timed.decisions &&
    done('decrypts') === timed.decisions &&
    done('callbacks') === timed.decisions &&
    done('completions') === timed.decisions &&
    done('otherUpdates') === 0 &&
    counters.wrongToken === 0;
  if (!verified) throw new Error(`decision POST: timed run was not all full decisions (${JSON.stringify({ timed, counters, before })})`);

  // 32 decisions in flight: what one core does when invocations overlap (informational).
  async function runConcurrent(ms: number, inFlight: number): Promise<{ decisions: number; seconds: number }> {
    const deadline = clock() + BigInt(ms) * 1_000_000n;
    const start = clock();
    let decisions = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (clock() < deadline) {
          const res = await review(postEvent(body));
          if (res.statusCode !== 200) throw new Error(`concurrent decision POST: ${res.statusCode}`);
          if (++decisions % HISTORY_EVERY === 0) resetHistory();
        }
      }),
    );
    return { decisions, seconds: Number(clock() - start) / 1e9 };
  }
  const concurrent = await runConcurrent(1000, 32);

  // What the stubs alone cost per decision: the same four sends against the mocked clients.
  const ddbDoc = DynamoDBDocumentClient.from(ddbClient);
  const kmsClient = new KMSClient(CLIENT_CONFIG);
  const sfnClient = new SFNClient(CLIENT_CONFIG);
  const claimValues = { ':from': 'PENDING', ':to': 'DECIDING', ':decision': 'approved', ':at': new Date().toISOString(), ':lease': nowSeconds + DECISION_LEASE_SECONDS, ':now': nowSeconds, ':reviewer': 1 };
  async function stubOnly(): Promise<void> {
    await ddbDoc.send(new UpdateCommand({ TableName: TABLE, Key: { pk: 'x', sk: 'REQUEST' }, UpdateExpression: 'SET decidedBy = reviewers[1]', ReturnValues: 'ALL_NEW', ExpressionAttributeValues: claimValues }));
    await kmsClient.send(new DecryptCommand({ KeyId: KEY_ID, CiphertextBlob: Buffer.alloc(900), EncryptionContext: tokenContext(sealed.requestId) }));
    await sfnClient.send(new SendTaskSuccessCommand({ taskToken: sealed.token, output: '{}' }));
    await ddbDoc.send(new UpdateCommand({ TableName: TABLE, Key: { pk: 'x', sk: 'REQUEST' }, UpdateExpression: 'SET #status = :to', ExpressionAttributeValues: { ':from': 'DECIDING', ':to': 'APPROVED' } }));
  }
  for (let i = 0; i < 5000; i++) {
    await stubOnly();
    if (i % HISTORY_EVERY === 0) resetHistory();
  }
  const STUB_ROUNDS = 20000;
  const stubStart = clock();
  for (let i = 0; i < STUB_ROUNDS; i++) {
    await stubOnly();
    if (i % HISTORY_EVERY === 0) resetHistory();
  }
  const stubMicros = micros(clock() - stubStart) / STUB_ROUNDS;

  const rate = timed.decisions / timed.seconds;
  const perDecisionMicros = 1e6 / rate;
  sections.push({
    title: '2. Decision POST throughput (in-process, one core, stubbed AWS clients)',
    rows: [
      { figure: 'decisions/s, one at a time', value: int(rate), target: '≥ 5,000', pass: rate >= 5000 },
      { figure: 'µs per decision', value: `${fmt(perDecisionMicros)} µs`, target: '≤ 200 µs (= 5,000/s)', pass: perDecisionMicros <= 200 },
      { figure: 'decisions/s, 32 in flight', value: int(concurrent.decisions / concurrent.seconds), target: '' },
      { figure: 'of which stub overhead (4 mocked sends)', value: `${fmt(stubMicros)} µs`, target: '' },
      { figure: 'µs per decision without stub overhead (est.)', value: `${fmt(Math.max(0, perDecisionMicros - stubMicros))} µs`, target: '' },
    ],
    notes: [
      `${int(timed.decisions)} decisions in ${fmt(timed.seconds, 2)} s after a 0.7 s warm-up, each verified full: claim (conditional UpdateCommand → DECIDING record) → KMS Decrypt + inflate → SendTaskSuccess with the original token → completing UpdateCommand; every response 200.`,
      'Real createReviewHandler, DynamoRequestStore, KmsTokenCipher, SfnTaskCallback, MAC and CSRF checks; 1,000-char token; form with comment, Origin = Host.',
      'Stubs replace client.send entirely, so SDK serialisation, signing and HTTP are not included; sinon records each call (and captures a stack), which is the "stub overhead" row.',
    ],
  });
}

let callsPerDecision: { dynamodb: number; kms: number; sfn: number; ses: number; total: number; dynamoKinds: string[] } | undefined;

// ---------------------------------------------------------------------------------------------
// 3. AWS calls per request, and 4. link length
// ---------------------------------------------------------------------------------------------

/** Stubs answering the request task as AWS would for a new request. */
function installRequestStubs(): void {
  for (const stub of allStubs) stub.reset();
  docStub.on(PutCommand).resolves({});
  docStub.on(UpdateCommand).resolves({});
  kmsStub.on(EncryptCommand).callsFake((input: { KeyId?: string; Plaintext?: Uint8Array; EncryptionContext?: Record<string, string> }) => ({
    CiphertextBlob: fakeEncrypt(input.KeyId ?? KEY_ID, input.Plaintext ?? new Uint8Array(), input.EncryptionContext),
    KeyId: input.KeyId,
  }));
  sesStub.on(SendEmailCommand).resolves({ MessageId: 'bench-message' });
}

function approvalTask(token: string, reviewerCount: number) {
  return {
    taskToken: token,
    // As the blog workflow passes it: the request is registered with its execution (one UpdateItem).
    executionId: 'arn:aws:states:eu-west-1:123456789012:execution:moderation:p-bench',
    request: {
      subject: 'Publish “Hello world”',
      summary: 'A first blog post is waiting for review.',
      details: 'Body preview:\nHello world!',
      reviewers: Array.from({ length: reviewerCount }, (_, i) => `reviewer${i}@example.com`),
      requestedBy: 'author@example.com',
    },
  };
}

const requestHandler = () => createRequestHandler({ store, executions, cipher, mailer, keyring: () => keyring, reviewUrl: REVIEW_URL, logger: noopLogger });

async function benchRequestCalls(): Promise<void> {
  const handle = requestHandler();
  const rows: Row[] = [];
  for (const n of [1, 3, 10]) {
    installRequestStubs();
    const result = await handle(approvalTask(makeTaskToken(1000), n));
    if (result.emailed !== n) throw new Error(`request with ${n} reviewers emailed ${result.emailed}`);
    const dynamo = docStub.calls().length + ddbStub.calls().length;
    const encrypts = kmsStub.commandCalls(EncryptCommand).length;
    const kmsAll = kmsStub.calls().length;
    const emails = sesStub.commandCalls(SendEmailCommand).length;
    const total = dynamo + kmsAll + sesStub.calls().length + sfnStub.calls().length;
    rows.push({
      figure: `request, ${String(n).padStart(2)} reviewer${n === 1 ? ' ' : 's'}: KMS Encrypt`,
      value: String(encrypts),
      target: '= 1',
      pass: encrypts === 1 && kmsAll === 1,
    });
    rows.push({ figure: `request, ${String(n).padStart(2)} reviewer${n === 1 ? ' ' : 's'}: DynamoDB / SES / total`, value: `${dynamo} / ${emails} / ${total}`, target: `(1 Put + 2 Update, ${n} SendEmail)` });
  }
  const d = callsPerDecision;
  if (!d) throw new Error('calls per decision not measured');
  rows.push({ figure: 'decision: DynamoDB / KMS / SFN', value: `${d.dynamodb} / ${d.kms} / ${d.sfn}`, target: '' });
  rows.push({ figure: 'decision: AWS calls in all', value: String(d.total), target: '≤ 4', pass: d.total <= 4 && d.ses === 0 });
  sections.push({
    title: '3. AWS calls (counted at the stubs)',
    rows,
    notes: [
      `Decision DynamoDB calls: ${d.dynamoKinds.join(', ')} (claim, then complete). The MAC keyring is passed in here; in Lambda it is one Secrets Manager read per container, not per call.`,
    ],
  });
}

async function benchLinkLength(): Promise<void> {
  const handle = requestHandler();
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const chars of [1000, 2048]) {
    installRequestStubs();
    const token = makeTaskToken(chars);
    await handle(approvalTask(token, 2));
    const texts = sesStub.commandCalls(SendEmailCommand).map((c) => (c.args[0].input as SendEmailCommandInput).Message?.Body?.Text?.Data ?? '');
    const approveUrls = texts.map((t) => /^Approve: (\S+)$/m.exec(t)?.[1] ?? '');
    const rejectUrls = texts.map((t) => /^Reject: (\S+)$/m.exec(t)?.[1] ?? '');
    if (approveUrls.length !== 2 || approveUrls.some((u) => !u.startsWith(`${REVIEW_URL}?`))) throw new Error('link length: approve link not found in the email text');
    const approve = Math.max(...approveUrls.map((u) => u.length));
    const reject = Math.max(...rejectUrls.map((u) => u.length));
    const raw = `${REVIEW_URL}?token=${encodeURIComponent(token)}&action=approve`.length;
    const packed = deflateRawSync(Buffer.from(token, 'utf8'), { level: 9 }).length;
    const c = new URL(approveUrls[0]!).searchParams.get('c') ?? '';
    rows.push({
      figure: `approve link, ${int(chars)}-char token`,
      value: `${int(approve)} chars`,
      target: chars === 1000 ? '≤ 1,450' : '',
      ...(chars === 1000 ? { pass: approve <= 1450 } : {}),
    });
    rows.push({ figure: `  reject link, ${int(chars)}-char token`, value: `${int(reject)} chars`, target: '' });
    rows.push({ figure: `  raw-token link (unprotected), ${int(chars)}-char`, value: `${int(raw)} chars`, target: '' });
    rows.push({ figure: `  sealed / raw`, value: `${fmt(approve / raw, 2)}×`, target: '' });
    notes.push(
      `${int(chars)}-char token: deflated to ${int(packed)} bytes (${fmt((100 * packed) / chars, 0)}%), + ${KMS_OVERHEAD_BYTES}-byte KMS envelope = ${int(packed + KMS_OVERHEAD_BYTES)} bytes, base64url c= ${int(c.length)} chars; the rest of the link is ${int(approve - c.length)} chars.`,
    );
  }
  sections.push({ title: `4. Link length (REVIEW_URL ${REVIEW_URL})`, rows, notes });
}

// ---------------------------------------------------------------------------------------------

const INPUT_CHECKS_TITLE = '7. Refused POST /posts: time per request by field size (real handler)';
const ITEM_SIZE_TITLE = '9. Largest request item the flow can produce (DynamoDB item limit 400 KB)';

async function benchSweeper(): Promise<void> {
  const sweeper = await benchSweeperScale(keyring, (line) => console.log(line));
  sections.push({ title: `8. Sweeper: one pass over ${sweeper.requests.toLocaleString('en-GB')} pending requests (dynalite, real sweep and budget)`, rows: sweeper.rows, notes: sweeper.notes });
}

async function main(): Promise<void> {
  const start = clock();
  const only = process.env.BENCH_ONLY;
  if (only === '5' || only === '7' || only === '8' || only === '9') {
    for (const stub of allStubs) stub.restore();
    if (only === '5') sections.push({ title: '5. Cold path: Lambda bundles', ...benchBundles((line) => console.log(line)) });
    if (only === '7') sections.push({ title: INPUT_CHECKS_TITLE, ...(await benchInputChecks()) });
    if (only === '8') await benchSweeper();
    if (only === '9') sections.push({ title: ITEM_SIZE_TITLE, ...(await benchItemSize(keyring)) });
    printReport(Number(clock() - start) / 1e9);
    return;
  }
  await benchEmailRender();
  await benchDecisions();
  await benchRequestCalls();
  await benchLinkLength();
  for (const stub of allStubs) stub.restore();
  console.log('5. bundles…');
  const bundles = benchBundles((line) => console.log(line));
  sections.push({ title: '5. Cold path: Lambda bundles', ...bundles });
  console.log('6. local mode…');
  const local = await benchLocalFlow((line) => console.log(line));
  sections.push({ title: `6. Local mode: ${local.posts.toLocaleString('en-GB')} posts end to end`, rows: local.rows, notes: local.notes });
  console.log('7. input checks…');
  sections.push({ title: INPUT_CHECKS_TITLE, ...(await benchInputChecks()) });
  console.log('8. sweeper…');
  await benchSweeper();
  console.log('9. item size…');
  sections.push({ title: ITEM_SIZE_TITLE, ...(await benchItemSize(keyring)) });
  printReport(Number(clock() - start) / 1e9);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
