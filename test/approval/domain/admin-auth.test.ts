import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { adminAddress, isAdmin, requireAdmin } from '../../../src/approval/domain/admin-auth';
import { keyVersionOfToken } from '../../../src/approval/domain/admin-envelope';
import { adminCsrfToken, issueSession, MAX_SESSION_GENERATION, requireCurrentGeneration, verifyAdminCsrf, verifySession } from '../../../src/approval/domain/admin-session';
import { issueSignInToken, verifySignInToken } from '../../../src/approval/domain/admin-sign-in';
import { ApprovalError } from '../../../src/approval/domain/errors';
import { lengthPrefixed, purposeMac } from '../../../src/approval/domain/mac';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const ring1 = keyringFromSecret(JSON.stringify({ current: '1', keys: { '1': k1 } }));
const ring2 = keyringFromSecret(JSON.stringify({ current: '2', keys: { '1': k1, '2': k2 } }));
const otherRing = keyringFromSecret(JSON.stringify({ current: '1', keys: { '1': k2 } }));
const now = 1_900_000_000;
const admins = ['Ops@Example.com', 'boss@example.com'];
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The refusal's finer reason when it has one (SESSION_EXPIRED…), else its code; undefined when nothing was thrown. */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ApprovalError ? (err.reason ?? err.code) : 'NOT_AN_APPROVAL_ERROR';
  }
  return undefined;
}

/** The code a caller is told. */
function publicCodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ApprovalError ? err.code : 'NOT_AN_APPROVAL_ERROR';
  }
  return undefined;
}

/** Decodes a token, lets `edit` change its bytes, and encodes it again (a well-formed but altered token). */
function alterBytes(token: string, edit: (bytes: Buffer) => void): string {
  const bytes = Buffer.from(token, 'base64url');
  edit(bytes);
  return bytes.toString('base64url');
}

describe('admin list', () => {
  it('matches addresses ignoring ASCII case and surrounding spaces', () => {
    expect(isAdmin('ops@example.com', admins)).to.equal(true);
    expect(isAdmin('  OPS@EXAMPLE.COM ', admins)).to.equal(true);
    expect(isAdmin('ops@example.org', admins)).to.equal(false);
    expect(isAdmin('', admins)).to.equal(false);
  });

  it('does not fold Unicode look-alikes into an admin address (Kelvin sign K)', () => {
    expect('\u212Aate@example.com'.toLowerCase()).to.equal('kate@example.com');
    expect(isAdmin('\u212Aate@example.com', ['kate@example.com'])).to.equal(false);
  });

  it('names the configured address to send the link to, lower-cased', () => {
    expect(adminAddress('OPS@example.COM', admins)).to.equal('ops@example.com');
    expect(adminAddress('nobody@example.com', admins)).to.equal(undefined);
  });

  it('fails with an error that names itself and its code (what the logs show)', () => {
    const session = verifySession(issueSession('ops@example.com', ring1, now).value, ring1, now);
    expect(() => requireAdmin(session, [])).to.throw(ApprovalError).that.includes({ name: 'ApprovalError', message: 'NOT_ADMIN', code: 'NOT_ADMIN' });
  });

  it('refuses a valid session once its address is removed from the list (NOT_ADMIN)', () => {
    const session = verifySession(issueSession('ops@example.com', ring1, now).value, ring1, now);
    expect(codeOf(() => requireAdmin(session, admins))).to.equal(undefined);
    expect(codeOf(() => requireAdmin(session, ['boss@example.com']))).to.equal('NOT_ADMIN');
  });
});

