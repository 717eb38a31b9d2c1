/** Lambda entry for the posts API: configuration and AWS clients, once per container. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoPostStore } from '../adapters/dynamo-post-store';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import { readEnv } from '../config';
import { createPostsHandler } from '../handlers/posts-handler';
import { createLogger } from '../logger';

const env = readEnv(process.env, ['TABLE_NAME', 'STATE_MACHINE_ARN']);

export const handler = createPostsHandler({
  posts: new DynamoPostStore(new DynamoDBClient({}), env.TABLE_NAME),
  workflow: new SfnWorkflowStarter(new SFNClient({}), env.STATE_MACHINE_ARN),
  logger: createLogger('posts-api'),
});
