/**
 * One truth for limits, checked as a property: every post `POST /posts` answers 202 reaches the
 * reviewers and its author. Each generated post goes through the real posts handler → the
 * workflow's RequestApproval payload, evaluated by aws-local-stepfunctions as local mode does →
 * the approval contract → the review and author emails → a real SESClient's own serialisation.
 */
import { apiEvent } from '../../../src/approval/http/api-event';
import { expect } from 'chai';
import fc from 'fast-check';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SESClient } from '@aws-sdk/client-ses';
import { StateMachine } from 'aws-local-stepfunctions';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS, parseApprovalTask } from '../../../src/approval/domain/approval-request';
import type { IdempotencyKeys, PostStore, WorkflowStarter } from '../../../src/blog/domain/ports';
import { MAX_BODY_CHARS, MAX_POST_BYTES, MAX_TITLE_CHARS, POST_SUBJECT_PREFIX, excerpt, type Post } from '../../../src/blog/domain/post';
import { codePointLength } from '../../../src/approval/domain/validation';
import { renderAuthorEmail, type Outcome } from '../../../src/blog/email/author-email';
import { renderReviewEmail } from '../../../src/approval/email/review-email';
import { createNotifyHandler } from '../../../src/blog/handlers/notify-handler';
import { createPostsHandler } from '../../../src/blog/handlers/posts-handler';
import type { AppLogger } from '../../../src/approval/logger';
import type { ModerationInput } from '../../../src/blog/services/posts';
import { STATE, moderationWorkflow } from '../../../src/blog/workflow/moderation-workflow';

const RUNS = 250;
const REVIEWERS = ['alice@example.com', 'bob@example.com'];
const workflowArgs = {
  requestFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:request',
  notifyFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:notify',
  tableName: 'approvals',
  reviewers: REVIEWERS,
  linkTtlSeconds: 3600,
};

// ── Stand-ins: a post store in memory, a starter that keeps the execution input ─────────────

class MemoryPostStore implements Pick<PostStore, 'createIfAbsent' | 'get'> {
  readonly posts = new Map<string, Post>();
  async createIfAbsent(post: Post) {
    const existing = this.posts.get(post.id);
    if (!existing) this.posts.set(post.id, post);
    return existing;
  }
  async get(id: string) {
    return this.posts.get(id);
  }
}

class CapturingStarter implements WorkflowStarter {
  input?: ModerationInput;
  async start(_name: string, input: object) {
    this.input = input as ModerationInput;
  }
}

/** No Idempotency-Key is sent here: a key store that is never consulted. */
const noKeys: IdempotencyKeys = { find: async () => undefined, claim: async () => undefined };

const quietLogger: AppLogger = { info() {}, warn() {}, error() {}, addContext() {} } as unknown as AppLogger;

function postEvent(body: string): APIGatewayProxyEventV2 {
  return apiEvent({ method: 'POST', path: '/posts', headers: { host: 'api.example.com', 'content-type': 'application/json' }, body, sourceIp: '192.0.2.1', userAgent: 'property' });
}

// ── The workflow, run by the same interpreter as local mode ─────────────────────────────────

const definition = moderationWorkflow(workflowArgs);
const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
const NOTIFY_STATES: string[] = [STATE.notifyPublished, STATE.notifyRejected, STATE.notifyExpired];

/**
 * The Payloads the workflow hands the request Lambda (RequestApproval) and the notify Lambda for
 * this execution input, with their intrinsic functions evaluated. RequestApproval answers at once
 * with the outcome (an expiry is its States.Timeout), and every other task is a local no-op,
 * so the run ends without a timer left waiting for the task's TimeoutSeconds.
 */
