import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoExecutionRegistry } from '../adapters/dynamo-execution-registry';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { SesMailer } from '../adapters/ses-mailer';
import { read, requestTableConfig } from '../config';
import { createRequestCloserHandler } from '../handlers/execution-ended-handler';
import { createLogger, type AppLogger } from '../logger';
import type { ClientConfig } from './client-config';
import { CLOSER_ENV } from './env';

/** The approval core's closer, run by an EventBridge rule on execution status changes. */
export function closerLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('approval-closer')) {
  const config = read(CLOSER_ENV, env);
  const dynamodb = new DynamoDBClient({ ...clients.dynamodb });
  const table = requestTableConfig(config);
  return createRequestCloserHandler({
    store: DynamoRequestStore.onTable(dynamodb, table),
    executions: new DynamoExecutionRegistry(dynamodb, table.tableName, table.retentionSeconds),
    mailer: new SesMailer(new SESClient({ ...clients.ses }), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET),
    logger,
  });
}
