import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import type { Post } from '../../../src/blog/domain/post';
import { failPostOfEndedExecution, type PostEndedDeps } from '../../../src/blog/services/post-ended';

const POST = 'p-AAAAAAAAAAAAAAAAAAAAAA';
const post: Post = { id: POST, title: 'Hello', body: 'Hello world!', authorEmail: 'author@example.com', status: 'FAILED', createdAt: '2026-11-28T09:00:00.000Z' };

function wire(send: () => Promise<void> = () => Promise.resolve()) {
  const calls: unknown[][] = [];
  const deps: PostEndedDeps = {
    posts: {
      failInReview: (...args) => (calls.push(['failInReview', ...args]), Promise.resolve(post)),
      markAuthorTold: (...args) => (calls.push(['markAuthorTold', ...args]), Promise.resolve()),
    },
    mailer: { send },
  };
  return { deps, calls };
}

describe('a post whose execution ended without an outcome (service)', () => {
  it('stores nothing from an execution input that is not JSON, and still fails the post it finds', async () => {
    const { deps, calls } = wire();
    expect(await failPostOfEndedExecution({ name: POST, status: 'ABORTED', input: '{not json' }, deps)).to.deep.equal({ failed: 'ABORTED' });
    expect(calls[0]).to.deep.equal(['failInReview', POST, 'ABORTED', undefined]);
  });

  it('fails with EMAIL_DELIVERY_FAILED, keeping the cause, when the author cannot be emailed, and marks nobody told', async () => {
    const cause = new Error('socket hang up');
    const { deps, calls } = wire(() => Promise.reject(cause));
    let failure: unknown;
    await failPostOfEndedExecution({ name: POST, status: 'FAILED' }, deps).catch((err: unknown) => (failure = err));
    expect(failure).to.be.instanceOf(ApprovalError).and.include({ code: 'EMAIL_DELIVERY_FAILED', cause });
    expect(calls.map((c) => c[0])).to.deep.equal(['failInReview']);
  });
});
