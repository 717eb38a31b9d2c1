/**
 * A stand-in for KMS behind aws-sdk-client-mock: real AES-256-GCM with the encryption context
 * as authenticated data, so a ciphertext opens only under its own request id, and the same
 * size overhead as a KMS symmetric ciphertext (~162 bytes), so link lengths are realistic.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  EncryptCommand,
  InvalidCiphertextException,
  type KMSClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-kms';
import type { AwsStub } from 'aws-sdk-client-mock';
import { rememberSecret } from './log-guard';

const HEADER_BYTES = 134; // + 12 IV + 16 tag = 162 bytes over the plaintext
const material = randomBytes(32);
export const TEST_KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

const aad = (context: Record<string, string> | undefined) =>
  Buffer.from(JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => a.localeCompare(b))));

export function fakeEncrypt(keyId: string, plaintext: Uint8Array, context?: Record<string, string>): Uint8Array {
  const header = Buffer.alloc(HEADER_BYTES);
  createHash('sha256').update(keyId).digest().copy(header);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', material, iv).setAAD(Buffer.concat([header, aad(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const blob = Buffer.concat([header, iv, cipher.getAuthTag(), body]);
  rememberSecret(blob.toString('base64url'));
  return blob;
}

export function fakeDecrypt(keyId: string | undefined, blob: Uint8Array, context?: Record<string, string>): Uint8Array {
  const buf = Buffer.from(blob);
  const header = buf.subarray(0, HEADER_BYTES);
  const invalid = () => new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
  if (buf.length < 162 || (keyId && !createHash('sha256').update(keyId).digest().equals(header.subarray(0, 32)))) throw invalid();
  try {
    const decipher = createDecipheriv('aes-256-gcm', material, buf.subarray(HEADER_BYTES, HEADER_BYTES + 12)).setAAD(
      Buffer.concat([header, aad(context)]),
    );
    decipher.setAuthTag(buf.subarray(HEADER_BYTES + 12, 162));
    return Buffer.concat([decipher.update(buf.subarray(162)), decipher.final()]);
  } catch {
    throw invalid();
  }
}

/** Makes a KMSClient stub behave like KMS with the fake envelope. */
export function installFakeKms(kms: AwsStub<ServiceInputTypes, ServiceOutputTypes, KMSClientResolvedConfig>): void {
  kms.on(EncryptCommand).callsFake((input) => ({ CiphertextBlob: fakeEncrypt(input.KeyId, input.Plaintext, input.EncryptionContext), KeyId: input.KeyId }));
  kms.on(DecryptCommand).callsFake((input) => ({ Plaintext: fakeDecrypt(input.KeyId, input.CiphertextBlob, input.EncryptionContext), KeyId: input.KeyId }));
}
