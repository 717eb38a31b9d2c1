import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../../approval';
import { readEnv } from '../../approval';
import type { ClientConfig } from '../../approval';
import { createLogger, type AppLogger } from '../../approval';
import { DynamoPostStore } from '../adapters/dynamo-post-store';
import { createPostCloserHandler } from '../handlers/post-closer-handler';

/** The blog example's closer: fails a post whose moderation execution ended without an outcome. */
export function postCloserLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('post-closer')) {
  const config = readEnv(env, ['TABLE_NAME', 'SENDER_EMAIL'], ['SES_CONFIGURATION_SET']);
  return createPostCloserHandler({
    posts: new DynamoPostStore(new DynamoDBClient({ ...clients.dynamodb }), config.TABLE_NAME, logger),
    mailer: new SesMailer(new SESClient({ ...clients.ses }), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET),
    logger,
  });
}
