import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import FakeTimers from '@sinonjs/fake-timers';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LocalStepFunctions, type ExecutionStatusEvent } from '../../src/local/local-step-functions';
import type { AslDefinition } from '../../src/blog/workflow/moderation-workflow';

const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:tiny';
const tiny: AslDefinition = { Comment: 'tiny', StartAt: 'Go', States: { Go: { Type: 'Fail', Error: 'Broken', Cause: 'on purpose' } } };

describe('local Step Functions: execution ends, as EventBridge delivers them', () => {
  let dataDir: string;
  let sfn: LocalStepFunctions;
  let clock: ReturnType<typeof FakeTimers.install> | undefined;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'local-sfn-'));
    sfn = new LocalStepFunctions({ dataDir, machines: { [MACHINE]: tiny }, lambdas: {}, dynamodb: new DynamoDBClient({ region: 'us-east-1' }) });
    await sfn.start();
  });
  afterEach(async () => {
    clock?.uninstall();
    clock = undefined;
    await sfn.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (name: string) => {
    const res = await fetch(sfn.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartExecution' },
      body: JSON.stringify({ stateMachineArn: MACHINE, name, input: '{}' }),
    });
    expect(res.status).to.equal(200);
  };
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setImmediate(resolve));
    expect(check()).to.equal(true);
  };

  it('delivers the same event shape AWS emits, with the Fail state’s error and cause', async () => {
    const events: ExecutionStatusEvent[] = [];
    sfn.onStatusChange(async (event) => void events.push(event));
    await start('one');
    await until(() => events.length === 1);
    expect(events[0]).to.deep.include({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', account: '000000000000', region: 'us-east-1' });
    expect(events[0]!.detail).to.deep.include({ name: 'one', status: 'FAILED', error: 'Broken', cause: 'on purpose', stateMachineArn: MACHINE });
    await until(() => [...sfn.executions.values()][0]!.endDelivered === true);
  });

  it('tries a failed target again after 1 s and 10 s, and only the target that failed', async () => {
    clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
    let healthy = 0;
    let flaky = 0;
    sfn.onStatusChange(async () => void healthy++);
    sfn.onStatusChange(async () => {
      if (++flaky < 3) throw new Error('down');
    });
    await start('two');
    await until(() => flaky === 1);
    const record = [...sfn.executions.values()][0]!;
    expect(record.endDelivered).to.equal(false);

    await clock.tickAsync(1000);
    await until(() => flaky === 2);
    expect(record.endDelivered).to.equal(false);
    await clock.tickAsync(10_000);
    await until(() => record.endDelivered === true);
    expect({ healthy, flaky }).to.deep.equal({ healthy: 1, flaky: 3 });
  });
});
