import { expect } from 'chai';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { KMSClient } from '@aws-sdk/client-kms';
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoRequestStore } from '../../../src/approval/adapters/dynamo-request-store';
import { requestKey } from '../../../src/approval/adapters/table-schema';
import { DynamoSignInLedger } from '../../../src/approval/adapters/dynamo-sign-in-ledger';
import { DynamoAdminSessions } from '../../../src/approval/adapters/dynamo-admin-sessions';
import { KmsTokenCipher } from '../../../src/approval/adapters/kms-token-cipher';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { SfnTaskCallback } from '../../../src/approval/adapters/sfn-task-callback';
import { issueSession } from '../../../src/approval/domain/admin-session';
import { issueSignInToken } from '../../../src/approval/domain/admin-sign-in';
import { SESSION_COOKIE } from '../../../src/approval/http/cookies';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';
import { pendingShard } from '../../../src/approval/domain/pending-index';
import { createAdminHandler } from '../../../src/approval/handlers/admin-handler';
import { adminLambda } from '../../../src/approval/lambda/admin-lambda';
import { adminList, baseUrl } from '../../../src/approval/lambda/admin-env';
import { ADMIN_PAGE_HEADERS, SIGN_IN_SENT_TEXT } from '../../../src/approval/pages/admin-page';
import { HOST, approvalTask, kms, makeTaskToken, keyring, ses, sfn, startHarness, type Harness } from '../../support/approval-harness';
import { TEST_KEY_ID } from '../../support/fake-kms';
import { logLines, logMark, rememberSecret } from '../../support/log-guard';

const ADMINS = ['admin@example.com', 'ops@example.com'];
const BASE_URL = `https://${HOST}`;
const ORIGIN = `https://${HOST}`;
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const SIGN_IN_SUBJECT = 'Your sign-in link for the approvals dashboard';

type AdminHandler = ReturnType<typeof createAdminHandler>;
type Response = Awaited<ReturnType<AdminHandler>>;

interface EventOptions {
  query?: string;
  form?: Record<string, string> | string;
  cookie?: string;
  /** API Gateway v2 hands cookies over as an array instead of a header. */
  cookies?: string[];
  headers?: Record<string, string>;
}

function adminEvent(method: string, path: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const body = options.form === undefined ? undefined : typeof options.form === 'string' ? options.form : new URLSearchParams(options.form).toString();
  return {
    version: '2.0',
    routeKey: 'ANY /admin/{proxy+}',
    rawPath: path,
    rawQueryString: options.query ?? '',
    ...(options.cookies ? { cookies: options.cookies } : {}),
    headers: {
      host: HOST,
      ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...options.headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      domainName: HOST,
      domainPrefix: 'abcdef1234',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'admin-test' },
      requestId: 'req',
      routeKey: 'ANY /admin/{proxy+}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body,
    isBase64Encoded: false,
  };
}

const html = (res: Response) => String(res.body ?? '');
const unescape = (s: string) => s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/&amp;/g, '&');