async function workflowPayloads(input: ModerationInput, end: Outcome, comment?: string): Promise<{ request: Record<string, unknown>; notice: Record<string, unknown> }> {
  const payloads: Record<string, Record<string, unknown>> = {};
  const overrides: Record<string, (parameters: { Payload?: Record<string, unknown> }) => Promise<unknown>> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') overrides[name] = async (parameters) => ((payloads[name] = parameters.Payload ?? {}), {});
  }
  overrides[STATE.request] = async (parameters) => {
    payloads[STATE.request] = parameters.Payload!;
    if (end === 'expired') throw Object.assign(new Error('no decision in time'), { name: 'States.Timeout' });
    return { decision: end === 'published' ? 'approved' : 'rejected', decidedBy: REVIEWERS[0], decidedAt: '2026-11-28T10:00:00Z', ...(comment ? { comment } : {}) };
  };
  await machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: overrides as never },
    context: {
      Execution: { Id: `arn:aws:states:eu-west-1:123456789012:execution:moderation:${input.postId}`, Input: input, Name: input.postId, StartTime: '2026-11-28T09:00:00Z' },
      State: { EnteredTime: '2026-11-28T09:00:00Z', Name: STATE.request, RetryCount: 0 },
      Task: { Token: 'AAAA'.repeat(64) },
    } as never,
  }).result;
  const noticeState = NOTIFY_STATES.find((name) => payloads[name]);
  if (!payloads[STATE.request] || !noticeState) throw new Error(`the workflow skipped a step: ${Object.keys(payloads).join(', ')}`);
  return { request: payloads[STATE.request]!, notice: payloads[noticeState]! };
}

// ── A real SES client whose HTTP handler keeps the serialised request ────────────────────────

const SEND_EMAIL_RESPONSE =
  '<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>m-1</MessageId></SendEmailResult>' +
  '<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></SendEmailResponse>';

/** SendEmail requests as the SDK serialised them (query protocol: a urlencoded body). */
const serialised: string[] = [];

function capturingSesClient(): SESClient {
  const client = new SESClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDPROPERTY', secretAccessKey: 'property' },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: { body?: unknown }) {
        serialised.push(String(request.body));
        return { response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: new TextEncoder().encode(SEND_EMAIL_RESPONSE) } };
      },
    },
  });
  // Other suites in this process mock SESClient.prototype.send (aws-sdk-client-mock); this client
  // keeps the SDK's own send, so its middleware stack (serialise, sign) really runs.
  const realSend = (Object.getPrototypeOf(SESClient.prototype) as { send: SESClient['send'] }).send;
  Object.defineProperty(client, 'send', { value: realSend.bind(client) });
  return client;
}

/** The fields of the one request serialised since the last call, decoded strictly (a bad escape or bad UTF-8 throws). */
function sentFields(): Map<string, string> {
  const [body, ...more] = serialised.splice(0);
  if (body === undefined || more.length > 0) throw new Error(`SES serialised ${more.length + (body === undefined ? 0 : 1)} requests, not 1`);
  const fields = new Map<string, string>();
  for (const pair of body.split('&')) {
    const eq = pair.indexOf('=');
    fields.set(decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1).replaceAll('+', ' ')));
  }
  return fields;
}

// ── Generators: the whole accepted space ─────────────────────────────────────────────────────

const FAMILY = '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}';
const SPECIAL = [
  '\u{1F600}', FAMILY, '\u{1F3F3}\uFE0F\u200D\u{1F308}', '\u{1F1EB}\u{1F1F7}', '\u{1F44D}\u{1F3FD}', // emoji: astral, ZWJ sequences, flag, skin tone
  'e\u0301', 'a\u0308\u0323', 'Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357', '\u0915\u094D\u0937', // combining marks, conjuncts
  'שלום', 'مرحبا بالعالم', '\u200F', '\u200E', '\u202B‏עברית\u202C', // right-to-left text and marks
  '漢字', '𠜎𠜱', '\u{1D400}\u{1D401}', 'ﷺ', // CJK, astral CJK and math, a long ligature
  ' ', '  ', '\u00A0', '\u2003\u2009', '\u3000', '\uFEFF', // whitespace runs, BOM
  '"', '\\', "'", '{}', '<b>&amp;</b>', '{{title}}', '$&', '%ZZ', '=?UTF-8?B?', // JSON, template, header and escape look-alikes
];
const LINE_BREAKS = ['\n', '\r\n', '\t', '\n\n\t  \n', '\u2028', '\u2029'];

