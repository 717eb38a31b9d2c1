/**
 * Rotation of the link-signing key as the Lambdas live it: containers that loaded the keyring
 * before the rotation stay warm next to fresh ones that load it after, all reading one secret.
 */
import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-ses';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoRequestStore } from '../../../src/approval/adapters/dynamo-request-store';
import { DynamoSignInLedger } from '../../../src/approval/adapters/dynamo-sign-in-ledger';
import { DynamoAdminSessions } from '../../../src/approval/adapters/dynamo-admin-sessions';
import { KmsTokenCipher } from '../../../src/approval/adapters/kms-token-cipher';
import { secretKeyring } from '../../../src/approval/adapters/secret-keyring';
import { SesMailer } from '../../../src/approval/adapters/ses-mailer';
import { SfnTaskCallback } from '../../../src/approval/adapters/sfn-task-callback';
import { keyVersionOfToken } from '../../../src/approval/domain/admin-envelope';
import { SESSION_COOKIE } from '../../../src/approval/http/cookies';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';
import { linkQuery, signLink } from '../../../src/approval/domain/review-link';
import { createAdminHandler } from '../../../src/approval/handlers/admin-handler';
import type { ClientConfig } from '../../../src/approval/lambda/client-config';
import { requestLambda } from '../../../src/approval/lambda/request-lambda';
import { reviewLambda } from '../../../src/approval/lambda/review-lambda';
import { HOST, REVIEW_URL, START, approvalTask, formFields, httpEvent, ses, sfn, startHarness, type Harness } from '../../support/approval-harness';
import { TEST_KEY_ID } from '../../support/fake-kms';
import { rememberSecret } from '../../support/log-guard';
import { holdSecret, macKey, secretReads, secretsManager } from '../../support/secret-stub';

const SECRET_ID = 'mac-secret';
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const K1 = macKey();
const K2 = macKey();
/** Before the rotation. */
const ONLY_V1 = { current: '1', keys: { '1': K1 } };
/** The rotation: version 2 added and made current, version 1 kept for the links already sent. */
const V2_CURRENT = { current: '2', keys: { '1': K1, '2': K2 } };
/** Once the longest link TTL has passed: version 1 removed. */
const ONLY_V2 = { current: '2', keys: { '2': K2 } };

const keyVersion = (url: string) => new URL(url).searchParams.get('k');
const queryOf = (url: string) => new URL(url).search.slice(1);
const bodyOf = (res: { body?: string }) => String(res.body ?? '');

