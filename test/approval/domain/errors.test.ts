import { expect } from 'chai';
import { ApprovalError, ERROR_TABLE, retryAfter, toApprovalError, type ErrorCode } from '../../../src/approval/domain/errors';
import { taskErrorName } from '../../../src/approval/task-contract';

describe('errors', () => {
  it('give every code an HTTP error status and a title and message a person can read', () => {
    for (const [code, entry] of Object.entries(ERROR_TABLE)) {
      expect(entry.status, code).to.be.within(400, 599);
      expect(entry.title.trim(), code).to.not.equal('');
      expect(entry.message, code).to.match(/^[A-Z].*[.)]$/);
    }
  });

  it('carry their code, status and the table message, never anything else', () => {
    const err = new ApprovalError('LINK_EXPIRED', { details: ['x'] });
    expect(err).to.be.instanceOf(Error);
    expect(err.name).to.equal('ApprovalError');
    expect(err.code).to.equal('LINK_EXPIRED');
    expect(err.status).to.equal(410);
    expect(err.message).to.equal(ERROR_TABLE.LINK_EXPIRED.message);
    expect(err.details).to.deep.equal(['x']);
  });

  it('keep who decided and the cause they were given', () => {
    const cause = new Error('inner');
    const decided = { decision: 'approved' as const, decidedBy: 'a@example.com', decidedAt: '2026-11-28T09:00:00.000Z' };
    const err = new ApprovalError('ALREADY_DECIDED', { decided, cause });
    expect(err.decided).to.deep.equal(decided);
    expect(err.cause).to.equal(cause);
  });

  it('name task errors in PascalCase for Step Functions Retry and Catch', () => {
    const names: [ErrorCode, string][] = [
      ['INVALID_APPROVAL_REQUEST', 'InvalidApprovalRequest'],
      ['NO_REVIEWERS', 'NoReviewers'],
      ['THROTTLED', 'Throttled'],
      ['EMAIL_DELIVERY_FAILED', 'EmailDeliveryFailed'],
    ];
    for (const [code, name] of names) expect(taskErrorName(code)).to.equal(name);
  });

  it('turn anything thrown into an ApprovalError: their own kept, anything else INTERNAL with the cause', () => {
    const own = new ApprovalError('THROTTLED');
    expect(toApprovalError(own)).to.equal(own);
    const fault = new TypeError('boom');
    const wrapped = toApprovalError(fault);
    expect(wrapped.code).to.equal('INTERNAL');
    expect(wrapped.cause).to.equal(fault);
    expect(wrapped.message).to.not.include('boom');
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