describe('sign-in tokens', () => {
  it('round-trip: id, lower-cased address and expiry come back from the token', () => {
    const issued = issueSignInToken('Ops@Example.com', ring1, now);
    expect(issued.expiresAt).to.equal(now + 900);
    expect(issued.id).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(verifySignInToken(issued.token, ring1, now)).to.deep.equal({ id: issued.id, email: 'ops@example.com', expiresAt: now + 900 });
  });

  it('are URL-safe base64url text, with a fresh id every time', () => {
    const a = issueSignInToken('ops@example.com', ring1, now);
    const b = issueSignInToken('ops@example.com', ring1, now);
    expect(a.token).to.match(/^[A-Za-z0-9_-]+$/);
    expect(a.id).to.not.equal(b.id);
    expect(a.token).to.not.equal(b.token);
  });

  it('honour a custom time to live', () => {
    expect(issueSignInToken('ops@example.com', ring1, now, 60).expiresAt).to.equal(now + 60);
  });

  it('expire at the expiry second exactly (frozen clock)', () => {
    const { token, expiresAt } = issueSignInToken('ops@example.com', ring1, now);
    expect(codeOf(() => verifySignInToken(token, ring1, expiresAt - 1))).to.equal(undefined);
    expect(codeOf(() => verifySignInToken(token, ring1, expiresAt))).to.equal('SIGN_IN_EXPIRED');
  });

  it('check the MAC before the expiry, so a forged token never learns whether it expired', () => {
    const { token, expiresAt } = issueSignInToken('ops@example.com', ring1, now);
    const forged = alterBytes(token, (b) => (b[b.length - 1]! ^= 1));
    expect(codeOf(() => verifySignInToken(forged, ring1, expiresAt + 1))).to.equal('SIGN_IN_INVALID');
  });

  it('refuse a token whose address, expiry or id was changed after signing', () => {
    const { token } = issueSignInToken('ops@example.com', ring1, now);
    const bytes = Buffer.from(token, 'base64url');
    const text = bytes.toString('latin1');
    const swaps: [string, string][] = [
      ['ops@example.com', 'opt@example.com'],
      [String(now + 900), String(now + 999)],
    ];
    for (const [from, to] of swaps) {
      const altered = Buffer.from(text.replace(from, to), 'latin1').toString('base64url');
      expect(codeOf(() => verifySignInToken(altered, ring1, now)), from).to.equal('SIGN_IN_INVALID');
    }
    // The id is the 22 characters after the key version's field (4 + 1 bytes) and its length (4 bytes).
    const otherId = alterBytes(token, (b) => (b[9] = b[9] === 0x41 ? 0x42 : 0x41));
    expect(codeOf(() => verifySignInToken(otherId, ring1, now))).to.equal('SIGN_IN_INVALID');
  });

  it('refuse a token signed with another key, or with a key version the keyring does not hold', () => {
    const { token } = issueSignInToken('ops@example.com', otherRing, now);
    expect(codeOf(() => verifySignInToken(token, ring1, now))).to.equal('SIGN_IN_INVALID');
    const newer = issueSignInToken('ops@example.com', ring2, now).token;
    expect(codeOf(() => verifySignInToken(newer, ring1, now))).to.equal('SIGN_IN_INVALID');
  });

  it('still verify tokens signed before a key rotation', () => {
    const { token } = issueSignInToken('ops@example.com', ring1, now);
    expect(codeOf(() => verifySignInToken(token, ring2, now))).to.equal(undefined);
  });

  it('call damaged input malformed: empty, foreign characters, truncated, padded or with extra bytes', () => {
    const { token } = issueSignInToken('ops@example.com', ring1, now);
    const cases = [
      undefined,
      '',
      `${token}=`,
      `${token.slice(0, 10)}.${token.slice(10)}`,
      `${token.slice(0, 10)}+${token.slice(10)}`,
      token.slice(0, -4),
      alterBytes(token, () => undefined) + 'AAAA',
      'A'.repeat(600),
      'not a token',
    ];
    for (const bad of cases) {
      expect(codeOf(() => verifySignInToken(bad, ring1, now)), String(bad)).to.equal('SIGN_IN_MALFORMED');
    }
  });

  it('call a token that ends inside a length prefix malformed (never a RangeError from reading past its end)', () => {
    // A well-formed first field, then two bytes of the next field's four-byte length.
    const cut = Buffer.concat([lengthPrefixed(['1']), Buffer.from([0, 0])]).toString('base64url');
    expect(codeOf(() => verifySignInToken(cut, ring1, now))).to.equal('SIGN_IN_MALFORMED');
    expect(codeOf(() => verifySession(cut, ring1, now))).to.equal('SESSION_INVALID');
    expect(keyVersionOfToken(cut)).to.equal(undefined);
  });

  it('accept exactly one spelling of a token (no base64 slack in the last character)', () => {
    // Find a token whose byte length leaves spare bits in the last character.
    let token = '';
    for (const email of ['ops@example.com', 'boss@example.com', 'o@example.com']) {
      token = issueSignInToken(email, ring1, now).token;
      if (Buffer.from(token, 'base64url').length % 3 !== 0) break;
    }
    expect(Buffer.from(token, 'base64url').length % 3).to.not.equal(0);
    let accepted = 0;
    for (const ch of ALPHABET) {
      if (codeOf(() => verifySignInToken(token.slice(0, -1) + ch, ring1, now)) === undefined) accepted++;
    }
    expect(accepted).to.equal(1);
  });

  it('refuse to issue for text that is not a plain ASCII address, or with a bad clock or lifetime', () => {
    expect(() => issueSignInToken('not an address', ring1, now)).to.throw(RangeError, 'not a plain ASCII email address');
    expect(() => issueSignInToken('\u212Aate@example.com', ring1, now)).to.throw(RangeError, 'not a plain ASCII email address');
    // Anything after a plain ASCII domain, or a domain past 189 characters, is not plain either.
    expect(() => issueSignInToken('kate@example.com\u212A', ring1, now)).to.throw(RangeError, 'not a plain ASCII email address');
    expect(() => issueSignInToken('kate@example.com@other.example', ring1, now)).to.throw(RangeError, 'not a plain ASCII email address');
    expect(() => issueSignInToken(`kate@${'d'.repeat(190)}`, ring1, now)).to.throw(RangeError, 'not a plain ASCII email address');
    expect(issueSignInToken(`kate@${'d'.repeat(189)}`, ring1, now).email).to.equal(`kate@${'d'.repeat(189)}`);
    expect(() => issueSignInToken('ops@example.com', ring1, now + 0.5)).to.throw(RangeError);
    expect(() => issueSignInToken('ops@example.com', ring1, now, 0)).to.throw(RangeError);
  });

  it('are not accepted as a session cookie, and a session is not accepted as a sign-in token', () => {
    const signIn = issueSignInToken('ops@example.com', ring1, now).token;
    const session = issueSession('ops@example.com', ring1, now).value;
    expect(codeOf(() => verifySession(signIn, ring1, now))).to.equal('SESSION_INVALID');
    // A session has a fifth field (its generation): refused by its shape, before its MAC.
    expect(codeOf(() => verifySignInToken(session, ring1, now))).to.equal('SIGN_IN_MALFORMED');
  });
});

