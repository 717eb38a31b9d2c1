/** Lambda entry for the link handler: configuration and AWS clients, once per container. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { secretKeyring } from '../adapters/secret-keyring';
import { readEnv } from '../config';
import { createReviewHandler } from '../handlers/review-handler';
import { createLogger } from '../logger';

const env = readEnv(process.env, ['TABLE_NAME', 'TOKEN_KEY_ID', 'MAC_SECRET_ID']);
const keyring = secretKeyring(new SecretsManagerClient({}), env.MAC_SECRET_ID);
keyring().catch(() => undefined);

export const handler = createReviewHandler({
  store: new DynamoRequestStore(new DynamoDBClient({}), env.TABLE_NAME),
  // KMS and Step Functions are loaded on the first POST only: a GET (the cold path a
  // reviewer feels first) never pays for clients it does not use.
  decider: () => import('./review-decider.js').then((m) => m.createDecider(env.TOKEN_KEY_ID)),
  keyring,
  logger: createLogger('approval-review'),
});
