import { KMSClient } from '@aws-sdk/client-kms';
import { SFNClient } from '@aws-sdk/client-sfn';
import { KmsTokenCipher } from '../adapters/kms-token-cipher';
import { SfnTaskCallback } from '../adapters/sfn-task-callback';

let decider: { cipher: KmsTokenCipher; callback: SfnTaskCallback } | undefined;

/** The POST-only adapters, created once per container on first use. */
export function createDecider(tokenKeyId: string) {
  decider ??= { cipher: new KmsTokenCipher(new KMSClient({}), tokenKeyId), callback: new SfnTaskCallback(new SFNClient({})) };
  return decider;
}
