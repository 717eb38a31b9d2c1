import { expect } from 'chai';
import { POST_FAILURE_REASONS, isPostFailureReason } from '../../../src/blog/domain/post-failure';

describe('post failure reasons', () => {
  it('tell the author what happened and what to do, in sentences', () => {
    for (const [reason, { summary, advice }] of Object.entries(POST_FAILURE_REASONS)) {
      expect(summary, reason).to.match(/^[A-Z].+\.$/);
      expect(advice, reason).to.match(/^[A-Z].+\.$/);
      expect(advice, reason).to.not.equal(summary);
    }
  });

  it('are recognised by name only, never by inherited properties', () => {
    expect(isPostFailureReason('NO_REVIEWERS')).to.equal(true);
    expect(isPostFailureReason('EXECUTION_TIMED_OUT')).to.equal(true);
    for (const value of ['toString', 'constructor', '__proto__', 'no_reviewers', '', undefined, 42]) {
      expect(isPostFailureReason(value), String(value)).to.equal(false);
    }
  });
});
