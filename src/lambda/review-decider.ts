import { KMSClient } from '@aws-sdk/client-kms';
import { SFNClient } from '@aws-sdk/client-sfn';
import { KmsTokenCipher } from '../adapters/kms-token-cipher';
import { SfnTaskCallback } from '../adapters/sfn-task-callback';
import type { ClientConfig } from './client-config';

/** The POST-only adapters; the caller keeps one per container. */
export function createDecider(tokenKeyId: string, clients: ClientConfig = {}) {
  return { cipher: new KmsTokenCipher(new KMSClient({ ...clients.kms }), tokenKeyId), callback: new SfnTaskCallback(new SFNClient({ ...clients.sfn })) };
}
