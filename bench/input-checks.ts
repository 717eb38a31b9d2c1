/**
 * Bench section 7: the cost of refusing a bad `POST /posts`, through the real posts handler
 * (in-memory post store, a workflow starter that is never reached), with one field at 1 K, 10 K
 * and 60 K characters in the shape that costs its check the most. Linear checks make the time
 * per request grow at most as fast as the input; a backtracking one (the old address regex took
 * seconds at 60 K) shows up as a ratio far above the size ratio.
 */
import { apiEvent } from '../src/approval/http/api-event';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IdempotencyKeys, PostStore, WorkflowStarter } from '../src/blog/domain/ports';
import { createPostsHandler } from '../src/blog/handlers/posts-handler';
import type { AppLogger } from '../src/approval/logger';

interface Row {
  figure: string;
  value: string;
  target: string;
  pass?: boolean;
}

const SIZES = [1_000, 10_000, 60_000] as const;
const valid = { title: 'Hello world', body: 'My first post.', authorEmail: 'author@example.com' };

/** The costliest refused value of `chars` characters for each field. */
const SHAPES: Record<keyof typeof valid, { what: string; value: (chars: number) => string }> = {
  // Over 190 characters: refused by the length check, which stops every check after it.
  title: { what: 'letters', value: (chars) => 't'.repeat(chars) },
  // Read to the end: a control character last (under 50,000 characters), else too long.
  body: { what: 'text ending in a control character', value: (chars) => `${'b'.repeat(chars - 1)}\u0001` },
  // The shape that made the old backtracking address regex take seconds: a dot run and a bad last character.
  authorEmail: { what: '"a@" + dots + "<"', value: (chars) => `a@${'.'.repeat(chars - 3)}<` },
};

const quiet = { info() {}, warn() {}, error() {}, addContext() {} } as unknown as AppLogger;
const posts: Pick<PostStore, 'createIfAbsent' | 'get'> = {
  createIfAbsent: async () => undefined,
  get: async () => undefined,
};
const keys: IdempotencyKeys = {
  find: async () => undefined,
  claim: async () => undefined,
};
const workflow: WorkflowStarter = {
  start: async () => {
    throw new Error('a refused post must never start a workflow');
  },
};

function postEvent(body: string): APIGatewayProxyEventV2 {
  return apiEvent({ method: 'POST', path: '/posts', headers: { host: 'api.example.com', 'content-type': 'application/json' }, body, sourceIp: '203.0.113.7', userAgent: 'bench' });
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/** Median µs per request over batches of about 20 ms each, after a warm-up. */
async function microsPerRequest(handle: (event: APIGatewayProxyEventV2) => Promise<{ statusCode: number }>, body: string): Promise<number> {
  const event = postEvent(body);
  const first = await handle(event);
  if (first.statusCode !== 400) throw new Error(`expected a 400, got ${first.statusCode}`);
  let perBatch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) await handle(event);
    if (Number(process.hrtime.bigint() - start) > 20e6 || perBatch >= 1 << 16) break;
    perBatch *= 2;
  }
  const samples: number[] = [];
  for (let batch = 0; batch < 15; batch++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) await handle(event);
    samples.push(Number(process.hrtime.bigint() - start) / 1e3 / perBatch);
  }
  return median(samples);
}

/** Rows: µs per refused request for each field and size, and the growth from 1 K to 60 K. */
export async function benchInputChecks(): Promise<{ rows: Row[]; notes: string[] }> {
  const handle = createPostsHandler({ posts, workflow, keys, logger: quiet });
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const [field, shape] of Object.entries(SHAPES) as [keyof typeof valid, (typeof SHAPES)[keyof typeof valid]][]) {
    const micros: number[] = [];
    for (const chars of SIZES) {
      const us = await microsPerRequest(handle, JSON.stringify({ ...valid, [field]: shape.value(chars) }));
      micros.push(us);
      rows.push({ figure: `${field}, ${chars / 1000} K characters`, value: `${fmt(us)} µs`, target: '' });
    }
    const growth = micros[2]! / micros[0]!;
    const sizeRatio = SIZES[2] / SIZES[0];
    rows.push({
      figure: `  ${field}: 10 K / 1 K, 60 K / 10 K, 60 K / 1 K`,
      value: `${fmt(micros[1]! / micros[0]!)}×, ${fmt(micros[2]! / micros[1]!)}×, ${fmt(growth)}×`,
      target: `60 K / 1 K ≤ ${sizeRatio}× (linear)`,
      pass: growth <= sizeRatio,
    });
    notes.push(`${field}: ${shape.what}; ${fmt(micros[2]! / 60, 2)} µs per 1 K characters at 60 K.`);
  }
  notes.push('Each request is refused with a 400 naming the field; times include JSON parsing and the handler.');
  return { rows, notes };
}
