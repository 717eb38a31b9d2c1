/**
 * Local mode's SES: aws-ses-v2-local (the SES v1/v2 API and the reviewers' inbox page) behind a
 * small front that adds what a new AWS account meets first, verified identities. SES v1
 * `VerifyEmailIdentity`, `DeleteIdentity` and `ListIdentities` manage them (persisted under
 * DATA_DIR, the sender verified at start), and `SendEmail`/`SendRawEmail` (and the v2 sends)
 * from an address that is not verified are refused with `MessageRejected`, as SES does. Other v1 actions get a prompt
 * `InvalidAction` error instead of no answer. Everything else (v2 API, inbox, /store) passes through.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sesServer from 'aws-ses-v2-local';

const XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';
const MAX_BODY_BYTES = 26 * 1024 * 1024;

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The address inside `Name <address>`, lower-cased, or the whole value. */
export function addressOf(source: string): string {
  const open = source.lastIndexOf('<');
  const close = source.lastIndexOf('>');
  return (open >= 0 && close > open ? source.slice(open + 1, close) : source).trim().toLowerCase();
}

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

function sesError(res: ServerResponse, code: string, message: string): void {
  xml(res, 400, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
}

function ok(res: ServerResponse, action: string, result = ''): void {
  xml(res, 200, `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`);
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

export interface LocalSes {
  url: string;
  /** Verified identities (addresses), lower-cased. */
  verified(): string[];
  close(): Promise<void>;
}

const close = (server: Server) => new Promise<void>((done) => server.close(() => done()));

/** Starts the inbox on `port` (0: any free port), with `sender` verified unless it was deleted before. */
export async function startLocalSes(options: { port: number; dataDir: string; sender: string }): Promise<LocalSes> {
  const file = join(options.dataDir, 'ses-identities.json');
  const identities = new Set<string>(existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : [options.sender.toLowerCase()]);
  const save = () => writeFileSync(file, JSON.stringify([...identities].sort()));
  save();

  const inner = await sesServer({ host: '127.0.0.1', port: 0 });
  const innerPort = (inner.address() as AddressInfo).port;

  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer) => {
    const upstream = request({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    if (body) upstream.end(body);
    else req.pipe(upstream);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || (path !== '/' && path !== '/v2/email/outbound-emails' && path !== '/v2/email/outbound-bulk-emails')) return forward(req, res);
    const body = await readBody(req);
    if (path !== '/') {
      // SES v2 sends: the same check on FromEmailAddress.
      let from: unknown;
      try {
        from = (JSON.parse(body.toString('utf8')) as { FromEmailAddress?: unknown }).FromEmailAddress;
      } catch {
        return forward(req, res, body);
      }
      if (typeof from === 'string' && !identities.has(addressOf(from))) {
        res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
        res.end(JSON.stringify({ message: `Email address is not verified. The following identities failed the check in region US-EAST-1: ${addressOf(from)}` }));
        return;
      }
      return forward(req, res, body);
    }
    // SES v1 (the query protocol): whatever the content type says, the body is a form.
    const form = body.toString('utf8');
    const params = new URLSearchParams(form);
    const action = params.get('Action') ?? '';
    switch (action) {
      case 'SendEmail':
      case 'SendRawEmail': {
        const source = params.get('Source');
        // SendRawEmail may leave the sender to the message's From header; only a given Source is checked.
        if (source !== null && !identities.has(addressOf(source))) {
          return sesError(res, 'MessageRejected', `Email address is not verified. The following identities failed the check in region US-EAST-1: ${addressOf(source)}`);
        }
        return forward(req, res, body);
      }
      case 'VerifyEmailIdentity':
      case 'VerifyEmailAddress': {
        const address = params.get('EmailAddress');
        if (!address) return sesError(res, 'ValidationError', 'EmailAddress is required');
        identities.add(address.toLowerCase());
        save();
        return ok(res, action);
      }
      case 'DeleteIdentity': {
        const identity = params.get('Identity');
        if (!identity) return sesError(res, 'ValidationError', 'Identity is required');
        identities.delete(identity.toLowerCase());
        save();
        return ok(res, action);
      }
      case 'ListIdentities':
        return ok(res, action, `<Identities>${[...identities].sort().map((i) => `<member>${escapeXml(i)}</member>`).join('')}</Identities>`);
      default:
        return sesError(res, 'InvalidAction', `The action ${action || '(none)'} is not available in local mode.`);
    }
  }

  const front = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    verified: () => [...identities].sort(),
    close: async () => {
      await close(front);
      await close(inner);
    },
  };
}
