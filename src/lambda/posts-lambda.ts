import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoIdempotencyKeys } from '../adapters/dynamo-idempotency-keys';
import { DynamoPostStore } from '../adapters/dynamo-post-store';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import { readEnv } from '../config';
import { createPostsHandler } from '../handlers/posts-handler';
import { createLogger, type AppLogger } from '../logger';
import type { ClientConfig } from './client-config';

/** The posts API Lambda wired from its environment. */
export function postsLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('posts-api')) {
  const config = readEnv(env, ['TABLE_NAME', 'STATE_MACHINE_ARN']);
  const dynamodb = new DynamoDBClient({ ...clients.dynamodb });
  return createPostsHandler({
    posts: new DynamoPostStore(dynamodb, config.TABLE_NAME),
    keys: new DynamoIdempotencyKeys(dynamodb, config.TABLE_NAME),
    workflow: new SfnWorkflowStarter(new SFNClient({ ...clients.sfn }), config.STATE_MACHINE_ARN),
    logger,
  });
}
