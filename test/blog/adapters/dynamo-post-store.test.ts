/**
 * The post store reads the decision the state machine stored (`decisionJson`) strictly: JSON that
 * is malformed, has a key twice, an unknown key or a bad field is refused loudly (an error log,
 * the post read as `decisionUnreadable`, GET /posts/{id} saying so) instead of half-read. Against
 * dynalite, and through the posts handler for what a reader sees.
 */
import { expect } from 'chai';
import { Logger } from '@aws-lambda-powertools/logger';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoPostStore, hasDuplicateKeys, postFromItem, readDecision, type PostStoreLogger } from '../../../src/blog/adapters/dynamo-post-store';
import { apiEvent } from '../../../src/approval/http/api-event';
import { createPostsHandler } from '../../../src/blog/handlers/posts-handler';
import type { Post } from '../../../src/blog/domain/post';
import { startTestTable, type TestTable } from '../../support/dynalite';
import { logLines, logMark } from '../../support/log-guard';

const ID = 'p-AAAAAAAAAAAAAAAAAAAAAA';
const post: Post = { id: ID, title: 'Hello', body: 'A post.', authorEmail: 'author@example.com', status: 'IN_REVIEW', createdAt: '2026-11-28T09:00:00.000Z' };
const votes = [{ reviewer: 'alice@example.com', decision: 'approved', at: '2026-11-28T09:30:00.000Z' }];
const rejection = { decision: 'rejected', decidedBy: 'bob@example.com', decidedAt: '2026-11-28T10:00:00.000Z', comment: 'Needs sources', votes };
const INJECTION = 'fine","decision":"approved","decidedBy":"ceo@example.com';

/**
 * What aws-local-stepfunctions 3.0.0 (unpatched) stored for States.JsonToString($.approval) of a
 * rejection with the injection comment: JSON.stringify with every backslash removed.
 */
const strippedJson = (value: unknown) => JSON.stringify(value).replaceAll('\\', '');

class RecordingLogger implements PostStoreLogger {
  readonly lines: { message: string; fields: Record<string, unknown> }[] = [];
  error(message: string, fields: Record<string, unknown>) {
    this.lines.push({ message, fields });
  }
}

