/** Lambda entry for the author notification task. */
import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../adapters/ses-mailer';
import { readEnv } from '../config';
import { createNotifyHandler } from '../handlers/notify-handler';
import { createLogger } from '../logger';

const env = readEnv(process.env, ['SENDER_EMAIL'], ['SES_CONFIGURATION_SET']);

export const handler = createNotifyHandler({
  mailer: new SesMailer(new SESClient({}), env.SENDER_EMAIL, env.SES_CONFIGURATION_SET),
  logger: createLogger('author-notify'),
});
