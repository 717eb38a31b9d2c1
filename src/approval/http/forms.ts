/**
 * Forms and queries for people's pages: strictly known fields, and the same-origin check every
 * form POST passes. Every refusal is an ApprovalError with a 4xx code, never a 500.
 */
import { ApprovalError, type ErrorCode } from '../domain/errors';
import { parseStrictParams } from '../domain/strict-params';
import { header, readBody, requireMediaType, type HttpRequest } from './request';

export const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * A form body: form media type (else 415), at most `maxBytes` (else 413), same origin (else
 * CSRF_REJECTED), then exactly the known fields, each once (else INVALID_INPUT).
 */
export function readForm(request: HttpRequest, maxBytes: number, fields: { required?: string[]; optional?: string[] }): Record<string, string> {
  requireMediaType(request, FORM_TYPE);
  const body = readBody(request, maxBytes);
  assertSameOrigin(request);
  return strictParams(body, fields, 'INVALID_INPUT');
}

/** Exactly the known parameters, each once, or the caller's 4xx `code`. */
export function strictParams(text: string, fields: { required?: string[]; optional?: string[] }, code: ErrorCode): Record<string, string> {
  try {
    return parseStrictParams(text, { required: fields.required ?? [], optional: fields.optional });
  } catch {
    throw new ApprovalError(code);
  }
}

/** One query parameter of a query that holds only it, or undefined when the query is anything else or longer than `maxChars`. */
export function soleQueryParam(request: HttpRequest, name: string, maxChars: number): string | undefined {
  if (request.query.length > maxChars) return undefined;
  try {
    return parseStrictParams(request.query, { required: [name] })[name];
  } catch {
    return undefined;
  }
}

/**
 * A form posted from another site is refused even before its CSRF token is checked.
 * Our pages send `Referrer-Policy: no-referrer`, so browsers post our own form with
 * `Origin: null`; they then also send `Sec-Fetch-Site: same-origin`, which no page can forge.
 */
export function assertSameOrigin(request: Pick<HttpRequest, 'event'>): void {
  const { event } = request;
  const site = header(event, 'sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') throw new ApprovalError('CSRF_REJECTED');
  const origin = header(event, 'origin');
  if (origin === undefined) return;
  if (origin === 'null') {
    if (site !== 'same-origin') throw new ApprovalError('CSRF_REJECTED');
    return;
  }
  const host = header(event, 'host') ?? event.requestContext.domainName;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new ApprovalError('CSRF_REJECTED');
  }
  if (originHost !== host) throw new ApprovalError('CSRF_REJECTED');
}
