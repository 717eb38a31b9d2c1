import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ApprovalError } from '../../src/domain/errors';
import { keyringFromSecret } from '../../src/domain/mac-keyring';
import { csrfToken, linkKeyVersion, linkQuery, parseLinkQuery, signLink, verifyCsrfToken, verifyLink, type LinkClaims } from '../../src/domain/review-link';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const ring1 = keyringFromSecret(JSON.stringify({ current: '1', keys: { '1': k1 } }));
const ring2 = keyringFromSecret(JSON.stringify({ current: '2', keys: { '1': k1, '2': k2 } }));
const claims: LinkClaims = { requestId: 'AAAAAAAAAAAAAAAAAAAAAA', reviewer: 3, action: 'approve', expiresAt: 2_000_000_000, ciphertext: 'abc_-123' };
const now = 1_900_000_000;

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ApprovalError ? err.code : 'NOT_APPROVAL_ERROR';
  }
  return undefined;
}

describe('review links', () => {
  it('round-trips: a signed link parses back and verifies', () => {
    const link = parseLinkQuery(linkQuery(signLink(claims, ring1)));
    expect(link).to.include(claims);
    expect(codeOf(() => verifyLink(link, ring1, now))).to.equal(undefined);
  });

  it('writes only URL-safe characters (no + / = or spaces)', () => {
    expect(linkQuery(signLink(claims, ring1))).to.match(/^[A-Za-z0-9_&=.-]+$/);
    expect(signLink(claims, ring1).mac).to.match(/^[A-Za-z0-9_-]{22}$/);
  });

  it('still verifies links signed before a key rotation', () => {
    const old = signLink(claims, ring1);
    expect(codeOf(() => verifyLink(old, ring2, now))).to.equal(undefined);
    expect(signLink(claims, ring2).keyVersion).to.equal('2');
  });

  it('refuses a link whose key version the keyring does not hold', () => {
    const newer = signLink(claims, ring2);
    expect(codeOf(() => verifyLink(newer, ring1, now))).to.equal('LINK_INVALID');
  });

  for (const [field, value] of [
    ['requestId', 'BAAAAAAAAAAAAAAAAAAAAA'],
    ['reviewer', 4],
    ['action', 'reject'],
    ['expiresAt', 2_000_000_001],
    ['ciphertext', 'abc_-124'],
  ] as const) {
    it(`refuses a link whose ${field} was changed after signing`, () => {
      const link = { ...signLink(claims, ring1), [field]: value };
      expect(codeOf(() => verifyLink(link, ring1, now))).to.equal('LINK_INVALID');
    });
  }

  it('accepts exactly one spelling of a MAC and of a CSRF token (no base64 slack in the last character)', () => {
    const link = signLink(claims, ring1);
    const csrf = csrfToken(link, ring1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const accepted = { mac: 0, csrf: 0 };
    for (const ch of alphabet) {
      const mac = link.mac.slice(0, 21) + ch;
      const token = csrf.slice(0, 21) + ch;
      if (codeOf(() => verifyLink({ ...link, mac }, ring1, now)) === undefined) accepted.mac++;
      if (codeOf(() => verifyCsrfToken(link, ring1, token)) === undefined) accepted.csrf++;
    }
    expect(accepted).to.deep.equal({ mac: 1, csrf: 1 });
  });

  it('checks the MAC before the expiry, so a forged link never learns whether it expired', () => {
    const link = { ...signLink(claims, ring1), mac: 'A'.repeat(22) };
    expect(codeOf(() => verifyLink(link, ring1, claims.expiresAt + 1))).to.equal('LINK_INVALID');
  });

  it('expires at the expiry second exactly (frozen clock)', () => {
    const link = signLink(claims, ring1);
    expect(codeOf(() => verifyLink(link, ring1, claims.expiresAt - 1))).to.equal(undefined);
    expect(codeOf(() => verifyLink(link, ring1, claims.expiresAt))).to.equal('LINK_EXPIRED');
  });

  it('ties the CSRF token to the link it was rendered for', () => {
    const a = signLink(claims, ring1);
    const b = signLink({ ...claims, reviewer: 4 }, ring1);
    expect(codeOf(() => verifyCsrfToken(a, ring1, csrfToken(a, ring1)))).to.equal(undefined);
    expect(codeOf(() => verifyCsrfToken(a, ring1, csrfToken(b, ring1)))).to.equal('CSRF_REJECTED');
    expect(codeOf(() => verifyCsrfToken(a, ring1, undefined))).to.equal('CSRF_REJECTED');
    expect(csrfToken(a, ring1)).to.not.equal(a.mac);
  });
});

describe('key version of a link', () => {
  it('reads k from a link query or a confirmation form, before anything is verified', () => {
    const query = linkQuery(signLink(claims, ring2));
    expect(linkKeyVersion(query)).to.equal('2');
    expect(linkKeyVersion(`${linkQuery(signLink(claims, ring1))}&t=csrf&decision=approve`)).to.equal('1');
  });

  it('names no version when k is missing, repeated or not a version', () => {
    const query = linkQuery(signLink(claims, ring2));
    for (const bad of ['', 'r=x', `${query}&k=2`, query.replace('k=2', 'k=abc'), query.replace('k=2', 'k=12345'), query.replace('k=2', 'k=')]) {
      expect(linkKeyVersion(bad), bad.slice(0, 40)).to.equal(undefined);
    }
  });
});

describe('MAC keyring secret', () => {
  const cases: [string, string, string][] = [
    ['not JSON', 'nope', 'not JSON'],
    ['no current version', JSON.stringify({ keys: { '1': k1 } }), '"current"'],
    ['a current version without a key', JSON.stringify({ current: '2', keys: { '1': k1 } }), 'current version 2'],
    ['a short key', JSON.stringify({ current: '1', keys: { '1': randomBytes(16).toString('base64') } }), 'shorter than 32 bytes'],
  ];
  for (const [name, secret, message] of cases) {
    it(`refuses ${name}, without echoing key material`, () => {
      expect(() => keyringFromSecret(secret)).to.throw(message);
      try {
        keyringFromSecret(secret);
      } catch (err) {
        expect((err as Error).message).to.not.include(k1);
      }
    });
  }
});
