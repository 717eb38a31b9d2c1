import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { secretKeyring } from '../../approval';
import type { AppLogger } from '../../approval';
import type { ClientConfig } from '../../approval';

/**
 * The key the posts API hashes counted addresses and networks with, from its own secret (the
 * link-signing keys stay out of the public posts Lambda). Loaded on the first post that is
 * counted, in a chunk of its own: reading a post never loads the Secrets Manager client.
 */
export function clientHashKeyring(secretId: string, clients: ClientConfig, logger: AppLogger) {
  return secretKeyring(new SecretsManagerClient({ ...clients.secretsManager }), secretId, { logger });
}
