/**
 * Local mode's one AWS endpoint: every AWS SDK and the AWS CLI reach every local service at one
 * address (`AWS_ENDPOINT_URL=http://127.0.0.1:4566`, or `--endpoint-url`), as with LocalStack.
 * Each request goes to its service by protocol: the JSON protocols name theirs in `X-Amz-Target`
 * (Step Functions, DynamoDB, KMS, Secrets Manager); SES's query API (`Action=…` at `/`) and its
 * REST API (`/v2/email/…`) carry none. Bodies and answers pass through unchanged.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatewayTargets {
  stepFunctions: string;
  dynamodb: string;
  kms: string;
  secretsManager: string;
  ses: string;
}

/** `X-Amz-Target` prefixes → the service that answers them. */
const BY_TARGET: [prefix: string, service: keyof GatewayTargets][] = [
  ['AWSStepFunctions.', 'stepFunctions'],
  ['DynamoDB_20120810.', 'dynamodb'],
  ['TrentService.', 'kms'],
  ['secretsmanager.', 'secretsManager'],
];

/** The service a request is for, or undefined for a JSON-protocol target no local service serves. */
export function serviceFor(target: string | undefined): keyof GatewayTargets | undefined {
  if (!target) return 'ses';
  return BY_TARGET.find(([prefix]) => target.startsWith(prefix))?.[1];
}

function unknownService(res: ServerResponse, target: string): void {
  res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
  // The target is echoed only as far as its service name: never a whole header back.
  const service = target.split('.')[0]!.slice(0, 64).replace(/[^A-Za-z0-9_]/g, '');
  res.end(JSON.stringify({ __type: 'UnknownOperationException', message: `local mode does not serve ${service || 'this service'}` }));
}

/**
 * Only requests addressed to this machine by name or loopback address: a web page that rebinds
 * its own host name to 127.0.0.1 (DNS rebinding) sends its own name as Host, and a browser adds
 * Origin. Unsigned requests reach every local service, so neither may (AWS refuses them for want
 * of a signature).
 */
export function fromThisMachine(req: Pick<IncomingMessage, 'headers'>, port: number): boolean {
  const host = String(req.headers.host ?? '').toLowerCase();
  if (req.headers.origin !== undefined) return false;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

function forward(req: IncomingMessage, res: ServerResponse, base: string): void {
  const url = new URL(base);
  const upstream = request(
    { host: url.hostname, port: url.port, method: req.method, path: req.url, headers: { ...req.headers, host: url.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  // A client that goes away mid-request takes the forwarded request with it.
  req.on('close', () => {
    if (!req.complete) upstream.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ __type: 'ServiceUnavailableException', message: 'local service unavailable' }));
  });
  req.pipe(upstream);
}

/** Starts the endpoint on 127.0.0.1:`port` (0: any free port). */
export async function startAwsGateway(targets: GatewayTargets, port: number): Promise<{ url: string; close(): Promise<void> }> {
  let listening = port;
  const server: Server = createServer((req, res) => {
    if (!fromThisMachine(req, listening)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'local mode answers requests to 127.0.0.1 or localhost only' }));
      req.resume();
      return;
    }
    const target = req.headers['x-amz-target'];
    const service = serviceFor(typeof target === 'string' ? target : undefined);
    if (!service) {
      unknownService(res, String(target));
      req.resume();
      return;
    }
    forward(req, res, targets[service]);
  });
  // Keep-alive sockets from SDK clients would hold close() open until they idle out.
  const closeServer = () =>
    new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  listening = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${listening}`, close: closeServer };
}
