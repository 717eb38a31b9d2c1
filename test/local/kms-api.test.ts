/**
 * Local mode's KMS and Secrets Manager, driven by the real AWS SDK clients: they answer as AWS
 * does (shapes, key id forms, size bounds, error names), and old ciphertexts still open.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  InvalidCiphertextException,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { DescribeSecretCommand, GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { expect } from 'chai';
import { LEGACY_KEY_ARN, LOCAL_KEY_ALIAS, LOCAL_KEY_ALIAS_ARN, LOCAL_KEY_ARN, LOCAL_KEY_ID, LOCAL_MAC_SECRET, LOCAL_MAC_SECRET_ARN, startLocalKms } from '../../src/local/local-kms';

const settings = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

async function rejection(promise: Promise<unknown>): Promise<Error & { name: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { name: string };
  }
  throw new Error('expected a rejection');
}

describe('local mode: KMS and Secrets Manager answer as AWS does', () => {
  let dataDir: string;
  let service: Awaited<ReturnType<typeof startLocalKms>>;
  let kms: KMSClient;
  let secrets: SecretsManagerClient;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-kms-'));
    service = await startLocalKms(dataDir);
    kms = new KMSClient(settings(service.url));
    secrets = new SecretsManagerClient(settings(service.url));
  });
  afterEach(async () => {
    kms.destroy();
    secrets.destroy();
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const context = { requestId: 'r-1' };
  const encrypt = (KeyId: string, plaintext: Uint8Array, EncryptionContext: Record<string, string> = context) => kms.send(new EncryptCommand({ KeyId, Plaintext: plaintext, EncryptionContext }));

  it('has a real-looking key: us-east-1, a UUID key id, and an alias', () => {
    expect(LOCAL_KEY_ID).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(LOCAL_KEY_ARN).to.equal(`arn:aws:kms:us-east-1:000000000000:key/${LOCAL_KEY_ID}`);
    expect(LOCAL_KEY_ALIAS).to.equal('alias/email-approval-local');
    expect(LOCAL_KEY_ALIAS_ARN).to.equal('arn:aws:kms:us-east-1:000000000000:alias/email-approval-local');
  });

  for (const [form, keyId] of [
    ['key ARN', LOCAL_KEY_ARN],
    ['key id', LOCAL_KEY_ID],
    ['alias name', LOCAL_KEY_ALIAS],
    ['alias ARN', LOCAL_KEY_ALIAS_ARN],
  ] as const) {
    it(`encrypts and decrypts with the key named by its ${form}, answering with the key ARN and SYMMETRIC_DEFAULT`, async () => {
      const sealed = await encrypt(keyId, Buffer.from('task token'));
      expect(sealed.KeyId).to.equal(LOCAL_KEY_ARN);
      expect(sealed.EncryptionAlgorithm).to.equal('SYMMETRIC_DEFAULT');
      const opened = await kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }));
      expect(opened.KeyId).to.equal(LOCAL_KEY_ARN);
      expect(opened.EncryptionAlgorithm).to.equal('SYMMETRIC_DEFAULT');
      expect(Buffer.from(opened.Plaintext!).toString()).to.equal('task token');
    });
  }

  it('decrypts without a KeyId, as KMS does for a symmetric key (the ciphertext names it)', async () => {
    const sealed = await encrypt(LOCAL_KEY_ARN, Buffer.from('x'));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(opened.Plaintext!).toString()).to.equal('x');
  });

  it('takes 4,096 bytes of plaintext and refuses 4,097 (and none) with ValidationException', async () => {
    const sealed = await encrypt(LOCAL_KEY_ARN, randomBytes(4096));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }));
    expect(opened.Plaintext!.length).to.equal(4096);
    const tooLong = await rejection(encrypt(LOCAL_KEY_ARN, randomBytes(4097)));
    expect(tooLong.name).to.equal('ValidationException');
    expect(tooLong.message).to.match(/plaintext.*less than or equal to 4096/);
    expect((await rejection(encrypt(LOCAL_KEY_ARN, new Uint8Array(0)))).name).to.equal('ValidationException');
  });

  it('answers NotFoundException for a key or alias it does not have', async () => {
    for (const keyId of ['1234abcd-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab', 'alias/other', 'arn:aws:kms:us-east-1:000000000000:alias/other']) {
      const err = await rejection(encrypt(keyId, Buffer.from('x')));
      expect(err, keyId).to.be.instanceOf(NotFoundException);
    }
    const sealed = await encrypt(LOCAL_KEY_ARN, Buffer.from('x'));
    expect(await rejection(kms.send(new DecryptCommand({ KeyId: 'alias/other', CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context })))).to.be.instanceOf(NotFoundException);
  });

  it('answers InvalidCiphertextException for another context, a changed byte, or something that is no ciphertext', async () => {
    const sealed = await encrypt(LOCAL_KEY_ARN, Buffer.from('x'));
    const decrypt = (blob: Uint8Array, ctx: Record<string, string>) => kms.send(new DecryptCommand({ KeyId: LOCAL_KEY_ARN, CiphertextBlob: blob, EncryptionContext: ctx }));
    expect(await rejection(decrypt(sealed.CiphertextBlob!, { requestId: 'r-2' }))).to.be.instanceOf(InvalidCiphertextException);
    const changed = Buffer.from(sealed.CiphertextBlob!);
    changed[changed.length - 1]! ^= 1;
    expect(await rejection(decrypt(changed, context))).to.be.instanceOf(InvalidCiphertextException);
    expect(await rejection(decrypt(randomBytes(80), context))).to.be.instanceOf(InvalidCiphertextException);
  });

  it('seals in the KMS size: 162 bytes over the plaintext', async () => {
    for (const size of [1, 4096]) {
      const sealed = await encrypt(LOCAL_KEY_ARN, randomBytes(size));
      expect(sealed.CiphertextBlob!.length).to.equal(size + 162);
    }
  });

  describe('ciphertexts local mode sealed before, in the compact layout (an existing DATA_DIR)', () => {
    /** Sealed as the earlier local KMS did: sha256 of a key ARN, IV, tag, body; the header and context as AAD. */
    const compactSeal = (keyArn: string, material: Buffer) => {
      const header = createHash('sha256').update(keyArn).digest();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', material, iv).setAAD(Buffer.concat([header, Buffer.from(JSON.stringify([['requestId', 'r-1']]))]));
      const body = Buffer.concat([cipher.update('old token'), cipher.final()]);
      return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
    };
    const savedMaterial = () => Buffer.from((JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')) as { tokenKey: string }).tokenKey, 'base64');

    for (const [label, arn] of [
      ['the key ARN it has now', LOCAL_KEY_ARN],
      ['the key ARN it used before that', LEGACY_KEY_ARN],
    ] as const) {
      it(`still opens one sealed under ${label}, named by any KeyId form or none`, async () => {
        const old = compactSeal(arn, savedMaterial());
        for (const keyId of [LOCAL_KEY_ARN, LEGACY_KEY_ARN, LOCAL_KEY_ALIAS, undefined]) {
          const opened = await kms.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: old, EncryptionContext: context }));
          expect(Buffer.from(opened.Plaintext!).toString()).to.equal('old token');
        }
        expect(await rejection(kms.send(new DecryptCommand({ CiphertextBlob: old, EncryptionContext: { requestId: 'r-2' } })))).to.be.instanceOf(InvalidCiphertextException);
      });
    }

    it('refuses one bound to another key, or sealed with other key material', async () => {
      for (const old of [compactSeal('arn:aws:kms:us-east-1:000000000000:key/other', savedMaterial()), compactSeal(LOCAL_KEY_ARN, randomBytes(32))]) {
        expect(await rejection(kms.send(new DecryptCommand({ CiphertextBlob: old, EncryptionContext: context })))).to.be.instanceOf(InvalidCiphertextException);
      }
    });
  });

  it('keeps its keys across a restart on the same DATA_DIR', async () => {
    const sealed = await encrypt(LOCAL_KEY_ALIAS, Buffer.from('kept'));
    const { SecretString, VersionId } = await secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_MAC_SECRET }));
    await service.close();
    service = await startLocalKms(dataDir);
    kms.destroy();
    secrets.destroy();
    kms = new KMSClient(settings(service.url));
    secrets = new SecretsManagerClient(settings(service.url));
    const opened = await kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }));
    expect(Buffer.from(opened.Plaintext!).toString()).to.equal('kept');
    const again = await secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_MAC_SECRET }));
    expect(again.SecretString).to.equal(SecretString);
    expect(again.VersionId).to.equal(VersionId);
  });

  it('describes the key and lists it and its alias, for `aws kms describe-key --key-id alias/…`', async () => {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: LOCAL_KEY_ALIAS }));
    expect(KeyMetadata).to.deep.include({ KeyId: LOCAL_KEY_ID, Arn: LOCAL_KEY_ARN, Enabled: true, KeyState: 'Enabled', KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT' });
    expect(KeyMetadata!.CreationDate).to.be.instanceOf(Date);
    expect((await kms.send(new ListKeysCommand({}))).Keys).to.deep.equal([{ KeyId: LOCAL_KEY_ID, KeyArn: LOCAL_KEY_ARN }]);
    const { Aliases } = await kms.send(new ListAliasesCommand({}));
    expect(Aliases).to.have.length(1);
    expect(Aliases![0]).to.deep.include({ AliasName: LOCAL_KEY_ALIAS, AliasArn: LOCAL_KEY_ALIAS_ARN, TargetKeyId: LOCAL_KEY_ID });
    expect(await rejection(kms.send(new DescribeKeyCommand({ KeyId: 'alias/other' })))).to.be.instanceOf(NotFoundException);
  });

  describe('Secrets Manager', () => {
    it('answers GetSecretValue with ARN, Name, a stable VersionId, AWSCURRENT and CreatedDate, by name or ARN', async () => {
      const byName = await secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_MAC_SECRET }));
      expect(byName.ARN).to.equal(LOCAL_MAC_SECRET_ARN);
      expect(byName.ARN).to.match(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:local\/link-signing-keys-[A-Za-z0-9]{6}$/);
      expect(byName.Name).to.equal(LOCAL_MAC_SECRET);
      expect(byName.VersionId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(byName.VersionStages).to.deep.equal(['AWSCURRENT']);
      expect(byName.CreatedDate).to.be.instanceOf(Date);
      expect(Math.abs(byName.CreatedDate!.getTime() - Date.now())).to.be.below(60_000);
      const keys = JSON.parse(byName.SecretString!) as { current: string; keys: Record<string, string> };
      expect(keys.keys[keys.current]).to.be.a('string');

      const byArn = await secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_MAC_SECRET_ARN, VersionStage: 'AWSCURRENT' }));
      expect(byArn).to.deep.include({ ARN: byName.ARN, Name: byName.Name, VersionId: byName.VersionId, SecretString: byName.SecretString });
      const byVersion = await secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_MAC_SECRET, VersionId: byName.VersionId }));
      expect(byVersion.SecretString).to.equal(byName.SecretString);
    });

    it('answers ResourceNotFoundException for an unknown secret, stage or version', async () => {
      expect(await rejection(secrets.send(new GetSecretValueCommand({ SecretId: 'other/secret' })))).to.be.instanceOf(ResourceNotFoundException);
      expect(await rejection(secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_MAC_SECRET, VersionStage: 'AWSPREVIOUS' })))).to.be.instanceOf(ResourceNotFoundException);
      expect(await rejection(secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_MAC_SECRET, VersionId: '00000000-0000-4000-8000-000000000000' })))).to.be.instanceOf(ResourceNotFoundException);
    });

    it('describes the secret with its version and stage', async () => {
      const { VersionId } = await secrets.send(new GetSecretValueCommand({ SecretId: LOCAL_MAC_SECRET }));
      const described = await secrets.send(new DescribeSecretCommand({ SecretId: LOCAL_MAC_SECRET_ARN }));
      expect(described.Name).to.equal(LOCAL_MAC_SECRET);
      expect(described.VersionIdsToStages).to.deep.equal({ [VersionId!]: ['AWSCURRENT'] });
    });
  });
});
