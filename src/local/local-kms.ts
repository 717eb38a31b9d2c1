/**
 * Local stand-ins for the KMS and Secrets Manager calls the Lambdas make, answering as AWS does.
 *
 * KMS: one symmetric key, `LOCAL_KEY_ARN` (us-east-1, a UUID key id) with the alias
 * `alias/email-approval-local`; any of the four forms KMS takes (key id, key ARN, alias name,
 * alias ARN) names it. Encrypt and Decrypt seal with kms-sealing.ts (AES-256-GCM with the key
 * ARN and the encryption context as authenticated data, 162 bytes over the plaintext), so a
 * ciphertext opens only under its own context, as with KMS; plaintext is 1 to 4,096 bytes.
 * DescribeKey, ListKeys and ListAliases answer for the AWS CLI. Ciphertexts local mode sealed
 * before, in the compact layout and under this ARN or the one the key had before
 * (`arn:aws:kms:local:…`), still open: the key material stays in DATA_DIR.
 *
 * Secrets Manager: the link-signing keys as `local/link-signing-keys`, by name or ARN, with a
 * version id that stays the same for a DATA_DIR. Keys live in DATA_DIR so links and sealed
 * tokens survive a restart.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError, startJsonService } from './json-protocol';
import { open, seal } from './kms-sealing';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
export const LOCAL_KEY_ID = '5c0f3d2a-7b1e-4c69-9a84-2f6d1e0b7c3a';
export const LOCAL_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${LOCAL_KEY_ID}`;
export const LOCAL_KEY_ALIAS = 'alias/email-approval-local';
export const LOCAL_KEY_ALIAS_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:${LOCAL_KEY_ALIAS}`;
/** The key's ARN before it had a real-looking one; ciphertexts under it (and the name itself) are still accepted. */
export const LEGACY_KEY_ARN = 'arn:aws:kms:local:000000000000:key/local-task-token-key';
export const LOCAL_MAC_SECRET = 'local/link-signing-keys';
/** Secrets Manager ends a secret's ARN with `-` and six random characters; these are fixed. */
export const LOCAL_MAC_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${LOCAL_MAC_SECRET}-Lk7sQ2`;
const SYMMETRIC_DEFAULT = 'SYMMETRIC_DEFAULT';
const MAX_PLAINTEXT_BYTES = 4096;
const MAX_CIPHERTEXT_BYTES = 6144;
const INVALID_CIPHERTEXT = 'The ciphertext is not valid, or not under this encryption context.';

interface KeyFile {
  tokenKey: string;
  macKey: string;
  /** Added on first start with this version: the secret version's id and creation time (epoch ms), and the key's. */
  macVersionId?: string;
  createdAt?: number;
}

function loadKeys(dataDir: string): Required<KeyFile> {
  const file = join(dataDir, 'keys.json');
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as KeyFile) : undefined;
  if (existing?.macVersionId && existing.createdAt) return existing as Required<KeyFile>;
  mkdirSync(dataDir, { recursive: true });
  const keys: Required<KeyFile> = {
    tokenKey: existing?.tokenKey ?? randomBytes(32).toString('base64'),
    macKey: existing?.macKey ?? randomBytes(32).toString('base64'),
    macVersionId: existing?.macVersionId ?? randomUUID(),
    // A file from before: the keys were made when it was written.
    createdAt: existing?.createdAt ?? (existing ? Math.floor(statSync(file).mtimeMs) : Date.now()),
  };
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

/** The key ids a ciphertext of the local key is bound to: the ARN it seals under, and the one before. */
const SEALING_KEY_IDS = [LOCAL_KEY_ARN, LEGACY_KEY_ARN];
const KEY_NAMES = new Set([LOCAL_KEY_ID, LOCAL_KEY_ARN, LOCAL_KEY_ALIAS, LOCAL_KEY_ALIAS_ARN, LEGACY_KEY_ARN]);

/** Checks that `keyId` (any form KMS takes) names the local key; KMS's errors otherwise. */
function checkKey(keyId: unknown, required: boolean): void {
  if (keyId === undefined || keyId === null) {
    if (required) throw new ServiceError('ValidationException', "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
    return;
  }
  if (typeof keyId !== 'string' || keyId.length < 1 || keyId.length > 2048) throw new ServiceError('ValidationException', "1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must have length between 1 and 2048");
  if (KEY_NAMES.has(keyId)) return;
  if (keyId.startsWith('alias/')) throw new ServiceError('NotFoundException', `Alias arn:aws:kms:${REGION}:${ACCOUNT}:${keyId} is not found.`);
  if (/^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(keyId)) throw new ServiceError('NotFoundException', `Alias ${keyId} is not found.`);
  const arn = keyId.startsWith('arn:') ? keyId : `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
  throw new ServiceError('NotFoundException', `Key '${arn}' does not exist`);
}

function checkAlgorithm(algorithm: unknown): void {
  if (algorithm !== undefined && algorithm !== null && algorithm !== SYMMETRIC_DEFAULT) {
    throw new ServiceError('InvalidKeyUsageException', `You cannot use the encryption algorithm ${String(algorithm)} with ${LOCAL_KEY_ARN}: it is a symmetric encryption key (SYMMETRIC_DEFAULT).`);
  }
}