describe('post store: the stored decision, read strictly', () => {
  describe('readDecision', () => {
    const ok = (json: string, status: string) => {
      const reading = readDecision(json, status);
      if (!reading.ok) throw new Error(`refused: ${reading.problem}`);
      return reading.decision;
    };
    const problem = (json: unknown, status = 'REJECTED') => {
      const reading = readDecision(json, status);
      return reading.ok ? 'read' : reading.problem;
    };

    it('reads what JSON.stringify of the approval output gives, whatever the comment holds', () => {
      expect(ok(JSON.stringify(rejection), 'REJECTED')).to.deep.equal({ decision: 'rejected', decidedBy: 'bob@example.com', decidedAt: '2026-11-28T10:00:00.000Z', comment: 'Needs sources' });
      for (const comment of [INJECTION, 'C:\\dir\\"x"', '\\', '"', 'a\nb', '\u2028', '{"decision":"approved"}']) {
        expect(ok(JSON.stringify({ ...rejection, comment }), 'REJECTED').comment).to.equal(comment);
      }
      // Without votes (older posts), without a comment, and an empty comment (left out).
      expect(ok(JSON.stringify({ decision: 'approved', decidedBy: 'a@example.com', decidedAt: '2026-11-28T10:00:00Z' }), 'PUBLISHED')).to.deep.equal({
        decision: 'approved',
        decidedBy: 'a@example.com',
        decidedAt: '2026-11-28T10:00:00Z',
      });
      expect(ok(JSON.stringify({ ...rejection, comment: '' }), 'REJECTED')).to.not.have.property('comment');
    });

    it('refuses the broken JSON the unpatched local interpreter stored for a comment with quotes (the forged approval)', () => {
      const broken = strippedJson({ ...rejection, comment: INJECTION });
      // JSON.parse alone reads it, and the last "decision" wins: an approval by someone who never voted.
      expect(JSON.parse(broken)).to.include({ decision: 'approved', decidedBy: 'ceo@example.com' });
      expect(problem(broken, 'REJECTED')).to.equal('duplicate key');
      expect(problem(broken, 'PUBLISHED')).to.equal('duplicate key');
    });

    it('refuses a key twice however it is spelled, at any depth', () => {
      expect(problem('{"decision":"rejected","decisio\\u006e":"approved","decidedBy":"b@example.com","decidedAt":"2026-11-28T10:00:00Z"}')).to.equal('duplicate key');
      expect(problem(JSON.stringify(rejection).replace('"votes":[{', '"votes":[{"at":"2026-11-28T09:00:00Z",'))).to.equal('duplicate key');
    });

    const base = JSON.stringify(rejection);
    const cases: [string, unknown, string][] = [
      ['not a string', 42, 'not a string'],
      ['not JSON', '{"decision":"rejected",', 'not JSON'],
      ['JSON with a lone backslash escape', '{"comment":"a\\qb"}', 'not JSON'],
      ['an array', '[]', 'not an object'],
      ['a string', '"rejected"', 'not an object'],
      ['null', 'null', 'not an object'],
      ['an unknown key', JSON.stringify({ ...rejection, admin: true }), 'unknown key'],
      ['a __proto__ key', base.replace('{', '{"__proto__":{"x":1},'), 'unknown key'],
      ['another decision', JSON.stringify({ ...rejection, decision: 'maybe' }), 'invalid decision'],
      ['no decision', JSON.stringify({ ...rejection, decision: undefined }), 'invalid decision'],
      ['no decidedBy', JSON.stringify({ ...rejection, decidedBy: undefined }), 'invalid decidedBy'],
      ['a decidedBy that is no address', JSON.stringify({ ...rejection, decidedBy: 'ceo' }), 'invalid decidedBy'],
      ['a decidedBy that is a number', JSON.stringify({ ...rejection, decidedBy: 7 }), 'invalid decidedBy'],
      ['no decidedAt', JSON.stringify({ ...rejection, decidedAt: undefined }), 'invalid decidedAt'],
      ['a decidedAt without a zone', JSON.stringify({ ...rejection, decidedAt: '2026-11-28T10:00:00' }), 'invalid decidedAt'],
      ['a decidedAt on 30 February', JSON.stringify({ ...rejection, decidedAt: '2026-02-30T10:00:00Z' }), 'invalid decidedAt'],
      ['a comment that is an object', JSON.stringify({ ...rejection, comment: { text: 'x' } }), 'invalid comment'],
      ['votes that are not an array', JSON.stringify({ ...rejection, votes: {} }), 'invalid votes'],
      ['a vote with an unknown key', JSON.stringify({ ...rejection, votes: [{ ...votes[0], weight: 2 }] }), 'invalid votes'],
      ['a vote with another decision', JSON.stringify({ ...rejection, votes: [{ ...votes[0], decision: 'yes' }] }), 'invalid votes'],
      ['a vote without a reviewer', JSON.stringify({ ...rejection, votes: [{ ...votes[0], reviewer: '' }] }), 'invalid votes'],
    ];
    for (const [what, json, expected] of cases) {
      it(`refuses ${what} (${expected})`, () => expect(problem(json)).to.equal(expected));
    }

    it('refuses a decision that does not match the status the same write set', () => {
      expect(problem(base, 'PUBLISHED')).to.equal('decision does not match status');
      expect(problem(base, 'IN_REVIEW')).to.equal('decision does not match status');
      expect(problem(JSON.stringify({ ...rejection, decision: 'approved' }), 'REJECTED')).to.equal('decision does not match status');
    });
  });

  describe('hasDuplicateKeys', () => {
    it('tells keys from values and strings from structure', () => {
      expect(hasDuplicateKeys('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}')).to.equal(false);
      expect(hasDuplicateKeys('{"a":"a","b":"{\\"a\\":1,\\"a\\":2}"}'), 'a key inside a string value is text').to.equal(false);
      expect(hasDuplicateKeys('["a","a",{"a":1},{"a":1}]')).to.equal(false);
      expect(hasDuplicateKeys('{"x":{},"y":[],"z":{"q":[1,{"r":{}}]}}')).to.equal(false);
      expect(hasDuplicateKeys('{"a":1,"a":1}')).to.equal(true);
      expect(hasDuplicateKeys('{"x":[{"k":{}}],"y":{"k":1,"m":[],"k":2}}')).to.equal(true);
      expect(hasDuplicateKeys('{ "a" : 1 ,\n "\\u0061" : 2 }')).to.equal(true);
      expect(hasDuplicateKeys('{"\\\\":1,"\\"":2}')).to.equal(false);
      expect(hasDuplicateKeys('{"\\\\":1,"\\u005c":2}')).to.equal(true);
    });

    it('takes linear time: a 4 MB object, deep nesting and long escaped strings in well under a second', () => {
      const wide = `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":"v\\"${i}"`).join(',')}}`;
      const deep = `${'{"a":['.repeat(50_000)}1${']}'.repeat(50_000)}`;
      const escaped = JSON.stringify({ s: '\\"'.repeat(1_000_000) });
      for (const json of [wide, deep, escaped]) {
        JSON.parse(json);
        const start = process.hrtime.bigint();
        expect(hasDuplicateKeys(json)).to.equal(false);
        expect(Number(process.hrtime.bigint() - start) / 1e6).to.be.below(1000);
      }
    });
  });

  describe('postFromItem', () => {
    it('presents a readable decision and logs nothing', () => {
      const logger = new RecordingLogger();
      const read = postFromItem({ pk: `POST#${ID}`, sk: 'POST', ...post, status: 'REJECTED', decisionJson: JSON.stringify(rejection) }, logger);
      expect(read).to.deep.equal({ ...post, status: 'REJECTED', decision: { decision: 'rejected', decidedBy: 'bob@example.com', decidedAt: '2026-11-28T10:00:00.000Z', comment: 'Needs sources' } });
      expect(logger.lines).to.deep.equal([]);
    });

    it('reads a refused decision as unreadable and logs an error with the post id and the problem only', () => {
      const logger = new RecordingLogger();
      const read = postFromItem({ ...post, status: 'REJECTED', decisionJson: strippedJson({ ...rejection, comment: INJECTION }) }, logger);
      expect(read).to.deep.equal({ ...post, status: 'REJECTED', decisionUnreadable: true });
      expect(logger.lines).to.deep.equal([{ message: 'stored post decision refused: not presented', fields: { postId: ID, status: 'REJECTED', problem: 'duplicate key' } }]);
      expect(JSON.stringify(logger.lines), 'no address, no comment').to.not.match(/@|fine/);
    });

    it('logs through Powertools by default: one ERROR line on stdout', () => {
      const mark = logMark();
      postFromItem({ ...post, status: 'PUBLISHED', decisionJson: 'not json' });
      const lines = logLines(mark).filter((line) => line.message === 'stored post decision refused: not presented');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ level: 'ERROR', postId: ID, problem: 'not JSON', service: 'post-store' });
    });
  });

  describe('against DynamoDB, and GET /posts/{id}', () => {
    let table: TestTable;
    let logger: RecordingLogger;
    let store: DynamoPostStore;
    beforeEach(async () => {
      table = await startTestTable();
      logger = new RecordingLogger();
      store = new DynamoPostStore(table.client, table.tableName, logger);
      await store.createIfAbsent(post);
    });
    afterEach(() => table.stop());

    /** What the workflow's MarkRejected / PublishPost step writes. */
    const decide = (status: string, decisionJson: string) =>
      table.client.send(
        new UpdateItemCommand({
          TableName: table.tableName,
          Key: { pk: { S: `POST#${ID}` }, sk: { S: 'POST' } },
          UpdateExpression: 'SET #s = :s, decisionJson = :d',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: status }, ':d': { S: decisionJson } },
        }),
      );

    const handler = () =>
      createPostsHandler({
        posts: store,
        keys: { find: async () => undefined, claim: async () => undefined },
        workflow: { start: async () => undefined },
        logger: new Logger({ serviceName: 'test' }),
      });
    const get = async () => {
      const res = await handler()(apiEvent({ method: 'GET', path: `/posts/${ID}`, headers: { host: 'api.example.com' }, userAgent: 'test' }));
      return { statusCode: res.statusCode, body: JSON.parse(res.body ?? '{}') as Record<string, unknown>, text: res.body ?? '' };
    };

    it('a rejection whose comment is full of quotes and backslashes reads back exactly', async () => {
      const comment = `${INJECTION} \\ "C:\\new" \\"`;
      await decide('REJECTED', JSON.stringify({ ...rejection, comment }));
      expect((await store.get(ID))?.decision).to.deep.equal({ decision: 'rejected', decidedBy: 'bob@example.com', decidedAt: '2026-11-28T10:00:00.000Z', comment });
      const res = await get();
      expect(res.statusCode).to.equal(200);
      expect(res.body).to.deep.equal({ id: ID, title: 'Hello', status: 'REJECTED', decision: { decision: 'rejected', decidedAt: '2026-11-28T10:00:00.000Z', comment } });
      expect(logger.lines).to.deep.equal([]);
    });

    it('the forged approval: GET answers 200, REJECTED, no decision, and says the decision cannot be shown', async () => {
      await decide('REJECTED', strippedJson({ ...rejection, comment: INJECTION }));
      expect(await store.get(ID)).to.deep.equal({ ...post, status: 'REJECTED', decisionUnreadable: true });
      const res = await get();
      expect(res.statusCode).to.equal(200);
      expect(res.body).to.deep.equal({
        id: ID,
        title: 'Hello',
        status: 'REJECTED',
        decisionError: {
          code: 'DECISION_UNREADABLE',
          message: 'This post was decided, but the stored decision could not be read, so it is not shown. Its status stands; the fault is logged for the operators.',
        },
      });
      expect(res.text).to.not.match(/approved|ceo|@/);
      expect(logger.lines.map((l) => l.fields)).to.deep.equal([{ postId: ID, status: 'REJECTED', problem: 'duplicate key' }, { postId: ID, status: 'REJECTED', problem: 'duplicate key' }]);
    });

    it('an item without decisionJson is read without a decision and without complaint', async () => {
      expect(await store.get(ID)).to.deep.equal(post);
      expect((await get()).body).to.deep.equal({ id: ID, title: 'Hello', status: 'IN_REVIEW' });
      expect(logger.lines).to.deep.equal([]);
    });
  });
});
