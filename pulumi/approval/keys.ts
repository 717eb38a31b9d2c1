import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { tokenKeyPolicy } from './iam-policies';

/** A KMS alias from any stack name: only letters, digits, `/`, `_` and `-`, at most 256 characters with `alias/`. */
export function aliasName(base: string): string {
  return `alias/${base.replace(/[^A-Za-z0-9/_-]/g, '-').slice(0, 250)}`;
}

/**
 * A Secrets Manager secret holding a keyring, `{"current":"1","keys":{"1":"<base64>"}}`, its first
 * key 32 random bytes kept in Pulumi state as a secret (the README's "Rotating the MAC key" adds
 * versions). Named `${name}-key`, `${name}-secret`, `${name}-secret-v1`.
 */
export function keyringSecret(name: string, description: string, parent: pulumi.Resource): aws.secretsmanager.Secret {
  const opts = { parent };
  const key = new random.RandomBytes(`${name}-key`, { length: 32 }, opts);
  const secret = new aws.secretsmanager.Secret(`${name}-secret`, { description }, opts);
  new aws.secretsmanager.SecretVersion(`${name}-secret-v1`, { secretId: secret.id, secretString: pulumi.jsonStringify({ current: '1', keys: { '1': key.base64 } }) }, opts);
  return secret;
}

/**
 * The key that seals task tokens, with rotation on and an alias per stack: only `encryptRole` may
 * encrypt and only `decryptRoles` decrypt (see `tokenKeyPolicy`). Named `${name}-token-key…`.
 */
export function tokenKey(
  name: string,
  a: { partition: pulumi.Input<string>; accountId: pulumi.Input<string>; encryptRole: aws.iam.Role; decryptRoles: aws.iam.Role[] },
  parent: pulumi.Resource,
): aws.kms.Key {
  const key = new aws.kms.Key(
    `${name}-token-key`,
    {
      description: 'Seals Step Functions task tokens carried in review links',
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: pulumi
        .all([a.partition, a.accountId, a.encryptRole.arn, pulumi.all(a.decryptRoles.map((r) => r.arn))])
        .apply(([partition, accountId, requestRoleArn, decryptRoleArns]) => JSON.stringify(tokenKeyPolicy({ partition, accountId, requestRoleArn, decryptRoleArns }))),
    },
    { parent },
  );
  new aws.kms.Alias(`${name}-token-key-alias`, { name: aliasName(`${name}-task-token-${pulumi.getStack()}`), targetKeyId: key.keyId }, { parent });
  return key;
}
