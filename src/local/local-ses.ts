/**
 * Local mode's SES: aws-ses-v2-local (the SES v1/v2 API and the reviewers' inbox page) behind a
 * small front that makes it answer as SES does:
 *
 * - Verified identities, what a new AWS account meets first. SES v1 `VerifyEmailIdentity`,
 *   `DeleteIdentity`, `ListIdentities` (and their older forms) manage them (persisted under
 *   DATA_DIR, the sender verified at start); a send from an address that is not verified is
 *   refused with `MessageRejected`.
 * - Malformed addresses (Source/From, To/Cc/Bcc, Reply-To) are refused before anything is sent:
 *   `InvalidParameterValue` (v1) or `BadRequestException` (v2), with SES's wording.
 * - Every request gets an answer: an SES v1 action we do not serve gets `InvalidAction` (400),
 *   a v2 path we do not serve `UnknownOperationException` (404, JSON). aws-ses-v2-local itself
 *   would leave an unknown v1 action without any answer.
 * - The inbox is kept in DATA_DIR: every accepted email is appended to `ses-inbox.jsonl` and
 *   read back at start, so a restart keeps the review emails of pending posts. The newest
 *   {@link DEFAULT_MAX_EMAILS} are kept. Each instance has its own inbox (aws-ses-v2-local's
 *   store is one per process): an accepted email is moved out of that store into this one, and
 *   the inbox page's `/store`, `/clear-store` and `/get-emlContent` are answered from here.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sesServer from 'aws-ses-v2-local';
import { createEmlContent } from 'aws-ses-v2-local/dist/emlFile';
import { getStoreReadonly, type Email } from 'aws-ses-v2-local/dist/store';

const XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';
const MAX_BODY_BYTES = 26 * 1024 * 1024;
/** How many emails the inbox keeps (the newest); older ones leave the page and the file. */
export const DEFAULT_MAX_EMAILS = 1000;
export const INBOX_FILE = 'ses-inbox.jsonl';

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The address inside `Name <address>`, lower-cased, or the whole value. */
export function addressOf(source: string): string {
  const open = source.lastIndexOf('<');
  const close = source.lastIndexOf('>');
  return (open >= 0 && close > open ? source.slice(open + 1, close) : source).trim().toLowerCase();
}

const LOCAL_SPECIALS = '()<>,;:\\"[]@';
const isControlOrSpace = (code: number) => code <= 0x20 || code === 0x7f;

/**
 * Why SES would refuse `value` as an address (`addr@domain` or `Display Name <addr@domain>`),
 * in the words SES answers with (those of JavaMail's address check), or undefined if it is fine.
 * ASCII only: SES takes an internationalised domain in its `xn--` form.
 */
export function addressProblem(value: string): string | undefined {
  // A header line break in any part of it would let the value add headers of its own.
  if (/[\r\n\0]/.test(value)) return 'Illegal address';
  let address = value.trim();
  const open = address.lastIndexOf('<');
  if (open >= 0) {
    if (!address.endsWith('>')) return "Missing '>'";
    address = address.slice(open + 1, -1).trim();
  } else if (address.includes('>')) {
    return "Missing '<'";
  }
  if (address === '') return 'Empty address';
  const at = address.lastIndexOf('@');
  if (at < 0) return "Missing final '@domain'";
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local === '') return 'Missing local name';
  if (domain === '') return 'Missing domain';
  const quoted = local.length >= 2 && local.startsWith('"') && local.endsWith('"');
  for (let i = 0; i < local.length; i++) {
    const code = local.charCodeAt(i);
    if (isControlOrSpace(code) && !(quoted && code === 0x20)) return 'Local address contains control or whitespace';
    if (code > 0x7e) return 'Local address contains illegal character';
    if (!quoted && LOCAL_SPECIALS.includes(local[i]!)) return 'Local address contains illegal character';
  }
  if (!quoted) {
    if (local.startsWith('.')) return 'Local address starts with dot';
    if (local.endsWith('.')) return 'Local address ends with dot';
    if (local.includes('..')) return 'Local address contains dot-dot';
  }
  for (let i = 0; i < domain.length; i++) {
    const code = domain.charCodeAt(i);
    if (isControlOrSpace(code)) return 'Domain contains control or whitespace';
    if (!/[A-Za-z0-9.-]/.test(domain[i]!)) return 'Domain contains illegal character';
  }
  if (domain.startsWith('.')) return 'Domain starts with dot';
  if (domain.endsWith('.')) return 'Domain ends with dot';
  if (domain.includes('..')) return 'Domain contains dot-dot';
  return undefined;
}

