/**
 * The blog example's Lambdas' environments, one schema each, declared with the approval core's
 * schema helpers: read by the Lambda at cold start and written by the Pulumi program and local
 * mode from the same declaration.
 */
import { DEFAULT_LIMITS, defineEnv, optional, rateLimit, required } from '../../approval';

/**
 * The posts API. POSTS_PER_AUTHOR_PER_HOUR and POSTS_PER_CLIENT_PER_HOUR limit new posts (0
 * turning one off); while either is on, CLIENT_HASH_SECRET_ID must name the secret whose key
 * hashes what is counted.
 */
export const POSTS_ENV = defineEnv({
  TABLE_NAME: required(),
  STATE_MACHINE_ARN: required(),
  CLIENT_HASH_SECRET_ID: optional(),
  POSTS_PER_AUTHOR_PER_HOUR: rateLimit(DEFAULT_LIMITS.postsPerAuthorPerHour),
  POSTS_PER_CLIENT_PER_HOUR: rateLimit(DEFAULT_LIMITS.postsPerClientPerHour),
});

/** The author-notification task. */
export const NOTIFY_ENV = defineEnv({
  SENDER_EMAIL: required(),
  SES_CONFIGURATION_SET: optional(),
});

/** The post closer: fails a post whose moderation execution ended without an outcome. */
export const POST_CLOSER_ENV = defineEnv({
  TABLE_NAME: required(),
  SENDER_EMAIL: required(),
  SES_CONFIGURATION_SET: optional(),
});