/** A blob parameter's bytes, within KMS's length bounds for it. */
function blob(value: unknown, name: string, max: number): Buffer {
  if (value === undefined || value === null) throw new ServiceError('ValidationException', `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  const bytes = Buffer.from(String(value), 'base64');
  if (bytes.length < 1) throw new ServiceError('ValidationException', `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length greater than or equal to 1`);
  if (bytes.length > max) throw new ServiceError('ValidationException', `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  return bytes;
}

export async function startLocalKms(dataDir: string, port = 0) {
  const keys = loadKeys(dataDir);
  const material = Buffer.from(keys.tokenKey, 'base64');
  const created = keys.createdAt / 1000;
  const keyMetadata = {
    AWSAccountId: ACCOUNT,
    KeyId: LOCAL_KEY_ID,
    Arn: LOCAL_KEY_ARN,
    CreationDate: created,
    Enabled: true,
    Description: 'Local mode: seals the Step Functions task tokens kept in the table',
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: SYMMETRIC_DEFAULT,
    KeySpec: SYMMETRIC_DEFAULT,
    EncryptionAlgorithms: [SYMMETRIC_DEFAULT],
    MultiRegion: false,
  };
  const secretNames = new Set([LOCAL_MAC_SECRET, LOCAL_MAC_SECRET_ARN, `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${LOCAL_MAC_SECRET}`]);
  const checkSecret = (secretId: unknown) => {
    if (typeof secretId !== 'string' || secretId === '') throw new ServiceError('ValidationException', "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null");
    if (!secretNames.has(secretId)) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  };
  const secretCreated = created;
  const versionsToStages = { [keys.macVersionId]: ['AWSCURRENT'] };

  return startJsonService(
    {
      'TrentService.Encrypt': ({ KeyId, Plaintext, EncryptionContext, EncryptionAlgorithm }) => {
        checkKey(KeyId, true);
        checkAlgorithm(EncryptionAlgorithm);
        const plaintext = blob(Plaintext, 'plaintext', MAX_PLAINTEXT_BYTES);
        const sealed = seal(material, LOCAL_KEY_ARN, plaintext, EncryptionContext as Record<string, string> | undefined);
        return { KeyId: LOCAL_KEY_ARN, CiphertextBlob: sealed.toString('base64'), EncryptionAlgorithm: SYMMETRIC_DEFAULT };
      },
      'TrentService.Decrypt': ({ KeyId, CiphertextBlob, EncryptionContext, EncryptionAlgorithm }) => {
        checkKey(KeyId, false);
        checkAlgorithm(EncryptionAlgorithm);
        const bytes = blob(CiphertextBlob, 'ciphertextBlob', MAX_CIPHERTEXT_BYTES);
        const plaintext = open(material, bytes, EncryptionContext as Record<string, string> | undefined, { keyIds: SEALING_KEY_IDS, compact: true });
        // The ciphertext or its context is wrong; KMS does not say which.
        if (!plaintext) throw new ServiceError('InvalidCiphertextException', INVALID_CIPHERTEXT);
        return { KeyId: LOCAL_KEY_ARN, Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: SYMMETRIC_DEFAULT };
      },
      'TrentService.DescribeKey': ({ KeyId }) => {
        checkKey(KeyId, true);
        return { KeyMetadata: keyMetadata };
      },
      'TrentService.ListKeys': () => ({ Keys: [{ KeyId: LOCAL_KEY_ID, KeyArn: LOCAL_KEY_ARN }], Truncated: false }),
      'TrentService.ListAliases': ({ KeyId }) => {
        checkKey(KeyId, false);
        return { Aliases: [{ AliasName: LOCAL_KEY_ALIAS, AliasArn: LOCAL_KEY_ALIAS_ARN, TargetKeyId: LOCAL_KEY_ID, CreationDate: created, LastUpdatedDate: created }], Truncated: false };
      },
      'secretsmanager.GetSecretValue': ({ SecretId, VersionId, VersionStage }) => {
        checkSecret(SecretId);
        if (VersionStage !== undefined && VersionStage !== 'AWSCURRENT') throw new ServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${String(VersionStage)}`);
        if (VersionId !== undefined && VersionId !== keys.macVersionId) throw new ServiceError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${String(VersionId)}`);
        return {
          ARN: LOCAL_MAC_SECRET_ARN,
          Name: LOCAL_MAC_SECRET,
          VersionId: keys.macVersionId,
          SecretString: JSON.stringify({ current: '1', keys: { '1': keys.macKey } }),
          VersionStages: ['AWSCURRENT'],
          CreatedDate: secretCreated,
        };
      },
      'secretsmanager.DescribeSecret': ({ SecretId }) => {
        checkSecret(SecretId);
        return { ARN: LOCAL_MAC_SECRET_ARN, Name: LOCAL_MAC_SECRET, Description: 'Local mode: the link-signing keys', CreatedDate: secretCreated, LastChangedDate: secretCreated, VersionIdsToStages: versionsToStages };
      },
      'secretsmanager.ListSecrets': () => ({
        SecretList: [{ ARN: LOCAL_MAC_SECRET_ARN, Name: LOCAL_MAC_SECRET, Description: 'Local mode: the link-signing keys', CreatedDate: secretCreated, LastChangedDate: secretCreated, SecretVersionsToStages: versionsToStages }],
      }),
    },
    port,
    'application/x-amz-json-1.1',
  );
}
