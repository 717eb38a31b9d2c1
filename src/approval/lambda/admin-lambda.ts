import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoAdminSessions } from '../adapters/dynamo-admin-sessions';
import { DynamoRateCounter } from '../adapters/dynamo-rate-counter';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { DynamoSignInLedger } from '../adapters/dynamo-sign-in-ledger';
import { secretKeyring } from '../adapters/secret-keyring';
import { read, requestTableConfig } from '../config';
import { createAdminHandler } from '../handlers/admin-handler';
import type { Decider } from '../handlers/review-handler';
import { createLogger, type AppLogger } from '../logger';
import type { ClientConfig } from './client-config';
import { ADMIN_ENV } from './admin-env';

/**
 * The dashboard Lambda wired from its environment (ADMIN_ENV): config read once, clients built once.
 */
export function adminLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('approval-admin')) {
  const config = read(ADMIN_ENV, env);
  const { ADMINS: admins, SIGN_INS_PER_ADDRESS_PER_15_MINUTES: perAddressPer15Minutes } = config;
  if (admins.length === 0) logger.warn('ADMINS is empty: nobody can sign in to the dashboard');
  const dynamodb = new DynamoDBClient({ ...clients.dynamodb });
  const keyring = secretKeyring(new SecretsManagerClient({ ...clients.secretsManager }), config.MAC_SECRET_ID, { logger });
  keyring().catch(() => undefined);
  // KMS, Step Functions and SES are loaded on first use: viewing the dashboard needs none of them.
  let decider: Decider | undefined;
  const loadDecider = async () => (decider ??= (await import('./review-decider.js')).createDecider(config.TOKEN_KEY_ID, clients, config.SENDER_EMAIL));
  return createAdminHandler({
    store: DynamoRequestStore.onTable(dynamodb, requestTableConfig(config)),
    ledger: new DynamoSignInLedger(dynamodb, config.TABLE_NAME),
    sessions: new DynamoAdminSessions(dynamodb, config.TABLE_NAME),
    signInLimit: perAddressPer15Minutes > 0 ? { counter: new DynamoRateCounter(dynamodb, config.TABLE_NAME), perAddressPer15Minutes } : undefined,
    keyring,
    decider: loadDecider,
    mailer: async () => {
      const { mailer } = await loadDecider();
      // createDecider builds a mailer whenever it has a sender, and SENDER_EMAIL is required here.
      if (!mailer) throw new Error('no mailer');
      return mailer;
    },
    admins,
    baseUrl: config.BASE_URL,
    logger,
    // Above a typical SES send, so admins' and others' answers take the same time.
    signInFloorMs: 800,
  });
}
