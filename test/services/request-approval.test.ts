import { expect } from 'chai';
import { requestIdFor } from '../../src/services/request-approval';

describe('request ids', () => {
  it('are 22 base64url characters, the same for the same task token', () => {
    expect(requestIdFor('token-a')).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(requestIdFor('token-a')).to.equal(requestIdFor('token-a'));
    expect(requestIdFor('token-a')).to.not.equal(requestIdFor('token-b'));
  });

  it('come from the idempotency key when there is one, whatever the task token', () => {
    expect(requestIdFor('token-a', 'exec#RequestApproval')).to.equal(requestIdFor('token-b', 'exec#RequestApproval'));
    expect(requestIdFor('token-a', 'exec-1#RequestApproval')).to.not.equal(requestIdFor('token-a', 'exec-2#RequestApproval'));
  });

  it('never collide between a key and a task token that spell the same text', () => {
    expect(requestIdFor('x', 'same')).to.not.equal(requestIdFor('same'));
  });
});
