import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import type { ProgramInventory } from '../../../scripts/deployer-policy';

/** What the program declares in a partition, run under mocks in a process of its own (the deployer-policy inventory). */
function inventory(partition: string, region: string): ProgramInventory {
  const script = join(__dirname, '..', '..', '..', 'scripts', 'deployer-policy.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--inventory', '--partition', partition, '--region', region], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 150_000,
  });
  return JSON.parse(out) as ProgramInventory;
}

describe('the program in other AWS partitions (mocked)', function () {
  this.timeout(180_000);

  it('writes every ARN in the deployment’s partition: in aws-cn, no arn:aws: anywhere', () => {
    const { resources } = inventory('aws-cn', 'cn-north-1');
    expect(resources.length).to.be.greaterThan(50);
    const offenders = resources.filter((r) => JSON.stringify(r.inputs).includes('arn:aws:')).map((r) => `${r.type} ${r.name}`);
    expect(offenders).to.deep.equal([]);
    // …and the partition did reach the places that build ARNs by hand.
    const definition = resources.find((r) => r.type === 'aws:sfn/stateMachine:StateMachine')!.inputs as { definition: string };
    expect(definition.definition).to.include('arn:aws-cn:states:::lambda:invoke.waitForTaskToken');
    const keyPolicy = resources.find((r) => r.type === 'aws:kms/key:Key')!.inputs as { policy: string };
    expect(keyPolicy.policy).to.include(':iam::').and.include('arn:aws-cn:iam::');
  });
});
