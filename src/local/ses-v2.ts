/**
 * Local SES v2 (REST JSON), in front of aws-ses-v2-local: a send's addresses are checked and its
 * sender must be verified before it goes on; a route aws-ses-v2-local does not serve gets
 * `UnknownOperationException` (404).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { addressOf, destinationAddresses, firstProblem, strings } from './ses-addresses';
import { jsonError, notVerified, readBody, type SesFront } from './ses-protocol';

/** The SES v2 routes aws-ses-v2-local serves; any other v2 request is answered here. */
const V2_ROUTES: [string, RegExp][] = [
  ['GET', /^\/v2\/email\/templates$/],
  ['POST', /^\/v2\/email\/templates$/],
  ['POST', /^\/v2\/email\/templates\/[^/]+\/render$/],
  ['GET', /^\/v2\/email\/templates\/[^/]+$/],
  ['PUT', /^\/v2\/email\/templates\/[^/]+$/],
  ['DELETE', /^\/v2\/email\/templates\/[^/]+$/],
  ['GET', /^\/v2\/email\/account$/],
  ['POST', /^\/v2\/email\/outbound-emails$/],
  ['POST', /^\/v2\/email\/outbound-bulk-emails$/],
];

/** SES v2 (REST JSON): sends are checked, then sent on; the inbox takes what was accepted. */
export async function handleV2(front: SesFront, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  if (!V2_ROUTES.some(([m, pattern]) => m === method && pattern.test(path))) {
    await readBody(req).catch(() => undefined);
    return jsonError(res, 404, 'UnknownOperationException', `The operation ${method} ${path} is not available in local mode (it serves SendEmail, SendBulkEmail, GetAccount and the email templates).`);
  }
  if (method !== 'POST' || !path.startsWith('/v2/email/outbound-')) return front.forward(req, res);
  const body = await readBody(req);
  let input: { FromEmailAddress?: unknown; Destination?: unknown; ReplyToAddresses?: unknown; BulkEmailEntries?: unknown };
  try {
    input = JSON.parse(body.toString('utf8')) as typeof input;
  } catch {
    return jsonError(res, 400, 'BadRequestException', 'The request body is not JSON.');
  }
  const from = input.FromEmailAddress;
  const destinations = path.endsWith('bulk-emails') ? strings(input.BulkEmailEntries).flatMap((entry) => destinationAddresses((entry as { Destination?: unknown } | null)?.Destination)) : destinationAddresses(input.Destination);
  const problem = firstProblem([from, ...strings(input.ReplyToAddresses), ...destinations]);
  if (problem) return jsonError(res, 400, 'BadRequestException', problem);
  if (typeof from === 'string' && !front.identities.has(addressOf(from))) return jsonError(res, 400, 'MessageRejected', notVerified(addressOf(from)));
  const answer = await front.upstream(req, body);
  const text = answer.body.toString('utf8');
  if (answer.status === 200) front.take(text);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (answer.status >= 400) {
    const type = (() => {
      try {
        return (JSON.parse(text) as { type?: unknown }).type;
      } catch {
        return undefined;
      }
    })();
    headers['x-amzn-errortype'] = typeof type === 'string' ? type : 'BadRequestException';
  }
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

