import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApprovalError, ERROR_TABLE, retryAfter, type ErrorCode } from '../domain/errors';
import { PAGE_HEADERS, errorPage } from '../pages/review-page';

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

export function htmlResponse(statusCode: number, body: string, extraHeaders: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...PAGE_HEADERS, ...extraHeaders }, body };
}

/**
 * The error page for a person, with Retry-After when trying again later may work. `page` gives
 * the time "decided at" is told from, and a comment the person sent that was not recorded.
 */
export function htmlError(err: ApprovalError, extraHeaders: Record<string, string> = {}, page: { now?: Date; typed?: string } = {}): HttpResult {
  const headers = { ...extraHeaders };
  const wait = retryAfter(err);
  if (wait) headers['retry-after'] = wait;
  if (err.code === 'METHOD_NOT_ALLOWED') headers.allow = 'GET, HEAD, POST';
  return htmlResponse(ERROR_TABLE[err.code].status, errorPage(err, page), headers);
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name] ?? event.headers?.[name.toLowerCase()];
}

/** `text` without its trailing slashes: a loop, since /\/+$/ takes quadratic time on a long run of slashes. */
export function trimTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end--;
  return text.slice(0, end);
}

/**
 * A percent-decoded path segment. A malformed escape (`%E0%A4%A`, `%ZZ`) is the caller's 4xx
 * `code`, never a URIError that would surface as a 500.
 */
export function decodePathSegment(segment: string, code: ErrorCode, details?: string[]): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApprovalError(code, { details });
  }
}

/** The request body as text, refusing what is larger than `maxBytes` (413). */
export function readBody(event: APIGatewayProxyEventV2, maxBytes: number): string {
  const raw = event.body ?? '';
  if (raw.length > (event.isBase64Encoded ? Math.ceil((maxBytes * 4) / 3) + 4 : maxBytes)) throw new ApprovalError('PAYLOAD_TOO_LARGE');
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > maxBytes) throw new ApprovalError('PAYLOAD_TOO_LARGE');
  return text;
}

/**
 * A form posted from another site is refused even before its CSRF token is checked.
 * Our pages send `Referrer-Policy: no-referrer`, so browsers post our own form with
 * `Origin: null`; they then also send `Sec-Fetch-Site: same-origin`, which no page can forge.
 */
export function assertSameOrigin(event: APIGatewayProxyEventV2): void {
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