describe('admin sessions', () => {
  it('round-trip: address, expiry, session id and key version come back from the cookie value', () => {
    const { value, expiresAt } = issueSession('Ops@Example.com', ring2, now);
    expect(expiresAt).to.equal(now + 8 * 3600);
    const session = verifySession(value, ring2, now);
    expect(session).to.include({ email: 'ops@example.com', expiresAt, keyVersion: '2' });
    expect(session.sessionId).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(verifySession(issueSession('ops@example.com', ring2, now).value, ring2, now).sessionId).to.not.equal(session.sessionId);
  });

  it('carry the admin\'s session generation (0 by default) and are refused once it is no longer the current one', () => {
    expect(verifySession(issueSession('ops@example.com', ring1, now).value, ring1, now).generation).to.equal(0);
    const session = verifySession(issueSession('ops@example.com', ring1, now, undefined, 41).value, ring1, now);
    expect(session.generation).to.equal(41);
    expect(codeOf(() => requireCurrentGeneration(session, 41))).to.equal(undefined);
    expect(codeOf(() => requireCurrentGeneration(session, 42))).to.equal('SESSION_ENDED');
    expect(codeOf(() => requireCurrentGeneration(session, 40)), 'a generation the store no longer has').to.equal('SESSION_ENDED');
    expect(verifySession(issueSession('ops@example.com', ring1, now, undefined, MAX_SESSION_GENERATION).value, ring1, now).generation).to.equal(999_999_999);
    for (const bad of [-1, 1.5, MAX_SESSION_GENERATION + 1]) expect(() => issueSession('ops@example.com', ring1, now, undefined, bad), String(bad)).to.throw(RangeError, 'session generation must be a whole number from 0 to 999,999,999');
  });

  it('refuse a correctly signed cookie without a generation (from before sessions had one) or with a malformed one', () => {
    const fields = ['1', 'A'.repeat(22), 'ops@example.com', String(now + 60)];
    expect(codeOf(() => verifySession(signedEnvelope('admin-session', fields), ring1, now))).to.equal('SESSION_INVALID');
    for (const generation of ['', '01', '-1', '1a', '1'.repeat(10), ' 1']) {
      expect(codeOf(() => verifySession(signedEnvelope('admin-session', [...fields, generation]), ring1, now)), generation).to.equal('SESSION_INVALID');
    }
    expect(verifySession(signedEnvelope('admin-session', [...fields, '7']), ring1, now).generation).to.equal(7);
  });

  it('tell the caller one code per case a person can act on, the finer reason only in `reason`', () => {
    const { token, expiresAt } = issueSignInToken('ops@example.com', ring1, now);
    expect(publicCodeOf(() => verifySignInToken('damaged', ring1, now))).to.equal('SIGN_IN_INVALID');
    expect(publicCodeOf(() => verifySignInToken(token, ring1, expiresAt))).to.equal('SIGN_IN_EXPIRED');
    const session = issueSession('ops@example.com', ring1, now);
    for (const refuse of [() => verifySession(undefined, ring1, now), () => verifySession('damaged', ring1, now), () => verifySession(session.value, ring1, session.expiresAt)]) {
      expect(publicCodeOf(refuse)).to.equal('SESSION_REQUIRED');
    }
    expect(publicCodeOf(() => requireCurrentGeneration(verifySession(session.value, ring1, now), 1))).to.equal('SESSION_REQUIRED');
  });

  it('say SESSION_MISSING without a cookie', () => {
    expect(codeOf(() => verifySession(undefined, ring1, now))).to.equal('SESSION_MISSING');
    expect(codeOf(() => verifySession('', ring1, now))).to.equal('SESSION_MISSING');
  });

  it('say SESSION_INVALID for a tampered, damaged or foreign cookie', () => {
    const { value } = issueSession('ops@example.com', ring1, now);
    const cases = [
      alterBytes(value, (b) => (b[b.length - 1]! ^= 0x80)),
      Buffer.from(Buffer.from(value, 'base64url').toString('latin1').replace('ops@', 'opz@'), 'latin1').toString('base64url'),
      value.slice(0, -2),
      `${value}A`,
      issueSession('ops@example.com', otherRing, now).value,
      'garbage!',
    ];
    for (const bad of cases) {
      expect(codeOf(() => verifySession(bad, ring1, now)), bad).to.equal('SESSION_INVALID');
    }
  });

  it('expire at the expiry second exactly (frozen clock), after the MAC check', () => {
    const { value, expiresAt } = issueSession('ops@example.com', ring1, now, 60);
    expect(codeOf(() => verifySession(value, ring1, expiresAt - 1))).to.equal(undefined);
    expect(codeOf(() => verifySession(value, ring1, expiresAt))).to.equal('SESSION_EXPIRED');
    const forged = alterBytes(value, (b) => (b[b.length - 1]! ^= 1));
    expect(codeOf(() => verifySession(forged, ring1, expiresAt + 1))).to.equal('SESSION_INVALID');
  });

  it('accept exactly one spelling of a cookie value', () => {
    let value = '';
    for (const email of ['ops@example.com', 'boss@example.com', 'o@example.com']) {
      value = issueSession(email, ring1, now).value;
      if (Buffer.from(value, 'base64url').length % 3 !== 0) break;
    }
    expect(Buffer.from(value, 'base64url').length % 3).to.not.equal(0);
    let accepted = 0;
    for (const ch of ALPHABET) {
      if (codeOf(() => verifySession(value.slice(0, -1) + ch, ring1, now)) === undefined) accepted++;
    }
    expect(accepted).to.equal(1);
  });
});