describe('key rotation across warm and fresh containers', () => {
  let h: Harness;
  const logger = new Logger({ serviceName: 'rotation-test', logLevel: 'DEBUG' });
  /** One container's keyring: its own cache over the one secret, on the test clock. */
  const containerKeyring = () => secretKeyring(new SecretsManagerClient(region), SECRET_ID, { now: () => h.clock.now, logger });

  beforeEach(async () => {
    h = await startHarness();
    secretsManager.reset();
    holdSecret(ONLY_V1);
  });
  afterEach(() => h.stop());

  describe('review links', () => {
    type Links = Record<'alice' | 'bob', { approve: string; reject: string }>;
    let clock: ReturnType<typeof FakeTimers.install>;
    let clients: ClientConfig;
    const advance = (seconds: number) => clock.tick(seconds * 1000);

    // The Lambda factories read the real clock: only Date is faked, so dynalite and the SDK keep their timers.
    beforeEach(async () => {
      const endpoint = await h.table.client.config.endpoint!();
      const dynamodb = { ...region, endpoint: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}` };
      clients = { dynamodb, kms: region, ses: region, sfn: region, secretsManager: region };
      clock = FakeTimers.install({ now: START, toFake: ['Date'] });
    });
    afterEach(() => clock.uninstall());

    /** A request Lambda container and a link Lambda container, cold-started by the deployed factories. */
    function instance() {
      const env = { TABLE_NAME: h.table.tableName, TOKEN_KEY_ID: TEST_KEY_ID, MAC_SECRET_ID: SECRET_ID, SENDER_EMAIL: 'approvals@example.com', REVIEW_URL };
      const request = requestLambda(env, clients, logger);
      const review = reviewLambda(env, clients, logger);
      return {
        /** Runs the request Lambda and returns the links it emailed. */
        async submit(): Promise<Links> {
          const before = ses.commandCalls(SendEmailCommand).length;
          await request(approvalTask());
          const of = (to: string) => {
            const mail = ses
              .commandCalls(SendEmailCommand)
              .slice(before)
              .map((c) => c.args[0].input as SendEmailCommandInput)
              .find((m) => m.Destination!.ToAddresses![0] === to)!;
            const text = mail.Message!.Body!.Text!.Data!;
            const [approve, reject] = [/^Approve: (\S+)$/m.exec(text)![1]!, /^Reject: (\S+)$/m.exec(text)![1]!];
            for (const url of [approve, reject]) rememberSecret(new URL(url).searchParams.get('m')!);
            return { approve, reject };
          };
          return { alice: of('alice@example.com'), bob: of('bob@example.com') };
        },
        get: (url: string) => review(httpEvent('GET', queryOf(url))),
        head: (url: string) => review(httpEvent('HEAD', queryOf(url))),
        post: (fields: Record<string, string>) => review(httpEvent('POST', '', new URLSearchParams(fields).toString(), { origin: `https://${HOST}` })),
      };
    }

    /** The confirmation form a link's page carries, as a browser would post it. */
    async function formOf(container: ReturnType<typeof instance>, url: string): Promise<Record<string, string>> {
      const page = await container.get(url);
      expect(page.statusCode, bodyOf(page)).to.equal(200);
      const fields = formFields(bodyOf(page));
      rememberSecret(fields.t);
      return { ...fields, decision: 'approve' };
    }

    it('verifies links signed by warm and fresh containers in both, before, during and after a rotation; a removed version is refused once the max age passes', async () => {
      // Before: container A signs and verifies with version 1, and stays warm.
      const a = instance();
      const r1 = await a.submit();
      expect(keyVersion(r1.alice.approve)).to.equal('1');
      expect((await a.get(r1.alice.approve)).statusCode).to.equal(200);
      expect(secretReads(), 'one read per container').to.equal(2);

      // The rotation, a minute later: version 2 added and made current.
      advance(60);
      holdSecret(V2_CURRENT);
      // A's request container is still within its max age: it signs with version 1, which still verifies everywhere.
      const r2 = await a.submit();
      expect(keyVersion(r2.alice.approve)).to.equal('1');
      // Container B starts now and signs with version 2.
      const b = instance();
      const r3 = await b.submit();
      const r4 = await b.submit();
      expect([keyVersion(r3.alice.approve), keyVersion(r4.alice.approve)]).to.deep.equal(['2', '2']);
      // A reviewer opens r3 on B and the confirmation lands on warm A, which does not hold version 2 yet.
      const form = await formOf(b, r3.alice.approve);
      expect(secretReads()).to.equal(4);
      const decided = await a.post(form);
      expect(decided.statusCode, bodyOf(decided)).to.equal(200);
      expect(bodyOf(decided)).to.include('Approved');
      expect(sfn.commandCalls(SendTaskSuccessCommand)).to.have.length(1);
      expect(secretReads(), 'A read the secret once, for the version it lacked').to.equal(5);

      // Every link, whoever signed it, verifies in both link containers, with no further read.
      for (const container of [a, b]) {
        for (const links of [r1, r2, r3, r4]) {
          for (const url of [links.alice.approve, links.bob.reject]) expect((await container.head(url)).statusCode, `k=${keyVersion(url)}`).to.equal(200);
        }
      }
      advance(60);
      expect((await a.get(r4.alice.approve)).statusCode).to.equal(200);
      expect((await b.get(r2.alice.approve)).statusCode).to.equal(200);
      const oldForm = await formOf(b, r2.bob.approve);
      expect(secretReads()).to.equal(5);

      // After: five minutes after its load, A's request container reads again and signs with version 2.
      advance(180);
      const r5 = await a.submit();
      expect(keyVersion(r5.alice.approve)).to.equal('2');
      expect(secretReads()).to.equal(6);

      // Version 1 removed. Containers still within their max age accept version 1 links for now.
      holdSecret(ONLY_V2);
      expect((await a.head(r1.alice.approve)).statusCode).to.equal(200);
      expect((await b.head(r2.alice.approve)).statusCode).to.equal(200);
      expect(secretReads()).to.equal(6);

      // Once the max age has passed, each link container reads again (once) and refuses version 1.
      advance(60);
      for (const [container, url] of [[a, r1.alice.approve], [b, r2.alice.approve]] as const) {
        const refused = await container.get(url);
        expect(refused.statusCode).to.equal(403);
        expect(bodyOf(refused)).to.include('Code: LINK_INVALID');
      }
      expect(secretReads()).to.equal(8);
      expect((await a.get(r5.alice.approve)).statusCode).to.equal(200);
      expect((await b.head(r3.bob.reject)).statusCode).to.equal(200);

      // A version 1 form posted after the removal is refused too; unknown versions cost at most one read a minute.
      const late = await b.post(oldForm);
      expect(late.statusCode).to.equal(403);
      expect(bodyOf(late)).to.include('Code: LINK_INVALID');
      expect(secretReads()).to.equal(9);
      for (const url of [r1.bob.approve, r2.alice.reject]) {
        expect((await b.head(url)).statusCode).to.equal(403);
        expect((await b.get(url)).statusCode).to.equal(403);
      }
      expect(secretReads(), 'B does not read again within the minute').to.equal(9);
      expect(sfn.commandCalls(SendTaskSuccessCommand)).to.have.length(1);
    });

    it('keeps verifying the links it can while Secrets Manager is down', async () => {
      const a = instance();
      const r1 = await a.submit();
      expect((await a.get(r1.alice.approve)).statusCode).to.equal(200);
      secretsManager.reset();
      secretsManager.rejects(new Error('Secrets Manager is down'));

      advance(10 * 60);
      expect((await a.head(r1.bob.reject)).statusCode).to.equal(200);
      const form = await formOf(a, r1.bob.approve);
      const decided = await a.post(form);

      expect(decided.statusCode, bodyOf(decided)).to.equal(200);
      expect(sfn.commandCalls(SendTaskSuccessCommand)).to.have.length(1);
      expect(secretReads(), 'one failed read, retried only after a minute').to.equal(1);
    });
  });

  describe('admin sign-in links and sessions', () => {
    const ADMIN = 'admin@example.com';
    const SIGN_IN_SUBJECT = 'Your sign-in link for the approvals dashboard';

    function adminEvent(method: string, path: string, options: { query?: string; form?: Record<string, string>; cookie?: string } = {}): APIGatewayProxyEventV2 {
      const body = options.form && new URLSearchParams(options.form).toString();
      const event = httpEvent(method, options.query ?? '', body, {
        ...(body !== undefined ? { origin: `https://${HOST}` } : {}),
        ...(options.cookie ? { cookie: options.cookie } : {}),
      });
      return { ...event, rawPath: path, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path } } };
    }

    /** An admin Lambda container with its own keyring. */
    function adminInstance() {
      const mailer = new SesMailer(new SESClient(region), 'approvals@example.com');
      return createAdminHandler({
        store: new DynamoRequestStore(h.table.client, h.table.tableName),
        ledger: new DynamoSignInLedger(h.table.client, h.table.tableName),
        sessions: new DynamoAdminSessions(h.table.client, h.table.tableName),
        keyring: containerKeyring(),
        mailer: () => mailer,
        decider: () => ({ cipher: new KmsTokenCipher(new KMSClient(region), TEST_KEY_ID), callback: new SfnTaskCallback(new SFNClient(region)), mailer }),
        admins: [ADMIN],
        baseUrl: `https://${HOST}`,
        logger,
        now: () => h.clock.now,
      });
    }
    type Admin = ReturnType<typeof adminInstance>;

    /** Asks `admin` for a sign-in link and returns its token, as emailed. */
    async function signInToken(admin: Admin): Promise<string> {
      await admin(adminEvent('POST', '/admin/sign-in', { form: { email: ADMIN } }));
      const mail = ses
        .commandCalls(SendEmailCommand)
        .map((c) => c.args[0].input as SendEmailCommandInput)
        .filter((m) => m.Message!.Subject!.Data === SIGN_IN_SUBJECT)
        .at(-1)!;
      const token = new URL(/^Sign in: (\S+)$/m.exec(mail.Message!.Body!.Text!.Data!)![1]!).searchParams.get('token')!;
      rememberSecret(token);
      return token;
    }

    /** Opens the emailed link on `opener` and confirms it on `confirmer`; returns the Cookie header. */
    async function signIn(token: string, opener: Admin, confirmer = opener): Promise<string> {
      const page = await opener(adminEvent('GET', '/admin/session', { query: `token=${token}` }));
      expect(page.statusCode, bodyOf(page)).to.equal(200);
      const res = await confirmer(adminEvent('POST', '/admin/session', { form: { token, confirm: 'sign-in' } }));
      expect(res.statusCode, bodyOf(res)).to.equal(303);
      const pair = res.cookies![0]!.split(';')[0]!;
      rememberSecret(pair.slice(pair.indexOf('=') + 1));
      return pair;
    }

    const dashboard = (admin: Admin, cookie: string) => admin(adminEvent('GET', '/admin', { cookie }));
    const cookieVersion = (cookie: string) => keyVersionOfToken(cookie.slice(`${SESSION_COOKIE}=`.length));

    it('accepts sign-in links and session cookies signed by a fresh container in warm ones, and refuses a removed version once the max age passes', async () => {
      // Before: two dashboard containers warm with version 1; an admin signs in on the first.
      const warm1 = adminInstance();
      const warm2 = adminInstance();
      const oldCookie = await signIn(await signInToken(warm1), warm1);
      expect(cookieVersion(oldCookie)).to.equal('1');
      expect((await dashboard(warm2, oldCookie)).statusCode).to.equal(200);
      expect(secretReads()).to.equal(2);

      // The rotation; a fresh container signs with version 2.
      h.clock.advance(60);
      holdSecret(V2_CURRENT);
      const fresh = adminInstance();
      const newToken = await signInToken(fresh);
      expect(keyVersionOfToken(newToken)).to.equal('2');
      expect(secretReads()).to.equal(3);

      // The emailed link is opened and confirmed on warm1: one read, for the version it lacked.
      const newCookie = await signIn(newToken, warm1);
      expect(cookieVersion(newCookie)).to.equal('2');
      expect(secretReads()).to.equal(4);
      // A version 2 session reaches warm2 (one read), and its dashboard forms work there.
      const page = await dashboard(warm2, newCookie);
      expect(page.statusCode, bodyOf(page)).to.equal(200);
      expect(secretReads()).to.equal(5);
      const csrf = /name="csrf" value="([^"]+)"/.exec(bodyOf(page))![1]!;
      rememberSecret(csrf);
      // The version 1 session still works everywhere, the fresh container included.
      for (const admin of [warm1, warm2, fresh]) expect((await dashboard(admin, oldCookie)).statusCode).to.equal(200);
      expect(secretReads()).to.equal(5);

      // Version 1 removed; once the max age has passed, its session is refused (and cleared).
      holdSecret(ONLY_V2);
      h.clock.advance(5 * 60);
      const refused = await dashboard(fresh, oldCookie);
      expect(refused.statusCode).to.equal(401);
      expect(refused.cookies).to.deep.equal([`${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`]);
      expect((await dashboard(fresh, newCookie)).statusCode).to.equal(200);
      expect(secretReads(), 'the max-age read only').to.equal(6);

      // The version 2 session's forms work on warm2: its sign-out ends the admin's sessions in every container.
      const signedOut = await warm2(adminEvent('POST', '/admin/sign-out', { cookie: newCookie, form: { csrf } }));
      expect(signedOut.statusCode).to.equal(303);
      for (const admin of [warm1, warm2, fresh]) expect((await dashboard(admin, newCookie)).statusCode).to.equal(401);
    });
  });

  describe('review Lambda factory', () => {
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, addContext: () => undefined };
    const env = { TABLE_NAME: 'approvals', TOKEN_KEY_ID: TEST_KEY_ID, MAC_SECRET_ID: SECRET_ID };

    function linkSignedWith(secret: { current: string; keys: Record<string, string> }): string {
      const link = signLink(
        { requestId: 'AAAAAAAAAAAAAAAAAAAAAA', reviewer: 0, action: 'approve', expiresAt: Math.floor(Date.now() / 1000) + 3600, ciphertext: 'c2VhbGVk' },
        keyringFromSecret(JSON.stringify(secret)),
      );
      rememberSecret(link.mac);
      return linkQuery(link);
    }

    it('wires a keyring that reads the secret again for a version it does not hold', async () => {
      const review = reviewLambda(env, { secretsManager: region }, quiet);
      const head = (query: string) => review(httpEvent('HEAD', query));
      expect((await head(linkSignedWith(ONLY_V1))).statusCode).to.equal(200);
      expect(secretReads(), 'loaded once, at init').to.equal(1);

      holdSecret(V2_CURRENT);
      expect((await head(linkSignedWith(V2_CURRENT))).statusCode).to.equal(200);
      expect(secretReads()).to.equal(2);
      expect((await head(linkSignedWith({ current: '9', keys: { '9': K2 } }))).statusCode).to.equal(403);
      expect(secretReads(), 'no second read within the minute').to.equal(2);
    });
  });
});
