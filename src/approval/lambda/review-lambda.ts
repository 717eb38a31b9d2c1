import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { secretKeyring } from '../adapters/secret-keyring';
import { read, requestTableConfig } from '../config';
import { createReviewHandler } from '../handlers/review-handler';
import { createLogger, type AppLogger } from '../logger';
import type { ClientConfig } from './client-config';
import { REVIEW_ENV } from './env';

/** The link Lambda wired from its environment: config read once, clients built once. */
export function reviewLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('approval-review')) {
  const config = read(REVIEW_ENV, env);
  const keyring = secretKeyring(new SecretsManagerClient({ ...clients.secretsManager }), config.MAC_SECRET_ID, { logger });
  keyring().catch(() => undefined);
  let decider: ReturnType<typeof import('./review-decider.js').createDecider> | undefined;
  return createReviewHandler({
    store: DynamoRequestStore.onTable(new DynamoDBClient({ ...clients.dynamodb }), requestTableConfig(config)),
    // KMS and Step Functions are loaded on the first POST only: a GET (the cold path a
    // reviewer feels first) never pays for clients it does not use.
    decider: async () => (decider ??= (await import('./review-decider.js')).createDecider(config.TOKEN_KEY_ID, clients, config.SENDER_EMAIL)),
    keyring,
    logger,
  });
}
