/**
 * The AWS JSON protocol (awsJson1_0 / awsJson1_1) as a tiny router for local stand-ins:
 * the operation comes from `X-Amz-Target: <Service>.<Operation>`, errors go back as
 * `{ "__type": "<Code>", "message": … }` with status 400, which the SDK turns into named exceptions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type Operation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

const MAX_BODY = 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ServiceError('ValidationException', 'request too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ServiceError('SerializationException', 'body is not JSON');
  }
  // AWS answers a body that is JSON but not an object (null, a list, a number) the same way.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ServiceError('SerializationException', 'body is not a JSON object');
  return body as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown, contentType: string): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(JSON.stringify(body));
}

/** Serves `operations` (keyed by `Target.Operation`) on 127.0.0.1:`port` (0 = any free port). */
export async function startJsonService(
  operations: Record<string, Operation>,
  port: number,
  contentType: 'application/x-amz-json-1.0' | 'application/x-amz-json-1.1',
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = operations[target];
        // The header is echoed only as far as a name can go: never kilobytes of it back.
        if (req.method !== 'POST' || !operation) throw new ServiceError('UnknownOperationException', `unsupported operation ${target.slice(0, 100) || '(none)'}`);
        send(res, 200, (await operation(await readJson(req))) ?? {}, contentType);
      } catch (err) {
        const error = err instanceof ServiceError ? err : new ServiceError('InternalFailure', 'internal error', 500);
        send(res, error.status, { __type: error.code, message: error.message }, contentType);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets (and a client stuck mid-body) would hold close() open for minutes.
        server.closeAllConnections();
      }),
  };
}
