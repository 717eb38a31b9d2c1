import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { issueSession, verifySession } from '../../../src/approval/domain/admin-session';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';
import { SESSION_COOKIE, clearSessionCookie, readCookie, sentCookie, sessionCookie } from '../../../src/approval/http/cookies';

const ring1 = keyringFromSecret(JSON.stringify({ current: '1', keys: { '1': randomBytes(32).toString('base64') } }));
const now = 1_900_000_000;

describe('session cookie header', () => {
  it('sets Max-Age=0 (the cookie ends at once) but refuses a negative one or an empty value', () => {
    expect(sessionCookie('abc', 0)).to.match(/; Max-Age=0$/);
    expect(() => sessionCookie('abc', -1)).to.throw(RangeError);
    expect(() => sessionCookie('', 60)).to.throw(RangeError);
  });

  it('sets __Host-admin with exactly HttpOnly, Secure, SameSite=Strict, Path=/ and Max-Age, and no Domain', () => {
    const header = sessionCookie('abc_-123', 28_800);
    expect(header).to.equal('__Host-admin=abc_-123; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=28800');
    const attributes = header.split('; ').slice(1);
    expect(attributes).to.deep.equal(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', 'Max-Age=28800']);
    expect(header.toLowerCase()).to.not.include('domain');
  });

  it('clears the cookie with the same attributes and Max-Age=0', () => {
    expect(clearSessionCookie()).to.equal('__Host-admin=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0');
  });

  it('refuses a value or Max-Age that could inject attributes or headers', () => {
    expect(() => sessionCookie('a; Domain=evil.example', 60)).to.throw(RangeError, 'session cookie value must be base64url');
    expect(() => sessionCookie('a\r\nSet-Cookie: x=y', 60)).to.throw(RangeError, 'session cookie value must be base64url');
    expect(() => sessionCookie('abc', -1)).to.throw(RangeError, 'Max-Age must be a whole number of seconds');
    expect(() => sessionCookie('abc', 1.5)).to.throw(RangeError, 'Max-Age must be a whole number of seconds');
  });

  it('round-trips through a Cookie header into a verified session', () => {
    const { value } = issueSession('ops@example.com', ring1, now);
    const setCookie = sessionCookie(value, 3600);
    const cookieHeader = `theme=dark; ${setCookie.split(';')[0]}; other=1`;
    expect(verifySession(readCookie(cookieHeader, SESSION_COOKIE), ring1, now).email).to.equal('ops@example.com');
  });
});

describe('readCookie', () => {
  it('reads one cookie among others, with or without spaces after the semicolons', () => {
    expect(readCookie('a=1; __Host-admin=xyz; b=2', '__Host-admin')).to.equal('xyz');
    expect(readCookie('a=1;__Host-admin=xyz;b=2', '__Host-admin')).to.equal('xyz');
  });

  it('returns undefined when the cookie is duplicated, even with the same value', () => {
    expect(readCookie('__Host-admin=one; __Host-admin=two', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-admin=one; __Host-admin=one', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-admin=; __Host-admin=one', '__Host-admin')).to.equal(undefined);
  });

  it('returns undefined when absent, empty, quoted or with characters no cookie value may hold', () => {
    expect(readCookie(undefined, '__Host-admin')).to.equal(undefined);
    expect(readCookie('', '__Host-admin')).to.equal(undefined);
    expect(readCookie('a=1', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-admin=', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-admin="xyz"', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-admin=x y', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-admin=x\\y', '__Host-admin')).to.equal(undefined);
  });

  it('matches names exactly: case-sensitive, no prefixes, no lookalikes', () => {
    expect(readCookie('__host-admin=xyz', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-admin2=xyz', '__Host-admin')).to.equal(undefined);
    expect(readCookie('x__Host-admin=xyz', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-admin=xyz', '')).to.equal(undefined);
    // A name that is not a cookie-name token (here with a space) is never looked up.
    expect(readCookie('x y=1', 'x y')).to.equal(undefined);
    expect(readCookie('a;b=1', 'a;b')).to.equal(undefined);
  });

  it('ignores malformed pairs that belong to someone else', () => {
    expect(readCookie('junk; =nameless; __Host-admin=xyz', '__Host-admin')).to.equal('xyz');
  });

  it('never reads a pair without "=" as the cookie, even one that starts with its name', () => {
    expect(readCookie('__Host-adminx', '__Host-admin')).to.equal(undefined);
    expect(readCookie('__Host-adminx; __Host-admin=xyz', '__Host-admin')).to.equal('xyz');
  });

  it('reads a value with white space around it (before the semicolon or after the "=")', () => {
    expect(readCookie('a=1; __Host-admin=xyz ; b=2', '__Host-admin')).to.equal('xyz');
    expect(readCookie('__Host-admin = xyz', '__Host-admin')).to.equal('xyz');
  });
});

describe('sentCookie', () => {
  it('tells whether the cookie was sent at all, well-formed or not, and nothing about lookalikes', () => {
    expect(sentCookie('a=1; __Host-admin=xyz', SESSION_COOKIE)).to.equal(true);
    expect(sentCookie('__Host-admin="damaged value"', SESSION_COOKIE)).to.equal(true);
    expect(sentCookie('__Host-admin=one; __Host-admin=two', SESSION_COOKIE)).to.equal(true);
    expect(sentCookie('__Host-admin2=xyz; x__Host-admin=1', SESSION_COOKIE)).to.equal(false);
    expect(sentCookie(undefined, SESSION_COOKIE)).to.equal(false);
    expect(sentCookie('', SESSION_COOKIE)).to.equal(false);
  });
});
