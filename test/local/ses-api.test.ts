/**
 * Local mode's SES, driven by the real SES v1 client (and plain HTTP for v2, as its client is
 * not a dependency): every request gets a prompt answer in SES's shape, malformed addresses
 * are refused with nothing in the inbox, and the inbox is kept in DATA_DIR across a restart.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetIdentityVerificationAttributesCommand,
  GetSendQuotaCommand,
  ListIdentitiesCommand,
  MessageRejected,
  SendEmailCommand,
  SendRawEmailCommand,
  SESClient,
  VerifyEmailIdentityCommand,
  type SendEmailCommandInput,
} from '@aws-sdk/client-ses';
import { expect } from 'chai';
import { startLocalSes, type LocalSes } from '../../src/local/local-ses';
import { addressProblem } from '../../src/local/ses-addresses';
import { INBOX_FILE } from '../../src/local/ses-store';

const SENDER = 'approvals@example.com';
const settings = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
const AUTH = 'AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/ses/aws4_request, SignedHeaders=host, Signature=0';

async function rejection(promise: Promise<unknown>): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { name: string };
  }
  throw new Error('expected a rejection');
}

/** A fetch that must be answered within `ms`: a hang fails the test at once instead of at the suite timeout. */
async function prompt(url: string, init: RequestInit, ms = 2000): Promise<Response> {
  const started = Date.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(ms) });
  expect(Date.now() - started).to.be.below(ms);
  return res;
}

