import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoExecutionRegistry } from '../adapters/dynamo-execution-registry';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { KmsTokenCipher } from '../adapters/kms-token-cipher';
import { secretKeyring } from '../adapters/secret-keyring';
import { SesMailer } from '../adapters/ses-mailer';
import { read, requestTableConfig } from '../config';
import { createRequestHandler } from '../handlers/request-handler';
import { createLogger, type AppLogger } from '../logger';
import type { ClientConfig } from './client-config';
import { REQUEST_ENV } from './env';

/** The request Lambda wired from its environment: config read once, clients built once. */
export function requestLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('approval-request')) {
  const config = read(REQUEST_ENV, env);
  const keyring = secretKeyring(new SecretsManagerClient({ ...clients.secretsManager }), config.MAC_SECRET_ID, { logger });
  // Start loading during the init phase; the first invocation awaits the same promise.
  keyring().catch(() => undefined);
  const dynamodb = new DynamoDBClient({ ...clients.dynamodb });
  const table = requestTableConfig(config);
  return createRequestHandler({
    store: DynamoRequestStore.onTable(dynamodb, table),
    executions: new DynamoExecutionRegistry(dynamodb, table.tableName, table.retentionSeconds),
    cipher: new KmsTokenCipher(new KMSClient({ ...clients.kms }), config.TOKEN_KEY_ID),
    mailer: new SesMailer(new SESClient({ ...clients.ses }), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET),
    keyring,
    reviewUrl: config.REVIEW_URL,
    logger,
  });
}
