import { expect } from 'chai';
import type { Context } from 'aws-lambda';
import { apiEvent, type ApiEventParts } from '../../../src/approval/http/api-event';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { ERROR_TABLE } from '../../../src/approval/http/error-answers';
import { httpHandler, json, respond, type Answer, type HtmlAnswer, type HttpHandlerOptions } from '../../../src/approval/http/handler';
import { readForm } from '../../../src/approval/http/forms';
import { mediaTypeOf, requireMediaType, type HttpRequest } from '../../../src/approval/http/request';
import type { AppLogger } from '../../../src/approval/logger';

interface Line {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** A logger double that keeps every line, and the contexts it was given. */
function recordingLogger() {
  const lines: Line[] = [];
  const contexts: unknown[] = [];
  const log = (level: Line['level']) => (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields });
  const logger = { info: log('info'), warn: log('warn'), error: log('error'), addContext: (context: Context) => void contexts.push(context) } as unknown as AppLogger;
  return { logger, lines, contexts };
}

const SECRET = 'sk_live_4f9a8b7c6d5e4f3a2b1c';
const HTML: HtmlAnswer = { type: 'html', headers: { 'content-type': 'text/html; charset=utf-8', 'x-frame-options': 'DENY' }, errorPage: (error) => `<h1>${ERROR_TABLE[error.code].title}</h1><p>Code: ${error.code}</p>` };
const JSON_ANSWER: Answer = { type: 'json' };

function handlerOf(answer: Answer, handle: HttpHandlerOptions['handle'], extra: Partial<HttpHandlerOptions> = {}) {
  const { logger, lines, contexts } = recordingLogger();
  return { handler: httpHandler({ logger, name: 'test request', answer, handle, ...extra }), lines, contexts };
}

const event = (parts: Partial<ApiEventParts> = {}) => apiEvent({ method: 'GET', path: '/thing', ...parts });
const failWith = (err: unknown) => () => Promise.reject(err);

