/** Lambda entry for the request task: configuration and AWS clients, once per container. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { KmsTokenCipher } from '../adapters/kms-token-cipher';
import { secretKeyring } from '../adapters/secret-keyring';
import { SesMailer } from '../adapters/ses-mailer';
import { readEnv } from '../config';
import { createRequestHandler } from '../handlers/request-handler';
import { createLogger } from '../logger';

const env = readEnv(process.env, ['TABLE_NAME', 'TOKEN_KEY_ID', 'MAC_SECRET_ID', 'SENDER_EMAIL', 'REVIEW_URL'], ['SES_CONFIGURATION_SET']);
const keyring = secretKeyring(new SecretsManagerClient({}), env.MAC_SECRET_ID);
// Start loading during the init phase; the first invocation awaits the same promise.
keyring().catch(() => undefined);

export const handler = createRequestHandler({
  store: new DynamoRequestStore(new DynamoDBClient({}), env.TABLE_NAME),
  cipher: new KmsTokenCipher(new KMSClient({}), env.TOKEN_KEY_ID),
  mailer: new SesMailer(new SESClient({}), env.SENDER_EMAIL, env.SES_CONFIGURATION_SET),
  keyring,
  reviewUrl: env.REVIEW_URL,
  logger: createLogger('approval-request'),
});
