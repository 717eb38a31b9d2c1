import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { keyringFromSecret, type MacKeyring } from '../domain/mac-keyring';

/**
 * Loads the link-signing keyring from a Secrets Manager secret that only the two Lambdas may
 * read. Memoised per container; a failed load is forgotten so the next invocation retries.
 */
export function secretKeyring(client: SecretsManagerClient, secretId: string): () => Promise<MacKeyring> {
  let loading: Promise<MacKeyring> | undefined;
  return () => {
    loading ??= client
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then(({ SecretString }) => keyringFromSecret(SecretString ?? ''))
      .catch((err: unknown) => {
        loading = undefined;
        throw err;
      });
    return loading;
  };
}
