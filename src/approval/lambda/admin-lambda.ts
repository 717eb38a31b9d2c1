import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoAdminSessions } from '../adapters/dynamo-admin-sessions';
import { DynamoRateCounter } from '../adapters/dynamo-rate-counter';
import { DynamoRequestStore } from '../adapters/dynamo-request-store';
import { DynamoSignInLedger } from '../adapters/dynamo-sign-in-ledger';
import { secretKeyring } from '../adapters/secret-keyring';
import { REQUEST_TABLE_OPTIONS, rateLimitSetting, readEnv, requestTableConfig } from '../config';
import { adminAddress } from '../domain/admin-auth';
import { DEFAULT_LIMITS } from '../domain/rate-limit';
import { createAdminHandler } from '../handlers/admin-handler';
import { trimTrailingSlashes } from '../http/request';
import type { Decider } from '../handlers/review-handler';
import { createLogger, type AppLogger } from '../logger';
import type { ClientConfig } from './client-config';

/**
 * ADMINS: comma-separated addresses, each a plain ASCII address. An empty list is allowed (no
 * one can sign in: the dashboard answers every request with the neutral page); a malformed
 * entry fails the cold start, naming its position, since it would silently lock that admin out.
 */
export function adminList(value: string | undefined): string[] {
  const entries = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const admins: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const address = adminAddress(entry, [entry]);
    if (!address) throw new Error(`ADMINS: entry ${i + 1} is not a plain ASCII email address`);
    if (!admins.includes(address)) admins.push(address);
  }
  return admins;
}

/**
 * BASE_URL: where sign-in links point. HTTPS, or plain HTTP on a loopback address (local mode):
 * the session cookie is Secure, and a link to anywhere else would hand out a sign-in token.
 */
export function baseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('BASE_URL must be an absolute URL');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new Error('BASE_URL must use https (http only on a loopback address)');
  if (url.search || url.hash || url.username || url.password) throw new Error('BASE_URL must not carry a query, fragment or credentials');
  return trimTrailingSlashes(url.href);
}

/**
 * The dashboard Lambda wired from its environment: config read once, clients built once.
 * SIGN_INS_PER_ADDRESS_PER_15_MINUTES (default 3; 0: no limit) bounds the sign-in emails.
 */
export function adminLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('approval-admin')) {
  const config = readEnv(env, ['TABLE_NAME', 'MAC_SECRET_ID', 'TOKEN_KEY_ID', 'SENDER_EMAIL', 'BASE_URL'], ['ADMINS', 'SIGN_INS_PER_ADDRESS_PER_15_MINUTES', ...REQUEST_TABLE_OPTIONS]);
  const perAddressPer15Minutes = rateLimitSetting('SIGN_INS_PER_ADDRESS_PER_15_MINUTES', config.SIGN_INS_PER_ADDRESS_PER_15_MINUTES, DEFAULT_LIMITS.signInsPerAddressPer15Minutes);
  const admins = adminList(config.ADMINS);
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
    baseUrl: baseUrl(config.BASE_URL),
    logger,
    // Above a typical SES send, so admins' and others' answers take the same time.
    signInFloorMs: 800,
  });
}
