import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { ApprovalError } from '../domain/errors';
import type { DecisionOutput, TaskCallback } from '../domain/ports';
import { errorName, serviceError } from './aws-errors';

/** Step Functions' ways of saying "that task is not waiting any more". */
const TASK_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** TaskCallback on SendTaskSuccess. A rejection is a successful result, never SendTaskFailure. */
export class SfnTaskCallback implements TaskCallback {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: DecisionOutput): Promise<void> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (err) {
      if (TASK_GONE.has(errorName(err))) throw new ApprovalError('TASK_CLOSED', { cause: err });
      // UNAVAILABLE (a 5xx, a lost answer) may have reached Step Functions: the lease decides.
      throw serviceError(err, 'INTERNAL');
    }
  }
}
