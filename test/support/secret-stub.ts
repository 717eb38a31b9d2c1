/**
 * One Secrets Manager stub for every suite: aws-sdk-client-mock replaces the client's `send` for
 * the whole process, and a second mockClient() would undo the first. Suites reset it themselves.
 */
import { randomBytes } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { rememberSecret } from './log-guard';

export const secretsManager = mockClient(SecretsManagerClient);

/** A fresh 32-byte MAC key, base64, registered with the log guard. */
export function macKey(): string {
  const value = randomBytes(32).toString('base64');
  rememberSecret(value);
  return value;
}

/** Makes the stub's secret hold `secret` from now on, as a rotation in Secrets Manager would. */
export function holdSecret(secret: { current: string; keys: Record<string, string> }): void {
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secret) });
}

/** How many times the secret was read. */
export const secretReads = (): number => secretsManager.commandCalls(GetSecretValueCommand).length;