const oneLinePiece = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }) },
  // fast-check's graphemes include the line and paragraph separators (U+2028, U+2029), which a
  // one-line field refuses as line breaks: they are in LINE_BREAKS, for the body only.
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }).filter((s) => !/[\p{Cc}\p{Zl}\p{Zp}]/u.test(s)) },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
);
const textPiece = fc.oneof({ weight: 6, arbitrary: oneLinePiece }, { weight: 1, arbitrary: fc.constantFrom(...LINE_BREAKS) });

/** Exactly `length` code points built from `pieces` (repeated as needed), cut on a code point. */
function ofLength(pieces: string[], length: number): string {
  const units = [...pieces.join('')];
  if (units.length === 0) units.push('x');
  while (units.length < length) units.push(...units.slice(0, length - units.length));
  return units.slice(0, length).join('');
}

const titleLength = fc.oneof(fc.constantFrom(1, 2, MAX_TITLE_CHARS - 1, MAX_TITLE_CHARS), fc.integer({ min: 1, max: MAX_TITLE_CHARS }));
// Starts with a visible character so trimming never leaves it empty.
const title = fc
  .tuple(fc.array(oneLinePiece, { minLength: 1, maxLength: 60 }), titleLength)
  .map(([pieces, length]) => `T${ofLength(pieces, length - 1)}`);

const bodyLength = fc.oneof(
  fc.constantFrom(1, 279, 280, 281, MAX_SUMMARY_CHARS, MAX_BODY_CHARS - 1, MAX_BODY_CHARS),
  fc.integer({ min: 1, max: 3000 }),
);
// Up to 600 code points of anything (around the 280-character excerpt cut), then ASCII, so even
// 50,000 characters stay within the 64 KiB request.
const body = fc
  .tuple(fc.array(textPiece, { minLength: 1, maxLength: 150 }), bodyLength)
  .map(([pieces, length]) => {
    const head = `B${ofLength(pieces, Math.min(length, 600) - 1)}`;
    return head + 'lorem ipsum '.repeat(Math.ceil(length / 12)).slice(0, length - codePointLength(head));
  });

const addressChars = (chars: string, min: number, max: number) => fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((list) => list.join(''));
const label = addressChars('abcxyzABCXYZ0189-', 1, 20).filter((l) => !l.startsWith('-') && !l.endsWith('-'));
const authorEmail = fc.oneof(
  fc
    .tuple(addressChars("abcxyzABC019._+-!#$%&'*/=?^`{|}~", 1, 64), fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'org', 'example', 'xn--p1ai'), fc.constantFrom('', ' ', '  \t'))
    .map(([local, labels, tld, pad]) => `${pad}${local}@${[...labels, tld].join('.')}${pad}`),
  // 254 characters exactly, the longest address.
  fc.constant(`${'l'.repeat(64)}@${'d'.repeat(60)}.${'d'.repeat(60)}.${'d'.repeat(60)}.${'d'.repeat(4)}`),
);
const outcome = fc.constantFrom<Outcome>('published', 'rejected', 'expired');
// What the review form lets through: one line, no angle brackets.
const comment = fc.option(
  fc.array(oneLinePiece, { minLength: 1, maxLength: 30 }).map((pieces) => `C${ofLength(pieces, 200)}`.replace(/[<>]/g, '').trim()),
  { nil: undefined },
);

// ── The property ─────────────────────────────────────────────────────────────────────────────

