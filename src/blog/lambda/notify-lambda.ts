import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../../approval';
import { readEnv } from '../../approval';
import { createNotifyHandler } from '../handlers/notify-handler';
import { createLogger, type AppLogger } from '../../approval';
import type { ClientConfig } from '../../approval';

/** The author-notification Lambda wired from its environment. */
export function notifyLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('author-notify')) {
  const config = readEnv(env, ['SENDER_EMAIL'], ['SES_CONFIGURATION_SET']);
  return createNotifyHandler({ mailer: new SesMailer(new SESClient({ ...clients.ses }), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET), logger });
}