describe('local mode: SES answers as SES does', () => {
  let dataDir: string;
  let ses: LocalSes;
  let client: SESClient;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-ses-'));
    ses = await startLocalSes({ port: 0, dataDir, sender: SENDER });
    client = new SESClient(settings(ses.url));
  });
  afterEach(async () => {
    client.destroy();
    await ses.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const store = async (s: LocalSes = ses) => ((await (await fetch(`${s.url}/store`)).json()) as { emails: { messageId: string; subject: string; from: string; destination: { to: string[] } }[] }).emails;
  const email = (overrides: Partial<SendEmailCommandInput> = {}): SendEmailCommandInput => ({
    Source: SENDER,
    Destination: { ToAddresses: ['reviewer@example.com'] },
    Message: { Subject: { Data: 'Review requested' }, Body: { Text: { Data: 'Approve: http://x' } } },
    ...overrides,
  });
  const v2 = (path: string, init: { method?: string; body?: unknown } = {}) =>
    prompt(`${ses.url}${path}`, { method: init.method ?? 'POST', headers: { 'content-type': 'application/json', authorization: AUTH }, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const v1Form = (form: Record<string, string>) => prompt(`${ses.url}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: AUTH }, body: new URLSearchParams(form) });

  it('sends from a verified sender, answering with a MessageId and a RequestId, and the email is in the inbox', async () => {
    const sent = await client.send(new SendEmailCommand(email({ Destination: { ToAddresses: ['Reviewer <reviewer@example.com>'], CcAddresses: ['cc@example.com'] } })));
    expect(sent.MessageId).to.be.a('string').and.not.empty;
    expect(sent.$metadata.requestId).to.be.a('string').and.not.empty;
    const emails = await store();
    expect(emails.map((e) => e.messageId)).to.deep.equal([sent.MessageId]);
    expect(emails[0]!.destination.to).to.deep.equal(['Reviewer <reviewer@example.com>']);
    expect(ses.emails()).to.have.length(1);
  });

  it('refuses a sender that is not verified with MessageRejected, and nothing lands', async () => {
    const err = await rejection(client.send(new SendEmailCommand(email({ Source: 'someone@example.com' }))));
    expect(err).to.be.instanceOf(MessageRejected);
    expect(err.message).to.include('someone@example.com');
    expect(await store()).to.deep.equal([]);
  });

  for (const [field, input] of [
    ['Source without @domain', { Source: 'approvals' }],
    ['Source with a space', { Source: 'appr ovals@example.com' }],
    ['To without @domain', { Destination: { ToAddresses: ['reviewer'] } }],
    ['To with a bad domain', { Destination: { ToAddresses: ['reviewer@exa mple.com'] } }],
    ['Cc ending in a dot', { Destination: { ToAddresses: ['reviewer@example.com'], CcAddresses: ['cc@example.com.'] } }],
    ['Bcc with two @', { Destination: { ToAddresses: ['reviewer@example.com'], BccAddresses: ['a@b@example.com'] } }],
    ['Reply-To with a header break', { ReplyToAddresses: ['x@example.com\r\nBcc: y@example.com'] }],
  ] as [string, Partial<SendEmailCommandInput>][]) {
    it(`v1 SendEmail: refuses a ${field} with InvalidParameterValue, and nothing lands`, async () => {
      const err = await rejection(client.send(new SendEmailCommand(email(input))));
      expect(err.name).to.equal('InvalidParameterValue');
      expect(err.message).to.be.a('string').and.not.empty;
      expect(err.$metadata?.httpStatusCode).to.equal(400);
      expect(await store()).to.deep.equal([]);
    });
  }

  it('v1 SendRawEmail: refuses a malformed destination with InvalidParameterValue, and sends a good one', async () => {
    const raw = Buffer.from(`From: ${SENDER}\r\nTo: reviewer@example.com\r\nSubject: Raw\r\n\r\nHello\r\n`);
    const err = await rejection(client.send(new SendRawEmailCommand({ Source: SENDER, Destinations: ['nobody'], RawMessage: { Data: raw } })));
    expect(err.name).to.equal('InvalidParameterValue');
    expect(err.message).to.equal("Missing final '@domain'");
    expect(await store()).to.deep.equal([]);
    const sent = await client.send(new SendRawEmailCommand({ Source: SENDER, Destinations: ['reviewer@example.com'], RawMessage: { Data: raw } }));
    expect((await store()).map((e) => [e.messageId, e.subject])).to.deep.equal([[sent.MessageId, 'Raw']]);
  });

  it('v2 SendEmail: refuses a malformed From or destination with BadRequestException (JSON), and nothing lands', async () => {
    const content = { Simple: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'x' } } } };
    for (const body of [
      { FromEmailAddress: 'approvals', Destination: { ToAddresses: ['reviewer@example.com'] }, Content: content },
      { FromEmailAddress: SENDER, Destination: { ToAddresses: ['reviewer@'] }, Content: content },
      { FromEmailAddress: SENDER, Destination: { ToAddresses: ['reviewer@example.com'], BccAddresses: ['b c@example.com'] }, Content: content },
    ]) {
      const res = await v2('/v2/email/outbound-emails', { body });
      expect(res.status).to.equal(400);
      expect(res.headers.get('x-amzn-errortype')).to.equal('BadRequestException');
      expect(((await res.json()) as { message: string }).message).to.be.a('string').and.not.empty;
    }
    expect(await store()).to.deep.equal([]);
    const unverified = await v2('/v2/email/outbound-emails', { body: { FromEmailAddress: 'other@example.com', Destination: { ToAddresses: ['reviewer@example.com'] }, Content: content } });
    expect(unverified.status).to.equal(400);
    expect(unverified.headers.get('x-amzn-errortype')).to.equal('MessageRejected');
    const sent = await v2('/v2/email/outbound-emails', { body: { FromEmailAddress: SENDER, Destination: { ToAddresses: ['reviewer@example.com'] }, Content: content } });
    expect(sent.status).to.equal(200);
    const { MessageId } = (await sent.json()) as { MessageId: string };
    expect((await store()).map((e) => e.messageId)).to.deep.equal([MessageId]);
  });

  it('answers an SES v1 action it does not serve with InvalidAction promptly (never a hang), and a missing one with MissingAction', async () => {
    for (const action of ['CreateTemplate', 'GetSendStatistics', 'NoSuchAction']) {
      const res = await v1Form({ Action: action, Version: '2010-12-01' });
      expect(res.status).to.equal(400);
      const text = await res.text();
      expect(text).to.match(/<ErrorResponse xmlns="http:\/\/ses\.amazonaws\.com\/doc\/2010-12-01\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/);
      expect(text).to.include(action);
    }
    const missing = await v1Form({ Version: '2010-12-01' });
    expect(missing.status).to.equal(400);
    expect(await missing.text()).to.include('<Code>MissingAction</Code>');
  });

  it('answers an SES v2 path it does not serve with a JSON 404 UnknownOperationException promptly', async () => {
    for (const [method, path] of [
      ['GET', '/v2/email/identities'],
      ['POST', '/v2/email/identities'],
      ['GET', '/v2/email/configuration-sets'],
      ['POST', '/v2/email/outbound-emails/extra'],
    ]) {
      const res = await v2(path!, { method: method!, body: method === 'POST' ? { EmailIdentity: 'a@example.com' } : undefined });
      expect(res.status, `${method} ${path}`).to.equal(404);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.headers.get('x-amzn-errortype')).to.equal('UnknownOperationException');
      expect(((await res.json()) as { message: string }).message).to.include(path);
    }
    // What it does serve still answers.
    const templates = await v2('/v2/email/templates', { method: 'GET' });
    expect(templates.status).to.equal(200);
  });

  it('manages verified identities as SES v1 does, refusing a malformed one', async () => {
    await client.send(new VerifyEmailIdentityCommand({ EmailAddress: 'second@example.com' }));
    expect((await client.send(new ListIdentitiesCommand({}))).Identities).to.deep.equal([SENDER, 'second@example.com']);
    const attributes = await client.send(new GetIdentityVerificationAttributesCommand({ Identities: ['second@example.com', 'unknown@example.com'] }));
    expect(attributes.VerificationAttributes).to.deep.equal({ 'second@example.com': { VerificationStatus: 'Success' } });
    expect((await rejection(client.send(new VerifyEmailIdentityCommand({ EmailAddress: 'not-an-address' })))).name).to.equal('InvalidParameterValue');
    await client.send(new SendEmailCommand(email({ Source: 'second@example.com' })));
    expect((await client.send(new GetSendQuotaCommand({}))).SentLast24Hours).to.equal(1);
  });

  it('keeps the inbox in DATA_DIR: a restart shows the same emails, and clearing empties the file too', async () => {
    const first = await client.send(new SendEmailCommand(email({ Message: { Subject: { Data: 'One' }, Body: { Text: { Data: 'x' } } } })));
    const second = await client.send(new SendEmailCommand(email({ Message: { Subject: { Data: 'Two' }, Body: { Html: { Data: '<p>y</p>' } } } })));
    const before = await store();
    await ses.close();
    // A line cut short (local mode killed mid-write) is skipped, not fatal.
    appendFileSync(join(dataDir, INBOX_FILE), '{"messageId":"ses-1","fr');
    ses = await startLocalSes({ port: 0, dataDir, sender: SENDER });
    const after = await store();
    expect(after).to.deep.equal(before);
    expect(after.map((e) => e.messageId)).to.deep.equal([first.MessageId, second.MessageId]);
    const since = await (await fetch(`${ses.url}/store?since=${Math.floor(Date.now() / 1000) + 60}`)).json();
    expect((since as { emails: unknown[] }).emails).to.deep.equal([]);
    const eml = await fetch(`${ses.url}/get-emlContent?messageId=${first.MessageId}`);
    expect(eml.status).to.equal(200);

    expect((await fetch(`${ses.url}/clear-store`, { method: 'POST' })).status).to.equal(200);
    expect(await store()).to.deep.equal([]);
    expect(readFileSync(join(dataDir, INBOX_FILE), 'utf8')).to.equal('');
  });

  it('keeps only the newest emails past its bound, in memory and on disk', async () => {
    await ses.close();
    ses = await startLocalSes({ port: 0, dataDir, sender: SENDER, maxEmails: 3 });
    client.destroy();
    client = new SESClient(settings(ses.url));
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await client.send(new SendEmailCommand(email({ Message: { Subject: { Data: `n${i}` }, Body: { Text: { Data: 'x' } } } })))).MessageId!);
    expect((await store()).map((e) => e.messageId)).to.deep.equal(ids.slice(-3));
    const lines = readFileSync(join(dataDir, INBOX_FILE), 'utf8').trim().split('\n');
    expect(lines.length).to.be.at.most(6);
    await ses.close();
    ses = await startLocalSes({ port: 0, dataDir, sender: SENDER, maxEmails: 3 });
    expect((await store()).map((e) => e.messageId)).to.deep.equal(ids.slice(-3));
    expect(readFileSync(join(dataDir, INBOX_FILE), 'utf8').trim().split('\n')).to.have.length(3);
  });

  it('gives each instance its own inbox (two in one process do not see each other’s emails)', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'local-ses-'));
    const other = await startLocalSes({ port: 0, dataDir: otherDir, sender: SENDER });
    const otherClient = new SESClient(settings(other.url));
    try {
      await client.send(new SendEmailCommand(email()));
      await otherClient.send(new SendEmailCommand(email()));
      await otherClient.send(new SendEmailCommand(email()));
      expect(await store()).to.have.length(1);
      expect(await store(other)).to.have.length(2);
    } finally {
      otherClient.destroy();
      await other.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});

describe('local mode: SES address check', () => {
  it('accepts plain and named addresses', () => {
    for (const ok of ['a@example.com', 'A.B+tag@sub.example.co.uk', 'Approvals <approvals@example.com>', '"Team, Inc." <team@example.com>', '"quoted local"@example.com', 'x@localhost']) {
      expect(addressProblem(ok), ok).to.equal(undefined);
    }
  });
  it('refuses malformed ones in SES’s words', () => {
    const cases: [string, string][] = [
      ['', 'Empty address'],
      ['reviewer', "Missing final '@domain'"],
      ['@example.com', 'Missing local name'],
      ['reviewer@', 'Missing domain'],
      ['re viewer@example.com', 'Local address contains control or whitespace'],
      ['ré@example.com', 'Local address contains illegal character'],
      ['a(b)@example.com', 'Local address contains illegal character'],
      ['.a@example.com', 'Local address starts with dot'],
      ['a.@example.com', 'Local address ends with dot'],
      ['a..b@example.com', 'Local address contains dot-dot'],
      ['a@exa mple.com', 'Domain contains control or whitespace'],
      ['a@exa_mple.com', 'Domain contains illegal character'],
      ['a@.example.com', 'Domain starts with dot'],
      ['a@example.com.', 'Domain ends with dot'],
      ['a@example..com', 'Domain contains dot-dot'],
      ['Name <a@example.com', "Missing '>'"],
      ['a@example.com>', "Missing '<'"],
      ['a@example.com\nBcc: b@example.com', 'Illegal address'],
    ];
    for (const [value, problem] of cases) expect(addressProblem(value), JSON.stringify(value)).to.equal(problem);
  });
});
