import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '../domain/ports';
import { errorName, serviceError } from '../../approval';

/**
 * StartExecution with a deterministic name. Step Functions treats the same name and input
 * as the same execution, so a retried submission never starts a second one.
 */
export class SfnWorkflowStarter implements WorkflowStarter {
  constructor(private readonly client: SFNClient, private readonly stateMachineArn: string) {}

  async start(name: string, input: object): Promise<void> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (err) {
      // Same name, different input: an execution for this post already exists, which is what we want.
      if (errorName(err) === 'ExecutionAlreadyExists') return;
      throw serviceError(err);
    }
  }
}
