import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';
import { clientNetwork, enforceRateLimit, rateSubject, rateWindow, type RateCounter, type RateKind } from '../../../src/approval/domain/rate-limit';

const ring = (fill: number) => keyringFromSecret(JSON.stringify({ current: '1', keys: { '1': Buffer.alloc(32, fill).toString('base64') } }));

/** A counter in memory, recording every hit. */
function memoryCounter() {
  const counts = new Map<string, number>();
  const hits: { kind: RateKind; subject: string; windowStart: number; max: number; expiresAt: number }[] = [];
  const counter: RateCounter = {
    async hit(kind, subject, windowStart, max, expiresAt) {
      hits.push({ kind, subject, windowStart, max, expiresAt });
      const key = `${kind}#${subject}#${windowStart}`;
      const n = counts.get(key) ?? 0;
      if (n >= max) return false;
      counts.set(key, n + 1);
      return true;
    },
  };
  return { counter, hits };
}

const codeOf = async (run: () => Promise<unknown>) => {
  try {
    await run();
    return undefined;
  } catch (err) {
    return err instanceof ApprovalError ? { code: err.code, retryAfterSeconds: err.retryAfterSeconds } : err;
  }
};

describe('rate limits', () => {
  it('use fixed windows aligned on their length', () => {
    expect(rateWindow(3600, 7200)).to.deep.equal({ start: 7200, end: 10_800 });
    expect(rateWindow(3600, 10_799)).to.deep.equal({ start: 7200, end: 10_800 });
    expect(rateWindow(900, 1000)).to.deep.equal({ start: 900, end: 1800 });
  });

  it('count up to the limit, then refuse with RATE_LIMITED until the window ends, then count again', async () => {
    const { counter } = memoryCounter();
    const limit = { kind: 'sign-in', max: 3, windowSeconds: 900 } as const;
    const now = 900 * 1000 + 100;
    for (let i = 0; i < 3; i++) expect(await codeOf(() => enforceRateLimit(counter, limit, 'h', now))).to.equal(undefined);
    expect(await codeOf(() => enforceRateLimit(counter, limit, 'h', now + 700))).to.deep.equal({ code: 'RATE_LIMITED', retryAfterSeconds: 100 });
    expect(await codeOf(() => enforceRateLimit(counter, limit, 'other', now)), 'another subject has its own count').to.equal(undefined);
    expect(await codeOf(() => enforceRateLimit(counter, limit, 'h', now + 800))).to.equal(undefined);
  });

  it('keep each count until its window ends, and count nothing when the limit is 0 (off)', async () => {
    const { counter, hits } = memoryCounter();
    await enforceRateLimit(counter, { kind: 'post-author', max: 5, windowSeconds: 3600 }, 's', 3600 * 10 + 5);
    expect(hits).to.deep.equal([{ kind: 'post-author', subject: 's', windowStart: 36_000, max: 5, expiresAt: 39_600 }]);
    await enforceRateLimit(counter, { kind: 'post-author', max: 0, windowSeconds: 3600 }, 's', 3600 * 10 + 5);
    expect(hits).to.have.length(1);
  });

  it('refuse when the counter cannot tell (fail closed): its error reaches the caller', async () => {
    const throttled = new ApprovalError('THROTTLED');
    const counter: RateCounter = { hit: () => Promise.reject(throttled) };
    expect(await codeOf(() => enforceRateLimit(counter, { kind: 'sign-in', max: 3, windowSeconds: 900 }, 's', 1000))).to.deep.equal({ code: 'THROTTLED', retryAfterSeconds: undefined });
  });

  it('count keyed hashes: the same value and key give one subject; another key, kind or value another; never the value itself', () => {
    const a = rateSubject(ring(1), 'post-client', '192.0.2.1');
    expect(a).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(rateSubject(ring(1), 'post-client', '192.0.2.1')).to.equal(a);
    expect(rateSubject(ring(2), 'post-client', '192.0.2.1')).to.not.equal(a);
    expect(rateSubject(ring(1), 'post-author', '192.0.2.1')).to.not.equal(a);
    expect(rateSubject(ring(1), 'post-client', '192.0.2.2')).to.not.equal(a);
    expect(a).to.not.include('192');
  });

  it('count an IPv4 client by its address and an IPv6 client by its /64, however it is written', () => {
    expect(clientNetwork('192.0.2.1')).to.equal('192.0.2.1');
    expect(clientNetwork('::ffff:192.0.2.1')).to.equal('192.0.2.1');
    const net = '2001:db8:0:1::/64';
    for (const ip of ['2001:db8:0:1::1', '2001:db8:0:1:ffff:ffff:ffff:ffff', '2001:0DB8:0000:0001:0:0:0:2', '2001:db8::1:0:0:0:3', '2001:db8:0:1::192.0.2.1']) {
      expect(clientNetwork(ip), ip).to.equal(net);
    }
    expect(clientNetwork('2001:db8:0:2::1')).to.not.equal(net);
    expect(clientNetwork('::1')).to.equal('0:0:0:0::/64');
    expect(clientNetwork('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
    for (const bad of ['', 'localhost', '192.0.2', '1.2.3.4.5', '::g']) expect(clientNetwork(bad), bad).to.equal(undefined);
  });

  it('count an IPv4-mapped IPv6 client as its IPv4 address only in the mapped form (::ffff: first), any octets', () => {
    expect(clientNetwork('::ffff:198.51.100.23')).to.equal('198.51.100.23');
    expect(clientNetwork('::FFFF:203.0.113.254')).to.equal('203.0.113.254');
    // An IPv6 address that merely ends in ffff and an IPv4 part is a /64 like any other.
    expect(clientNetwork('2001:db8::ffff:192.0.2.1')).to.equal('2001:db8:0:0::/64');
  });
});
