import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
import { ApprovalError } from '../domain/errors';
import type { Mailer, OutgoingEmail } from '../domain/ports';
import { isThrottle } from './aws-errors';

/**
 * Throttling is worth retrying soon; any other refusal by SES (a client fault: MessageRejected
 * for an unverified sender or sandbox recipient, a paused account, a missing configuration set)
 * fails the same way on every retry, so it is EMAIL_REJECTED and not retried; the rest
 * (network errors, timeouts, SES server faults) is transient.
 */
function classify(err: unknown): 'THROTTLED' | 'EMAIL_REJECTED' | 'EMAIL_DELIVERY_FAILED' {
  if (isThrottle(err)) return 'THROTTLED';
  return (err as { $fault?: string } | undefined)?.$fault === 'client' ? 'EMAIL_REJECTED' : 'EMAIL_DELIVERY_FAILED';
}

/** Mailer on SES v1 SendEmail: an HTML part and a plain-text part, UTF-8. */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESClient,
    private readonly from: string,
    private readonly configurationSet?: string,
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    try {
      await this.client.send(
        new SendEmailCommand({
          Source: this.from,
          Destination: { ToAddresses: [email.to] },
          Message: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
          },
          ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
        }),
      );
    } catch (err) {
      throw new ApprovalError(classify(err), { cause: err });
    }
  }
}
