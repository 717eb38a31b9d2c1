import { expect } from 'chai';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DecryptCommand } from '@aws-sdk/client-kms';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { ErrorCode } from '../../../src/approval/domain/errors';
import { ERROR_TABLE } from '../../../src/approval/http/error-answers';
import type { HttpResult } from '../../../src/approval/http/handler';
import { MAX_REVIEW_FORM_BYTES } from '../../../src/approval/handlers/review-handler';
import { HOST, approvalTask, formFields, httpEvent, kms, makeTaskToken, sentEmails, sfn, startHarness, type Harness } from '../../support/approval-harness';
import { logLines, logMark, rememberSecret } from '../../support/log-guard';

/**
 * Every bad input the link handler can meet, one row each: the damaged link or form is built
 * from a real email of the same test, sent once, and must be refused with a 4xx page carrying a
 * stable code, without a DynamoDB write, a KMS Decrypt or a Step Functions call.
 */

interface Ctx {
  /** Sends the request under test; the table snapshot and call log are taken just before. */
  send(event: APIGatewayProxyEventV2): Promise<HttpResult>;
  /** GET /review?<rawQuery>. */
  get(rawQuery: string): Promise<HttpResult>;
  /** POST /review of a urlencoded form (fields or a ready body) from the review page's origin. */
  post(form: Record<string, string> | string, headers?: Record<string, string>): Promise<HttpResult>;
}

interface BadInput {
  name: string;
  expectStatus: number;
  expectCode: ErrorCode;
  run: (h: Harness, ctx: Ctx) => Promise<HttpResult>;
}

const ORIGIN = `https://${HOST}`;
const B64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const queryOf = (url: string): string => new URL(url).search.slice(1);
const paramOf = (url: string, key: string): string => new URL(url).searchParams.get(key) ?? '';

/** The query with one parameter's raw value replaced, order kept. */
function withParam(query: string, key: string, value: string): string {
  return query
    .split('&')
    .map((part) => (part.startsWith(`${key}=`) ? `${key}=${value}` : part))
    .join('&');
}

function withoutParam(query: string, key: string): string {
  return query
    .split('&')
    .filter((part) => !part.startsWith(`${key}=`))
    .join('&');
}

/** A different base64url character at position `i` (position 0 carries six significant bits). */
function flipChar(text: string, i = 0): string {
  const current = text[i]!;
  const next = B64URL_CHARS[(B64URL_CHARS.indexOf(current) + 32) % 64]!;
  return text.slice(0, i) + next + text.slice(i + 1);
}

/** Submits a request and returns the approve link of its first reviewer (alice). */
async function aliceLink(h: Harness): Promise<string> {
  await h.submit();
  return sentEmails()[0]!.approveUrl;
}

/** The confirmation form of `url`, as the page renders it, with a decision. */
async function formOf(h: Harness, url: string, decision = 'approve'): Promise<Record<string, string>> {
  const page = await h.open(url);
  expect(page.statusCode, 'the untouched link opens its confirmation page').to.equal(200);
  const fields = formFields(page.body as string);
  rememberSecret(fields.t);
  return { ...fields, decision };
}

/** Submits a request and returns alice's untouched confirmation form. */
async function aliceForm(h: Harness, decision = 'approve'): Promise<Record<string, string>> {
  return formOf(h, await aliceLink(h), decision);
}

const urlencoded = (form: Record<string, string>): string => new URLSearchParams(form).toString();

