/**
 * Runs program.ts under Pulumi's mocks (no CLI, no AWS) from the consumer project's folder, and
 * prints what it registered as JSON: each resource's type, name and inputs, a Lambda's code as
 * the archive's path, and the program's exports.
 */
import * as pulumi from '@pulumi/pulumi';

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
const ACCOUNT = '123456789012';

pulumi.runtime.setMocks(
  {
    newResource({ type, name, inputs }) {
      registered.push({ type, name, inputs });
      const area = type.split(':')[1]!.split('/')[0]!;
      const service = area === 'sfn' ? 'states' : area;
      const arn = type === 'aws:iam/role:Role' ? `arn:aws:iam::${ACCOUNT}:role/${name}` : `arn:aws:${service}:eu-west-1:${ACCOUNT}:${name}`;
      return { id: `${name}-id`, state: { ...inputs, arn, name: inputs.name ?? name } };
    },
    call({ token, inputs }) {
      if (token === 'aws:index/getCallerIdentity:getCallerIdentity') return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/dev`, userId: 'dev' };
      if (token === 'aws:index/getRegion:getRegion') return { name: 'eu-west-1', region: 'eu-west-1' };
      if (token === 'aws:index/getPartition:getPartition') return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
      return inputs;
    },
  },
  'consumer',
  'test',
  false,
);

const program = await import('./program.ts');
const exported = await new Promise<string>((resolve) => program.requestFunctionArn.apply(resolve));

// Every pending apply (policies, the definition) has registered its resource once nothing new arrives.
for (let quiet = 0; quiet < 10; ) {
  const seen = registered.length;
  await new Promise((resolve) => setImmediate(resolve));
  quiet = registered.length === seen ? quiet + 1 : 0;
}

const resources = await Promise.all(
  registered.map(async ({ type, name, inputs }) => {
    const code = inputs.code as { path?: Promise<string> } | undefined;
    return { type, name, inputs: code?.path ? { ...inputs, code: { archivePath: await code.path } } : inputs };
  }),
);
process.stdout.write(JSON.stringify({ requestFunctionArn: exported, resources }));