describe('the HTTP handler wrapper', () => {
  describe('answers a fault', () => {
    const fault = Object.assign(new TypeError(`cannot read ${SECRET}`), { stack: `TypeError: cannot read ${SECRET}\n    at handle (/var/task/index.mjs:1:1)` });

    for (const answer of [HTML, JSON_ANSWER]) {
      it(`(${answer.type}) with 500 INTERNAL and the table's words: no exception text, no stack, in the body or the log`, async () => {
        const { handler, lines } = handlerOf(answer, failWith(fault));
        const res = await handler(event());
        expect(res.statusCode).to.equal(500);
        const text = JSON.stringify(res) + JSON.stringify(lines);
        for (const leak of [SECRET, 'cannot read', 'index.mjs', '    at ']) expect(text).to.not.include(leak);
        expect(res.body).to.include('INTERNAL');
        expect(lines).to.deep.equal([{ level: 'error', message: 'test request failed', fields: { code: 'INTERNAL', method: 'GET', route: 'GET /thing', cause: 'TypeError' } }]);
      });
    }

    it('the same way whatever is thrown: a string, undefined, an object', async () => {
      for (const thrown of [SECRET, undefined, { message: SECRET }]) {
        const { handler } = handlerOf(JSON_ANSWER, failWith(thrown));
        const res = await handler(event());
        expect(res.statusCode).to.equal(500);
        expect(JSON.parse(String(res.body))).to.deep.equal({ error: { code: 'INTERNAL', message: ERROR_TABLE.INTERNAL.message } });
      }
    });
  });

  describe('answers a refusal', () => {
    it('as JSON for programs: the status, code, words and safe details, with no-store and nosniff', async () => {
      const { handler, lines } = handlerOf(JSON_ANSWER, failWith(new ApprovalError('INVALID_INPUT', { details: ['title: required'] })));
      const res = await handler(event());
      expect(res.statusCode).to.equal(400);
      expect(res.headers).to.include({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      expect(JSON.parse(String(res.body))).to.deep.equal({ error: { code: 'INVALID_INPUT', message: ERROR_TABLE.INVALID_INPUT.message, details: ['title: required'] } });
      expect(lines.map((l) => [l.level, l.message])).to.deep.equal([['warn', 'test request refused']]);
    });

    it("as the answer's page for people, with the answer's headers", async () => {
      const { handler } = handlerOf(HTML, failWith(new ApprovalError('LINK_EXPIRED')));
      const res = await handler(event());
      expect(res).to.deep.include({ statusCode: 410, body: '<h1>This link has expired</h1><p>Code: LINK_EXPIRED</p>' });
      expect(res.headers).to.deep.equal({ ...HTML.headers });
    });

    it('with Retry-After when trying again later may work, and none otherwise', async () => {
      const cases: [ApprovalError, string | undefined][] = [
        [new ApprovalError('THROTTLED'), '5'],
        [new ApprovalError('UNAVAILABLE'), '30'],
        [new ApprovalError('RATE_LIMITED', { retryAfterSeconds: 1799.2 }), '1800'],
        [new ApprovalError('NOT_FOUND'), undefined],
      ];
      for (const [error, wait] of cases) {
        for (const answer of [HTML, JSON_ANSWER]) {
          const res = await handlerOf(answer, failWith(error)).handler(event());
          expect(res.headers['retry-after'], `${error.code} (${answer.type})`).to.equal(wait);
        }
      }
    });

    it('with 405 and an Allow header naming what the route takes', async () => {
      const { handler } = handlerOf(JSON_ANSWER, async (request) => {
        request.allow('GET', 'HEAD');
        return json(200, {});
      });
      const res = await handler(event({ method: 'DELETE' }));
      expect(res.statusCode).to.equal(405);
      expect(res.headers.allow).to.equal('GET, HEAD');
      expect((await handler(event({ method: 'get' }))).statusCode, 'methods compare upper-case').to.equal(200);
    });

    it('logs the code, its reason, the method and the route: never the query, a cookie or a header', async () => {
      const { handler, lines } = handlerOf(HTML, failWith(new ApprovalError('SESSION_REQUIRED', { reason: 'SESSION_EXPIRED' })));
      await handler(event({ method: 'POST', query: `token=${SECRET}`, headers: { cookie: `__Host-admin=${SECRET}`, authorization: SECRET }, body: `csrf=${SECRET}` }));
      expect(lines).to.deep.equal([{ level: 'warn', message: 'test request refused', fields: { code: 'SESSION_REQUIRED', reason: 'SESSION_EXPIRED', method: 'POST', route: 'POST /thing', cause: undefined } }]);
    });
  });

  describe("takes the handler's own answer to an error", () => {
    const refused = new ApprovalError('INVALID_DECISION');

    it('when it gives one, else the standard answer', async () => {
      const own = { answerError: (error: ApprovalError) => (error.code === 'INVALID_DECISION' ? respond(HTML, 400, 'the form again') : undefined) };
      expect((await handlerOf(HTML, failWith(refused), own).handler(event())).body).to.equal('the form again');
      expect((await handlerOf(HTML, failWith(new ApprovalError('LINK_INVALID')), own).handler(event())).statusCode).to.equal(403);
    });

    it('and answers a fault in it the standard way, logged, without its text', async () => {
      const { handler, lines } = handlerOf(HTML, failWith(refused), { answerError: () => Promise.reject(new Error(SECRET)) });
      const res = await handler(event());
      expect(res.statusCode).to.equal(500);
      expect(JSON.stringify(res) + JSON.stringify(lines)).to.not.include(SECRET);
      expect(lines.map((l) => [l.level, l.fields.code])).to.deep.equal([
        ['warn', 'INVALID_DECISION'],
        ['error', 'INTERNAL'],
      ]);
    });
  });

  it('answers HEAD without a body, success or error, keeping status and headers', async () => {
    const ok = handlerOf(HTML, async () => respond(HTML, 200, '<p>page</p>')).handler;
    expect(await ok(event({ method: 'HEAD' }))).to.deep.include({ statusCode: 200, body: '' });
    const missing = await handlerOf(HTML, failWith(new ApprovalError('NOT_FOUND'))).handler(event({ method: 'HEAD' }));
    expect(missing).to.deep.include({ statusCode: 404, body: '' });
    expect(missing.headers['content-type']).to.equal('text/html; charset=utf-8');
  });

  it('gives the logger the Lambda context when there is one', async () => {
    const { handler, contexts } = handlerOf(JSON_ANSWER, async () => json(200, {}));
    const context = { awsRequestId: 'req-1' } as Context;
    await handler(event(), context);
    await handler(event());
    expect(contexts).to.deep.equal([context]);
  });

  describe('reads the request once', () => {
    async function requestOf(parts: Partial<ApiEventParts>, more: Partial<Parameters<typeof apiEvent>[0]> = {}, cookies?: string[]): Promise<HttpRequest> {
      let seen: HttpRequest | undefined;
      const e = event({ ...parts, ...more });
      if (cookies) e.cookies = cookies;
      await handlerOf(JSON_ANSWER, async (request) => {
        seen = request;
        return json(200, {});
      }).handler(e);
      return seen!;
    }

    it('parses the content type in one place: lower-case, without parameters; absent or empty is none', async () => {
      expect(mediaTypeOf('Application/JSON; charset=utf-8')).to.equal('application/json');
      expect(mediaTypeOf(' application/x-www-form-urlencoded ;charset=UTF-8')).to.equal('application/x-www-form-urlencoded');
      expect(mediaTypeOf(undefined)).to.equal(undefined);
      expect(mediaTypeOf('')).to.equal(undefined);
      expect(mediaTypeOf('; charset=utf-8')).to.equal(undefined);
      expect((await requestOf({ method: 'POST', headers: { 'content-type': 'Text/Plain; charset=utf-8' } })).mediaType).to.equal('text/plain');
    });

    it('refuses another media type with 415, or the code the caller names', async () => {
      const request = await requestOf({ method: 'POST', headers: { 'content-type': 'text/plain' } });
      expect(() => requireMediaType(request, 'application/json')).to.throw(ApprovalError).with.property('code', 'UNSUPPORTED_MEDIA_TYPE');
      expect(() => requireMediaType(request, 'application/json', 'LINK_MALFORMED')).to.throw(ApprovalError).with.property('code', 'LINK_MALFORMED');
      expect(() => requireMediaType(request, 'text/plain')).to.not.throw();
    });

    it('reads cookies from API Gateway’s `cookies` first, else the Cookie header; a duplicated one is no value', async () => {
      const fromGateway = await requestOf({ headers: { cookie: '__Host-admin=header' } }, {}, ['a=1', '__Host-admin=gateway']);
      expect(fromGateway.cookie('__Host-admin')).to.equal('gateway');
      const fromHeader = await requestOf({ headers: { cookie: 'a=1; __Host-admin=header' } });
      expect(fromHeader.cookie('__Host-admin')).to.equal('header');
      const twice = await requestOf({ headers: { cookie: '__Host-admin=one; __Host-admin=two' } });
      expect(twice.cookie('__Host-admin')).to.equal(undefined);
      expect(twice.sentCookie('__Host-admin')).to.equal(true);
      expect((await requestOf({})).sentCookie('__Host-admin')).to.equal(false);
    });

    it('reads a form strictly: its media type, its size, its origin, then exactly the known fields', async () => {
      const form = (headers: Record<string, string>, body: string) => requestOf({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
      const codeOf = async (headers: Record<string, string>, body: string, max = 100) => {
        try {
          readForm(await form(headers, body), max, { required: ['a'], optional: ['b'] });
          return 'read';
        } catch (err) {
          return (err as ApprovalError).code;
        }
      };
      expect(readForm(await form({}, 'a=1&b=x%20y'), 100, { required: ['a'], optional: ['b'] })).to.deep.equal({ a: '1', b: 'x y' });
      expect(await codeOf({ 'content-type': 'application/json' }, 'a=1')).to.equal('UNSUPPORTED_MEDIA_TYPE');
      expect(await codeOf({}, `a=${'x'.repeat(200)}`)).to.equal('PAYLOAD_TOO_LARGE');
      expect(await codeOf({ 'sec-fetch-site': 'cross-site' }, 'a=1')).to.equal('CSRF_REJECTED');
      expect(await codeOf({ origin: 'https://evil.example', host: 'approvals.example' }, 'a=1')).to.equal('CSRF_REJECTED');
      expect(await codeOf({}, 'a=1&c=2')).to.equal('INVALID_INPUT');
      expect(await codeOf({}, 'a=1&a=2')).to.equal('INVALID_INPUT');
      expect(await codeOf({}, 'b=2')).to.equal('INVALID_INPUT');
      expect(await codeOf({}, 'a=%ZZ')).to.equal('INVALID_INPUT');
    });
  });
});