const cases: BadInput[] = [
  // ── GET: the link's MAC and shape ──────────────────────────────────────────────────────────
  {
    name: 'a tampered MAC (one character flipped)',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      return ctx.get(withParam(queryOf(url), 'm', flipChar(paramOf(url, 'm'))));
    },
  },
  {
    name: 'a MAC one character short',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      return ctx.get(withParam(queryOf(url), 'm', paramOf(url, 'm').slice(0, 21)));
    },
  },
  {
    name: 'a MAC one character long',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      return ctx.get(withParam(queryOf(url), 'm', `${paramOf(url, 'm')}A`));
    },
  },
  {
    name: 'a truncated ciphertext',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      return ctx.get(withParam(queryOf(url), 'c', paramOf(url, 'c').slice(0, -10)));
    },
  },
  {
    name: 'a ciphertext swapped in from another request',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      await h.submit(approvalTask({ subject: 'Another request' }, makeTaskToken()));
      const other = sentEmails()[2]!.approveUrl;
      expect(paramOf(other, 'c')).to.not.equal(paramOf(url, 'c'));
      return ctx.get(withParam(queryOf(url), 'c', paramOf(other, 'c')));
    },
  },
  {
    name: 'a request id swapped in from another request',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      await h.submit(approvalTask({ subject: 'Another request' }, makeTaskToken()));
      const other = sentEmails()[2]!.approveUrl;
      expect(paramOf(other, 'r')).to.not.equal(paramOf(url, 'r'));
      return ctx.get(withParam(queryOf(url), 'r', paramOf(other, 'r')));
    },
  },
  {
    name: 'a changed reviewer index',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      expect(paramOf(url, 'v')).to.equal('0');
      return ctx.get(withParam(queryOf(url), 'v', '1'));
    },
  },
  {
    name: 'a reviewer index beyond the reviewer list',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => ctx.get(withParam(queryOf(await aliceLink(h)), 'v', '7')),
  },
  {
    name: 'an action swapped from approve to reject under the same MAC',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      expect(paramOf(url, 'a')).to.equal('approve');
      return ctx.get(withParam(queryOf(url), 'a', 'reject'));
    },
  },
  {
    name: 'an extended expiry',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      return ctx.get(withParam(queryOf(url), 'x', String(Number(paramOf(url, 'x')) + 30 * 24 * 3600)));
    },
  },
  {
    name: 'an unknown key version',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => ctx.get(withParam(queryOf(await aliceLink(h)), 'k', '9')),
  },
  {
    name: 'an older, known key version the link was not signed with',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      expect(paramOf(url, 'k')).to.equal('2');
      return ctx.get(withParam(queryOf(url), 'k', '1'));
    },
  },
  {
    name: 'a "+" inserted into the ciphertext',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      const c = paramOf(url, 'c');
      return ctx.get(withParam(queryOf(url), 'c', `${c.slice(0, 40)}+${c.slice(40)}`));
    },
  },
  {
    name: 'a space (%20) inserted into the ciphertext',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      const c = paramOf(url, 'c');
      return ctx.get(withParam(queryOf(url), 'c', `${c.slice(0, 40)}%20${c.slice(40)}`));
    },
  },
  {
    name: 'base64 "=" padding appended to the ciphertext',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      return ctx.get(withParam(queryOf(url), 'c', `${paramOf(url, 'c')}==`));
    },
  },
  {
    name: 'a duplicated "a" parameter',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.get(`${queryOf(await aliceLink(h))}&a=reject`),
  },
  {
    name: 'an unknown extra parameter next=https://evil.example',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.get(`${queryOf(await aliceLink(h))}&next=${encodeURIComponent('https://evil.example')}`),
  },
  {
    name: 'a link without its MAC (no "m")',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.get(withoutParam(queryOf(await aliceLink(h)), 'm')),
  },
  {
    name: 'a link without its ciphertext (no "c")',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.get(withoutParam(queryOf(await aliceLink(h)), 'c')),
  },
  {
    name: 'a link without its request id (no "r")',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.get(withoutParam(queryOf(await aliceLink(h)), 'r')),
  },
  {
    name: 'an empty query',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      await aliceLink(h);
      return ctx.get('');
    },
  },
  {
    name: 'a query over 6,144 characters',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const query = withParam(queryOf(await aliceLink(h)), 'c', 'A'.repeat(6200));
      expect(query.length).to.be.above(6144);
      return ctx.get(query);
    },
  },
  {
    name: 'a ciphertext over 4,096 characters in a query under the limit',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      const c = paramOf(url, 'c');
      const query = withParam(queryOf(url), 'c', c + 'A'.repeat(4097 - c.length));
      expect(query.length).to.be.at.most(6144);
      return ctx.get(query);
    },
  },
  {
    name: 'a non-numeric expiry',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.get(withParam(queryOf(await aliceLink(h)), 'x', 'soon')),
  },
  {
    name: 'an expired link (opened after 7 days)',
    expectStatus: 410,
    expectCode: 'LINK_EXPIRED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      h.clock.advance(7 * 24 * 3600 + 1);
      return ctx.get(queryOf(url));
    },
  },

  // ── Methods ────────────────────────────────────────────────────────────────────────────────
  ...(['PUT', 'DELETE', 'PATCH'] as const).map(
    (method): BadInput => ({
      name: `a ${method} of a valid link`,
      expectStatus: 405,
      expectCode: 'METHOD_NOT_ALLOWED',
      run: async (h, ctx) => {
        const url = await aliceLink(h);
        const body = method === 'DELETE' ? undefined : urlencoded({ decision: 'approve' });
        return ctx.send(httpEvent(method, queryOf(url), body, { origin: ORIGIN }));
      },
    }),
  ),

  // ── POST: CSRF and origin ──────────────────────────────────────────────────────────────────
  {
    name: 'a POST without the CSRF token "t"',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const { t: _t, ...fields } = await aliceForm(h);
      return ctx.post(fields);
    },
  },
  {
    name: 'a POST with an empty CSRF token',
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => ctx.post({ ...(await aliceForm(h)), t: '' }),
  },
  {
    name: 'a POST with a forged CSRF token',
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => {
      const fields = await aliceForm(h);
      return ctx.post({ ...fields, t: flipChar(fields.t!) });
    },
  },
  {
    name: "a POST with the CSRF token of another reviewer's page",
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => {
      const alice = await aliceForm(h);
      const bob = await formOf(h, sentEmails()[1]!.approveUrl);
      expect(bob.t).to.not.equal(alice.t);
      return ctx.post({ ...alice, t: bob.t! });
    },
  },
  {
    name: 'a POST from Origin https://evil.example',
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => ctx.post(await aliceForm(h), { origin: 'https://evil.example' }),
  },
  {
    name: 'a POST from Origin "null" without sec-fetch-site',
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => ctx.post(await aliceForm(h), { origin: 'null' }),
  },
  {
    name: 'a POST from Origin "null" marked sec-fetch-site: cross-site',
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => ctx.post(await aliceForm(h), { origin: 'null', 'sec-fetch-site': 'cross-site' }),
  },
  {
    name: 'a POST marked sec-fetch-site: same-site (a sibling subdomain)',
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => ctx.post(await aliceForm(h), { 'sec-fetch-site': 'same-site' }),
  },
  {
    name: 'a POST whose Origin is not a URL',
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => ctx.post(await aliceForm(h), { origin: 'not a url' }),
  },
  {
    name: 'a POST marked sec-fetch-site: cross-site',
    expectStatus: 403,
    expectCode: 'CSRF_REJECTED',
    run: async (h, ctx) => ctx.post(await aliceForm(h), { 'sec-fetch-site': 'cross-site' }),
  },

  // ── POST: transport ────────────────────────────────────────────────────────────────────────
  {
    name: 'a POST with content-type application/json',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const fields = await aliceForm(h);
      return ctx.send(httpEvent('POST', '', JSON.stringify(fields), { origin: ORIGIN, 'content-type': 'application/json' }));
    },
  },
  {
    name: 'a POST carrying a query string',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      const fields = await formOf(h, url);
      return ctx.send(httpEvent('POST', queryOf(url), urlencoded(fields), { origin: ORIGIN }));
    },
  },
  {
    name: `a POST body over ${MAX_REVIEW_FORM_BYTES.toLocaleString('en-GB')} bytes`,
    expectStatus: 413,
    expectCode: 'PAYLOAD_TOO_LARGE',
    run: async (h, ctx) => {
      const body = urlencoded({ ...(await aliceForm(h)), comment: 'a'.repeat(MAX_REVIEW_FORM_BYTES) });
      expect(Buffer.byteLength(body)).to.be.above(MAX_REVIEW_FORM_BYTES);
      return ctx.post(body);
    },
  },

  // ── POST: the form's own fields (valid MAC and CSRF token; a missing or refused decision or comment: see below) ──
  {
    name: 'a POST with two "decision" fields',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const params = new URLSearchParams(await aliceForm(h));
      params.append('decision', 'reject');
      return ctx.post(params.toString());
    },
  },

  // ── Malformed percent-escapes: URLSearchParams would keep %ZZ as text and turn bad UTF-8 into U+FFFD ──
  {
    name: 'a POST whose comment carries a malformed escape (%ZZ)',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.post(`${urlencoded(await aliceForm(h))}&comment=50%ZZ`),
  },
  {
    name: 'a POST whose comment is cut inside an escape (%E0%A4%A)',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.post(`${urlencoded(await aliceForm(h))}&comment=ok%E0%A4%A`),
  },
  {
    name: 'a POST whose comment is not UTF-8 (%FF)',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.post(`${urlencoded(await aliceForm(h))}&comment=%FF`),
  },
  {
    name: 'a POST whose CSRF token carries a malformed escape',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const fields = await aliceForm(h);
      return ctx.post(withParam(urlencoded(fields), 't', `${fields.t!.slice(0, 10)}%G1`));
    },
  },
  {
    name: 'a link whose ciphertext carries a malformed escape (%ZZ)',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => {
      const url = await aliceLink(h);
      return ctx.get(withParam(queryOf(url), 'c', `${paramOf(url, 'c').slice(0, 20)}%ZZ`));
    },
  },
  {
    name: 'a link ending inside an escape (%E0%A4%A)',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.get(`${queryOf(await aliceLink(h))}%E0%A4%A`),
  },

  // ── POST: the link fields inside the form ──────────────────────────────────────────────────
  {
    name: 'a POST form whose MAC is tampered',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => {
      const fields = await aliceForm(h);
      return ctx.post({ ...fields, m: flipChar(fields.m!) });
    },
  },
  {
    name: 'a POST form whose action was swapped to reject',
    expectStatus: 403,
    expectCode: 'LINK_INVALID',
    run: async (h, ctx) => ctx.post({ ...(await aliceForm(h)), a: 'reject', decision: 'reject' }),
  },
  {
    name: 'a POST form with an unknown extra field',
    expectStatus: 400,
    expectCode: 'LINK_MALFORMED',
    run: async (h, ctx) => ctx.post({ ...(await aliceForm(h)), next: 'https://evil.example' }),
  },
  {
    name: 'a POST of a confirmation form after its link expired',
    expectStatus: 410,
    expectCode: 'LINK_EXPIRED',
    run: async (h, ctx) => {
      const fields = await aliceForm(h);
      h.clock.advance(7 * 24 * 3600 + 1);
      return ctx.post(fields);
    },
  },
];

