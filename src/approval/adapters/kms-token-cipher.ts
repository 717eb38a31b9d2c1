import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { ApprovalError } from '../domain/errors';
import type { TokenCipher } from '../domain/ports';
import { serviceError } from './aws-errors';

function mapError(err: unknown): ApprovalError {
  // Throttled or unavailable: retry later. Every other KMS failure (wrong context, disabled key,
  // tampered blob) reads the same: a fault.
  return serviceError(err, 'INTERNAL') as ApprovalError;
}

/** TokenCipher on a symmetric KMS key; the encryption context binds each ciphertext to its request. */
export class KmsTokenCipher implements TokenCipher {
  constructor(private readonly client: KMSClient, private readonly keyId: string) {}

  async encrypt(plaintext: Uint8Array, context: Record<string, string>): Promise<Uint8Array> {
    try {
      const { CiphertextBlob } = await this.client.send(new EncryptCommand({ KeyId: this.keyId, Plaintext: plaintext, EncryptionContext: context }));
      if (!CiphertextBlob) throw new Error('KMS returned no ciphertext');
      return CiphertextBlob;
    } catch (err) {
      throw mapError(err);
    }
  }

  async decrypt(ciphertext: Uint8Array, context: Record<string, string>): Promise<Uint8Array> {
    try {
      // Naming the key makes KMS refuse a ciphertext made under any other key.
      const { Plaintext } = await this.client.send(new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: ciphertext, EncryptionContext: context }));
      if (!Plaintext) throw new Error('KMS returned no plaintext');
      return Plaintext;
    } catch (err) {
      throw mapError(err);
    }
  }
}