/** Hidden fields of the first form posting to `action`. */
function hiddenFields(page: string, action: string): Record<string, string> {
  const form = [...page.matchAll(/<form method="post" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].find(([, a]) => a === action);
  if (!form) throw new Error(`no form posting to ${action}`);
  return Object.fromEntries([...form[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map(([, n, v]) => [n!, unescape(v!)]));
}

interface SentMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

function mails(): SentMail[] {
  return ses.commandCalls(SendEmailCommand).map((call) => {
    const input = call.args[0].input as SendEmailCommandInput;
    return { to: input.Destination!.ToAddresses![0]!, subject: input.Message!.Subject!.Data!, text: input.Message!.Body!.Text!.Data!, html: input.Message!.Body!.Html!.Data! };
  });
}

const signInMails = () => mails().filter((m) => m.subject === SIGN_IN_SUBJECT);

/** The sign-in link of a sign-in email, its token registered with the log guard. */
function linkOf(mail: SentMail): string {
  const url = /^Sign in: (\S+)$/m.exec(mail.text)?.[1];
  if (!url) throw new Error('sign-in email without a link');
  rememberSecret(new URL(url).searchParams.get('token') ?? undefined);
  return url;
}

/** A review email's approve and reject links, pulled from its text part. */
function reviewLinks(to: string): { approve: string; reject: string } {
  const mail = mails().find((m) => m.to === to && m.subject.startsWith('Review requested'));
  if (!mail) throw new Error(`no review email to ${to}`);
  const approve = /^Approve: (\S+)$/m.exec(mail.text)![1]!;
  const reject = /^Reject: (\S+)$/m.exec(mail.text)![1]!;
  for (const url of [approve, reject]) rememberSecret(new URL(url).searchParams.get('m') ?? undefined);
  return { approve, reject };
}

/** The Cookie header a browser sends back after a Set-Cookie (name=value only). */
function cookiePair(setCookie: string): string {
  const pair = setCookie.split(';')[0]!;
  rememberSecret(pair.slice(pair.indexOf('=') + 1));
  return pair;
}

describe('admin dashboard handler', () => {
  let h: Harness;
  let store: DynamoRequestStore;
  let admin: AdminHandler;
  const logger = new Logger({ serviceName: 'admin-test', logLevel: 'DEBUG' });

  const build = (admins: readonly string[] = ADMINS) =>
    createAdminHandler({
      store,
      ledger: new DynamoSignInLedger(h.table.client, h.table.tableName),
      sessions: new DynamoAdminSessions(h.table.client, h.table.tableName),
      keyring: () => keyring,
      mailer: () => new SesMailer(new SESClient(region), 'approvals@example.com'),
      decider: () => ({
        cipher: new KmsTokenCipher(new KMSClient(region), TEST_KEY_ID),
        callback: new SfnTaskCallback(new SFNClient(region)),
        mailer: new SesMailer(new SESClient(region), 'approvals@example.com'),
      }),
      admins,
      baseUrl: BASE_URL,
      logger,
      now: () => h.clock.now,
    });

  beforeEach(async () => {
    h = await startHarness();
    store = new DynamoRequestStore(h.table.client, h.table.tableName);
    admin = build();
  });
  afterEach(() => h.stop());

  const successCalls = () => sfn.commandCalls(SendTaskSuccessCommand);
  const requestSignIn = (email: string, handler = admin) => handler(adminEvent('POST', '/admin/sign-in', { form: { email } }));
  const openLink = (url: string, handler = admin) => handler(adminEvent('GET', '/admin/session', { query: new URL(url).search.slice(1) }));
  /** Posts the sign-in confirmation as the browser does when its button is pressed. */
  const confirmLink = (token: string, handler = admin) => handler(adminEvent('POST', '/admin/session', { form: { token, confirm: 'sign-in' } }));

  /** The whole sign-in as a browser does it: ask, open the emailed link, confirm. Returns the Cookie header. */
  async function signIn(email = 'admin@example.com', handler = admin): Promise<string> {
    const before = signInMails().length;
    await requestSignIn(email, handler);
    const mail = signInMails()[before];
    if (!mail) throw new Error(`no sign-in email for ${email}`);
    const page = await openLink(linkOf(mail), handler);
    const res = await confirmLink(hiddenFields(html(page), '/admin/session').token!, handler);
    expect(res.statusCode, html(res)).to.equal(303);
    return cookiePair(res.cookies![0]!);
  }

  const dashboardOf = async (cookie: string) => admin(adminEvent('GET', '/admin', { cookie }));
  const csrfOf = async (cookie: string) => {
    const csrf = hiddenFields(html(await dashboardOf(cookie)), '/admin/sign-out').csrf!;
    rememberSecret(csrf);
    return csrf;
  };
  const decideForm = (cookie: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    admin(adminEvent('POST', '/admin/decide', { cookie, form, headers }));

  async function submitRequest(overrides: Record<string, unknown> = {}): Promise<string> {
    return h.submit(approvalTask(overrides, makeTaskToken()));
  }

  describe('sign-in', () => {
    it('emails an admin one sign-in link, to the configured address, whatever the case typed', async () => {
      const res = await requestSignIn('  Admin@Example.COM ');

      expect(res.statusCode).to.equal(200);
      expect(html(res)).to.include(SIGN_IN_SENT_TEXT);
      const sent = signInMails();
      expect(sent).to.have.length(1);
      expect(sent[0]!.to).to.equal('admin@example.com');
      const link = linkOf(sent[0]!);
      expect(link.startsWith(`${BASE_URL}/admin/session?token=`), link.slice(0, 60)).to.equal(true);
      expect(unescape(sent[0]!.html)).to.include(`href="${link}"`);
      expect(sent[0]!.html).to.include('ses:no-track');
    });

    it('answers anyone else with the same page and status, and sends no email', async () => {
      const forAdmin = await requestSignIn('admin@example.com');
      const answers = await Promise.all(['someone@example.com', 'admin@example.org', 'not an address', '', 'x'.repeat(300)].map((e) => requestSignIn(e)));

      for (const res of answers) {
        expect(res.statusCode).to.equal(forAdmin.statusCode);
        expect(res.headers).to.deep.equal(forAdmin.headers);
        expect(res.body).to.equal(forAdmin.body);
        expect(res.cookies).to.equal(undefined);
      }
      expect(ses.commandCalls(SendEmailCommand)).to.have.length(1);
    });

    it('opening the link only shows a confirmation page: a scanner fetching it twice does not use it up', async () => {
      await requestSignIn('admin@example.com');
      const link = linkOf(signInMails()[0]!);
      const before = await h.table.snapshot();

      const first = await openLink(link);
      const second = await openLink(link);

      expect(first.statusCode).to.equal(200);
      expect(second.statusCode).to.equal(200);
      expect(first.cookies).to.equal(undefined);
      expect(hiddenFields(html(first), '/admin/session').token).to.equal(new URL(link).searchParams.get('token'));
      expect(await h.table.snapshot()).to.deep.equal(before);
      expect((await confirmLink(hiddenFields(html(second), '/admin/session').token!)).statusCode).to.equal(303);
    });

    it('signs in with a session cookie that is HttpOnly, Secure, SameSite=Strict, __Host-, for 8 hours, then shows the dashboard', async () => {
      await requestSignIn('admin@example.com');
      const token = new URL(linkOf(signInMails()[0]!)).searchParams.get('token')!;

      const res = await confirmLink(token);

      expect(res.statusCode).to.equal(303);
      expect(res.headers.location).to.equal('/admin');
      expect(res.cookies).to.have.length(1);
      const [pair, ...attributes] = res.cookies![0]!.split('; ');
      expect(pair!.startsWith(`${SESSION_COOKIE}=`)).to.equal(true);
      expect(SESSION_COOKIE.startsWith('__Host-')).to.equal(true);
      expect(attributes).to.have.members(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', 'Max-Age=28800']);
      expect(res.cookies![0]!).to.not.match(/Domain=/i);

      const page = await dashboardOf(cookiePair(res.cookies![0]!));
      expect(page.statusCode).to.equal(200);
      expect(html(page)).to.include('Signed in as admin@example.com').and.include('Approval requests');
    });

    it('refuses a link used a second time (SIGN_IN_USED, 410) and opens no second session', async () => {
      await requestSignIn('admin@example.com');
      const token = new URL(linkOf(signInMails()[0]!)).searchParams.get('token')!;
      expect((await confirmLink(token)).statusCode).to.equal(303);

      const again = await confirmLink(token);

      expect(again.statusCode).to.equal(410);
      expect(html(again)).to.include('SIGN_IN_USED');
      expect(again.cookies).to.equal(undefined);
    });

    it('uses nothing up when the confirmation comes without its button pressed (a scanner submitting the form)', async () => {
      await requestSignIn('admin@example.com');
      const token = new URL(linkOf(signInMails()[0]!)).searchParams.get('token')!;
      const before = await h.table.snapshot();

      const unpressed = await admin(adminEvent('POST', '/admin/session', { form: { token } }));

      expect(unpressed.statusCode).to.equal(400);
      expect(unpressed.cookies).to.equal(undefined);
      expect(html(unpressed)).to.include('Press Sign in to continue');
      expect(hiddenFields(html(unpressed), '/admin/session').token).to.equal(token);
      expect(html(unpressed)).to.include('name="confirm" value="sign-in"');
      expect(await h.table.snapshot()).to.deep.equal(before);
      expect((await confirmLink(token)).statusCode).to.equal(303);
    });

    it('gives one session when two tabs confirm the same link at once', async () => {
      await requestSignIn('admin@example.com');
      const token = new URL(linkOf(signInMails()[0]!)).searchParams.get('token')!;

      const results = await Promise.all([confirmLink(token), confirmLink(token), confirmLink(token)]);

      expect(results.map((r) => r.statusCode).sort()).to.deep.equal([303, 410, 410]);
    });

    it('refuses an expired link, on the page and on the confirmation, at 15 minutes exactly (frozen clock)', async () => {
      await requestSignIn('admin@example.com');
      const link = linkOf(signInMails()[0]!);
      const token = new URL(link).searchParams.get('token')!;
      h.clock.advance(15 * 60 - 1);
      expect((await openLink(link)).statusCode).to.equal(200);
      h.clock.advance(1);
      const before = await h.table.snapshot();

      const page = await openLink(link);
      const post = await confirmLink(token);

      for (const res of [page, post]) {
        expect(res.statusCode).to.equal(410);
        expect(html(res)).to.include('SIGN_IN_EXPIRED');
        expect(res.cookies).to.equal(undefined);
      }
      expect(await h.table.snapshot()).to.deep.equal(before);
    });

    it('refuses a forged, altered, damaged or missing link token (SIGN_IN_INVALID) without writing anything', async () => {
      await requestSignIn('admin@example.com');
      const token = new URL(linkOf(signInMails()[0]!)).searchParams.get('token')!;
      const bytes = Buffer.from(token, 'base64url');
      bytes[bytes.length - 1]! ^= 1;
      const otherRing = keyringFromSecret(JSON.stringify({ current: '2', keys: { '2': Buffer.alloc(32, 7).toString('base64') } }));
      const otherKey = issueSignInToken('admin@example.com', otherRing, Math.floor(h.clock.now.getTime() / 1000));
      rememberSecret(otherKey.token);
      const session = issueSession('admin@example.com', keyring, Math.floor(h.clock.now.getTime() / 1000)).value;
      rememberSecret(session);
      const before = await h.table.snapshot();

      for (const bad of [bytes.toString('base64url'), otherKey.token, session, token.slice(0, -4), `${token}A`, 'token']) {
        const post = await confirmLink(bad);
        expect(post.statusCode, bad.slice(0, 12)).to.equal(403);
        expect(html(post)).to.include('SIGN_IN_INVALID');
        const page = await admin(adminEvent('GET', '/admin/session', { query: `token=${bad}` }));
        expect(page.statusCode).to.equal(403);
      }
      for (const query of ['', 'token=', `token=${token}&token=${token}`, `token=${token}&next=/`, `token=${token.slice(0, 20)}%ZZ`, `token=${token}%E0%A4%A`]) {
        expect((await admin(adminEvent('GET', '/admin/session', { query }))).statusCode, query.slice(0, 12)).to.equal(403);
      }
      expect((await admin(adminEvent('POST', '/admin/session', { form: {} }))).statusCode).to.equal(403);
      expect(await h.table.snapshot()).to.deep.equal(before);
    });

    it("binds a link to the admin it was sent to: ops's link signs in as ops, whoever posts it", async () => {
      await requestSignIn('admin@example.com');
      await requestSignIn('ops@example.com');
      const [toAdmin, toOps] = signInMails();
      expect(toAdmin!.to).to.equal('admin@example.com');
      expect(toOps!.to).to.equal('ops@example.com');
      expect(linkOf(toAdmin!)).to.not.equal(linkOf(toOps!));

      const res = await confirmLink(new URL(linkOf(toOps!)).searchParams.get('token')!);
      const page = await dashboardOf(cookiePair(res.cookies![0]!));

      expect(html(page)).to.include('Signed in as ops@example.com').and.not.include('Signed in as admin@example.com');
    });

    it('refuses the link of an address removed from the admins list since it was sent (NOT_ADMIN)', async () => {
      await requestSignIn('ops@example.com');
      const token = new URL(linkOf(signInMails()[0]!)).searchParams.get('token')!;
      const withoutOps = build(['admin@example.com']);

      const res = await confirmLink(token, withoutOps);

      expect(res.statusCode).to.equal(403);
      expect(html(res)).to.include('NOT_ADMIN');
      expect(res.cookies).to.equal(undefined);
    });
  });

  describe('sessions', () => {
    const someRequestId = 'AAAAAAAAAAAAAAAAAAAAAA';

    /** Every dashboard route, as a request carrying `cookie` (and a plausible csrf field). */
    const dashboardRoutes = (cookie: string | undefined) => [
      { name: 'GET /admin/requests/{id}', event: adminEvent('GET', `/admin/requests/${someRequestId}`, { cookie }) },
      { name: 'POST /admin/decide', event: adminEvent('POST', '/admin/decide', { cookie, form: { requestId: someRequestId, decision: 'approve', csrf: 'A'.repeat(22) } }) },
      { name: 'POST /admin/sign-out', event: adminEvent('POST', '/admin/sign-out', { cookie, form: { csrf: 'A'.repeat(22) } }) },
    ];

    it('shows the sign-in form, not the dashboard, at /admin without a session', async () => {
      const res = await admin(adminEvent('GET', '/admin'));
      expect(res.statusCode).to.equal(200);
      expect(html(res)).to.include('action="/admin/sign-in"').and.not.include('Approval requests').and.not.include('Signed in as');
    });

    it('refuses a missing session on every other dashboard route (SESSION_REQUIRED, 401)', async () => {
      await submitRequest();
      for (const { name, event } of dashboardRoutes(undefined)) {
        const res = await admin(event);
        expect(res.statusCode, name).to.equal(401);
        expect(html(res), name).to.include('SESSION_REQUIRED').and.not.include('Signed in as');
      }
      expect(successCalls()).to.have.length(0);
    });

    it('refuses forged, altered, expired or foreign cookies on every dashboard route, and clears them', async () => {
      const requestId = await submitRequest();
      const genuine = await signIn();
      const value = genuine.slice(genuine.indexOf('=') + 1);
      const bytes = Buffer.from(value, 'base64url');
      bytes[bytes.length - 1]! ^= 1;
      const signInToken = issueSignInToken('admin@example.com', keyring, Math.floor(h.clock.now.getTime() / 1000)).token;
      rememberSecret(signInToken);
      const forged = [
        `${SESSION_COOKIE}=${bytes.toString('base64url')}`,
        `${SESSION_COOKIE}=${'A'.repeat(120)}`,
        `${SESSION_COOKIE}=${signInToken}`,
        `${genuine}; ${genuine}`,
      ];
      const before = await h.table.snapshot();

      for (const cookie of forged) {
        const home = await dashboardOf(cookie);
        expect(home.statusCode, cookie.slice(0, 30)).to.equal(401);
        expect(html(home)).to.include('action="/admin/sign-in"').and.not.include('Signed in as');
        for (const { name, event } of dashboardRoutes(cookie)) {
          const res = await admin(event);
          expect(res.statusCode, `${name} ${cookie.slice(0, 30)}`).to.equal(401);
          expect(html(res)).to.include('SESSION_REQUIRED');
        }
      }
      // A look-alike name is not our cookie at all: /admin simply offers the sign-in form.
      const lookalike = await dashboardOf(`__Host-Admin=${value}`);
      expect(lookalike.statusCode).to.equal(200);
      expect(html(lookalike)).to.include('action="/admin/sign-in"').and.not.include('Signed in as');
      expect((await dashboardOf(forged[0]!)).cookies).to.deep.equal([`${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`]);

      h.clock.advance(8 * 3600);
      for (const { name, event } of [{ name: 'GET /admin', event: adminEvent('GET', '/admin', { cookie: genuine }) }, ...dashboardRoutes(genuine)]) {
        expect((await admin(event)).statusCode, `expired session: ${name}`).to.equal(401);
      }
      expect(successCalls()).to.have.length(0);
      expect((await store.get(requestId))!.status).to.equal('PENDING');
      expect((await h.table.snapshot()).length).to.equal(before.length);
    });

    it('refuses a valid session once its address is removed from the admins list (NOT_ADMIN, 403)', async () => {
      const cookie = await signIn('ops@example.com');
      const withoutOps = build(['admin@example.com']);

      const home = await withoutOps(adminEvent('GET', '/admin', { cookie }));
      const detail = await withoutOps(adminEvent('GET', `/admin/requests/${'A'.repeat(22)}`, { cookie }));

      expect(home.statusCode).to.equal(403);
      expect(detail.statusCode).to.equal(403);
      expect(html(detail)).to.include('NOT_ADMIN');
    });

    it("reads the session from API Gateway's cookies array as well as from the Cookie header", async () => {
      const cookie = await signIn();
      const res = await admin(adminEvent('GET', '/admin', { cookies: ['theme=dark', cookie] }));
      expect(res.statusCode).to.equal(200);
      expect(html(res)).to.include('Signed in as admin@example.com');
    });

    it('signs out with the CSRF token: the cookie is cleared with the same attributes; without it nothing happens', async () => {
      const cookie = await signIn();
      const csrf = await csrfOf(cookie);

      const refused = await admin(adminEvent('POST', '/admin/sign-out', { cookie, form: {} }));
      expect(refused.statusCode).to.equal(403);
      expect(refused.cookies).to.equal(undefined);

      const res = await admin(adminEvent('POST', '/admin/sign-out', { cookie, form: { csrf } }));
      expect(res.statusCode).to.equal(303);
      expect(res.headers.location).to.equal('/admin');
      expect(res.cookies).to.deep.equal([`${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`]);
    });
  });

  describe('dashboard', () => {
    it('lists a pending request with its author, reviewers and approvals so far, and decide forms', async () => {
      const requestId = await submitRequest({ subject: 'Publish <Spring sale>' });
      const cookie = await signIn();

      const res = await dashboardOf(cookie);

      expect(res.statusCode).to.equal(200);
      const page = html(res);
      expect(page).to.include('Publish &lt;Spring sale&gt;').and.not.include('<Spring sale>');
      expect(page).to.include('author@example.com').and.include('alice@example.com, bob@example.com');
      expect(unescape(page)).to.include(`href="/admin/requests/${requestId}"`);
      expect(page).to.include('0 of 1');
      expect(hiddenFields(page, '/admin/decide')).to.include({ requestId });
      expect(page).to.include('name="decision" value="approve"').and.include('name="decision" value="reject"');
    });

    it('lists pending requests from every shard, and one stored before sharding, oldest first; closed ones most recently closed first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) {
        ids.push(await submitRequest({ subject: `Post ${i}` }));
        h.clock.advance(60);
      }
      expect(new Set(ids.map((id) => pendingShard(id, store.pendingShards))).size).to.be.above(2);
      // Request 2 was stored before the index was sharded: it sits in the unsharded PENDING partition.
      await DynamoDBDocumentClient.from(h.table.client).send(
        new UpdateCommand({ TableName: h.table.tableName, Key: requestKey(ids[2]!), UpdateExpression: 'SET pendingKey = :legacy', ExpressionAttributeValues: { ':legacy': 'PENDING' } }),
      );
      for (const i of [6, 1, 4]) {
        h.clock.advance(60);
        await store.closePending(ids[i]!, { type: 'closed', at: h.clock.now.toISOString(), actor: 'system' }, Math.floor(h.clock.now.getTime() / 1000));
      }
      const cookie = await signIn();

      const page = unescape(html(await dashboardOf(cookie)));
      const listed = (from: string, to?: string) => [...page.slice(page.indexOf(from), to ? page.indexOf(to) : undefined).matchAll(/href="\/admin\/requests\/([\w-]{22})"/g)].map((m) => m[1]);
      expect(listed('<h2>Pending</h2>', '<h2>Decided</h2>')).to.deep.equal([0, 2, 3, 5, 7].map((i) => ids[i]));
      expect(listed('<h2>Decided</h2>')).to.deep.equal([4, 1, 6].map((i) => ids[i]));
    });

    it("shows one request's audit trail with reviewers named by address", async () => {
      const requestId = await submitRequest();
      const { approve } = reviewLinks('alice@example.com');
      expect((await h.open(approve)).statusCode).to.equal(200);
      const cookie = await signIn();

      const res = await admin(adminEvent('GET', `/admin/requests/${requestId}`, { cookie }));

      expect(res.statusCode).to.equal(200);
      const trail = html(res).slice(html(res).indexOf('Audit trail'));
      expect(trail).to.include('<td>created</td>').and.include('<td>opened</td>');
      expect(trail).to.match(/<td>opened<\/td><td>alice@example\.com<\/td>/);
      expect(trail).to.not.match(/<td>r0<\/td>/);
    });

    it('answers an unknown or impossible request id with 404 and no read for the impossible one', async () => {
      const cookie = await signIn();
      const calls = h.table.calls.length;
      const impossible = await admin(adminEvent('GET', '/admin/requests/..%2F..%2Fetc', { cookie }));
      expect(impossible.statusCode).to.equal(404);
      // The session's generation only (see admin-sessions.test.ts); no request is read.
      expect(h.table.calls.slice(calls)).to.deep.equal(['GetItemCommand']);
      const unknown = await admin(adminEvent('GET', `/admin/requests/${'B'.repeat(22)}`, { cookie }));
      expect(unknown.statusCode).to.equal(404);
      expect(html(unknown)).to.include('REQUEST_NOT_FOUND');
    });
  });

  describe('decisions', () => {
    it('decides exactly once: one SendTaskSuccess, then "already decided" for the admin and on the reviewers\' links', async () => {
      const requestId = await submitRequest();
      const { approve, reject } = reviewLinks('bob@example.com');
      const cookie = await signIn();
      const csrf = await csrfOf(cookie);
      const decidedAt = h.clock.now.toISOString();

      const res = await decideForm(cookie, { requestId, csrf, decision: 'approve', comment: 'Approved by the admin' });

      expect(res.statusCode, html(res)).to.equal(303);
      expect(res.headers.location).to.equal('/admin');
      expect(successCalls()).to.have.length(1);
      expect(JSON.parse(successCalls()[0]!.args[0].input.output!)).to.deep.equal({
        decision: 'approved',
        decidedBy: 'admin@example.com',
        decidedAt,
        comment: 'Approved by the admin',
        votes: [{ reviewer: 'admin@example.com', decision: 'approved', at: decidedAt, comment: 'Approved by the admin' }],
      });

      h.clock.advance(60);
      const again = await decideForm(cookie, { requestId, csrf, decision: 'reject' });
      expect(again.statusCode).to.equal(409);
      expect(html(again)).to.include('ALREADY_DECIDED').and.include('approved by admin@example.com');

      const opened = await h.open(reject);
      expect(opened.statusCode).to.equal(409);
      expect(html(opened)).to.include('ALREADY_DECIDED').and.include('admin@example.com');
      expect((await h.confirm(approve)).statusCode).to.equal(409);
      expect(successCalls()).to.have.length(1);

      // The reviewers who had not answered are told no action is needed.
      expect(mails().filter((m) => m.subject.startsWith('No action needed')).map((m) => m.to)).to.have.members(['alice@example.com', 'bob@example.com']);
      const page = html(await dashboardOf(cookie));
      expect(page.slice(page.indexOf('<h2>Decided</h2>'))).to.include('Approved').and.include('admin@example.com');
      const detail = html(await admin(adminEvent('GET', `/admin/requests/${requestId}`, { cookie })));
      expect(detail).to.match(/<td>voted<\/td><td>admin@example\.com<\/td><td>approved<\/td>/);
    });

    it('lets two admins race: one decision, one callback, the other told who won', async () => {
      const requestId = await submitRequest();
      const first = await signIn('admin@example.com');
      const second = await signIn('ops@example.com');
      const [c1, c2] = [await csrfOf(first), await csrfOf(second)];

      const results = await Promise.all([
        decideForm(first, { requestId, csrf: c1, decision: 'approve' }),
        decideForm(second, { requestId, csrf: c2, decision: 'reject' }),
      ]);

      expect(results.map((r) => r.statusCode).sort()).to.deep.equal([303, 409]);
      expect(successCalls()).to.have.length(1);
    });

    it('refuses a decision without the CSRF token, with a forged one, or with another session\'s (CSRF_REJECTED, 403)', async () => {
      const requestId = await submitRequest();
      const cookie = await signIn();
      const otherSession = await signIn();
      const otherCsrf = await csrfOf(otherSession);
      const csrf = await csrfOf(cookie);
      const forged = `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`;
      const before = await h.table.snapshot();

      const variants: Record<string, string>[] = [{}, { csrf: '' }, { csrf: forged }, { csrf: otherCsrf }, { csrf: 'x'.repeat(22) }];
      for (const fields of variants) {
        const res = await decideForm(cookie, { requestId, decision: 'approve', ...fields });
        expect(res.statusCode, JSON.stringify(fields).slice(0, 40)).to.equal(403);
        expect(html(res)).to.include('CSRF_REJECTED');
      }
      expect(successCalls()).to.have.length(0);
      expect(kms.calls()).to.have.length(1); // the request's Encrypt only: nothing decrypted
      expect(await h.table.snapshot()).to.deep.equal(before);
    });

    it('refuses a form posted from another site before anything else, signed in or not', async () => {
      const requestId = await submitRequest();
      const cookie = await signIn();
      const csrf = await csrfOf(cookie);
      const before = await h.table.snapshot();
      const sends = ses.commandCalls(SendEmailCommand).length;
      const crossSite: Record<string, string>[] = [{ origin: 'https://evil.example' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }];

      for (const headers of crossSite) {
        const events = [
          adminEvent('POST', '/admin/decide', { cookie, form: { requestId, csrf, decision: 'approve' }, headers }),
          adminEvent('POST', '/admin/sign-in', { form: { email: 'admin@example.com' }, headers }),
          adminEvent('POST', '/admin/session', { form: { token: 'x' }, headers }),
          adminEvent('POST', '/admin/sign-out', { cookie, form: { csrf }, headers }),
        ];
        for (const event of events) {
          const res = await admin(event);
          expect(res.statusCode, `${event.rawPath} ${JSON.stringify(headers)}`).to.equal(403);
          expect(html(res)).to.include('CSRF_REJECTED');
          expect(res.cookies).to.equal(undefined);
        }
      }
      expect(successCalls()).to.have.length(0);
      expect(ses.commandCalls(SendEmailCommand)).to.have.length(sends);
      expect(await h.table.snapshot()).to.deep.equal(before);
    });

    it('accepts the forms as browsers post them under no-referrer: Origin null, Sec-Fetch-Site same-origin', async () => {
      const requestId = await submitRequest();
      const cookie = await signIn();
      const csrf = await csrfOf(cookie);
      const res = await decideForm(cookie, { requestId, csrf, decision: 'reject' }, { origin: 'null', 'sec-fetch-site': 'same-origin' });
      expect(res.statusCode).to.equal(303);
      expect(JSON.parse(successCalls()[0]!.args[0].input.output!)).to.include({ decision: 'rejected', decidedBy: 'admin@example.com' });
    });

    it('shows the request again, the comment kept, for a form without a decision or with a comment that cannot be used', async () => {
      const requestId = await submitRequest();
      const cookie = await signIn();
      const csrf = await csrfOf(cookie);
      const before = await h.table.snapshot();
      const cases: { name: string; form: Record<string, string> & { comment: string }; problem: string }[] = [
        { name: 'no button pressed', form: { requestId, csrf, comment: 'Two lines:\n<b>kept</b> & "quoted"' }, problem: 'Choose Approve or Reject' },
        { name: 'an unknown decision', form: { requestId, csrf, decision: 'approved', comment: 'kept' }, problem: 'Choose Approve or Reject' },
        { name: 'a comment over 2,000 characters', form: { requestId, csrf, decision: 'approve', comment: '\u{1F600}'.repeat(2001) }, problem: 'Your comment has 2,001 characters; at most 2,000 fit.' },
        { name: 'a control character', form: { requestId, csrf, decision: 'reject', comment: 'a\u0000b' }, problem: 'control character' },
      ];
      for (const c of cases) {
        const mark = logMark();
        const res = await decideForm(cookie, c.form);
        const page = html(res);
        expect(res.statusCode, c.name).to.equal(400);
        expect(page, c.name).to.include('Nothing was decided yet.').and.include(c.problem);
        const kept = /<textarea[^>]*>([^<]*)<\/textarea>/.exec(page)?.[1];
        const decoded = (kept ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
        expect(unescape(decoded), c.name).to.equal(c.form.comment);
        expect(logLines(mark).map((line) => line.level), c.name).to.include('WARN').and.not.include('ERROR');
      }
      expect(successCalls()).to.have.length(0);
      expect(await h.table.snapshot()).to.deep.equal(before);
    });

    it('takes a multi-line comment with markup characters and hands it to the workflow verbatim', async () => {
      const requestId = await submitRequest();
      const cookie = await signIn();
      const csrf = await csrfOf(cookie);
      const comment = 'Not yet:\r\n<b>sources</b> & "quotes"';
      const res = await decideForm(cookie, { requestId, csrf, decision: 'reject', comment });
      expect(res.statusCode).to.equal(303);
      expect(JSON.parse(successCalls()[0]!.args[0].input.output!)).to.include({ decision: 'rejected', comment: 'Not yet:\n<b>sources</b> & "quotes"' });
    });

    it('answers bad input with a 4xx page and changes nothing', async () => {
      const requestId = await submitRequest();
      const cookie = await signIn();
      const csrf = await csrfOf(cookie);
      const before = await h.table.snapshot();
      const form = { requestId, csrf, decision: 'approve' };
      const cases: { name: string; event: APIGatewayProxyEventV2; status: number; code: string }[] = [
        { name: 'JSON body', event: adminEvent('POST', '/admin/decide', { cookie, form: JSON.stringify(form), headers: { 'content-type': 'application/json' } }), status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
        { name: 'unknown field', event: adminEvent('POST', '/admin/decide', { cookie, form: { ...form, next: '/' } }), status: 400, code: 'INVALID_INPUT' },
        { name: 'duplicated field', event: adminEvent('POST', '/admin/decide', { cookie, form: `${new URLSearchParams(form)}&decision=reject` }), status: 400, code: 'INVALID_INPUT' },
        { name: 'missing request id', event: adminEvent('POST', '/admin/decide', { cookie, form: { csrf, decision: 'approve' } }), status: 400, code: 'INVALID_INPUT' },
        { name: 'bad request id', event: adminEvent('POST', '/admin/decide', { cookie, form: { ...form, requestId: 'nope' } }), status: 400, code: 'INVALID_INPUT' },
        { name: 'unknown request', event: adminEvent('POST', '/admin/decide', { cookie, form: { ...form, requestId: 'C'.repeat(22) } }), status: 404, code: 'REQUEST_NOT_FOUND' },
        { name: 'too large', event: adminEvent('POST', '/admin/decide', { cookie, form: { ...form, comment: 'x'.repeat(40_000) } }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
        { name: 'malformed escape in the form', event: adminEvent('POST', '/admin/decide', { cookie, form: `${new URLSearchParams(form)}&comment=50%ZZ` }), status: 400, code: 'INVALID_INPUT' },
        { name: 'form escapes that are not UTF-8', event: adminEvent('POST', '/admin/decide', { cookie, form: `${new URLSearchParams(form)}&comment=%FF` }), status: 400, code: 'INVALID_INPUT' },
        { name: 'malformed escape in the sign-in form', event: adminEvent('POST', '/admin/sign-in', { form: 'email=admin%ZZ%40example.com' }), status: 400, code: 'INVALID_INPUT' },
        { name: 'malformed escape in a request path', event: adminEvent('GET', '/admin/requests/%E0%A4%A', { cookie }), status: 400, code: 'LINK_MALFORMED' },
        { name: 'GET decide', event: adminEvent('GET', '/admin/decide', { cookie }), status: 405, code: 'METHOD_NOT_ALLOWED' },
        { name: 'PUT dashboard', event: adminEvent('PUT', '/admin', { cookie, form }), status: 405, code: 'METHOD_NOT_ALLOWED' },
        { name: 'unknown path', event: adminEvent('GET', '/admin/settings', { cookie }), status: 404, code: 'NOT_FOUND' },
        { name: 'sign-in without email', event: adminEvent('POST', '/admin/sign-in', { form: { address: 'admin@example.com' } }), status: 400, code: 'INVALID_INPUT' },
      ];

      for (const c of cases) {
        const mark = logMark();
        const res = await admin(c.event);
        expect(res.statusCode, c.name).to.equal(c.status);
        expect(html(res), c.name).to.include(`Code: ${c.code}`);
        expect(html(res), c.name).to.not.match(/Error:|at .*\.ts:\d+/);
        expect(logLines(mark).map((line) => line.level), `${c.name}: logged as a refusal, never an ERROR`).to.include('WARN').and.not.include('ERROR');
      }
      expect((await admin(adminEvent('PUT', '/admin', { cookie }))).headers.allow).to.equal('GET, HEAD');
      expect(successCalls()).to.have.length(0);
      expect(ses.commandCalls(SendEmailCommand).filter((c) => c.args[0].input.Message?.Subject?.Data === SIGN_IN_SUBJECT)).to.have.length(1);
      expect(await h.table.snapshot()).to.deep.equal(before);
    });
  });

  it('sends the admin page headers (no-store, no-referrer, strict CSP, nosniff, DENY) on every answer', async () => {
    const cookie = await signIn();
    const responses = [
      await admin(adminEvent('GET', '/admin')),
      await dashboardOf(cookie),
      await requestSignIn('someone@example.com'),
      await admin(adminEvent('GET', '/admin/session', { query: 'token=bad' })),
      await admin(adminEvent('GET', '/admin/nothing-here')),
      await admin(adminEvent('POST', '/admin/sign-out', { cookie, form: {} })),
    ];
    for (const res of responses) {
      for (const [name, value] of Object.entries(ADMIN_PAGE_HEADERS)) expect(res.headers[name], `${name} on ${res.statusCode}`).to.equal(value);
    }
  });

  it('answers HEAD like GET without a body, and changes nothing', async () => {
    await requestSignIn('admin@example.com');
    const link = linkOf(signInMails()[0]!);
    const before = await h.table.snapshot();
    const res = await admin(adminEvent('HEAD', '/admin/session', { query: new URL(link).search.slice(1) }));
    expect(res.statusCode).to.equal(200);
    expect(res.body).to.equal('');
    expect(await h.table.snapshot()).to.deep.equal(before);
  });
});

describe('admin Lambda wiring', () => {
  const clients = { secretsManager: { endpoint: 'http://127.0.0.1:9', region: 'eu-west-1', credentials: { accessKeyId: 't', secretAccessKey: 't' } } };
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, addContext: () => undefined };

  it('fails a cold start that lacks configuration, naming every missing variable', () => {
    expect(() => adminLambda({}, clients, quiet)).to.throw('Missing environment variables: TABLE_NAME, MAC_SECRET_ID, TOKEN_KEY_ID, SENDER_EMAIL, BASE_URL');
  });

  it('reads ADMINS as comma-separated plain addresses, lower-cased and de-duplicated; an empty list lets nobody in', () => {
    expect(adminList(' Ops@Example.com, boss@example.com,ops@example.com ,')).to.deep.equal(['ops@example.com', 'boss@example.com']);
    expect(adminList(undefined)).to.deep.equal([]);
    expect(() => adminList('ops@example.com, boss')).to.throw('ADMINS: entry 2 is not a plain ASCII email address');
    expect(() => adminList('\u212Aate@example.com')).to.throw('entry 1');
  });

  it('accepts BASE_URL over https, or http on a loopback address only, and drops a trailing slash', () => {
    expect(baseUrl('https://api.example.com/')).to.equal('https://api.example.com');
    expect(baseUrl('https://api.example.com/prod/')).to.equal('https://api.example.com/prod');
    expect(baseUrl('http://127.0.0.1:3000')).to.equal('http://127.0.0.1:3000');
    for (const bad of ['http://api.example.com', 'api.example.com', 'https://api.example.com/?next=x', 'https://u:p@api.example.com']) expect(() => baseUrl(bad), bad).to.throw(/BASE_URL/);
  });
});