describe('key version of a sign-in token or session cookie', () => {
  it('is read from the token before its MAC is checked', () => {
    expect(keyVersionOfToken(issueSignInToken('ops@example.com', ring2, now).token)).to.equal('2');
    expect(keyVersionOfToken(issueSession('ops@example.com', ring1, now).value)).to.equal('1');
    expect(keyVersionOfToken(issueSignInToken('ops@example.com', otherRing, now).token), 'even when forged').to.equal('1');
  });

  it('is undefined for a missing or damaged token', () => {
    const { token } = issueSignInToken('ops@example.com', ring2, now);
    for (const bad of [undefined, '', 'not a token', token.slice(0, -3), `${token}A`]) {
      expect(keyVersionOfToken(bad)).to.equal(undefined);
    }
  });
});

describe('admin CSRF tokens', () => {
  const sessionOf = (ring = ring1) => verifySession(issueSession('ops@example.com', ring, now).value, ring, now);

  it('verify for the session they were rendered for', () => {
    const session = sessionOf();
    const token = adminCsrfToken(session, ring1);
    expect(token).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(codeOf(() => verifyAdminCsrf(session, ring1, token))).to.equal(undefined);
  });

  it('are tied to the session id: another session of the same admin is refused', () => {
    const a = sessionOf();
    const b = sessionOf();
    expect(codeOf(() => verifyAdminCsrf(a, ring1, adminCsrfToken(b, ring1)))).to.equal('CSRF_REJECTED');
    expect(codeOf(() => verifyAdminCsrf({ ...a, sessionId: b.sessionId }, ring1, adminCsrfToken(a, ring1)))).to.equal('CSRF_REJECTED');
  });

  it('are refused when missing, malformed or made with another key', () => {
    const session = sessionOf();
    expect(codeOf(() => verifyAdminCsrf(session, ring1, undefined))).to.equal('CSRF_REJECTED');
    expect(codeOf(() => verifyAdminCsrf(session, ring1, ''))).to.equal('CSRF_REJECTED');
    expect(codeOf(() => verifyAdminCsrf(session, ring1, 'not a token'))).to.equal('CSRF_REJECTED');
    expect(codeOf(() => verifyAdminCsrf(session, ring1, adminCsrfToken(session, otherRing)))).to.equal('CSRF_REJECTED');
  });

  it('keep working across a key rotation, with the key that signed the session', () => {
    const session = sessionOf(ring1);
    const token = adminCsrfToken(session, ring1);
    expect(codeOf(() => verifyAdminCsrf(session, ring2, token))).to.equal(undefined);
  });

  it('accept exactly one spelling (no base64 slack in the last character)', () => {
    const session = sessionOf();
    const token = adminCsrfToken(session, ring1);
    let accepted = 0;
    for (const ch of ALPHABET) {
      if (codeOf(() => verifyAdminCsrf(session, ring1, token.slice(0, 21) + ch)) === undefined) accepted++;
    }
    expect(accepted).to.equal(1);
  });

  it("differ from the session cookie's own MAC (a purpose of their own)", () => {
    const { value } = issueSession('ops@example.com', ring1, now);
    const session = verifySession(value, ring1, now);
    const cookieMac = Buffer.from(value, 'base64url').subarray(-16).toString('base64url');
    expect(adminCsrfToken(session, ring1)).to.not.equal(cookieMac);
  });
});

