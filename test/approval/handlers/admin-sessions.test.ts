/**
 * The admin dashboard's server-side state, over the handler with DynamoDB in dynalite and a
 * clock the tests move: sign-out ends every session of the admin (a copied cookie included),
 * a used sign-in link says so when opened, and sign-in emails are limited per address.
 */
import { expect } from 'chai';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { DynamoAdminSessions } from '../../../src/approval/adapters/dynamo-admin-sessions';
import { DynamoRateCounter } from '../../../src/approval/adapters/dynamo-rate-counter';
import { DynamoRequestStore } from '../../../src/approval/adapters/dynamo-request-store';
import { DynamoSignInLedger } from '../../../src/approval/adapters/dynamo-sign-in-ledger';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { issueSession } from '../../../src/approval/domain/admin-session';
import { SESSION_COOKIE } from '../../../src/approval/http/cookies';
import { lengthPrefixed, purposeMac } from '../../../src/approval/domain/mac';
import { apiEvent } from '../../../src/approval/http/api-event';
import { createAdminHandler } from '../../../src/approval/handlers/admin-handler';
import { adminLambda } from '../../../src/approval/lambda/admin-lambda';
import { HOST, keyring, ses, startHarness, type Harness } from '../../support/approval-harness';
import { rememberSecret } from '../../support/log-guard';

const ORIGIN = `https://${HOST}`;
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const SIGN_IN_SUBJECT = 'Your sign-in link for the approvals dashboard';
const CLEARED = `${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`;
const throttle = () => Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: {} });

type Handler = ReturnType<typeof createAdminHandler>;
type Response = Awaited<ReturnType<Handler>>;

function adminEvent(method: string, path: string, options: { query?: string; form?: Record<string, string>; cookie?: string } = {}): APIGatewayProxyEventV2 {
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  return apiEvent({
    method,
    path,
    query: options.query,
    headers: {
      host: HOST,
      ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    body,
    sourceIp: '192.0.2.10',
    userAgent: 'sessions-test',
  });
}
const html = (res: Response) => String(res.body ?? '');
const unescape = (s: string) => s.replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/&amp;/g, '&');

/** The sign-in links sent so far, by recipient, their tokens registered with the log guard. */
function signInLinks(): { to: string; token: string }[] {
  return ses
    .commandCalls(SendEmailCommand)
    .map((call) => call.args[0].input as SendEmailCommandInput)
    .filter((m) => m.Message!.Subject!.Data === SIGN_IN_SUBJECT)
    .map((m) => {
      const token = new URL(/^Sign in: (\S+)$/m.exec(m.Message!.Body!.Text!.Data!)![1]!).searchParams.get('token')!;
      rememberSecret(token);
      return { to: m.Destination!.ToAddresses![0]!, token };
    });
}