/** An SES v1 answer; the request id goes in the body and in `x-amzn-RequestId`, as SES sends it. */
function xml(res: ServerResponse, status: number, requestId: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

function sesError(res: ServerResponse, code: string, message: string, status = 400): void {
  const id = randomUUID();
  xml(
    res,
    status,
    id,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
  );
}

function ok(res: ServerResponse, action: string, result = ''): void {
  const id = randomUUID();
  xml(res, 200, id, `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${action}Response>`);
}

/** An SES v2 (REST JSON) error: the SDK names the exception after `x-amzn-ErrorType`. */
function jsonError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ message }));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The values of `prefix1`, `prefix2`, … of a query-protocol form (`Destination.ToAddresses.member.`). */
const members = (params: URLSearchParams, prefix: string) => [...params.keys()].filter((key) => key.startsWith(prefix) && /^\d+$/.test(key.slice(prefix.length))).map((key) => params.get(key)!);

/** The first problem among `addresses` as SES words it, or undefined. */
function firstProblem(addresses: unknown[]): string | undefined {
  for (const address of addresses) {
    if (typeof address !== 'string') continue;
    const problem = addressProblem(address);
    if (problem) return problem;
  }
  return undefined;
}

const strings = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const destinationAddresses = (destination: unknown): unknown[] => {
  const d = (destination ?? {}) as { ToAddresses?: unknown; CcAddresses?: unknown; BccAddresses?: unknown };
  return [...strings(d.ToAddresses), ...strings(d.CcAddresses), ...strings(d.BccAddresses)];
};

/** The inbox: the newest `max` accepted emails, in memory and in a JSON-lines file under DATA_DIR. */
class Inbox {
  readonly emails: Email[] = [];
  private lines = 0;

  constructor(
    private readonly file: string,
    private readonly max: number,
  ) {
    let damaged = false;
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        try {
          const email = JSON.parse(line) as Email;
          if (typeof email.messageId === 'string' && typeof email.at === 'number') this.emails.push(email);
          else damaged = true;
        } catch {
          // A line cut short when local mode was killed mid-write: the email before it is whole.
          damaged = true;
        }
      }
    }
    this.lines = this.emails.length;
    if (this.emails.length > max || damaged) this.compact();
  }

  add(email: Email): void {
    this.emails.push(email);
    if (this.emails.length > this.max) this.emails.splice(0, this.emails.length - this.max);
    appendFileSync(this.file, `${JSON.stringify(email)}\n`);
    // The file is append-only between compactions; it holds at most twice the bound.
    if (++this.lines > 2 * this.max) this.compact();
  }

  clear(): void {
    this.emails.length = 0;
    this.compact();
  }

  private compact(): void {
    this.emails.splice(0, Math.max(0, this.emails.length - this.max));
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, this.emails.map((e) => `${JSON.stringify(e)}\n`).join(''));
    renameSync(temp, this.file);
    this.lines = this.emails.length;
  }
}

export interface LocalSes {
  url: string;
  /** Verified identities (addresses), lower-cased. */
  verified(): string[];
  /** The inbox, oldest first (what `/store` lists). */
  emails(): readonly Email[];
  close(): Promise<void>;
}

const close = (server: Server) => new Promise<void>((done) => server.close(() => done()));

/** The SES v2 routes aws-ses-v2-local serves; any other v2 request is answered here. */
const V2_ROUTES: [string, RegExp][] = [
  ['GET', /^\/v2\/email\/templates$/],
  ['POST', /^\/v2\/email\/templates$/],
  ['POST', /^\/v2\/email\/templates\/[^/]+\/render$/],
  ['GET', /^\/v2\/email\/templates\/[^/]+$/],
  ['PUT', /^\/v2\/email\/templates\/[^/]+$/],
  ['DELETE', /^\/v2\/email\/templates\/[^/]+$/],
  ['GET', /^\/v2\/email\/account$/],
  ['POST', /^\/v2\/email\/outbound-emails$/],
  ['POST', /^\/v2\/email\/outbound-bulk-emails$/],
];

const V1_ACTIONS = [
  'SendEmail',
  'SendRawEmail',
  'VerifyEmailIdentity',
  'VerifyEmailAddress',
  'DeleteIdentity',
  'DeleteVerifiedEmailAddress',
  'ListIdentities',
  'ListVerifiedEmailAddresses',
  'GetIdentityVerificationAttributes',
  'GetSendQuota',
];

/**
 * Starts the inbox on `port` (0: any free port), with `sender` verified unless it was deleted
 * before, and the emails accepted before (under `dataDir`) back in it.
 */
