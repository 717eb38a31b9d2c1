import { KMSClient } from '@aws-sdk/client-kms';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { KmsTokenCipher } from '../adapters/kms-token-cipher';
import { SesMailer } from '../adapters/ses-mailer';
import { SfnTaskCallback } from '../adapters/sfn-task-callback';
import type { Decider } from '../handlers/review-handler';
import type { ClientConfig } from './client-config';

/** The POST-only adapters; the caller keeps one per container. Without a sender, no "no action needed" notes. */
export function createDecider(tokenKeyId: string, clients: ClientConfig = {}, senderEmail?: string): Decider {
  return {
    cipher: new KmsTokenCipher(new KMSClient({ ...clients.kms }), tokenKeyId),
    callback: new SfnTaskCallback(new SFNClient({ ...clients.sfn })),
    ...(senderEmail ? { mailer: new SesMailer(new SESClient({ ...clients.ses }), senderEmail) } : {}),
  };
}
