import { expect } from 'chai';
import { ApprovalError, toApprovalError, type ErrorCode } from '../../../src/approval/domain/errors';
import { taskErrorName } from '../../../src/approval/task-contract';

describe('errors', () => {
  it('carry their code, as their message too, and the details and reason they were given, never anything else', () => {
    const err = new ApprovalError('LINK_EXPIRED', { details: ['x'] });
    expect(err).to.be.instanceOf(Error);
    expect(err.name).to.equal('ApprovalError');
    expect(err.code).to.equal('LINK_EXPIRED');
    expect(err.message).to.equal('LINK_EXPIRED');
    expect(err.details).to.deep.equal(['x']);
    expect(err.reason).to.equal(undefined);
    expect(new ApprovalError('SESSION_REQUIRED', { reason: 'SESSION_EXPIRED' })).to.include({ code: 'SESSION_REQUIRED', reason: 'SESSION_EXPIRED', message: 'SESSION_REQUIRED' });
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
});
