/**
 * Reading an API Gateway HTTP API request (payload 2.0): headers, the body's media type (parsed
 * in one place), cookies, bounded bodies and path segments (forms: see `forms.ts`). Every refusal
 * is an ApprovalError with a 4xx code, never a 500.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ClientInfo } from '../domain/audit';
import { ApprovalError, type ErrorCode } from '../domain/errors';
import { readCookie, sentCookie } from './cookies';

export const JSON_TYPE = 'application/json';

/** One request as a handler sees it. */
export interface HttpRequest {
  readonly event: APIGatewayProxyEventV2;
  /** Upper-case. */
  readonly method: string;
  /** The raw path, as sent. */
  readonly path: string;
  /** The raw query string, without `?` ('' when none). */
  readonly query: string;
  /** The body's media type, lower-case and without parameters (`charset`…); undefined when not sent. */
  readonly mediaType: string | undefined;
  /** The client as the audit trail records it (hashed there, never stored raw). */
  readonly client: ClientInfo;
  header(name: string): string | undefined;
  /** The value of cookie `name` (see `readCookie`): undefined when absent, malformed or sent twice. */
  cookie(name: string): string | undefined;
  /** Whether cookie `name` was sent at all, well-formed or not. */
  sentCookie(name: string): boolean;
  /** Refuses any other method (405); the answer's Allow header lists `methods`. */
  allow(...methods: string[]): void;
  /** The methods named by the last `allow`, for the Allow header. */
  readonly allowed: readonly string[] | undefined;
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name] ?? event.headers?.[name.toLowerCase()];
}

/** `text/html; charset=utf-8` → `text/html`: the one place a Content-Type header is parsed. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type || undefined;
}

/** The Cookie header as API Gateway v2 hands it over (`cookies`), or as a plain header (local mode, tests). */
function cookieHeader(event: APIGatewayProxyEventV2): string | undefined {
  return event.cookies && event.cookies.length > 0 ? event.cookies.join('; ') : header(event, 'cookie');
}

export function httpRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const method = event.requestContext.http.method.toUpperCase();
  let allowed: readonly string[] | undefined;
  return {
    event,
    method,
    path: event.rawPath ?? event.requestContext.http.path,
    query: event.rawQueryString ?? '',
    mediaType: mediaTypeOf(header(event, 'content-type')),
    client: { ip: event.requestContext.http.sourceIp, userAgent: event.requestContext.http.userAgent },
    header: (name) => header(event, name),
    cookie: (name) => readCookie(cookieHeader(event), name),
    sentCookie: (name) => sentCookie(cookieHeader(event), name),
    allow(...methods) {
      allowed = methods;
      if (!methods.includes(method)) throw new ApprovalError('METHOD_NOT_ALLOWED');
    },
    get allowed() {
      return allowed;
    },
  };
}

/** Refuses a body of another media type, as `code` (415 unless the caller says otherwise). */
export function requireMediaType(request: HttpRequest, type: string, code: ErrorCode = 'UNSUPPORTED_MEDIA_TYPE'): void {
  if (request.mediaType !== type) throw new ApprovalError(code);
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
export function readBody(request: Pick<HttpRequest, 'event'>, maxBytes: number): string {
  const { event } = request;
  const raw = event.body ?? '';
  if (raw.length > (event.isBase64Encoded ? Math.ceil((maxBytes * 4) / 3) + 4 : maxBytes)) throw new ApprovalError('PAYLOAD_TOO_LARGE');
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > maxBytes) throw new ApprovalError('PAYLOAD_TOO_LARGE');
  return text;
}
