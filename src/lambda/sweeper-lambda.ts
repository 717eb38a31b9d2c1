import type { Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { KmsTokenCipher } from '../adapters/kms-token-cipher';
import { secretKeyring } from '../adapters/secret-keyring';
import { SesMailer } from '../adapters/ses-mailer';
import { SfnTaskCallback } from '../adapters/sfn-task-callback';
import { readEnv, retentionSeconds } from '../config';
import type { MacKeyring } from '../domain/mac-keyring';
import { createLogger, describeCause, type AppLogger } from '../logger';
import { sweep, type SweeperDeps, type SweepSummary } from '../services/sweeper';
import type { ClientConfig } from './client-config';

/** REMINDER_HOURS_BEFORE_EXPIRY (default 24; fractions allowed, at most a year) in seconds. */
export function reminderSeconds(hours: string | undefined): number {
  if (hours === undefined) return 24 * 3600;
  const n = Number(hours);
  if (!Number.isFinite(n) || n <= 0 || n > 365 * 24) throw new Error(`REMINDER_HOURS_BEFORE_EXPIRY must be a number of hours above 0 and at most 8760, got ${JSON.stringify(hours)}`);
  return Math.round(n * 3600);
}

export interface SweeperHandlerDeps extends Omit<SweeperDeps, 'keyring'> {
  keyring: () => Promise<MacKeyring> | MacKeyring;
  logger: AppLogger;
  now?: () => Date;
}

/**
 * The sweeper as a handler: the scheduled event carries nothing it needs, so it is ignored.
 * Each failed step is logged (request id, step, code: never a token or an address); a failure
 * to read the pending index fails the invocation, and the next schedule tries again.
 */
export function createSweeperHandler(deps: SweeperHandlerDeps) {
  const now = deps.now ?? (() => new Date());
  return async (_event?: unknown, context?: Context): Promise<SweepSummary> => {
    if (context) deps.logger.addContext(context);
    try {
      const summary = await sweep({ ...deps, keyring: await deps.keyring() }, now());
      for (const problem of summary.problems) deps.logger.warn('sweep step failed', { ...problem });
      const { problems, ...counts } = summary;
      deps.logger.info('sweep finished', { ...counts, failed: problems.length });
      return summary;
    } catch (err) {
      deps.logger.error('sweep failed', { error: err instanceof Error ? err.name : 'unknown', cause: describeCause(err) });
      throw err;
    }
  };
}

/**
 * The sweeper Lambda wired from its environment (run by an EventBridge schedule): config read
 * once, clients built once. Local mode calls the same factory with loopback endpoints.
 */
export function sweeperLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('approval-sweeper')) {
  const config = readEnv(
    env,
    ['TABLE_NAME', 'TOKEN_KEY_ID', 'MAC_SECRET_ID', 'SENDER_EMAIL', 'REVIEW_URL'],
    ['REMINDER_HOURS_BEFORE_EXPIRY', 'AUDIT_RETENTION_DAYS', 'SES_CONFIGURATION_SET'],
  );
  const remindBeforeSeconds = reminderSeconds(config.REMINDER_HOURS_BEFORE_EXPIRY);
  const keyring = secretKeyring(new SecretsManagerClient({ ...clients.secretsManager }), config.MAC_SECRET_ID, { logger });
  keyring().catch(() => undefined);
  return createSweeperHandler({
    store: new DynamoRequestStore(new DynamoDBClient({ ...clients.dynamodb }), config.TABLE_NAME, retentionSeconds(config.AUDIT_RETENTION_DAYS)),
    cipher: new KmsTokenCipher(new KMSClient({ ...clients.kms }), config.TOKEN_KEY_ID),
    callback: new SfnTaskCallback(new SFNClient({ ...clients.sfn })),
    mailer: new SesMailer(new SESClient({ ...clients.ses }), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET),
    keyring,
    reviewUrl: config.REVIEW_URL,
    defaults: { remindBeforeSeconds },
    logger,
  });
}

/**
 * Local mode's stand-in for the EventBridge schedule: runs `run` every `intervalMs`, never two
 * at once (a slow sweep delays the next instead of overlapping it). Returns a stop function
 * that waits for a sweep in progress.
 */
export function sweepEvery(run: () => Promise<unknown>, intervalMs: number, onError: (err: unknown) => void = () => undefined): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = run()
      .then(() => undefined, onError)
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
