import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { auditEvent, systemEvent } from '../../../src/approval/domain/audit';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';

const ring = (key = randomBytes(32)) => keyringFromSecret(JSON.stringify({ current: '1', keys: { '1': key.toString('base64') } }));
const at = new Date('2026-11-28T09:00:00.000Z');

describe('audit events', () => {
  const keyring = ring();

  it('record the type, time, actor and detail', () => {
    expect(auditEvent('voted', at, 'r1', keyring, {}, 'approved')).to.deep.equal({ type: 'voted', at: '2026-11-28T09:00:00.000Z', actor: 'r1', detail: 'approved' });
    expect(auditEvent('opened', at, 'r0', keyring)).to.deep.equal({ type: 'opened', at: '2026-11-28T09:00:00.000Z', actor: 'r0' });
  });

  it("store the client's IP and user agent only as short keyed hashes, never raw", () => {
    const event = auditEvent('voted', at, 'r0', keyring, { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' });
    expect(event.ipHash).to.match(/^[A-Za-z0-9_-]{12}$/);
    expect(event.uaHash).to.match(/^[A-Za-z0-9_-]{12}$/);
    expect(JSON.stringify(event)).to.not.include('203.0.113.7').and.not.include('Mozilla');
  });

  it('hash the same client the same way, and different clients, IPs and user agents differently', () => {
    const a = auditEvent('voted', at, 'r0', keyring, { ip: '203.0.113.7', userAgent: 'UA-1' });
    const again = auditEvent('opened', at, 'r1', keyring, { ip: '203.0.113.7', userAgent: 'UA-1' });
    const b = auditEvent('voted', at, 'r0', keyring, { ip: '203.0.113.8', userAgent: 'UA-2' });
    expect([again.ipHash, again.uaHash]).to.deep.equal([a.ipHash, a.uaHash]);
    expect(b.ipHash).to.not.equal(a.ipHash);
    expect(b.uaHash).to.not.equal(a.uaHash);
    expect(a.ipHash).to.not.equal(a.uaHash);
  });

  it('key the hashes, so without the key nobody can test addresses against the trail', () => {
    const client = { ip: '203.0.113.7', userAgent: 'UA-1' };
    const mine = auditEvent('voted', at, 'r0', keyring, client);
    const other = auditEvent('voted', at, 'r0', ring(), client);
    expect(other.ipHash).to.not.equal(mine.ipHash);
    expect(other.uaHash).to.not.equal(mine.uaHash);
  });

  it('leave out hashes for an empty IP or user agent', () => {
    expect(auditEvent('voted', at, 'r0', keyring, { ip: '', userAgent: '' })).to.not.have.any.keys('ipHash', 'uaHash');
    const ipOnly = auditEvent('voted', at, 'r0', keyring, { ip: '203.0.113.7' });
    expect(Object.keys(ipOnly)).to.deep.equal(['type', 'at', 'actor', 'ipHash']);
  });

  it("of the system's own are by 'system', with the detail when there is one", () => {
    expect(systemEvent('closed', at, 'the workflow ended')).to.deep.equal({ type: 'closed', at: '2026-11-28T09:00:00.000Z', actor: 'system', detail: 'the workflow ended' });
    expect(systemEvent('expired', at)).to.deep.equal({ type: 'expired', at: '2026-11-28T09:00:00.000Z', actor: 'system' });
  });
});