/** A token or cookie value with any fields, correctly signed with `ring1`'s key: the MAC alone cannot refuse it. */
function signedEnvelope(purpose: 'admin-sign-in' | 'admin-session', fields: readonly string[]): string {
  const key = ring1.get(fields[0] ?? '')?.key ?? ring1.current.key;
  return Buffer.concat([lengthPrefixed(fields), purposeMac(key, purpose, fields)]).toString('base64url');
}

describe('sign-in tokens and session cookies: fields checked after decoding', () => {
  const id = 'A'.repeat(22);
  const expiry = String(now + 60);
  const good: [string, string, string, string] = ['1', id, 'ops@example.com', expiry];

  it('accept a correctly signed envelope of well-formed fields (the baseline for the cases below)', () => {
    expect(verifySignInToken(signedEnvelope('admin-sign-in', good), ring1, now)).to.deep.equal({ id, email: 'ops@example.com', expiresAt: now + 60 });
    expect(verifySession(signedEnvelope('admin-session', [...good, '0']), ring1, now)).to.include({ sessionId: id, email: 'ops@example.com', keyVersion: '1', generation: 0 });
  });

  const bad: [string, [string, string, string, string]][] = [
    ['an id of 21 characters', ['1', id.slice(1), 'ops@example.com', expiry]],
    ['an id of 23 characters', ['1', `${id}A`, 'ops@example.com', expiry]],
    ['an id with a character outside base64url', ['1', `${id.slice(1)}+`, 'ops@example.com', expiry]],
    ['an id after a stray character', ['1', `+${id.slice(1)}`, 'ops@example.com', expiry]],
    ['an expiry of zero', ['1', id, 'ops@example.com', '0']],
    ['an expiry with a leading zero', ['1', id, 'ops@example.com', `0${expiry}`]],
    ['an expiry of 13 digits', ['1', id, 'ops@example.com', '1'.repeat(13)]],
    ['an expiry followed by a letter', ['1', id, 'ops@example.com', `${expiry}x`]],
    ['an expiry after a letter', ['1', id, 'ops@example.com', `x${expiry}`]],
    ['an address in capitals', ['1', id, 'Ops@example.com', expiry]],
    ['an address with spaces around it', ['1', id, ' ops@example.com', expiry]],
    ['text that is not an address', ['1', id, 'ops', expiry]],
  ];
  for (const [what, fields] of bad) {
    it(`call ${what} malformed, even correctly signed`, () => {
      expect(codeOf(() => verifySignInToken(signedEnvelope('admin-sign-in', fields), ring1, now))).to.equal('SIGN_IN_MALFORMED');
      expect(codeOf(() => verifySession(signedEnvelope('admin-session', [...fields, '0']), ring1, now))).to.equal('SESSION_INVALID');
      expect(keyVersionOfToken(signedEnvelope('admin-sign-in', fields))).to.equal(undefined);
    });
  }

  it('call a key version that is not one to four digits malformed, before looking for its key', () => {
    for (const version of ['12345', '1a', 'a1', '']) {
      const token = signedEnvelope('admin-sign-in', [version, id, 'ops@example.com', expiry]);
      expect(codeOf(() => verifySignInToken(token, ring1, now)), version).to.equal('SIGN_IN_MALFORMED');
      expect(keyVersionOfToken(token), version).to.equal(undefined);
    }
    expect(keyVersionOfToken(signedEnvelope('admin-sign-in', ['9999', id, 'ops@example.com', expiry]))).to.equal('9999');
    expect(keyVersionOfToken(signedEnvelope('admin-sign-in', ['0', id, 'ops@example.com', expiry]))).to.equal('0');
  });

  it('accept the widest fields: a 12-digit expiry and a 254-character address', () => {
    const address = `${'a'.repeat(64)}@${'b'.repeat(185)}.com`;
    expect(address).to.have.length(254);
    const fields: [string, string, string, string] = ['1', id, address, '9'.repeat(12)];
    expect(verifySignInToken(signedEnvelope('admin-sign-in', fields), ring1, now).email).to.equal(address);
  });
});

