/**
 * The one sealing every KMS stand-in uses (local mode's KMS, the unit tests' stubbed KMSClient,
 * the bench): a ciphertext opens only with its own key material, key id and encryption context,
 * any changed byte refuses it, and it is as long as a KMS symmetric ciphertext.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { newKeyMaterial, open, SEAL_HEADER_BYTES, SEAL_OVERHEAD_BYTES, seal } from '../../src/local/kms-sealing';

const KEY = 'arn:aws:kms:us-east-1:000000000000:key/5c0f3d2a-7b1e-4c69-9a84-2f6d1e0b7c3a';
const OTHER_KEY = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000';
const context = { requestId: 'r-1', purpose: 'task-token' };

describe('kms-sealing: the AES-256-GCM envelope of the KMS stand-ins', () => {
  const material = newKeyMaterial();
  const plaintext = Buffer.from('a task token');

  it('opens what it sealed, under the same context (in any key order), bound key id or none', () => {
    const blob = seal(material, KEY, plaintext, context);
    expect(open(material, blob, { purpose: 'task-token', requestId: 'r-1' }, { keyIds: [KEY] })?.toString()).to.equal('a task token');
    expect(open(material, blob, context)?.toString()).to.equal('a task token');
    expect(open(material, blob, context, { keyIds: [OTHER_KEY, KEY] })?.toString()).to.equal('a task token');
  });

  it('treats an absent context as the empty one', () => {
    expect(open(material, seal(material, KEY, plaintext), {})?.toString()).to.equal('a task token');
    expect(open(material, seal(material, KEY, plaintext, {}), undefined)?.toString()).to.equal('a task token');
  });

  it('adds 162 bytes, as KMS does for a symmetric key, and starts with the key id hash then zeros', () => {
    for (const size of [1, 100, 4096]) expect(seal(material, KEY, randomBytes(size), context).length).to.equal(size + 162);
    expect(SEAL_OVERHEAD_BYTES).to.equal(162);
    const blob = seal(material, KEY, plaintext, context);
    expect(blob.subarray(0, 32).equals(createHash('sha256').update(KEY).digest())).to.equal(true);
    expect(blob.subarray(32, SEAL_HEADER_BYTES).every((b) => b === 0)).to.equal(true);
  });

  it('seals the same plaintext differently each time (a fresh IV)', () => {
    expect(seal(material, KEY, plaintext, context).equals(seal(material, KEY, plaintext, context))).to.equal(false);
  });

  it('refuses another context: a changed value, an extra or a missing entry', () => {
    const blob = seal(material, KEY, plaintext, context);
    expect(open(material, blob, { ...context, requestId: 'r-2' })).to.equal(undefined);
    expect(open(material, blob, { ...context, extra: 'x' })).to.equal(undefined);
    expect(open(material, blob, { requestId: 'r-1' })).to.equal(undefined);
    expect(open(material, blob, undefined)).to.equal(undefined);
  });

  it('refuses another key id, and other key material', () => {
    const blob = seal(material, KEY, plaintext, context);
    expect(open(material, blob, context, { keyIds: [OTHER_KEY] })).to.equal(undefined);
    expect(open(material, blob, context, { keyIds: [] })).to.equal(undefined);
    expect(open(newKeyMaterial(), blob, context)).to.equal(undefined);
  });

  it('refuses a ciphertext with any one byte changed: header, IV, tag or body', () => {
    const blob = seal(material, KEY, plaintext, context);
    for (const at of [0, 31, 32, SEAL_HEADER_BYTES - 1, SEAL_HEADER_BYTES, SEAL_HEADER_BYTES + 12, SEAL_OVERHEAD_BYTES - 1, blob.length - 1]) {
      const changed = Buffer.from(blob);
      changed[at]! ^= 1;
      expect(open(material, changed, context), `byte ${at}`).to.equal(undefined);
      expect(open(material, changed, context, { compact: true }), `byte ${at}, compact allowed`).to.equal(undefined);
    }
  });

  it('refuses something that is no ciphertext: too short, cut short, or random bytes', () => {
    const blob = seal(material, KEY, plaintext, context);
    expect(open(material, blob.subarray(0, blob.length - 1), context)).to.equal(undefined);
    expect(open(material, blob.subarray(0, SEAL_OVERHEAD_BYTES - 1), context)).to.equal(undefined);
    expect(open(material, new Uint8Array(), context, { compact: true })).to.equal(undefined);
    expect(open(material, randomBytes(80), context, { compact: true })).to.equal(undefined);
    expect(open(material, randomBytes(400), context, { compact: true })).to.equal(undefined);
  });

  describe('the compact layout local mode sealed in before (32-byte header)', () => {
    /** Sealed as local mode's KMS did: SHA-256 of the key ARN, IV, tag, body; the header and the sorted context as AAD. */
    function compactSeal(keyId: string, text: string): Buffer {
      const header = createHash('sha256').update(keyId).digest();
      const iv = randomBytes(12);
      const aad = Buffer.from(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))));
      const cipher = createCipheriv('aes-256-gcm', material, iv).setAAD(Buffer.concat([header, aad]));
      const body = Buffer.concat([cipher.update(text), cipher.final()]);
      return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
    }

    it('opens only when asked for, under its key id and context', () => {
      const old = compactSeal(KEY, 'old token');
      expect(open(material, old, context, { compact: true, keyIds: [KEY] })?.toString()).to.equal('old token');
      expect(open(material, old, context)).to.equal(undefined);
      expect(open(material, old, context, { compact: true, keyIds: [OTHER_KEY] })).to.equal(undefined);
      expect(open(material, old, { requestId: 'r-2' }, { compact: true })).to.equal(undefined);
      const changed = Buffer.from(old);
      changed[changed.length - 1]! ^= 1;
      expect(open(material, changed, context, { compact: true })).to.equal(undefined);
    });
  });
});
