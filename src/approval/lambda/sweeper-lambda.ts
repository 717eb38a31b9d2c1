import type { Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { DynamoSweepCursor } from '../adapters/dynamo-sweep-cursor';
import { KmsTokenCipher } from '../adapters/kms-token-cipher';
import { secretKeyring } from '../adapters/secret-keyring';
import { SesMailer } from '../adapters/ses-mailer';
import { SfnTaskCallback } from '../adapters/sfn-task-callback';
import { read, requestTableConfig } from '../config';
import { HOUR_SECONDS, SWEEPER_TIMEOUT_SECONDS } from '../defaults';
import type { MacKeyring } from '../domain/mac-keyring';
import { createLogger, describeCause, type AppLogger } from '../logger';
import { sweep, type SweepBudget, type SweeperDeps, type SweepSummary } from '../services/sweeper';
import type { ClientConfig } from './client-config';
import { SWEEPER_ENV } from './env';

/** The sweeper Lambda's timeout: a run without a Lambda context (local mode) gets as long. */
export const SWEEP_RUN_MS = SWEEPER_TIMEOUT_SECONDS * 1000;

export interface SweeperHandlerDeps extends Omit<SweeperDeps, 'keyring'> {
  keyring: () => Promise<MacKeyring> | MacKeyring;
  logger: AppLogger;
  now?: () => Date;
  /** How long a run may take when no Lambda context says (default SWEEP_RUN_MS), and how close to the end it stops. */
  budget?: { runMs?: number; marginMs?: number };
}

/** The run's budget: the Lambda's own remaining time on AWS, else `runMs` from the start of the run. */
function budgetFor(context: Context | undefined, options: SweeperHandlerDeps['budget'] = {}): SweepBudget {
  const margin = options.marginMs !== undefined ? { marginMs: options.marginMs } : {};
  if (context && typeof context.getRemainingTimeInMillis === 'function') return { remainingMs: () => context.getRemainingTimeInMillis(), ...margin };
  const deadline = performance.now() + (options.runMs ?? SWEEP_RUN_MS);
  return { remainingMs: () => deadline - performance.now(), ...margin };
}

/**
 * The sweeper as a handler: the scheduled event carries nothing it needs, so it is ignored.
 * Each failed step is logged (request id, step, code: never a token or an address). A failure
 * to read the cursor or the pending index fails the invocation, and so does a cursor that could
 * not be saved (after the summary is logged): the Errors alarm fires, and the next run tries
 * again from the last saved cursor.
 */
export function createSweeperHandler(deps: SweeperHandlerDeps) {
  const now = deps.now ?? (() => new Date());
  return async (_event?: unknown, context?: Context): Promise<SweepSummary> => {
    if (context) deps.logger.addContext(context);
    let summary: SweepSummary;
    try {
      summary = await sweep({ ...deps, keyring: await deps.keyring() }, now(), budgetFor(context, deps.budget));
    } catch (err) {
      deps.logger.error('sweep failed', { error: err instanceof Error ? err.name : 'unknown', cause: describeCause(err) });
      throw err;
    }
    for (const problem of summary.problems) deps.logger.warn('sweep step failed', { ...problem });
    const { problems, ...counts } = summary;
    deps.logger.info('sweep finished', { ...counts, failed: problems.length });
    if (summary.ended === 'cursor-failed') {
      deps.logger.error('sweep cursor not saved', { code: summary.cursorError });
      throw new Error(`sweep cursor not saved (${summary.cursorError})`);
    }
    return summary;
  };
}

/**
 * The sweeper Lambda wired from its environment (run by an EventBridge schedule): config read
 * once, clients built once. Local mode calls the same factory with loopback endpoints.
 */
export function sweeperLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('approval-sweeper')) {
  const config = read(SWEEPER_ENV, env);
  const remindBeforeSeconds = Math.round(config.REMINDER_HOURS_BEFORE_EXPIRY * HOUR_SECONDS);
  const table = requestTableConfig(config);
  const dynamodb = new DynamoDBClient({ ...clients.dynamodb });
  const keyring = secretKeyring(new SecretsManagerClient({ ...clients.secretsManager }), config.MAC_SECRET_ID, { logger });
  keyring().catch(() => undefined);
  return createSweeperHandler({
    store: DynamoRequestStore.onTable(dynamodb, table),
    cursor: new DynamoSweepCursor(dynamodb, table.tableName),
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
