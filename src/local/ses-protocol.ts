/**
 * The wire of local SES: SES v1's query-protocol answers (XML, errors with `Sender`/`Receiver`),
 * SES v2's REST JSON errors, request bodies read within SES's size limit, and what the v1 and
 * v2 front handlers share: the identities, the inbox, and the way on to aws-ses-v2-local.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identities, Inbox } from './ses-store';

const XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';
const MAX_BODY_BYTES = 26 * 1024 * 1024;

export const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** aws-ses-v2-local's answer to a request sent on to it. */
export interface UpstreamAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** What the v1 and v2 handlers work with. */
export interface SesFront {
  identities: Identities;
  inbox: Inbox;
  /** Sends the request, whose body was read, on to aws-ses-v2-local and hands back its answer. */
  upstream(req: IncomingMessage, body: Buffer | undefined): Promise<UpstreamAnswer>;
  /** Passes the request, unread, on to aws-ses-v2-local and its answer back. */
  forward(req: IncomingMessage, res: ServerResponse): void;
  /** Moves the emails a send answered with out of aws-ses-v2-local's store into the inbox. */
  take(answer: string): void;
}

export const notVerified = (address: string) => `Email address is not verified. The following identities failed the check in region US-EAST-1: ${address}`;

/** An SES v1 answer; the request id goes in the body and in `x-amzn-RequestId`, as SES sends it. */
function xml(res: ServerResponse, status: number, requestId: string, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}

export function sesError(res: ServerResponse, code: string, message: string, status = 400): void {
  const id = randomUUID();
  xml(
    res,
    status,
    id,
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
  );
}

export function ok(res: ServerResponse, action: string, result = ''): void {
  const id = randomUUID();
  xml(res, 200, id, `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></${action}Response>`);
}

/** An SES v2 (REST JSON) error: the SDK names the exception after `x-amzn-ErrorType`. */
export function jsonError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify({ message }));
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
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
export const members = (params: URLSearchParams, prefix: string) => [...params.keys()].filter((key) => key.startsWith(prefix) && /^\d+$/.test(key.slice(prefix.length))).map((key) => params.get(key)!);

