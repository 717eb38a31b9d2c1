import { createSecretKey, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { MAC_BYTES, lengthPrefixed, purposeMac, sameMacText } from '../../../src/approval/domain/mac';

const key = createSecretKey(randomBytes(32));

describe('MAC', () => {
  it('is 16 bytes (22 base64url characters) of HMAC-SHA-256', () => {
    const mac = purposeMac(key, 'review-link', ['1', 'a']);
    expect(MAC_BYTES).to.equal(16);
    expect(mac).to.have.length(16);
    expect(mac.toString('base64url')).to.have.length(22);
  });

  it('differs by purpose, so a MAC made for one purpose never verifies for another', () => {
    expect(purposeMac(key, 'csrf', ['1', 'a']).equals(purposeMac(key, 'review-link', ['1', 'a']))).to.equal(false);
  });

  it('encodes fields with their lengths, so moving a boundary between fields changes the MAC', () => {
    expect(lengthPrefixed(['ab', 'c']).equals(lengthPrefixed(['a', 'bc']))).to.equal(false);
    expect(lengthPrefixed(['ab', 'c'])).to.deep.equal(Buffer.from([0, 0, 0, 2, 0x61, 0x62, 0, 0, 0, 1, 0x63]));
    expect(lengthPrefixed(['é'])).to.deep.equal(Buffer.from([0, 0, 0, 2, 0xc3, 0xa9]), 'UTF-8 bytes are counted, not characters');
    expect(purposeMac(key, 'p', ['ab', 'c']).equals(purposeMac(key, 'p', ['a', 'bc']))).to.equal(false);
  });
});

describe('sameMacText', () => {
  const expected = purposeMac(key, 'review-link', ['1', 'a']);
  const text = expected.toString('base64url');

  it('accepts the exact text of the MAC', () => {
    expect(sameMacText(text, expected)).to.equal(true);
  });

  it('refuses a text that differs in one character', () => {
    const other = text.slice(0, 10) + (text[10] === 'A' ? 'B' : 'A') + text.slice(11);
    expect(sameMacText(other, expected)).to.equal(false);
  });

  it('refuses a shorter or longer text without throwing', () => {
    for (const given of ['', text.slice(0, -1), `${text}A`, `${text}${text}`]) {
      expect(sameMacText(given, expected), given).to.equal(false);
    }
  });
});
