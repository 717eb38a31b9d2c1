import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';
import { csrfToken, linkFromParams, linkKeyVersion, linkQuery, parseLinkQuery, signLink, verifyCsrfToken, verifyLink, type LinkClaims } from '../../../src/approval/domain/review-link';

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

describe('link shape (checked before the MAC)', () => {
  const ring1234 = keyringFromSecret(JSON.stringify({ current: '1234', keys: { '1234': k1 } }));
  const valid = (): Record<string, string> => Object.fromEntries(new URLSearchParams(linkQuery(signLink(claims, ring1))));
  const shapeOf = (params: Record<string, string>) => codeOf(() => linkFromParams(params));

  it('accepts the fields a signed link carries', () => {
    expect(shapeOf(valid())).to.equal(undefined);
    expect(linkFromParams(valid())).to.include({ ...claims, keyVersion: '1' });
  });

  const refused: [string, string, string][] = [
    ['r', 'A'.repeat(21), 'a request id of 21 characters'],
    ['r', 'A'.repeat(23), 'a request id of 23 characters'],
    ['r', `${'A'.repeat(21)}+`, 'a request id with a character outside base64url'],
    ['r', '', 'an empty request id'],
    ['v', '01', 'a reviewer index with a leading zero'],
    ['v', '1000', 'a reviewer index of four digits'],
    ['v', '-1', 'a negative reviewer index'],
    ['v', '1a', 'a reviewer index followed by a letter'],
    ['v', 'a1', 'a reviewer index after a letter'],
    ['v', '', 'an empty reviewer index'],
    ['a', 'approved', 'an action other than approve or reject'],
    ['a', '', 'an empty action'],
    ['x', '0', 'an expiry of zero'],
    ['x', '02000000000', 'an expiry with a leading zero'],
    ['x', '1'.repeat(13), 'an expiry of 13 digits'],
    ['x', '2000000000a', 'an expiry followed by a letter'],
    ['x', 'a2000000000', 'an expiry after a letter'],
    ['x', '', 'an empty expiry'],
    ['k', '12345', 'a key version of five digits'],
    ['k', '1a', 'a key version followed by a letter'],
    ['k', 'a1', 'a key version after a letter'],
    ['k', '', 'an empty key version'],
    ['c', 'A'.repeat(4097), 'a ciphertext of 4,097 characters'],
    ['c', 'abc+', 'a ciphertext with +'],
    ['c', '+abc', 'a ciphertext starting with +'],
    ['c', 'ab=', 'a ciphertext with padding'],
    ['c', '', 'an empty ciphertext'],
    ['m', 'A'.repeat(21), 'a MAC of 21 characters'],
    ['m', 'A'.repeat(23), 'a MAC of 23 characters'],
    ['m', `${'A'.repeat(21)}=`, 'a MAC ending in padding'],
    ['m', `=${'A'.repeat(21)}`, 'a MAC starting with padding'],
    ['m', '', 'an empty MAC'],
  ];
  for (const [param, value, what] of refused) {
    it(`calls ${what} malformed`, () => {
      expect(shapeOf({ ...valid(), [param]: value })).to.equal('LINK_MALFORMED');
    });
  }

  it('accepts the edges of each field: reviewer 0 and 999, a 12-digit expiry, key versions 0 to 9999, a 4,096-character ciphertext', () => {
    for (const [param, value] of [
      ['v', '0'],
      ['v', '9'],
      ['v', '999'],
      ['x', '9'.repeat(12)],
      ['x', '1'],
      ['k', '0'],
      ['k', '9'],
      ['k', '9999'],
      ['c', 'A'.repeat(4096)],
      ['c', 'z-_09'],
    ] as const) {
      expect(shapeOf({ ...valid(), [param]: value }), `${param}=${value.slice(0, 20)}`).to.equal(undefined);
    }
  });

  it('verifies links signed with a four-digit key version', () => {
    const link = parseLinkQuery(linkQuery(signLink(claims, ring1234)));
    expect(link.keyVersion).to.equal('1234');
    expect(codeOf(() => verifyLink(link, ring1234, now))).to.equal(undefined);
    expect(linkKeyVersion(linkQuery(link))).to.equal('1234');
  });

  it('refuses a link whose key version was changed to another the keyring holds', () => {
    const link = { ...signLink(claims, ring2), keyVersion: '1' };
    expect(codeOf(() => verifyLink(link, ring2, now))).to.equal('LINK_INVALID');
  });

  it('refuses a CSRF token that is not a MAC text, or whose key version the keyring does not hold', () => {
    const link = signLink(claims, ring1);
    const token = csrfToken(link, ring1);
    for (const bad of ['', token.slice(0, 21), `${token}A`, `${token.slice(0, 21)}=`, `=${token.slice(1)}`]) {
      expect(codeOf(() => verifyCsrfToken(link, ring1, bad)), bad).to.equal('CSRF_REJECTED');
    }
    const newer = signLink(claims, ring2);
    expect(codeOf(() => verifyCsrfToken(newer, ring1, csrfToken(newer, ring2)))).to.equal('CSRF_REJECTED');
    expect(codeOf(() => csrfToken(newer, ring1))).to.equal('LINK_INVALID');
  });
});
