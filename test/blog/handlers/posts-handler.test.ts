import { expect } from 'chai';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient, StartExecutionCommand, ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoIdempotencyKeys } from '../../../src/blog/adapters/dynamo-idempotency-keys';
import { DynamoPostStore } from '../../../src/blog/adapters/dynamo-post-store';
import { SfnWorkflowStarter } from '../../../src/blog/adapters/sfn-workflow-starter';
import { apiEvent } from '../../../src/approval/http/api-event';
import { ERROR_TABLE } from '../../../src/approval/http/error-answers';
import { createPostsHandler } from '../../../src/blog/handlers/posts-handler';
import { sfn } from '../../support/approval-harness';
import { startTestTable, type TestTable } from '../../support/dynalite';
import { logLines, logMark } from '../../support/log-guard';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:moderation';

function event(method: string, path: string, body?: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return apiEvent({ method, path, headers: { host: 'api.example.com', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body, userAgent: 'test' });
}
const post = { title: 'Hello world', body: 'My first post.\n\nWith two paragraphs.', authorEmail: 'Author@Example.com' };
const json = (res: { body?: string }) => JSON.parse(res.body ?? '{}') as Record<string, unknown> & { error?: { code: string; details?: string[] } };

describe('posts API', () => {
  let table: TestTable;
  let handler: ReturnType<typeof createPostsHandler>;
  let clock: Date;
  beforeEach(async () => {
    clock = new Date('2026-11-28T09:00:00Z');
    sfn.reset();
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE}:x`, startDate: new Date() });
    table = await startTestTable();
    const region = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    handler = createPostsHandler({
      posts: new DynamoPostStore(table.client, table.tableName),
      keys: new DynamoIdempotencyKeys(table.client, table.tableName),
      workflow: new SfnWorkflowStarter(new SFNClient(region), MACHINE),
      logger: new Logger({ serviceName: 'test' }),
      now: () => clock,
    });
  });
  afterEach(() => table.stop());

  const failPost = (id: string, reason: string) =>
    table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: `POST#${id}` }, sk: { S: 'POST' } },
        UpdateExpression: 'SET #s = :s, failureReason = :r',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'FAILED' }, ':r': { S: reason } },
      }),
    );

  /** What the state machine's PublishPost/RejectPost step writes: the status and the approval step's output. */
  const decidePost = (id: unknown, status: string, decision: Record<string, unknown>) =>
    table.client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: `POST#${String(id)}` }, sk: { S: 'POST' } },
        UpdateExpression: 'SET #s = :s, decisionJson = :d',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: status }, ':d': { S: JSON.stringify(decision) } },
      }),
    );

  it('says why a FAILED post failed, as a stable reason code and in plain words, without any address', async () => {
    const { id } = json(await handler(event('POST', '/posts', JSON.stringify(post))));
    await failPost(id as string, 'NO_REVIEWERS');

    const res = await handler(event('GET', `/posts/${id}`));
    expect(res.statusCode).to.equal(200);
    const body = json(res);
    expect(body).to.include({ id, status: 'FAILED', reason: 'NO_REVIEWERS' });
    expect(body.message).to.include('nobody may review their own post').and.include('add another reviewer');
    expect(res.body).to.not.include('author@example.com');
    expect(res.body, 'no address of any kind').to.not.match(/@/);
  });

  it('reports an unknown stored reason as INTERNAL rather than echoing it', async () => {
    const { id } = json(await handler(event('POST', '/posts', JSON.stringify(post))));
    await failPost(id as string, '<script>');
    const body = json(await handler(event('GET', `/posts/${id}`)));
    expect(body).to.include({ status: 'FAILED', reason: 'INTERNAL' });
    expect(JSON.stringify(body)).to.not.include('script');
  });

  it('accepts a post with 202 IN_REVIEW and starts its execution named after the post', async () => {
    const res = await handler(event('POST', '/posts', JSON.stringify(post)));
    expect(res.statusCode).to.equal(202);
    const { id, status } = json(res);
    expect(status).to.equal('IN_REVIEW');
    expect(id).to.match(/^p-[A-Za-z0-9_-]{22}$/);

    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).to.have.length(1);
    expect(calls[0]!.args[0].input).to.include({ stateMachineArn: MACHINE, name: id });
    expect(JSON.parse(calls[0]!.args[0].input.input!)).to.deep.equal({
      postId: id,
      title: 'Hello world',
      body: 'My first post.\n\nWith two paragraphs.',
      excerpt: 'My first post. With two paragraphs.',
      authorEmail: 'author@example.com',
      createdAt: '2026-11-28T09:00:00.000Z',
    });
    expect(json(await handler(event('GET', `/posts/${id}`)))).to.include({ id, status: 'IN_REVIEW' });
  });

  /** Items of one kind (`POST`, `IDEM`, …) in the table, unmarshalled enough to read. */
  const items = async (kind: string) =>
    ((await table.snapshot()) as Record<string, { S?: string; N?: string }>[]).filter((item) => item.pk!.S!.startsWith(`${kind}#`));

  it('stores no post when the execution cannot be started, so a retry simply submits again', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: {} }));
    const throttled = await handler(event('POST', '/posts', JSON.stringify(post), { 'idempotency-key': 'retry-me' }));
    expect(throttled.statusCode).to.equal(503);
    expect(await items('POST')).to.deep.equal([]);

    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServerError', $fault: 'server', $metadata: {} }));
    const failed = await handler(event('POST', '/posts', JSON.stringify(post), { 'idempotency-key': 'retry-me' }));
    expect(failed.statusCode).to.equal(503);
    expect(json(failed).error).to.include({ code: 'UNAVAILABLE' });
    expect(await items('POST')).to.deep.equal([]);

    sfn.on(StartExecutionCommand).resolves({ executionArn: `${MACHINE}:x`, startDate: new Date() });
    const ok = await handler(event('POST', '/posts', JSON.stringify(post), { 'idempotency-key': 'retry-me' }));
    expect(ok.statusCode).to.equal(202);
    expect(await items('POST')).to.have.length(1);
    // Every attempt asked for the one execution the key stands for.
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names).to.have.length(3);
    expect(new Set(names)).to.deep.equal(new Set([json(ok).id]));
  });

  it('answers 202 when the execution started but storing the post failed: the execution stores it', async () => {
    table.failNext('PutItemCommand', Object.assign(new Error('boom'), { name: 'InternalServerError', $fault: 'server' }));
    const res = await handler(event('POST', '/posts', JSON.stringify(post)));
    expect(res.statusCode).to.equal(202);
    expect(json(res)).to.include({ status: 'IN_REVIEW' });
    expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(1);
    // The post travels whole in the execution input, for the workflow's first state (StorePost).
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!)).to.include({ body: post.body, createdAt: '2026-11-28T09:00:00.000Z' });
  });

  it('returns the same post for the same Idempotency-Key and body, and never starts a second execution', async () => {
    const headers = { 'idempotency-key': 'client-42' };
    const first = json(await handler(event('POST', '/posts', JSON.stringify(post), headers)));
    clock = new Date(clock.getTime() + 60_000);
    const again = await handler(event('POST', '/posts', JSON.stringify(post), headers));
    expect(again.statusCode).to.equal(202);
    expect(json(again).id).to.equal(first.id);
    expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(1);
    expect(await items('POST')).to.have.length(1);
  });

  it('refuses the same Idempotency-Key from the same author with another body: 422 IDEMPOTENCY_KEY_REUSED, nothing started or stored', async () => {
    const headers = { 'idempotency-key': 'client-42' };
    const first = json(await handler(event('POST', '/posts', JSON.stringify(post), headers)));
    const before = await table.snapshot();

    for (const changed of [{ title: 'Changed' }, { body: 'Another body.' }, { title: 'Changed', body: 'Another body.' }]) {
      const res = await handler(event('POST', '/posts', JSON.stringify({ ...post, ...changed }), headers));
      expect(res.statusCode, JSON.stringify(changed)).to.equal(422);
      expect(res.headers['content-type']).to.include('application/json');
      expect(json(res)).to.deep.equal({ error: { code: 'IDEMPOTENCY_KEY_REUSED', message: ERROR_TABLE.IDEMPOTENCY_KEY_REUSED.message } });
      expect(res.body, 'the first post is not named').to.not.include(String(first.id));
    }
    expect(await table.snapshot()).to.deep.equal(before);
    expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(1);
    // The author's address is compared as validated (lower-cased): the same author, the same key.
    expect(json(await handler(event('POST', '/posts', JSON.stringify({ ...post, authorEmail: 'AUTHOR@example.com' }), headers))).id).to.equal(first.id);
  });

  it('keeps two authors with the same Idempotency-Key apart: two posts, two executions, random ids', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const a = await handler(event('POST', '/posts', JSON.stringify(post), headers));
    const b = await handler(event('POST', '/posts', JSON.stringify({ ...post, authorEmail: 'someone@example.com', title: 'Mine' }), headers));
    expect([a.statusCode, b.statusCode]).to.deep.equal([202, 202]);
    expect(json(a).id).to.not.equal(json(b).id);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).to.deep.equal([json(a).id, json(b).id]);
    const stored = await items('POST');
    expect(stored.map((item) => item.title!.S).sort()).to.deep.equal(['Hello world', 'Mine']);
  });

  it('keeps the key as a small item: hashes, the post id and createdAt, expiring after a day; neither the key nor the address', async () => {
    const { id } = json(await handler(event('POST', '/posts', JSON.stringify(post), { 'idempotency-key': 'client-42' })));
    const [item, ...more] = await items('IDEM');
    expect(more).to.deep.equal([]);
    expect(Object.keys(item!).sort()).to.deep.equal(['bodyHash', 'createdAt', 'pk', 'postId', 'sk', 'ttl']);
    expect(item).to.deep.include({ postId: { S: id }, createdAt: { S: '2026-11-28T09:00:00.000Z' }, ttl: { N: String(Date.parse('2026-11-29T09:00:00Z') / 1000) } });
    expect(JSON.stringify(item)).to.not.match(/client-42|author@|Hello world/i);
  });

  it('frees an Idempotency-Key after a day: the same key then submits a new post', async () => {
    const headers = { 'idempotency-key': 'daily' };
    const first = json(await handler(event('POST', '/posts', JSON.stringify(post), headers)));
    clock = new Date(clock.getTime() + 24 * 3600 * 1000 - 1000);
    expect(json(await handler(event('POST', '/posts', JSON.stringify({ ...post, title: 'Next day' }), headers))).error?.code).to.equal('IDEMPOTENCY_KEY_REUSED');
    clock = new Date(clock.getTime() + 1000);
    // The old item is still there (TTL removes it late): the key is free all the same.
    const next = await handler(event('POST', '/posts', JSON.stringify({ ...post, title: 'Next day' }), headers));
    expect(next.statusCode).to.equal(202);
    expect(json(next).id).to.not.equal(first.id);
    expect(await items('IDEM')).to.have.length(1);
  });

  it('brings the same post back when the key was stored and the process died before StartExecution', async () => {
    const headers = { 'idempotency-key': 'crash-before-start' };
    // The Lambda dies between the key's write and the call: the call is never carried out.
    sfn.on(StartExecutionCommand).rejectsOnce(Object.assign(new Error('Runtime exited'), { name: 'Crash' }));
    const died = await handler(event('POST', '/posts', JSON.stringify(post), headers));
    expect(died.statusCode).to.equal(500);
    expect(await items('IDEM')).to.have.length(1);
    expect(await items('POST')).to.deep.equal([]);

    clock = new Date(clock.getTime() + 5000);
    const retry = await handler(event('POST', '/posts', JSON.stringify(post), headers));
    expect(retry.statusCode).to.equal(202);
    const [idem] = await items('IDEM');
    expect(json(retry).id).to.equal(idem!.postId!.S);
    const starts = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts.map((i) => i.name)).to.deep.equal([json(retry).id, json(retry).id]);
    // The retry's input is the first attempt's, createdAt included: the same execution, not a second one.
    expect(starts[1]!.input).to.equal(starts[0]!.input);
    expect(JSON.parse(starts[1]!.input!)).to.include({ createdAt: '2026-11-28T09:00:00.000Z' });
    const [stored] = await items('POST');
    expect(stored!.createdAt!.S).to.equal('2026-11-28T09:00:00.000Z');
  });

  it('brings the same post back when StartExecution’s answer was lost, whether or not its first state stored the post yet', async () => {
    // A Step Functions stand-in: it keeps executions by name, and refuses a second start with other input.
    const executions = new Map<string, string>();
    let loseAnswers = 1;
    sfn.on(StartExecutionCommand).callsFake((input: { name: string; input: string }) => {
      const existing = executions.get(input.name);
      if (existing !== undefined && existing !== input.input) throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
      executions.set(input.name, input.input);
      if (loseAnswers-- > 0) throw Object.assign(new Error('socket timeout'), { name: 'TimeoutError', $metadata: {} });
      return { executionArn: `${MACHINE}:${input.name}`, startDate: new Date() };
    });
    const headers = { 'idempotency-key': 'lost-answer' };
    const lost = await handler(event('POST', '/posts', JSON.stringify(post), headers));
    expect(lost.statusCode).to.equal(503);
    expect(executions.size).to.equal(1);

    const retry = await handler(event('POST', '/posts', JSON.stringify(post), headers));
    expect(retry.statusCode).to.equal(202);
    expect([...executions.keys()]).to.deep.equal([json(retry).id]);
    expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(2);

    // Once stored (by the API or the execution's StorePost), a retry reads it and starts nothing.
    const third = await handler(event('POST', '/posts', JSON.stringify(post), headers));
    expect(json(third).id).to.equal(json(retry).id);
    expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(2);
    expect(executions.size).to.equal(1);
  });

  it('gives requests racing with one key one post and one execution name between them', async () => {
    const headers = { 'idempotency-key': 'race' };
    const results = await Promise.all([1, 2, 3, 4].map(() => handler(event('POST', '/posts', JSON.stringify(post), headers))));
    expect(results.map((r) => r.statusCode)).to.deep.equal([202, 202, 202, 202]);
    expect(new Set(results.map((r) => json(r).id)).size).to.equal(1);
    expect(new Set(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).size).to.equal(1);
    expect(new Set(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.input)).size).to.equal(1);
    expect(await items('POST')).to.have.length(1);
  });

  it('answers 503 and starts nothing when the key cannot be read or stored (throttled)', async () => {
    const throttle = () => Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: {} });
    table.failNext('GetItemCommand', throttle());
    const read = await handler(event('POST', '/posts', JSON.stringify(post), { 'idempotency-key': 'k1' }));
    table.failNext('PutItemCommand', throttle());
    const write = await handler(event('POST', '/posts', JSON.stringify(post), { 'idempotency-key': 'k2' }));
    for (const res of [read, write]) {
      expect(res.statusCode).to.equal(503);
      expect(json(res).error?.code).to.equal('THROTTLED');
      expect(res.headers['retry-after']).to.equal('5');
    }
    expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(0);
    expect(await table.snapshot()).to.deep.equal([]);
  });

  it('treats ExecutionAlreadyExists as already started', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const res = await handler(event('POST', '/posts', JSON.stringify(post), { 'idempotency-key': 'k' }));
    expect(res.statusCode).to.equal(202);
  });

  it('reads a post with its status and, once decided, the decision without the reviewer’s address', async () => {
    const { id } = json(await handler(event('POST', '/posts', JSON.stringify(post))));
    expect(json(await handler(event('GET', `/posts/${id}`)))).to.deep.equal({ id, title: 'Hello world', status: 'IN_REVIEW' });

    // What the state machine's PublishPost step writes.
    const decision = { decision: 'approved', decidedBy: 'alice@example.com', decidedAt: '2026-11-28T10:00:00Z' };
    await decidePost(id, 'PUBLISHED', decision);
    const read = await handler(event('GET', `/posts/${id}`));
    expect(json(read)).to.deep.equal({ id, title: 'Hello world', status: 'PUBLISHED', decision: { decision: 'approved', decidedAt: '2026-11-28T10:00:00Z' } });
    // The public view names no reviewer: their address stays out of it.
    expect(read.body).to.not.include('alice@example.com');
  });

  it('shows the public no address: a rejection with its comment, an approval without its note, an admin’s decision without the admin', async () => {
    const decide = async (decision: Record<string, unknown>, status: string) => {
      const { id } = json(await handler(event('POST', '/posts', JSON.stringify(post))));
      // What the workflow writes: the approval step's whole output, votes with reviewers' addresses included.
      await decidePost(id, status, decision);
      return handler(event('GET', `/posts/${id}`));
    };
    const votes = [{ reviewer: 'alice@example.com', decision: 'approved', at: '2026-11-28T09:30:00Z' }];

    const rejected = await decide({ decision: 'rejected', decidedBy: 'bob@example.com', decidedAt: '2026-11-28T10:00:00Z', comment: 'Please add sources', votes }, 'REJECTED');
    expect(json(rejected)).to.deep.equal({
      id: json(rejected).id,
      title: 'Hello world',
      status: 'REJECTED',
      decision: { decision: 'rejected', decidedAt: '2026-11-28T10:00:00Z', comment: 'Please add sources' },
    });
    const published = await decide({ decision: 'approved', decidedBy: 'boss@example.com', decidedAt: '2026-11-28T10:00:00Z', comment: 'Fine, though thin', votes }, 'PUBLISHED');
    expect(json(published).decision).to.deep.equal({ decision: 'approved', decidedAt: '2026-11-28T10:00:00Z' });

    for (const res of [rejected, published]) {
      expect(res.statusCode).to.equal(200);
      expect(res.body).to.not.match(/@/);
    }
  });

  it('refuses 60,000-character values of every field in linear time (the old address check took seconds)', async () => {
    const values = { title: 't'.repeat(60_000), body: `${'b'.repeat(59_999)}\u0001`, authorEmail: `a@${'.'.repeat(59_997)}<` };
    for (const [field, value] of Object.entries(values)) {
      const start = process.hrtime.bigint();
      const res = await handler(event('POST', '/posts', JSON.stringify({ ...post, [field]: value })));
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      expect(res.statusCode, field).to.equal(400);
      expect(json(res).error?.details?.[0], field).to.match(new RegExp(`^${field}: `));
      expect(ms, `${field}: milliseconds`).to.be.below(250);
    }
  });

  it('accepts a title of 190 characters however many UTF-16 units it takes (emoji, ZWJ sequences)', async () => {
    const family = '\u{1F469}\u200D\u{1F469}\u200D\u{1F467}'; // 5 code points
    const title = family.repeat(38);
    expect([...title]).to.have.length(190);
    const res = await handler(event('POST', '/posts', JSON.stringify({ ...post, title })));
    expect(res.statusCode).to.equal(202);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!)).to.include({ title });
  });

  const bad: [string, APIGatewayProxyEventV2, number, string, string?][] = [
    ['a missing title', event('POST', '/posts', JSON.stringify({ ...post, title: undefined })), 400, 'INVALID_INPUT', 'title:'],
    ['a title with a line break', event('POST', '/posts', JSON.stringify({ ...post, title: 'a\r\nb' })), 400, 'INVALID_INPUT', 'title:'],
    ['an author that is not an address', event('POST', '/posts', JSON.stringify({ ...post, authorEmail: 'me' })), 400, 'INVALID_INPUT', 'authorEmail:'],
    ['an unknown field', event('POST', '/posts', JSON.stringify({ ...post, admin: true })), 400, 'INVALID_INPUT'],
    ['a body that is not JSON', event('POST', '/posts', '{"title":'), 400, 'INVALID_INPUT', '(body): must be JSON'],
    ['a JSON array', event('POST', '/posts', '[]'), 400, 'INVALID_INPUT'],
    ['a form instead of JSON', event('POST', '/posts', 'title=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body over 64 KiB', event('POST', '/posts', JSON.stringify({ ...post, body: 'x'.repeat(70_000) })), 413, 'PAYLOAD_TOO_LARGE'],
    ['a bad Idempotency-Key', event('POST', '/posts', JSON.stringify(post), { 'idempotency-key': 'a b' }), 400, 'INVALID_INPUT', 'Idempotency-Key'],
    ['DELETE on /posts', event('DELETE', '/posts'), 405, 'METHOD_NOT_ALLOWED'],
    ['an unknown post id', event('GET', '/posts/p-AAAAAAAAAAAAAAAAAAAAAA'), 404, 'NOT_FOUND'],
    ['a malformed post id', event('GET', '/posts/..%2F..%2Fetc'), 404, 'NOT_FOUND'],
    ['a post id cut inside an escape (%E0%A4%A)', event('GET', '/posts/p-%E0%A4%A'), 400, 'INVALID_INPUT', 'id: malformed percent-escape'],
    ['a post id with a malformed escape (%ZZ)', event('GET', '/posts/%ZZ'), 400, 'INVALID_INPUT', 'id: malformed percent-escape'],
    // The approval subject is `New post: ` + title and holds at most 200 characters.
    ['a title of 191 characters', event('POST', '/posts', JSON.stringify({ ...post, title: 't'.repeat(191) })), 400, 'INVALID_INPUT', 'title: must be at most 190 characters'],
    ['a title of 200 characters', event('POST', '/posts', JSON.stringify({ ...post, title: 't'.repeat(200) })), 400, 'INVALID_INPUT', 'title: must be at most 190 characters'],
    ['a title of 191 emoji', event('POST', '/posts', JSON.stringify({ ...post, title: '\u{1F600}'.repeat(191) })), 400, 'INVALID_INPUT', 'title: must be at most 190 characters'],
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a client may send it.
    ['an unpaired surrogate in the title', event('POST', '/posts', JSON.stringify({ ...post, title: 'Hello \ud800' })), 400, 'INVALID_INPUT', 'title: must be valid Unicode'],
    ['an unpaired surrogate in the body', event('POST', '/posts', JSON.stringify({ ...post, body: `${'x'.repeat(279)}\ud83d` })), 400, 'INVALID_INPUT', 'body: must be valid Unicode'],
    ['an unpaired surrogate in the author address', event('POST', '/posts', JSON.stringify({ ...post, authorEmail: 'author\udc00@example.com' })), 400, 'INVALID_INPUT', 'authorEmail: must be an email address'],
    ['a C1 control character (NEL) in the title', event('POST', '/posts', JSON.stringify({ ...post, title: 'a\u0085b' })), 400, 'INVALID_INPUT', 'title: must be one line'],
    ['an escape character in the body', event('POST', '/posts', JSON.stringify({ ...post, body: 'a\u001b[31mred' })), 400, 'INVALID_INPUT', 'body: must not contain control characters'],
    ['a 60,000-character title', event('POST', '/posts', JSON.stringify({ ...post, title: 't'.repeat(60_000) })), 400, 'INVALID_INPUT', 'title: must be at most 190 characters'],
    ['a 60,000-character body', event('POST', '/posts', JSON.stringify({ ...post, body: 'b'.repeat(60_000) })), 400, 'INVALID_INPUT', 'body: must be at most 50,000 characters'],
    ['a 60,000-character author address', event('POST', '/posts', JSON.stringify({ ...post, authorEmail: `a@${'.'.repeat(59_997)}<` })), 400, 'INVALID_INPUT', 'authorEmail: must be at most 254 characters'],
    ['an unknown route', event('GET', '/admin'), 404, 'NOT_FOUND'],
  ];
  for (const [name, req, status, code, detail] of bad) {
    it(`answers ${name} with ${status} ${code} as JSON, storing and starting nothing`, async () => {
      const mark = logMark();
      const res = await handler(req);
      expect(logLines(mark).map((line) => line.level), 'logged as a refusal, never an ERROR').to.include('WARN').and.not.include('ERROR');
      expect(res.statusCode).to.equal(status);
      expect(res.headers['content-type']).to.include('application/json');
      const body = json(res);
      expect(body.error?.code).to.equal(code);
      if (detail) expect(body.error?.details?.join(' ')).to.include(detail);
      // Problems name their field and never echo the value.
      if (detail?.includes(': ')) expect(body.error?.details).to.have.length(1);
      expect(await table.snapshot()).to.deep.equal([]);
      expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(0);
    });
  }
});
