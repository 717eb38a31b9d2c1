import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';

/** The program's resources and invokes, run under mocks in a process of its own. */
function program(partition: string, region: string): { resources: { type: string; name: string; inputs: unknown }[] } {
  const script = join(__dirname, '..', 'support', 'program-under-mocks.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, partition, region], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  return JSON.parse(out) as { resources: { type: string; name: string; inputs: unknown }[] };
}

describe('the program in other AWS partitions (mocked)', function () {
  this.timeout(180_000);

  it('writes every ARN in the deployment’s partition: in aws-cn, no arn:aws: anywhere', () => {
    const { resources } = program('aws-cn', 'cn-north-1');
    expect(resources.length).to.be.greaterThan(50);
    const offenders = resources.filter((r) => JSON.stringify(r.inputs).includes('arn:aws:')).map((r) => `${r.type} ${r.name}`);
    expect(offenders).to.deep.equal([]);
    // …and the partition did reach the places that build ARNs by hand.
    const definition = resources.find((r) => r.type === 'aws:sfn/stateMachine:StateMachine')!.inputs as { definition: string };
    expect(definition.definition).to.include('arn:aws-cn:states:::lambda:invoke.waitForTaskToken');
    const keyPolicy = resources.find((r) => r.type === 'aws:kms/key:Key')!.inputs as { policy: string };
    expect(keyPolicy.policy).to.include('arn:aws-cn:iam::123456789012:root');
  });
});
