/**
 * The HTTP API in local mode: a small adapter that turns each request into the API Gateway
 * HTTP API (payload 2.0) event the real handlers receive, and their result back into a response.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { apiEvent } from '../approval/http/api-event';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
export type LocalRoute = (req: IncomingMessage, url: URL, body: string) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;

/** API Gateway refuses payloads over 10 MB; the handlers enforce their own, smaller limits. */
const MAX_BODY = 10 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function toApiEvent(req: IncomingMessage, url: URL, body: string, routeKey: string): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  const method = req.method ?? 'GET';
  const event = apiEvent({
    method,
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    body: body === '' && (method === 'GET' || method === 'HEAD') ? undefined : body,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    routeKey,
  });
  event.requestContext.http.protocol = `HTTP/${req.httpVersion}`;
  return event;
}

function write(res: ServerResponse, method: string, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(method === 'HEAD' ? undefined : (result.body ?? ''));
}

export interface LocalApiRoutes {
  /** `/review` (GET, HEAD, POST and anything else: the handler answers 405 itself). */
  review: ApiHandler;
  /** `/posts` and `/posts/{id}`. */
  posts: ApiHandler;
  /** Local-only pages (home, execution view, form submit); undefined means 404. */
  local: LocalRoute;
}

export function createLocalApi(routes: LocalApiRoutes): Server {
  return createServer((req, res) => {
    void (async () => {
      const method = req.method ?? 'GET';
      try {
        const url = new URL(req.url ?? '/', 'http://local');
        const body = await readBody(req);
        if (body === undefined) return write(res, method, { statusCode: 413, headers: { 'content-type': 'text/plain' }, body: 'Payload too large' });
        if (url.pathname === '/review') return write(res, method, await routes.review(toApiEvent(req, url, body, `${method} /review`)));
        if (url.pathname === '/posts' || url.pathname.startsWith('/posts/')) {
          const routeKey = url.pathname === '/posts' ? `${method} /posts` : `${method} /posts/{id}`;
          return write(res, method, await routes.posts(toApiEvent(req, url, body, routeKey)));
        }
        const local = await routes.local(req, url, body);
        write(res, method, local ?? { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not found' });
      } catch {
        write(res, method, { statusCode: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Internal error' });
      }
    })();
  });
}
