import { expect } from 'chai';
import { ApprovalError, type ErrorCode } from '../../../src/approval/domain/errors';
import { ERROR_TABLE, errorWords, retryAfter, statusOf } from '../../../src/approval/http/error-answers';

describe('error answers', () => {
  it('give every code an HTTP error status and a title and message a person can read, wherever they are read', () => {
    for (const [code, entry] of Object.entries(ERROR_TABLE)) {
      expect(entry.status, code).to.be.within(400, 599);
      for (const words of [entry, entry.dashboard ?? entry]) {
        expect(words.title.trim(), code).to.not.equal('');
        expect(words.message, code).to.match(/^[A-Z].*[.)]$/);
      }
    }
  });

  it("answer with the table's status, and the dashboard's own words only where it has them", () => {
    expect(statusOf(new ApprovalError('LINK_EXPIRED'))).to.equal(410);
    expect(statusOf(new ApprovalError('SESSION_REQUIRED', { reason: 'SESSION_EXPIRED' }))).to.equal(401);
    expect(errorWords('CSRF_REJECTED').title).to.equal('Please confirm from the review page');
    expect(errorWords('CSRF_REJECTED', 'dashboard').title).to.equal('Please use the dashboard');
    const shared: ErrorCode = 'SESSION_REQUIRED';
    expect(errorWords(shared, 'dashboard')).to.include({ title: ERROR_TABLE[shared].title, message: ERROR_TABLE[shared].message });
  });

  it('say when to try again: a rate limit until its window ends (whole seconds, at least 1), a throttle in 5 s, any other 503 in 30 s', () => {
    expect(ERROR_TABLE.RATE_LIMITED.status).to.equal(429);
    expect(ERROR_TABLE.IDEMPOTENCY_KEY_REUSED.status).to.equal(422);
    expect(retryAfter(new ApprovalError('RATE_LIMITED', { retryAfterSeconds: 1800 }))).to.equal('1800');
    expect(retryAfter(new ApprovalError('RATE_LIMITED', { retryAfterSeconds: 0.2 }))).to.equal('1');
    expect(retryAfter(new ApprovalError('RATE_LIMITED', { retryAfterSeconds: 59.5 }))).to.equal('60');
    expect(retryAfter(new ApprovalError('THROTTLED'))).to.equal('5');
    expect(retryAfter(new ApprovalError('UNAVAILABLE'))).to.equal('30');
    expect(retryAfter(new ApprovalError('IDEMPOTENCY_KEY_REUSED'))).to.equal(undefined);
    expect(retryAfter(new ApprovalError('NOT_FOUND'))).to.equal(undefined);
  });
});
