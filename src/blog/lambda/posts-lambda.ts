import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoIdempotencyKeys } from '../adapters/dynamo-idempotency-keys';
import { DynamoPostStore } from '../adapters/dynamo-post-store';
import { DynamoRateCounter } from '../../approval';
import { SfnWorkflowStarter } from '../adapters/sfn-workflow-starter';
import { read } from '../../approval';
import type { MacKeyring } from '../../approval';
import { createPostsHandler } from '../handlers/posts-handler';
import { createLogger, type AppLogger } from '../../approval';
import type { PostLimits } from '../services/posts';
import type { ClientConfig } from '../../approval';
import { POSTS_ENV } from './env';

/**
 * The posts API Lambda wired from its environment (POSTS_ENV): while either posts limit is on,
 * CLIENT_HASH_SECRET_ID names the secret whose key hashes what is counted.
 */
export function postsLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('posts-api')) {
  const config = read(POSTS_ENV, env);
  const { POSTS_PER_AUTHOR_PER_HOUR: perAuthorPerHour, POSTS_PER_CLIENT_PER_HOUR: perClientPerHour } = config;
  const dynamodb = new DynamoDBClient({ ...clients.dynamodb });
  let limits: PostLimits | undefined;
  if (perAuthorPerHour > 0 || perClientPerHour > 0) {
    const secretId = config.CLIENT_HASH_SECRET_ID;
    if (!secretId) throw new Error('Missing environment variables: CLIENT_HASH_SECRET_ID (needed while POSTS_PER_AUTHOR_PER_HOUR or POSTS_PER_CLIENT_PER_HOUR is above 0)');
    let keyring: ((version?: string) => Promise<MacKeyring>) | undefined;
    const load = async () => (keyring ??= (await import('./client-hash-keyring.js')).clientHashKeyring(secretId, clients, logger));
    limits = { counter: new DynamoRateCounter(dynamodb, config.TABLE_NAME), keyring: async () => (await load())(), perAuthorPerHour, perClientPerHour };
  }
  return createPostsHandler({
    posts: new DynamoPostStore(dynamodb, config.TABLE_NAME, logger),
    keys: new DynamoIdempotencyKeys(dynamodb, config.TABLE_NAME),
    workflow: new SfnWorkflowStarter(new SFNClient({ ...clients.sfn }), config.STATE_MACHINE_ARN),
    limits,
    logger,
  });
}
