import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoExecutionRegistry } from '../adapters/dynamo-execution-registry';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { KmsTokenCipher } from '../adapters/kms-token-cipher';
import { secretKeyring } from '../adapters/secret-keyring';
import { SesMailer } from '../adapters/ses-mailer';
import { readEnv, retentionSeconds } from '../config';
import { createRequestHandler } from '../handlers/request-handler';
import { createLogger, type AppLogger } from '../logger';
import type { ClientConfig } from './client-config';

/** The request Lambda wired from its environment: config read once, clients built once. */
export function requestLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('approval-request')) {
  const config = readEnv(env, ['TABLE_NAME', 'TOKEN_KEY_ID', 'MAC_SECRET_ID', 'SENDER_EMAIL', 'REVIEW_URL'], ['SES_CONFIGURATION_SET', 'AUDIT_RETENTION_DAYS']);
  const keyring = secretKeyring(new SecretsManagerClient({ ...clients.secretsManager }), config.MAC_SECRET_ID, { logger });
  // Start loading during the init phase; the first invocation awaits the same promise.
  keyring().catch(() => undefined);
  const dynamodb = new DynamoDBClient({ ...clients.dynamodb });
  const retention = retentionSeconds(config.AUDIT_RETENTION_DAYS);
  return createRequestHandler({
    store: new DynamoRequestStore(dynamodb, config.TABLE_NAME, retention),
    executions: new DynamoExecutionRegistry(dynamodb, config.TABLE_NAME, retention),
    cipher: new KmsTokenCipher(new KMSClient({ ...clients.kms }), config.TOKEN_KEY_ID),
    mailer: new SesMailer(new SESClient({ ...clients.ses }), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET),
    keyring,
    reviewUrl: config.REVIEW_URL,
    logger,
  });
}