describe('a post accepted with 202 reaches its reviewers and its author', () => {
  it('builds the approval subject from POST_SUBJECT_PREFIX, so the title limit matches it', () => {
    const request = (moderationWorkflow(workflowArgs).States[STATE.request]!.Parameters as { Payload: { request: Record<string, string> } }).Payload.request;
    expect(request['subject.$']).to.equal(`States.Format('${POST_SUBJECT_PREFIX}{}', $.title)`);
    expect(codePointLength(POST_SUBJECT_PREFIX) + MAX_TITLE_CHARS).to.equal(MAX_SUBJECT_CHARS);
  });

  it(`holds for ${RUNS} generated posts across every limit, script and cluster (handler → workflow → contract → emails → SES)`, async () => {
    const mailer = new SesMailer(capturingSesClient(), 'approvals@example.com');
    const notify = createNotifyHandler({ mailer, logger: quietLogger });
    let runs = 0;
    let atLimit = 0;

    await fc.assert(
      fc.asyncProperty(fc.record({ title, body, authorEmail }), outcome, comment, async (submitted, end, said) => {
        runs++;
        const starter = new CapturingStarter();
        const handler = createPostsHandler({ posts: new MemoryPostStore(), workflow: starter, keys: noKeys, logger: quietLogger, now: () => new Date('2026-11-28T09:00:00Z') });
        const json = JSON.stringify(submitted);
        expect(Buffer.byteLength(json), 'the generator stays within the request size').to.be.at.most(MAX_POST_BYTES);

        // 1. The API accepts it.
        const res = await handler(postEvent(json));
        expect(res.statusCode, String(res.body)).to.equal(202);
        const input = starter.input!;
        expect(input.title).to.equal(submitted.title.trim());
        if (codePointLength(input.title) === MAX_TITLE_CHARS) atLimit++;

        // 2. The workflow builds the approval request (and, later, the author's notice) from it.
        const { request: payload, notice: noticePayload } = await workflowPayloads(input, end, said);
        const request = payload.request as { subject: string; summary: string };
        // Exactly, backslashes included: the patched interpreter formats as Step Functions does.
        expect(request.subject).to.equal(POST_SUBJECT_PREFIX + input.title);
        expect(request.summary).to.equal(excerpt(submitted.body.trim()));

        // 3. The approval contract takes it (the request Lambda's first step).
        const task = parseApprovalTask(payload);
        expect(task.request.reviewers).to.have.length.at.least(1);

        // 4. Every reviewer's email renders and SES serialises it; the subject comes back intact.
        const review = renderReviewEmail({
          subject: task.request.subject,
          summary: task.request.summary,
          details: task.request.details,
          requestedBy: task.request.requestedBy,
          reviewer: task.request.reviewers[0]!,
          approveUrl: 'https://api.example.com/review?a=approve',
          rejectUrl: 'https://api.example.com/review?a=reject',
          expiresAt: 1_800_000_000,
        });
        await mailer.send({ to: task.request.reviewers[0]!, ...review });
        const sent = sentFields();
        expect(sent.get('Message.Subject.Data')).to.equal(review.subject);
        expect(sent.get('Message.Subject.Data')).to.include(task.request.subject);
        expect(sent.get('Message.Body.Text.Data')).to.equal(review.text);

        // 5. The author's notice, as the workflow hands it to the notify Lambda, through SES.
        expect(noticePayload).to.include({ title: input.title, authorEmail: input.authorEmail, outcome: end });
        expect(await notify(noticePayload)).to.deep.equal({ notified: end });
        const notice = sentFields();
        expect(notice.get('Destination.ToAddresses.member.1')).to.equal(input.authorEmail);
        expect(notice.get('Message.Subject.Data')).to.equal(renderAuthorEmail({ title: input.title, outcome: end, comment: said }).subject);
      }),
      {
        numRuns: RUNS,
        examples: [
          // The 190-character title of astral characters; the body's 280th character an emoji.
          [{ title: '\u{1F600}'.repeat(MAX_TITLE_CHARS), body: `${'x'.repeat(279)}\u{1F600} more`, authorEmail: 'Author@Example.com' }, 'published', 'Looks good'],
          [{ title: FAMILY.repeat(27) + 'a', body: `${'y'.repeat(275)}${FAMILY.repeat(3)}`, authorEmail: 'a@b.co' }, 'rejected', undefined],
          [{ title: 'שלום עולם', body: `${'e\u0301'.repeat(1000)}${'z'.repeat(MAX_BODY_CHARS - 2000)}`, authorEmail: 'x@xn--p1ai.example' }, 'expired', undefined],
        ],
      },
    );

    console.log(`      ${runs} posts (${atLimit} with a ${MAX_TITLE_CHARS}-character title) went through handler → workflow → contract → emails → SES`);
    expect(runs).to.be.at.least(RUNS);
  });
});
