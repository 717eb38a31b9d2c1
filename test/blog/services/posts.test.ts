import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';
import type { Post } from '../../../src/blog/domain/post';
import type { RateCounter } from '../../../src/approval/domain/rate-limit';
import { getPost, submitPost, type PostLimits, type PostsDeps } from '../../../src/blog/services/posts';

const now = new Date('2026-11-28T09:00:00.000Z');
/** Built when a test asks for it, not while the file loads. */
const hashKey = () => keyringFromSecret(JSON.stringify({ current: '1', keys: { '1': Buffer.alloc(32, 7).toString('base64') } }));
const submission = (authorEmail = 'author@example.com') => ({ title: 'Hello', body: 'Hello world!', authorEmail });

/** Counts in memory: at most `max` per kind and subject. */
function memoryCounter(): RateCounter {
  const counts = new Map<string, number>();
  return {
    hit: (kind, subject, _windowStart, max) => {
      const key = `${kind}#${subject}`;
      const n = counts.get(key) ?? 0;
      if (n >= max) return Promise.resolve(false);
      counts.set(key, n + 1);
      return Promise.resolve(true);
    },
  };
}

function wire(limits?: Partial<PostLimits>) {
  const started: string[] = [];
  const stored = new Map<string, Post>();
  const deps: PostsDeps = {
    posts: {
      createIfAbsent: (post) => (stored.set(post.id, post), Promise.resolve(undefined)),
      get: (id) => Promise.resolve(stored.get(id)),
    },
    workflow: { start: (name) => (started.push(name), Promise.resolve()) },
    keys: { find: () => Promise.resolve(undefined), claim: () => Promise.resolve(undefined) },
    ...(limits ? { limits: { counter: memoryCounter(), keyring: hashKey, perAuthorPerHour: 0, perClientPerHour: 0, ...limits } } : {}),
  };
  return { deps, started };
}

async function failure(promise: Promise<unknown>): Promise<ApprovalError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (err instanceof ApprovalError) return err;
    throw err;
  }
}

describe('posts service: abuse limits', () => {
  it('reads no hashing key and limits nothing with both limits at 0, so posts go through while the key is unreadable', async () => {
    const { deps, started } = wire({ keyring: () => Promise.reject(new Error('secret unavailable')) });
    for (let i = 0; i < 3; i++) await submitPost(submission(), undefined, deps, now, { ip: '192.0.2.1' });
    expect(started).to.have.length(3);
  });

  it('refuses with UNAVAILABLE, naming the cause, when a limit is on and the hashing key cannot be read', async () => {
    const cause = new Error('secret unavailable');
    const { deps, started } = wire({ perAuthorPerHour: 5, keyring: () => Promise.reject(cause) });
    const err = await failure(submitPost(submission(), undefined, deps, now, { ip: '192.0.2.1' }));
    expect(err?.code).to.equal('UNAVAILABLE');
    expect(err?.cause).to.equal(cause);
    expect(started).to.deep.equal([]);
  });

  it('still limits each client when only the author limit is off', async () => {
    const { deps, started } = wire({ perAuthorPerHour: 0, perClientPerHour: 1 });
    await submitPost(submission('a@example.com'), undefined, deps, now, { ip: '192.0.2.1' });
    expect((await failure(submitPost(submission('b@example.com'), undefined, deps, now, { ip: '192.0.2.1' })))?.code).to.equal('RATE_LIMITED');
    await submitPost(submission('c@example.com'), undefined, deps, now, { ip: '192.0.2.2' });
    expect(started).to.have.length(2);
  });

  it('still limits each author when only the client limit is off', async () => {
    const { deps, started } = wire({ perAuthorPerHour: 1, perClientPerHour: 0 });
    await submitPost(submission('a@example.com'), undefined, deps, now, { ip: '192.0.2.1' });
    expect((await failure(submitPost(submission('a@example.com'), undefined, deps, now, { ip: '192.0.2.2' })))?.code).to.equal('RATE_LIMITED');
    await submitPost(submission('b@example.com'), undefined, deps, now, { ip: '192.0.2.1' });
    expect(started).to.have.length(2);
  });
});

describe('posts service: reading a post', () => {
  it('answers NOT_FOUND for an id that cannot be a post id without reading anything', async () => {
    const reads: string[] = [];
    const deps = { posts: { get: (id: string) => (reads.push(id), Promise.resolve(undefined)), createIfAbsent: () => Promise.resolve(undefined) } };
    for (const id of ['', 'x', 'p-', 'not-a-post-id']) {
      expect((await failure(getPost(id, deps)))?.code, id).to.equal('NOT_FOUND');
    }
    expect(reads).to.deep.equal([]);
  });
});