describe('admin sessions, sign-in links and sign-in limits', () => {
  let h: Harness;
  let sessions: DynamoAdminSessions;
  let admin: Handler;

  const build = (signInsPerAddress = 0) =>
    createAdminHandler({
      store: new DynamoRequestStore(h.table.client, h.table.tableName),
      ledger: new DynamoSignInLedger(h.table.client, h.table.tableName),
      sessions,
      signInLimit: signInsPerAddress > 0 ? { counter: new DynamoRateCounter(h.table.client, h.table.tableName), perAddressPer15Minutes: signInsPerAddress } : undefined,
      keyring: () => keyring,
      mailer: () => new SesMailer(new SESClient(region), 'approvals@example.com'),
      decider: () => {
        throw new Error('no decisions here');
      },
      admins: ['admin@example.com', 'ops@example.com'],
      baseUrl: ORIGIN,
      logger: new Logger({ serviceName: 'sessions-test', logLevel: 'DEBUG' }),
      now: () => h.clock.now,
    });

  beforeEach(async () => {
    h = await startHarness();
    sessions = new DynamoAdminSessions(h.table.client, h.table.tableName);
    admin = build();
  });
  afterEach(() => h.stop());

  const askForLink = (email: string, handler = admin) => handler(adminEvent('POST', '/admin/sign-in', { form: { email } }));
  const openLink = (token: string) => admin(adminEvent('GET', '/admin/session', { query: `token=${token}` }));
  const confirm = (token: string) => admin(adminEvent('POST', '/admin/session', { form: { token, confirm: 'sign-in' } }));

  /** Asks for a link, opens it and confirms: the Cookie header a browser then sends. */
  async function signIn(email = 'admin@example.com'): Promise<string> {
    await askForLink(email);
    const { token } = signInLinks().at(-1)!;
    expect((await openLink(token)).statusCode).to.equal(200);
    const res = await confirm(token);
    expect(res.statusCode, html(res)).to.equal(303);
    const pair = res.cookies![0]!.split(';')[0]!;
    rememberSecret(pair.slice(pair.indexOf('=') + 1));
    return pair;
  }
  const dashboard = (cookie: string) => admin(adminEvent('GET', '/admin', { cookie }));
  async function csrfOf(cookie: string): Promise<string> {
    const form = /<form method="post" action="\/admin\/sign-out"[^>]*>([\s\S]*?)<\/form>/.exec(html(await dashboard(cookie)))![1]!;
    const csrf = unescape(/name="csrf" value="([^"]*)"/.exec(form)![1]!);
    rememberSecret(csrf);
    return csrf;
  }
  const signOut = async (cookie: string) => admin(adminEvent('POST', '/admin/sign-out', { cookie, form: { csrf: await csrfOf(cookie) } }));

  describe('sign-out', () => {
    it('ends every session of the admin: a copied cookie and another browser are refused on every route, another admin is not', async () => {
      const laptop = await signIn();
      const copied = laptop;
      const phone = await signIn();
      const ops = await signIn('ops@example.com');
      for (const cookie of [laptop, phone, ops]) expect((await dashboard(cookie)).statusCode).to.equal(200);

      const out = await signOut(laptop);
      expect(out.statusCode).to.equal(303);
      expect(out.cookies).to.deep.equal([CLEARED]);

      for (const cookie of [copied, phone]) {
        const home = await dashboard(cookie);
        expect(home.statusCode).to.equal(401);
        expect(html(home)).to.not.include('Signed in as');
        expect(home.cookies, 'the refused cookie is cleared').to.deep.equal([CLEARED]);
        const detail = await admin(adminEvent('GET', `/admin/requests/${'A'.repeat(22)}`, { cookie }));
        expect(detail.statusCode).to.equal(401);
        expect(html(detail)).to.include('SESSION_REQUIRED');
        const decide = await admin(adminEvent('POST', '/admin/decide', { cookie, form: { requestId: 'A'.repeat(22), csrf: 'A'.repeat(22), decision: 'approve' } }));
        expect(decide.statusCode).to.equal(401);
        expect((await admin(adminEvent('POST', '/admin/sign-out', { cookie, form: { csrf: 'A'.repeat(22) } }))).statusCode).to.equal(401);
      }
      expect((await dashboard(ops)).statusCode, 'another admin keeps their session').to.equal(200);

      // Signing in again opens a session of the new generation.
      const again = await signIn();
      expect((await dashboard(again)).statusCode).to.equal(200);
      expect((await dashboard(copied)).statusCode).to.equal(401);
    });

    it('keeps the generation on an ADMIN# item with no expiry, moved on once per sign-out', async () => {
      expect(await sessions.generation('admin@example.com')).to.equal(0);
      await signOut(await signIn());
      await signOut(await signIn());
      expect(await sessions.generation('admin@example.com')).to.equal(2);
      const items = (await h.table.snapshot()) as Record<string, { S?: string; N?: string }>[];
      const item = items.find((i) => i.pk!.S === 'ADMIN#admin@example.com')!;
      expect(item).to.deep.equal({ pk: { S: 'ADMIN#admin@example.com' }, sk: { S: 'SESSIONS' }, generation: { N: '2' } });
    });

    it('refuses a cookie signed for a generation the admin never reached (forged ahead or from another table)', async () => {
      const ahead = `${SESSION_COOKIE}=${issueSession('admin@example.com', keyring, Math.floor(h.clock.now.getTime() / 1000), undefined, 5).value}`;
      rememberSecret(ahead);
      expect((await dashboard(ahead)).statusCode).to.equal(401);
    });

    it('refuses a cookie from before sessions had a generation: its admin signs in again', async () => {
      const fields = ['2', 'A'.repeat(22), 'admin@example.com', String(Math.floor(h.clock.now.getTime() / 1000) + 3600)];
      const legacy = Buffer.concat([lengthPrefixed(fields), purposeMac(keyring.get('2')!.key, 'admin-session', fields)]).toString('base64url');
      rememberSecret(legacy);
      const res = await dashboard(`${SESSION_COOKIE}=${legacy}`);
      expect(res.statusCode).to.equal(401);
      expect(res.cookies).to.deep.equal([CLEARED]);
    });

    it('answers 503 when the generation cannot be read, never letting a session through nor clearing its cookie', async () => {
      const cookie = await signIn();
      const before = await h.table.snapshot();
      for (const event of [adminEvent('GET', '/admin', { cookie }), adminEvent('GET', `/admin/requests/${'A'.repeat(22)}`, { cookie })]) {
        h.table.failNext('GetItemCommand', throttle());
        const res = await admin(event);
        expect(res.statusCode).to.equal(503);
        expect(res.headers['retry-after']).to.equal('5');
        expect(html(res)).to.include('THROTTLED').and.not.include('Signed in as');
        expect(res.cookies).to.equal(undefined);
      }
      expect(await h.table.snapshot()).to.deep.equal(before);
      expect((await dashboard(cookie)).statusCode).to.equal(200);
    });

    it('answers 503 when the sign-out cannot be recorded: the cookie stays, the session still works, and trying again signs out', async () => {
      const cookie = await signIn();
      const csrf = await csrfOf(cookie);
      h.table.failNext('UpdateItemCommand', throttle());
      const failed = await admin(adminEvent('POST', '/admin/sign-out', { cookie, form: { csrf } }));
      expect(failed.statusCode).to.equal(503);
      expect(failed.cookies).to.equal(undefined);
      expect((await dashboard(cookie)).statusCode).to.equal(200);

      const out = await admin(adminEvent('POST', '/admin/sign-out', { cookie, form: { csrf } }));
      expect(out.statusCode).to.equal(303);
      expect((await dashboard(cookie)).statusCode).to.equal(401);
    });

    it('reads the generation before using the link up: a throttled read leaves the link usable', async () => {
      await askForLink('admin@example.com');
      const { token } = signInLinks()[0]!;
      h.table.failNext('GetItemCommand', throttle());
      const failed = await confirm(token);
      expect(failed.statusCode).to.equal(503);
      expect(failed.cookies).to.equal(undefined);
      expect((await confirm(token)).statusCode).to.equal(303);
    });
  });

  describe('a used sign-in link', () => {
    it('says "already used" when opened again, and opening it uses nothing up', async () => {
      await askForLink('admin@example.com');
      const [first] = signInLinks();
      await askForLink('admin@example.com');
      const [, second] = signInLinks();
      expect((await confirm(first!.token)).statusCode).to.equal(303);
      const before = await h.table.snapshot();

      const reopened = await openLink(first!.token);
      expect(reopened.statusCode).to.equal(410);
      expect(html(reopened)).to.include('SIGN_IN_USED').and.include('Each sign-in link works once');
      expect(html(reopened), 'no live-looking form').to.not.include('action="/admin/session"');
      expect(reopened.cookies).to.equal(undefined);
      // HEAD too, with no body.
      const head = await admin(adminEvent('HEAD', '/admin/session', { query: `token=${first!.token}` }));
      expect(head.statusCode).to.equal(410);
      expect(head.body).to.equal('');
      // An unused link opened any number of times stays usable.
      for (let i = 0; i < 2; i++) expect((await openLink(second!.token)).statusCode).to.equal(200);
      expect(await h.table.snapshot()).to.deep.equal(before);
      expect((await confirm(second!.token)).statusCode).to.equal(303);
    });

    it('checks the ledger only after the MAC: a forged token is refused without a read', async () => {
      await askForLink('admin@example.com');
      const { token } = signInLinks()[0]!;
      const bytes = Buffer.from(token, 'base64url');
      bytes[bytes.length - 1]! ^= 1;
      const calls = h.table.calls.length;
      const res = await openLink(bytes.toString('base64url'));
      expect(res.statusCode).to.equal(403);
      expect(h.table.calls.length).to.equal(calls);
    });

    it('still shows the confirmation form when the ledger cannot be read; the confirmation still refuses a used link', async () => {
      await askForLink('admin@example.com');
      const { token } = signInLinks()[0]!;
      expect((await confirm(token)).statusCode).to.equal(303);
      h.table.failNext('GetItemCommand', throttle());
      const page = await openLink(token);
      expect(page.statusCode).to.equal(200);
      const again = await confirm(token);
      expect(again.statusCode).to.equal(410);
      expect(html(again)).to.include('SIGN_IN_USED');
    });
  });

  describe('sign-in emails per address', () => {
    const QUARTER = 15 * 60;
    /** 09:00:00Z: a 15-minute window starts there. */
    const windowStart = () => Math.floor(h.clock.now.getTime() / 1000 / QUARTER) * QUARTER;

    it('sends 3 links to an address in 15 minutes, answers the 4th 429 with Retry-After until the window ends, then sends again', async () => {
      admin = build(3);
      for (const typed of ['admin@example.com', ' Admin@Example.COM ', 'ADMIN@example.com']) expect((await askForLink(typed)).statusCode).to.equal(200);
      expect(signInLinks()).to.have.length(3);
      h.clock.advance(10 * 60);

      const refused = await askForLink('admin@example.com');
      expect(refused.statusCode).to.equal(429);
      expect(refused.headers['retry-after']).to.equal(String(5 * 60));
      expect(refused.headers['content-type']).to.include('text/html');
      expect(html(refused)).to.include('RATE_LIMITED').and.include('Nothing more was sent');
      expect(html(refused)).to.not.include('admin@example.com');
      expect(signInLinks()).to.have.length(3);
      expect((await askForLink('ops@example.com')).statusCode, 'another address is not held back').to.equal(200);
      // The links already sent still work while the address is held back.
      expect((await confirm(signInLinks()[2]!.token)).statusCode).to.equal(303);

      h.clock.advance(5 * 60 - 1);
      expect((await askForLink('admin@example.com')).statusCode).to.equal(429);
      h.clock.advance(1);
      expect((await askForLink('admin@example.com')).statusCode).to.equal(200);
      expect(signInLinks().filter((l) => l.to === 'admin@example.com')).to.have.length(4);
    });

    it('answers an address that is not an admin’s exactly as an admin’s, at the limit too', async () => {
      admin = build(1);
      const answers = async (email: string) => [await askForLink(email), await askForLink(email)];
      const [adminOk, adminRefused] = await answers('admin@example.com');
      const [otherOk, otherRefused] = await answers('someone@example.com');
      const pairs: [Response, Response][] = [
        [adminOk!, otherOk!],
        [adminRefused!, otherRefused!],
      ];
      for (const [a, b] of pairs) {
        expect(b.statusCode).to.equal(a.statusCode);
        expect(b.headers).to.deep.equal(a.headers);
        expect(b.body).to.equal(a.body);
      }
      expect(adminRefused!.statusCode).to.equal(429);
    });

    it('counts keyed hashes of the address per window, kept until the window ends', async () => {
      admin = build(3);
      await askForLink('admin@example.com');
      const counters = ((await h.table.snapshot()) as Record<string, { S?: string; N?: string }>[]).filter((i) => i.pk!.S!.startsWith('RATE#'));
      expect(counters).to.have.length(1);
      expect(counters[0]!.pk!.S).to.match(new RegExp(`^RATE#sign-in#[A-Za-z0-9_-]{22}#${windowStart()}$`));
      expect(counters[0]).to.deep.include({ count: { N: '1' }, ttl: { N: String(windowStart() + QUARTER) } });
      expect(JSON.stringify(counters)).to.not.include('admin@');
    });

    it('sends nothing and answers 503 when the counter cannot be written (fail closed)', async () => {
      admin = build(3);
      h.table.failNext('UpdateItemCommand', throttle());
      const res = await askForLink('admin@example.com');
      expect(res.statusCode).to.equal(503);
      expect(res.headers['retry-after']).to.equal('5');
      expect(signInLinks()).to.have.length(0);
    });
  });
});

describe('admin Lambda: the sign-in limit from the environment', () => {
  const env = { TABLE_NAME: 'approvals', MAC_SECRET_ID: 'mac', TOKEN_KEY_ID: 'key', SENDER_EMAIL: 'approvals@example.com', BASE_URL: 'https://example.com' };
  const quiet = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const clients = { dynamodb: region, secretsManager: { ...region, endpoint: 'http://127.0.0.1:9' } };

  it('takes a whole number from 0 (no limit) to 1,000,000, 3 when unset, and refuses anything else naming the variable', () => {
    for (const value of [undefined, '0', '3', '1000000']) expect(() => adminLambda({ ...env, SIGN_INS_PER_ADDRESS_PER_15_MINUTES: value }, clients, quiet), String(value)).to.not.throw();
    for (const value of ['-1', '1.5', 'three', '1000001']) {
      expect(() => adminLambda({ ...env, SIGN_INS_PER_ADDRESS_PER_15_MINUTES: value }, clients, quiet), value).to.throw('SIGN_INS_PER_ADDRESS_PER_15_MINUTES must be a whole number from 0');
    }
  });
});
