/**
 * Abuse limits on POST /posts, over the handler with DynamoDB in dynalite and a clock the tests
 * move: posts per author address and per client per hour, 429 with Retry-After, then allowed
 * again in the next window; what is counted, and what happens when the counter cannot be written.
 */
import { expect } from 'chai';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoIdempotencyKeys } from '../../../src/blog/adapters/dynamo-idempotency-keys';
import { DynamoPostStore } from '../../../src/blog/adapters/dynamo-post-store';
import { DynamoRateCounter } from '../../../src/approval/adapters/dynamo-rate-counter';
import { SfnWorkflowStarter } from '../../../src/blog/adapters/sfn-workflow-starter';
import { ERROR_TABLE } from '../../../src/approval/http/error-answers';
import { keyringFromSecret, type MacKeyring } from '../../../src/approval/domain/mac-keyring';
import { apiEvent } from '../../../src/approval/http/api-event';
import { createPostsHandler } from '../../../src/blog/handlers/posts-handler';
import { postsLambda } from '../../../src/blog/lambda/posts-lambda';
import type { PostLimits } from '../../../src/blog/services/posts';
import { sfn } from '../../support/approval-harness';
import { startTestTable, type TestTable } from '../../support/dynalite';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:moderation';
const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const hashKey = keyringFromSecret(JSON.stringify({ current: '1', keys: { '1': Buffer.alloc(32, 3).toString('base64') } }));
/** 10:00:00 UTC: an hour's window starts here. */
const START = new Date('2026-11-28T10:00:00Z');

const post = (n: number, authorEmail = 'author@example.com') => ({ title: `Post ${n}`, body: 'Body.', authorEmail });
function submit(body: unknown, sourceIp = '192.0.2.10', headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return apiEvent({ method: 'POST', path: '/posts', headers: { host: 'api.example.com', 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), sourceIp });
}
const json = (res: { body?: string }) => JSON.parse(res.body ?? '{}') as { id?: string; error?: { code: string; message: string } };

