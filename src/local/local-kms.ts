/**
 * Local stand-ins for the KMS and Secrets Manager calls the Lambdas make: Encrypt and Decrypt
 * (AES-256-GCM, the encryption context as authenticated data, so a ciphertext opens only under
 * its own context, as with KMS) and GetSecretValue for the link-signing keys. Keys live in
 * DATA_DIR so links and sealed tokens survive a restart.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError, startJsonService } from './json-protocol';

export const LOCAL_KEY_ARN = 'arn:aws:kms:local:000000000000:key/local-task-token-key';
export const LOCAL_MAC_SECRET = 'local/link-signing-keys';

interface KeyFile {
  tokenKey: string;
  macKey: string;
}

function loadKeys(dataDir: string): KeyFile {
  const file = join(dataDir, 'keys.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as KeyFile;
  mkdirSync(dataDir, { recursive: true });
  const keys = { tokenKey: randomBytes(32).toString('base64'), macKey: randomBytes(32).toString('base64') };
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

const HEADER = 32; // key id hash, where KMS keeps its key reference
const aad = (header: Buffer, context: unknown) =>
  Buffer.concat([header, Buffer.from(JSON.stringify(Object.entries((context ?? {}) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b))))]);

export async function startLocalKms(dataDir: string, port = 0) {
  const keys = loadKeys(dataDir);
  const material = Buffer.from(keys.tokenKey, 'base64');
  const header = createHash('sha256').update(LOCAL_KEY_ARN).digest();
  const checkKey = (keyId: unknown) => {
    if (keyId !== undefined && keyId !== LOCAL_KEY_ARN) throw new ServiceError('NotFoundException', 'key not found');
  };

  return startJsonService(
    {
      'TrentService.Encrypt': ({ KeyId, Plaintext, EncryptionContext }) => {
        checkKey(KeyId);
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', material, iv).setAAD(aad(header, EncryptionContext));
        const body = Buffer.concat([cipher.update(Buffer.from(String(Plaintext), 'base64')), cipher.final()]);
        return { KeyId: LOCAL_KEY_ARN, CiphertextBlob: Buffer.concat([header, iv, cipher.getAuthTag(), body]).toString('base64') };
      },
      'TrentService.Decrypt': ({ KeyId, CiphertextBlob, EncryptionContext }) => {
        checkKey(KeyId);
        const blob = Buffer.from(String(CiphertextBlob), 'base64');
        if (blob.length < HEADER + 28 || !blob.subarray(0, HEADER).equals(header)) throw new ServiceError('InvalidCiphertextException', 'invalid ciphertext');
        try {
          const decipher = createDecipheriv('aes-256-gcm', material, blob.subarray(HEADER, HEADER + 12)).setAAD(aad(header, EncryptionContext));
          decipher.setAuthTag(blob.subarray(HEADER + 12, HEADER + 28));
          return { KeyId: LOCAL_KEY_ARN, Plaintext: Buffer.concat([decipher.update(blob.subarray(HEADER + 28)), decipher.final()]).toString('base64') };
        } catch {
          throw new ServiceError('InvalidCiphertextException', 'invalid ciphertext');
        }
      },
      'secretsmanager.GetSecretValue': ({ SecretId }) => {
        if (SecretId !== LOCAL_MAC_SECRET) throw new ServiceError('ResourceNotFoundException', 'secret not found');
        return { ARN: LOCAL_MAC_SECRET, Name: LOCAL_MAC_SECRET, SecretString: JSON.stringify({ current: '1', keys: { '1': keys.macKey } }) };
      },
    },
    port,
    'application/x-amz-json-1.1',
  );
}
