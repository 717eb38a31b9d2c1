/**
 * Local mode's Lambda environments, one per function, written from the same schemas the Lambdas
 * read at cold start and the Pulumi program writes on AWS: local mode differs only in values.
 */
import { toEnvironment } from '../approval/config';
import { ADMIN_ENV } from '../approval/lambda/admin-env';
import { CLOSER_ENV, REQUEST_ENV, REVIEW_ENV, SWEEPER_ENV } from '../approval/lambda/env';
import { NOTIFY_ENV, POSTS_ENV, POST_CLOSER_ENV } from '../blog/lambda/env';

export interface LocalEnvSettings {
  /** The approval core's table, and the blog example's own. */
  tableName: string;
  postsTableName: string;
  tokenKeyId: string;
  macSecretId: string;
  /** The key the posts API hashes what it counts with. */
  clientHashSecretId: string;
  senderEmail: string;
  /** The local HTTP API's base URL: links point at `${apiUrl}/review`, sign-in links at `apiUrl`. */
  apiUrl: string;
  stateMachineArn: string;
  admins: string[];
  reminderHoursBeforeExpiry: number;
  /** Undefined: the schema's default, in every function that reads requests. */
  pendingShards?: number;
  /** Abuse limits; undefined turns one off here (a person trying it, the bench and the tests all post from loopback). */
  postsPerAuthorPerHour?: number;
  postsPerClientPerHour?: number;
  signInsPerAddressPer15Minutes?: number;
}

export type LocalEnvironments = Record<'request' | 'review' | 'admin' | 'sweeper' | 'closer' | 'posts' | 'notify' | 'postCloser', Record<string, string>>;

/** Every function's environment; throws, naming each, on a value a Lambda would refuse. */
export function localEnvironments(s: LocalEnvSettings): LocalEnvironments {
  // One table layout for every Lambda that reads or writes requests, as the Pulumi component passes it.
  const table = { TABLE_NAME: s.tableName, AUDIT_RETENTION_DAYS: undefined, PENDING_SHARDS: s.pendingShards };
  const keys = { TOKEN_KEY_ID: s.tokenKeyId, MAC_SECRET_ID: s.macSecretId, SENDER_EMAIL: s.senderEmail };
  const mail = { SENDER_EMAIL: s.senderEmail, SES_CONFIGURATION_SET: undefined };
  const reviewUrl = `${s.apiUrl}/review`;
  return {
    request: toEnvironment(REQUEST_ENV, { ...table, ...keys, ...mail, REVIEW_URL: reviewUrl }),
    review: toEnvironment(REVIEW_ENV, { ...table, ...keys }),
    admin: toEnvironment(ADMIN_ENV, { ...table, ...keys, BASE_URL: s.apiUrl, ADMINS: s.admins, SIGN_INS_PER_ADDRESS_PER_15_MINUTES: s.signInsPerAddressPer15Minutes ?? 0 }),
    sweeper: toEnvironment(SWEEPER_ENV, { ...table, ...keys, ...mail, REVIEW_URL: reviewUrl, REMINDER_HOURS_BEFORE_EXPIRY: s.reminderHoursBeforeExpiry }),
    closer: toEnvironment(CLOSER_ENV, { ...table, ...mail }),
    posts: toEnvironment(POSTS_ENV, {
      TABLE_NAME: s.postsTableName,
      STATE_MACHINE_ARN: s.stateMachineArn,
      CLIENT_HASH_SECRET_ID: s.clientHashSecretId,
      POSTS_PER_AUTHOR_PER_HOUR: s.postsPerAuthorPerHour ?? 0,
      POSTS_PER_CLIENT_PER_HOUR: s.postsPerClientPerHour ?? 0,
    }),
    notify: toEnvironment(NOTIFY_ENV, mail),
    postCloser: toEnvironment(POST_CLOSER_ENV, { TABLE_NAME: s.postsTableName, ...mail }),
  };
}
