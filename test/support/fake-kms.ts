/**
 * A stand-in for KMS behind aws-sdk-client-mock, sealing as local mode's KMS does
 * (src/local/kms-sealing.ts): real AES-256-GCM bound to the key id, with the encryption context
 * as authenticated data, so a ciphertext opens only under its own key and request id, and the
 * same size overhead as a KMS symmetric ciphertext (162 bytes), so link lengths are realistic.
 * Every ciphertext it makes is registered with the log guard, which fails a test that logs one.
 */
import {
  DecryptCommand,
  EncryptCommand,
  InvalidCiphertextException,
  type KMSClientResolvedConfig,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-kms';
import type { AwsStub } from 'aws-sdk-client-mock';
import { newKeyMaterial, open, seal } from '../../src/local/kms-sealing';
import { rememberSecret } from './log-guard';

const material = newKeyMaterial();
export const TEST_KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';

export function fakeEncrypt(keyId: string, plaintext: Uint8Array, context?: Record<string, string>): Uint8Array {
  const blob = seal(material, keyId, plaintext, context);
  rememberSecret(blob.toString('base64url'));
  return blob;
}

/** The plaintext, or KMS's InvalidCiphertextException; with a `keyId`, only a ciphertext bound to it opens. */
export function fakeDecrypt(keyId: string | undefined, blob: Uint8Array, context?: Record<string, string>): Uint8Array {
  const plaintext = open(material, blob, context, keyId ? { keyIds: [keyId] } : {});
  if (!plaintext) throw new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
  return plaintext;
}

/** Makes a KMSClient stub behave like KMS with the fake envelope. */
export function installFakeKms(kms: AwsStub<ServiceInputTypes, ServiceOutputTypes, KMSClientResolvedConfig>): void {
  kms.on(EncryptCommand).callsFake((input) => ({ CiphertextBlob: fakeEncrypt(input.KeyId, input.Plaintext, input.EncryptionContext), KeyId: input.KeyId }));
  kms.on(DecryptCommand).callsFake((input) => ({ Plaintext: fakeDecrypt(input.KeyId, input.CiphertextBlob, input.EncryptionContext), KeyId: input.KeyId }));
}