export async function startLocalSes(options: { port: number; dataDir: string; sender: string; maxEmails?: number }): Promise<LocalSes> {
  const file = join(options.dataDir, 'ses-identities.json');
  const identities = new Set<string>(existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : [options.sender.toLowerCase()]);
  const save = () => writeFileSync(file, JSON.stringify([...identities].sort()));
  save();
  const inbox = new Inbox(join(options.dataDir, INBOX_FILE), options.maxEmails ?? DEFAULT_MAX_EMAILS);

  const inner = await sesServer({ host: '127.0.0.1', port: 0 });
  const innerPort = (inner.address() as AddressInfo).port;

  /** Moves the emails a send answered with out of aws-ses-v2-local's store into this inbox. */
  const take = (answer: string) => {
    const shared = getStoreReadonly().emails;
    for (const [messageId] of answer.matchAll(/ses-\d+/g)) {
      const index = shared.findIndex((e) => e.messageId === messageId);
      if (index >= 0) inbox.add(shared.splice(index, 1)[0]!);
    }
  };

  /** Sends the request, whose body was read, on to aws-ses-v2-local and hands back its answer. */
  const upstream = (req: IncomingMessage, body: Buffer | undefined) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const { 'transfer-encoding': _chunked, ...headers } = req.headers;
      const call = request({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers: { ...headers, 'content-length': String(body?.length ?? 0) } }, (answer) => {
        readBody(answer).then((text) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: text }), reject);
      });
      call.on('error', reject);
      call.end(body);
    });

  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const call = request({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    call.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(call);
  };

  const notVerified = (address: string) => `Email address is not verified. The following identities failed the check in region US-EAST-1: ${address}`;

  /** SES v2 (REST JSON): sends are checked, then sent on; the inbox takes what was accepted. */
  async function v2(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (!V2_ROUTES.some(([m, pattern]) => m === method && pattern.test(path))) {
      await readBody(req).catch(() => undefined);
      return jsonError(res, 404, 'UnknownOperationException', `The operation ${method} ${path} is not available in local mode (it serves SendEmail, SendBulkEmail, GetAccount and the email templates).`);
    }
    if (method !== 'POST' || !path.startsWith('/v2/email/outbound-')) return forward(req, res);
    const body = await readBody(req);
    let input: { FromEmailAddress?: unknown; Destination?: unknown; ReplyToAddresses?: unknown; BulkEmailEntries?: unknown };
    try {
      input = JSON.parse(body.toString('utf8')) as typeof input;
    } catch {
      return jsonError(res, 400, 'BadRequestException', 'The request body is not JSON.');
    }
    const from = input.FromEmailAddress;
    const destinations = path.endsWith('bulk-emails') ? strings(input.BulkEmailEntries).flatMap((entry) => destinationAddresses((entry as { Destination?: unknown } | null)?.Destination)) : destinationAddresses(input.Destination);
    const problem = firstProblem([from, ...strings(input.ReplyToAddresses), ...destinations]);
    if (problem) return jsonError(res, 400, 'BadRequestException', problem);
    if (typeof from === 'string' && !identities.has(addressOf(from))) return jsonError(res, 400, 'MessageRejected', notVerified(addressOf(from)));
    const answer = await upstream(req, body);
    const text = answer.body.toString('utf8');
    if (answer.status === 200) take(text);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (answer.status >= 400) {
      const type = (() => {
        try {
          return (JSON.parse(text) as { type?: unknown }).type;
        } catch {
          return undefined;
        }
      })();
      headers['x-amzn-errortype'] = typeof type === 'string' ? type : 'BadRequestException';
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  /** SES v1 (the query protocol): whatever the content type says, the body is a form. */
  async function v1(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action') ?? '';
    switch (action) {
      case 'SendEmail':
      case 'SendRawEmail': {
        const source = params.get('Source');
        const destinations =
          action === 'SendEmail'
            ? ['Destination.ToAddresses.member.', 'Destination.CcAddresses.member.', 'Destination.BccAddresses.member.', 'ReplyToAddresses.member.'].flatMap((prefix) => members(params, prefix))
            : members(params, 'Destinations.member.');
        if (action === 'SendEmail' && source === null) return sesError(res, 'ValidationError', "1 validation error detected: Value null at 'source' failed to satisfy constraint: Member must not be null");
        const problem = firstProblem([source, ...destinations]);
        if (problem) return sesError(res, 'InvalidParameterValue', problem);
        // SendRawEmail may leave the sender to the message's From header; only a given Source is checked.
        if (source !== null && !identities.has(addressOf(source))) return sesError(res, 'MessageRejected', notVerified(addressOf(source)));
        const answer = await upstream(req, body);
        const text = answer.body.toString('utf8');
        if (answer.status === 200) {
          const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(text)?.[1];
          take(text);
          return ok(res, action, messageId ? `<MessageId>${escapeXml(messageId)}</MessageId>` : '');
        }
        // aws-ses-v2-local answers its own checks in JSON; a v1 client reads XML.
        let detail = text;
        try {
          const parsed = JSON.parse(text) as { message?: string; detail?: string };
          detail = parsed.detail ?? parsed.message ?? text;
        } catch {
          // not JSON: its text is the message
        }
        if (answer.status === 403) return sesError(res, 'MissingAuthenticationToken', detail, 403);
        return sesError(res, answer.status < 500 ? 'ValidationError' : 'InternalFailure', detail, answer.status < 500 ? 400 : 500);
      }
      case 'VerifyEmailIdentity':
      case 'VerifyEmailAddress': {
        const address = params.get('EmailAddress');
        if (!address) return sesError(res, 'ValidationError', "1 validation error detected: Value null at 'emailAddress' failed to satisfy constraint: Member must not be null");
        const problem = addressProblem(address);
        if (problem) return sesError(res, 'InvalidParameterValue', `Invalid email address <${address}>.`);
        identities.add(addressOf(address));
        save();
        return ok(res, action);
      }
      case 'DeleteIdentity':
      case 'DeleteVerifiedEmailAddress': {
        const identity = params.get(action === 'DeleteIdentity' ? 'Identity' : 'EmailAddress');
        if (!identity) return sesError(res, 'ValidationError', `1 validation error detected: Value null at '${action === 'DeleteIdentity' ? 'identity' : 'emailAddress'}' failed to satisfy constraint: Member must not be null`);
        identities.delete(identity.trim().toLowerCase());
        save();
        return ok(res, action);
      }
      case 'ListIdentities':
        return ok(res, action, `<Identities>${[...identities].sort().map((i) => `<member>${escapeXml(i)}</member>`).join('')}</Identities>`);
      case 'ListVerifiedEmailAddresses':
        return ok(res, action, `<VerifiedEmailAddresses>${[...identities].sort().map((i) => `<member>${escapeXml(i)}</member>`).join('')}</VerifiedEmailAddresses>`);
      case 'GetIdentityVerificationAttributes': {
        // SES lists only the identities it knows of.
        const entries = members(params, 'Identities.member.')
          .filter((identity) => identities.has(identity.trim().toLowerCase()))
          .map((identity) => `<entry><key>${escapeXml(identity)}</key><value><VerificationStatus>Success</VerificationStatus></value></entry>`);
        return ok(res, action, `<VerificationAttributes>${entries.join('')}</VerificationAttributes>`);
      }
      case 'GetSendQuota': {
        const since = Math.floor(Date.now() / 1000) - 24 * 3600;
        const sent = inbox.emails.filter((e) => e.at >= since).length;
        return ok(res, action, `<Max24HourSend>200.0</Max24HourSend><MaxSendRate>1.0</MaxSendRate><SentLast24Hours>${sent}.0</SentLast24Hours>`);
      }
      case '':
        return sesError(res, 'MissingAction', 'The request must name an Action.');
      default:
        return sesError(res, 'InvalidAction', `The action ${action} is not valid for this web service, or not available in local mode (it serves ${V1_ACTIONS.join(', ')}).`);
    }
  }

  /** The inbox page's own calls, answered from this instance's inbox. */
  async function page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(value));
    };
    if (url.pathname === '/store' && req.method === 'GET') {
      const templates = Object.fromEntries(getStoreReadonly().templates);
      const since = url.searchParams.get('since');
      if (since === null) return (json(200, { templates, emails: inbox.emails }), true);
      const from = Number.parseInt(since, 10);
      if (Number.isNaN(from) || since !== String(from)) return (json(400, { message: 'Bad since query param, expected integer representing epoch timestamp in seconds' }), true);
      return (json(200, { templates, emails: inbox.emails.filter((e) => e.at >= from) }), true);
    }
    if (url.pathname === '/clear-store' && req.method === 'POST') {
      await readBody(req).catch(() => undefined);
      inbox.clear();
      getStoreReadonly().templates.clear();
      return (json(200, { message: 'Store cleared' }), true);
    }
    if (url.pathname === '/get-emlContent' && req.method === 'GET') {
      const email = inbox.emails.find((e) => e.messageId === url.searchParams.get('messageId'));
      if (!email) return (json(400, { message: 'Email not found within the store' }), true);
      return (json(200, await createEmlContent(email)), true);
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/' && req.method === 'POST') return v1(req, res);
    if (url.pathname === '/v2' || url.pathname.startsWith('/v2/')) return v2(req, res, url.pathname);
    if (await page(req, res, url)) return;
    return forward(req, res);
  }

  const front = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sesError(res, 'InternalFailure', 'The request could not be handled.', 500);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port, '127.0.0.1', resolve);
  }).catch(async (err: unknown) => {
    await close(inner);
    throw err;
  });
  return {
    url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    verified: () => [...identities].sort(),
    emails: () => inbox.emails,
    close: async () => {
      await close(front);
      await close(inner);
    },
  };
}