describe('admin auth: clocks, lifetimes and keys', () => {
  it('refuse to issue with a clock at or before the epoch, or a lifetime that is not a positive whole number', () => {
    expect(() => issueSession('ops@example.com', ring1, 0)).to.throw(RangeError, 'now must be whole seconds');
    expect(() => issueSession('ops@example.com', ring1, -1)).to.throw(RangeError, 'now must be whole seconds');
    expect(() => issueSession('ops@example.com', ring1, now, 1.5)).to.throw(RangeError, 'lifetime must be a positive whole number');
    expect(() => issueSession('ops@example.com', ring1, now, -60)).to.throw(RangeError, 'lifetime must be a positive whole number');
    expect(issueSession('ops@example.com', ring1, 1, 1).expiresAt).to.equal(2);
  });

  it("refuse the dashboard's CSRF token once the keyring no longer holds the session's key version", () => {
    const session = verifySession(issueSession('ops@example.com', ring2, now).value, ring2, now);
    const token = adminCsrfToken(session, ring2);
    expect(codeOf(() => verifyAdminCsrf(session, ring1, token))).to.equal('CSRF_REJECTED');
    expect(codeOf(() => adminCsrfToken(session, ring1))).to.equal('SESSION_INVALID');
  });

  it('refuse a CSRF token of the wrong length or with padding, without throwing anything else', () => {
    const session = verifySession(issueSession('ops@example.com', ring1, now).value, ring1, now);
    const token = adminCsrfToken(session, ring1);
    for (const bad of [token.slice(1), `${token}A`, `${token.slice(1)}=`, `=${token.slice(1)}`]) {
      expect(codeOf(() => verifyAdminCsrf(session, ring1, bad)), bad).to.equal('CSRF_REJECTED');
    }
  });
});
