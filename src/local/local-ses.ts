/**
 * Local mode's SES: aws-ses-v2-local (the SES v1/v2 API and the reviewers' inbox page) behind a
 * small front that makes it answer as SES does:
 *
 * - Verified identities, what a new AWS account meets first. SES v1 `VerifyEmailIdentity`,
 *   `DeleteIdentity`, `ListIdentities` (and their older forms) manage them (persisted under
 *   DATA_DIR, the sender verified at start); a send from an address that is not verified is
 *   refused with `MessageRejected`. (ses-v1.ts, ses-v2.ts; the checks in ses-addresses.ts.)
 * - Malformed addresses (Source/From, To/Cc/Bcc, Reply-To) are refused before anything is sent:
 *   `InvalidParameterValue` (v1) or `BadRequestException` (v2), with SES's wording.
 * - Every request gets an answer: an SES v1 action we do not serve gets `InvalidAction` (400),
 *   a v2 path we do not serve `UnknownOperationException` (404, JSON). aws-ses-v2-local itself
 *   would leave an unknown v1 action without any answer.
 * - The inbox is kept in DATA_DIR: every accepted email is appended to `ses-inbox.jsonl` and
 *   read back at start, so a restart keeps the review emails of pending posts. The newest
 *   `DEFAULT_MAX_EMAILS` are kept (ses-store.ts). Each instance has its own inbox
 *   (aws-ses-v2-local's store is one per process): an accepted email is moved out of that
 *   store into this one, and the inbox page's `/store`, `/clear-store` and `/get-emlContent`
 *   are answered from here.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sesServer from 'aws-ses-v2-local';
import { createEmlContent } from 'aws-ses-v2-local/dist/emlFile';
import { getStoreReadonly, type Email } from 'aws-ses-v2-local/dist/store';
import { readBody, sesError, type SesFront, type UpstreamAnswer } from './ses-protocol';
import { DEFAULT_MAX_EMAILS, Identities, Inbox, INBOX_FILE } from './ses-store';
import { handleV1 } from './ses-v1';
import { handleV2 } from './ses-v2';
import { close } from './servers';

export interface LocalSes {
  url: string;
  /** Verified identities (addresses), lower-cased. */
  verified(): string[];
  /** The inbox, oldest first (what `/store` lists). */
  emails(): readonly Email[];
  close(): Promise<void>;
}


/**
 * Starts the inbox on `port` (0: any free port), with `sender` verified unless it was deleted
 * before, and the emails accepted before (under `dataDir`) back in it.
 */
export async function startLocalSes(options: { port: number; dataDir: string; sender: string; maxEmails?: number }): Promise<LocalSes> {
  const identities = new Identities(options.dataDir, options.sender);
  const inbox = new Inbox(join(options.dataDir, INBOX_FILE), options.maxEmails ?? DEFAULT_MAX_EMAILS);

  const inner = await sesServer({ host: '127.0.0.1', port: 0 });
  const innerPort = (inner.address() as AddressInfo).port;

  const take = (answer: string) => {
    const shared = getStoreReadonly().emails;
    for (const [messageId] of answer.matchAll(/ses-\d+/g)) {
      const index = shared.findIndex((e) => e.messageId === messageId);
      if (index >= 0) inbox.add(shared.splice(index, 1)[0]!);
    }
  };

  const upstream = (req: IncomingMessage, body: Buffer | undefined) =>
    new Promise<UpstreamAnswer>((resolve, reject) => {
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
  const front: SesFront = { identities, inbox, upstream, forward, take };

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
    if (url.pathname === '/' && req.method === 'POST') return handleV1(front, req, res);
    if (url.pathname === '/v2' || url.pathname.startsWith('/v2/')) return handleV2(front, req, res, url.pathname);
    if (await page(req, res, url)) return;
    return forward(req, res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sesError(res, 'InternalFailure', 'The request could not be handled.', 500);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', resolve);
  }).catch(async (err: unknown) => {
    await close(inner);
    throw err;
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    verified: () => identities.list(),
    emails: () => inbox.emails,
    close: async () => {
      await close(server);
      await close(inner);
    },
  };
}
