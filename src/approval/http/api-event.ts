import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface ApiEventParts {
  method: string;
  path: string;
  /** The raw query string, without `?`. */
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  sourceIp?: string;
  userAgent?: string;
  /** Defaults to `${method} ${path}`. */
  routeKey?: string;
  /** Defaults to the `host` header. */
  domainName?: string;
}

/**
 * An API Gateway HTTP API event (payload format 2.0), as API Gateway would hand it to a Lambda:
 * local mode turns each HTTP request into one, and tests and the bench build theirs here too.
 */
export function apiEvent(parts: ApiEventParts): APIGatewayProxyEventV2 {
  const headers = parts.headers ?? {};
  const routeKey = parts.routeKey ?? `${parts.method} ${parts.path}`;
  const now = Date.now();
  const domainName = parts.domainName ?? headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey,
    rawPath: parts.path,
    rawQueryString: parts.query ?? '',
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? 'local',
      http: { method: parts.method, path: parts.path, protocol: 'HTTP/1.1', sourceIp: parts.sourceIp ?? '127.0.0.1', userAgent: parts.userAgent ?? headers['user-agent'] ?? '' },
      requestId: `local-${now}-${Math.random().toString(36).slice(2, 8)}`,
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: parts.body,
    isBase64Encoded: false,
  };
}
