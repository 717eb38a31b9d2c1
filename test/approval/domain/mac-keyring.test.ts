import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { keyringFromSecret } from '../../../src/approval/domain/mac-keyring';

const key = () => randomBytes(32).toString('base64');
const secret = (current: unknown, keys: unknown) => JSON.stringify({ current, keys });

describe('MAC keyring from the secret', () => {
  it('signs with the current version and finds every version it holds, and no other', () => {
    const ring = keyringFromSecret(secret('2', { '1': key(), '2': key() }));
    expect(ring.current.version).to.equal('2');
    expect(ring.get('2')).to.equal(ring.current);
    expect(ring.get('1')?.version).to.equal('1');
    expect(ring.get('1')?.key).to.not.equal(ring.current.key);
    expect(ring.get('3')).to.equal(undefined);
    expect(ring.get('')).to.equal(undefined);
  });

  it('accepts versions of one to four digits, 0 to 9 each', () => {
    for (const version of ['0', '9', '10', '1234', '9999', '0001']) {
      expect(keyringFromSecret(secret(version, { [version]: key() })).current.version, version).to.equal(version);
    }
  });

  it('refuses a current version that is not one to four digits', () => {
    for (const version of ['', '12345', 'a', '1a', 'a1', ' 1', '1 ', '1.5', '-1']) {
      expect(() => keyringFromSecret(secret(version, { '1': key() })), JSON.stringify(version)).to.throw('"current" must be a version string of digits');
    }
    expect(() => keyringFromSecret(secret(1, { '1': key() }))).to.throw('"current" must be a version string of digits');
  });

  it('refuses a key stored under a version that is not one to four digits, naming the version', () => {
    for (const version of ['12345', 'a', '1a', 'a1', '']) {
      expect(() => keyringFromSecret(secret('1', { '1': key(), [version]: key() })), version).to.throw(`key version ${JSON.stringify(version)} is not valid`);
    }
  });

  it('refuses keys that are not objects, and key values that are not text', () => {
    expect(() => keyringFromSecret(secret('1', null))).to.throw('"keys" must be an object');
    expect(() => keyringFromSecret(secret('1', 'abc'))).to.throw('"keys" must be an object');
    expect(() => keyringFromSecret(JSON.stringify({ current: '1' }))).to.throw('"keys" must be an object');
    expect(() => keyringFromSecret(secret('1', { '1': 42 }))).to.throw('key version "1" is not valid');
    expect(() => keyringFromSecret('null')).to.throw('"current"');
  });

  it('takes a key of exactly 32 bytes and refuses 31', () => {
    expect(keyringFromSecret(secret('1', { '1': randomBytes(32).toString('base64') })).current.version).to.equal('1');
    expect(() => keyringFromSecret(secret('1', { '1': randomBytes(31).toString('base64') }))).to.throw('key version 1 is shorter than 32 bytes');
  });

  it('uses the key bytes the secret holds', () => {
    const bytes = randomBytes(32);
    const ring = keyringFromSecret(secret('1', { '1': bytes.toString('base64') }));
    expect(ring.current.key.export()).to.deep.equal(bytes);
  });
});