/** Words of a raw exception or stack trace that must never reach the page. */
const RAW_ERROR_TEXT = ['ApprovalError', 'InvalidCiphertextException', 'invalid ciphertext', 'Invalid URL', 'TypeError', 'SyntaxError', 'node_modules', '.ts:'];

/** DynamoDB write commands as the table's call log names them (see the sanity test below). */
const WRITE_COMMANDS = ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand'];

describe('link handler: bad input', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  for (const c of cases) {
    it(`refuses ${c.name} with ${c.expectStatus} ${c.expectCode}`, async () => {
      let sends = 0;
      let logFrom = 0;
      let method = '';
      let before: unknown[] = [];
      const ctx: Ctx = {
        async send(event) {
          sends++;
          logFrom = logMark();
          method = event.requestContext.http.method;
          before = await h.table.snapshot();
          h.table.calls.length = 0;
          return h.review(event);
        },
        get: (rawQuery) => ctx.send(httpEvent('GET', rawQuery)),
        post: (form, headers = {}) =>
          ctx.send(httpEvent('POST', '', typeof form === 'string' ? form : urlencoded(form), { origin: ORIGIN, ...headers })),
      };

      const res = await c.run(h, ctx);

      expect(sends, 'the case sends exactly one request under test').to.equal(1);
      expect(ERROR_TABLE[c.expectCode].status, 'the expected code maps to the expected status').to.equal(c.expectStatus);

      // (1) A 4xx page with the stable code.
      expect(res.statusCode).to.be.within(400, 499);
      expect(res.statusCode).to.equal(c.expectStatus);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      const body = String(res.body ?? '');
      expect(body).to.include(`Code: ${c.expectCode}`);
      if (c.expectCode === 'METHOD_NOT_ALLOWED') expect(res.headers.allow).to.equal('GET, HEAD, POST');

      // (2) No DynamoDB write; nothing read either, since every case fails before the store.
      expect(await h.table.snapshot()).to.deep.equal(before);
      expect(h.table.calls.filter((name) => WRITE_COMMANDS.includes(name)), 'no DynamoDB write command').to.deep.equal([]);
      if (method === 'GET') expect(h.table.calls, 'nothing read before the link is verified').to.deep.equal([]);
      expect(h.table.calls).to.deep.equal([]);

      // (3) No Step Functions call; (4) no KMS Decrypt.
      expect(sfn.calls()).to.have.length(0);
      expect(kms.commandCalls(DecryptCommand)).to.have.length(0);

      // (5) No exception text or stack trace on the page.
      expect(body).to.not.include('Error:');
      expect(body).to.not.match(/^[ \t]*at\s/m);
      expect(body).to.not.match(/:\d+:\d+\)/);
      for (const text of RAW_ERROR_TEXT) expect(body).to.not.include(text);

      // (6) A refusal, logged as a warning: never an ERROR line.
      const levels = logLines(logFrom).map((line) => line.level);
      expect(levels, 'the refusal is logged').to.include('WARN');
      expect(levels, 'no ERROR log line').to.not.include('ERROR');
    });
  }

  it('sees the writes of a good decision in the call log it checks (the assertions are not vacuous)', async () => {
    await h.submit();
    expect(h.table.calls).to.include('PutItemCommand');
    h.table.calls.length = 0;
    const res = await h.confirm(sentEmails()[0]!.approveUrl);
    expect(res.statusCode).to.equal(200);
    expect(h.table.calls).to.include('UpdateItemCommand');
    expect(kms.commandCalls(DecryptCommand)).to.have.length(1);
    expect(sfn.calls()).to.have.length(1);
  });

  it('has at least 30 cases', () => {
    expect(cases.length).to.be.at.least(30);
    expect(new Set(cases.map((c) => c.name)).size, 'case names are unique').to.equal(cases.length);
  });
});

