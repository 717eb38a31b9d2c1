import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../../approval';
import { read } from '../../approval';
import { createNotifyHandler } from '../handlers/notify-handler';
import { createLogger, type AppLogger } from '../../approval';
import type { ClientConfig } from '../../approval';
import { NOTIFY_ENV } from './env';

/** The author-notification Lambda wired from its environment. */
export function notifyLambda(env: NodeJS.ProcessEnv, clients: ClientConfig = {}, logger: AppLogger = createLogger('author-notify')) {
  const config = read(NOTIFY_ENV, env);
  return createNotifyHandler({ mailer: new SesMailer(new SESClient({ ...clients.ses }), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET), logger });
}