describe('posts API abuse limits', () => {
  let table: TestTable;
  let clock: Date;
  let keyringSource: () => Promise<MacKeyring> | MacKeyring;

  beforeEach(async () => {
    sfn.reset();
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE}:x`, startDate: new Date() });
    table = await startTestTable();
    clock = new Date(START);
    keyringSource = () => hashKey;
  });
  afterEach(() => table.stop());

  const handlerWith = (perAuthorPerHour: number, perClientPerHour: number) => {
    const limits: PostLimits = { counter: new DynamoRateCounter(table.client, table.tableName), keyring: () => keyringSource(), perAuthorPerHour, perClientPerHour };
    return createPostsHandler({
      posts: new DynamoPostStore(table.client, table.tableName),
      keys: new DynamoIdempotencyKeys(table.client, table.tableName),
      workflow: new SfnWorkflowStarter(new SFNClient(region), MACHINE),
      limits,
      logger: new Logger({ serviceName: 'test' }),
      now: () => clock,
    });
  };
  const items = async (prefix: string) => ((await table.snapshot()) as Record<string, { S?: string; N?: string }>[]).filter((item) => item.pk!.S!.startsWith(prefix));
  const starts = () => sfn.commandCalls(StartExecutionCommand).length;

  function expectRateLimited(res: Awaited<ReturnType<ReturnType<typeof handlerWith>>>, retryAfter: number) {
    expect(res.statusCode).to.equal(429);
    expect(res.headers['content-type']).to.include('application/json');
    expect(res.headers['retry-after']).to.equal(String(retryAfter));
    expect(json(res)).to.deep.equal({ error: { code: 'RATE_LIMITED', message: ERROR_TABLE.RATE_LIMITED.message } });
  }

  it('takes 2 posts an hour from one author, whatever the client, answers the 3rd 429 until the hour ends, then takes posts again', async () => {
    const handler = handlerWith(2, 100);
    for (const [n, ip] of [[1, '192.0.2.1'], [2, '198.51.100.7']] as const) expect((await handler(submit(post(n), ip))).statusCode).to.equal(202);
    clock = new Date(START.getTime() + 45 * 60_000);

    const refused = await handler(submit(post(3, 'AUTHOR@example.com'), '203.0.113.9'));
    expectRateLimited(refused, 15 * 60);
    expect(starts()).to.equal(2);
    expect(await items('POST#')).to.have.length(2);
    // Another author is not held back.
    expect((await handler(submit(post(4, 'other@example.com'), '203.0.113.9'))).statusCode).to.equal(202);

    clock = new Date(START.getTime() + 3600_000 - 1000);
    expectRateLimited(await handler(submit(post(5))), 1);
    clock = new Date(START.getTime() + 3600_000);
    expect((await handler(submit(post(6)))).statusCode).to.equal(202);
  });

  it('takes 3 posts an hour from one client, counting an IPv6 client by its /64, then 429 until the hour ends', async () => {
    const handler = handlerWith(100, 3);
    for (let n = 1; n <= 3; n++) expect((await handler(submit(post(n, `a${n}@example.com`), `2001:db8:0:1::${n}`))).statusCode).to.equal(202);
    clock = new Date(START.getTime() + 10 * 60_000);

    expectRateLimited(await handler(submit(post(4, 'a4@example.com'), '2001:db8:0:1:ffff::4')), 50 * 60);
    expect((await handler(submit(post(5, 'a5@example.com'), '2001:db8:0:2::5'))).statusCode, 'another /64').to.equal(202);
    expect(starts()).to.equal(4);

    clock = new Date(START.getTime() + 3600_000);
    expect((await handler(submit(post(6, 'a6@example.com'), '2001:db8:0:1::6'))).statusCode).to.equal(202);
  });

  it('counts a post once: a retry with its Idempotency-Key at the limit gets its post back, a refused reuse counts nothing', async () => {
    const handler = handlerWith(1, 100);
    const first = await handler(submit(post(1), '192.0.2.1', { 'idempotency-key': 'k-1' }));
    expect(first.statusCode).to.equal(202);
    const retry = await handler(submit(post(1), '192.0.2.1', { 'idempotency-key': 'k-1' }));
    expect(retry.statusCode).to.equal(202);
    expect(json(retry).id).to.equal(json(first).id);
    expect(json(await handler(submit(post(2), '192.0.2.1', { 'idempotency-key': 'k-1' }))).error?.code).to.equal('IDEMPOTENCY_KEY_REUSED');
    expectRateLimited(await handler(submit(post(3), '192.0.2.1', { 'idempotency-key': 'k-3' })), 3600);
    const counters = await items('RATE#post-author#');
    expect(counters).to.have.length(1);
    expect(counters[0]!.count).to.deep.equal({ N: '1' });
    // A refused post leaves no key behind: the same key works once the hour is over.
    clock = new Date(START.getTime() + 3600_000);
    expect((await handler(submit(post(3), '192.0.2.1', { 'idempotency-key': 'k-3' }))).statusCode).to.equal(202);
  });

  it('keeps counters as keyed hashes per window, expiring when the window ends: no address and no IP in the table', async () => {
    const handler = handlerWith(5, 20);
    await handler(submit(post(1), '192.0.2.77'));
    const counters = await items('RATE#');
    expect(counters.map((c) => c.pk!.S!.replace(/#[A-Za-z0-9_-]{22}#/, '#<hash>#')).sort()).to.deep.equal([
      `RATE#post-author#<hash>#${START.getTime() / 1000}`,
      `RATE#post-client#<hash>#${START.getTime() / 1000}`,
    ]);
    for (const c of counters) expect(c).to.deep.include({ count: { N: '1' }, ttl: { N: String(START.getTime() / 1000 + 3600) } });
    expect(JSON.stringify(await table.snapshot())).to.not.include('192.0.2.77');
    expect(JSON.stringify(counters)).to.not.include('author@');
  });

  it('refuses with 503 and starts nothing when a counter cannot be written or the hashing key read (fail closed)', async () => {
    const handler = handlerWith(5, 20);
    table.failNext('UpdateItemCommand', Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: {} }));
    const throttled = await handler(submit(post(1)));
    expect(throttled.statusCode).to.equal(503);
    expect(json(throttled).error?.code).to.equal('THROTTLED');
    expect(throttled.headers['retry-after']).to.equal('5');

    keyringSource = () => Promise.reject(Object.assign(new Error('secret unavailable'), { name: 'InternalServiceError' }));
    const noKey = await handler(submit(post(2)));
    expect(noKey.statusCode).to.equal(503);
    expect(json(noKey).error?.code).to.equal('UNAVAILABLE');

    expect(starts()).to.equal(0);
    expect(await items('POST#')).to.deep.equal([]);
  });

  it('counts nothing with both limits at 0', async () => {
    const handler = handlerWith(0, 0);
    for (let n = 1; n <= 8; n++) expect((await handler(submit(post(n)))).statusCode).to.equal(202);
    expect(await items('RATE#')).to.deep.equal([]);
  });
});

describe('posts Lambda: its limits from the environment', () => {
  const base = { TABLE_NAME: 'approvals', STATE_MACHINE_ARN: MACHINE };
  const quiet = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const clients = { dynamodb: region, sfn: region, secretsManager: region };

  it('limits by default (5 per author, 20 per client), so it needs the hashing secret unless both limits are 0', () => {
    expect(() => postsLambda(base, clients, quiet)).to.throw('CLIENT_HASH_SECRET_ID');
    expect(() => postsLambda({ ...base, POSTS_PER_AUTHOR_PER_HOUR: '0' }, clients, quiet)).to.throw('CLIENT_HASH_SECRET_ID');
    expect(() => postsLambda({ ...base, POSTS_PER_AUTHOR_PER_HOUR: '0', POSTS_PER_CLIENT_PER_HOUR: '0' }, clients, quiet)).to.not.throw();
    expect(() => postsLambda({ ...base, CLIENT_HASH_SECRET_ID: 'client-hash' }, clients, quiet)).to.not.throw();
  });

  it('refuses a limit that is not a whole number from 0 to 1,000,000, naming the variable', () => {
    for (const [name, value] of [['POSTS_PER_AUTHOR_PER_HOUR', '-1'], ['POSTS_PER_CLIENT_PER_HOUR', '2.5'], ['POSTS_PER_AUTHOR_PER_HOUR', 'lots'], ['POSTS_PER_CLIENT_PER_HOUR', '1000001']]) {
      expect(() => postsLambda({ ...base, CLIENT_HASH_SECRET_ID: 'client-hash', [name!]: value }, clients, quiet), `${name}=${value}`).to.throw(`${name} must be a whole number from 0`);
    }
  });
});