/** The comment box's content as the browser reads it (the parser drops one line break after the tag, then decodes entities). */
function textareaValue(html: string): string {
  const raw = /<textarea[^>]*>\n?([^<]*)<\/textarea>/.exec(html)?.[1];
  if (raw === undefined) throw new Error('no comment box on the page');
  return raw
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('link handler: a form that cannot be used as sent is shown again', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  /** Posts `form` once and checks: 400, the confirmation form again with `comment` kept and `problem` said, nothing written or called. */
  async function expectFormAgain(form: Record<string, string>, expected: { comment: string; problem: string }): Promise<HttpResult> {
    const before = await h.table.snapshot();
    h.table.calls.length = 0;
    const logFrom = logMark();
    const res = await h.post(form);
    const body = String(res.body ?? '');
    expect(res.statusCode).to.equal(400);
    expect(res.headers['content-type']).to.match(/^text\/html/);
    expect(body).to.include('role="alert"').and.include('Nothing was decided yet.').and.include(expected.problem);
    expect(textareaValue(body)).to.equal(expected.comment);
    expect(body).to.include('name="decision" value="approve"').and.include('name="decision" value="reject"');
    // Nothing written, decrypted or called back; the request was only read, to draw the form.
    expect(await h.table.snapshot()).to.deep.equal(before);
    expect(h.table.calls.filter((name) => WRITE_COMMANDS.includes(name))).to.deep.equal([]);
    expect(sfn.calls()).to.have.length(0);
    expect(kms.commandCalls(DecryptCommand)).to.have.length(0);
    const levels = logLines(logFrom).map((line) => line.level);
    expect(levels).to.include('WARN').and.not.include('ERROR');
    return res;
  }

  it('decides nothing when the form comes without a decision (no button pressed), and keeps the comment', async () => {
    const { decision: _none, ...form } = await aliceForm(h);
    const comment = 'Looks fine <b>really</b> & "so"\r\nsecond line';
    const res = await expectFormAgain({ ...form, comment }, { comment, problem: 'Choose Approve or Reject' });
    expect(String(res.body)).to.not.match(/checked/);
  });

  for (const decision of ['maybe', 'APPROVE', '']) {
    it(`decides nothing for decision ${JSON.stringify(decision)} and shows the form again`, async () => {
      await expectFormAgain({ ...(await aliceForm(h)), decision, comment: 'kept' }, { comment: 'kept', problem: 'Choose Approve or Reject' });
    });
  }

  it('keeps a comment of 2,001 characters and says how much fits', async () => {
    const comment = 'a'.repeat(2001);
    await expectFormAgain({ ...(await aliceForm(h)), comment }, { comment, problem: 'Your comment has 2,001 characters; at most 2,000 fit.' });
  });

  it('counts characters, not UTF-16 units: 2,001 emoji are too many', async () => {
    const comment = '\u{1F600}'.repeat(2001);
    await expectFormAgain({ ...(await aliceForm(h)), comment }, { comment, problem: 'Your comment has 2,001 characters' });
  });

  it('refuses a C1 control character (NEL) and keeps the text', async () => {
    const comment = 'fine\u0085there';
    await expectFormAgain({ ...(await aliceForm(h)), comment }, { comment, problem: 'control character' });
  });

  it('decides from the form shown again, once a button is pressed', async () => {
    const { decision: _none, ...form } = await aliceForm(h);
    const again = await h.post({ ...form, comment: 'first try' });
    expect(again.statusCode).to.equal(400);
    const res = await h.post({ ...formFields(String(again.body)), decision: 'reject', comment: textareaValue(String(again.body)) });
    expect(res.statusCode).to.equal(200);
    expect(String(res.body)).to.include('Rejected');
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!) as { decision: string; comment?: string };
    expect(output).to.deep.include({ decision: 'rejected', comment: 'first try' });
  });

  it('takes several lines with <, &, quotes and a backslash, and hands them to the workflow verbatim (line breaks as LF)', async () => {
    const comment = 'Please fix:\r\n- the <title> & "intro"\r\n- C:\\path';
    const res = await h.post({ ...(await aliceForm(h, 'reject')), comment });
    expect(res.statusCode).to.equal(200);
    expect(String(res.body)).to.include('Please fix:\n- the &lt;title&gt; &amp; &quot;intro&quot;\n- C:\\path');
    const output = JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!) as { comment?: string; votes: { comment?: string }[] };
    expect(output.comment).to.equal('Please fix:\n- the <title> & "intro"\n- C:\\path');
    expect(output.votes[0]!.comment).to.equal(output.comment);
  });

  it('shows back, on an error page after a POST, the comment that was not recorded', async () => {
    const form = await aliceForm(h);
    expect((await h.post({ ...form, comment: 'first' })).statusCode).to.equal(200);
    const again = await h.post({ ...form, comment: 'second <thoughts>' });
    expect(again.statusCode).to.equal(409);
    expect(String(again.body)).to.include('Your comment was not recorded').and.include('second &lt;thoughts&gt;');
  });

  it('never shows one request’s comment on another’s page, when the handler serves them at once', async () => {
    const form = await aliceForm(h);
    expect((await h.post({ ...form, comment: 'first' })).statusCode).to.equal(200);
    // Two refused POSTs in flight together (local mode serves every request with one handler).
    const [mine, theirs] = await Promise.all([h.post({ ...form, comment: 'MINE only' }), h.post({ ...form, comment: 'THEIRS only' })]);
    expect(String(mine.body)).to.include('MINE only').and.not.include('THEIRS only');
    expect(String(theirs.body)).to.include('THEIRS only').and.not.include('MINE only');
  });

  it('does not show back text from a form another site sent (no words of theirs on our page)', async () => {
    const form = await aliceForm(h);
    const forged = await h.post({ ...form, comment: 'SECURITY NOTICE: re-verify at https://evil.example' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(forged.statusCode).to.equal(403);
    expect(String(forged.body)).to.include('CSRF_REJECTED').and.not.include('SECURITY NOTICE');
    const tampered = await h.post({ ...form, m: 'A'.repeat(22), comment: 'SECURITY NOTICE' });
    expect(tampered.statusCode).to.be.oneOf([400, 403]);
    expect(String(tampered.body)).to.not.include('SECURITY NOTICE');
  });
});
