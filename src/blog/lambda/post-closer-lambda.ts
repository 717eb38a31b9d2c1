import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../../approval';
import { read } from '../../approval';
import type { ClientConfig } from '../../approval';
import { createLogger, type AppLogger } from '../../approval';
import { DynamoPostStore } from '../adapters/dynamo-post-store';
import { createPostCloserHandler } from '../handlers/post-closer-handler';
import { POST_CLOSER_ENV } from './env';

/** The blog example's closer: fails a post whose moderation execution ended without an outcome. */
export function postCloserLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('post-closer')) {
  const config = read(POST_CLOSER_ENV, env);
  return createPostCloserHandler({
    posts: new DynamoPostStore(new DynamoDBClient({ ...clients.dynamodb }), config.TABLE_NAME, logger),
    mailer: new SesMailer(new SESClient({ ...clients.ses }), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET),
    logger,
  });
}
