/**
 * Runs the whole Pulumi program under Pulumi's mocks, in a process of its own (mocks are
 * process-wide, and a program module runs once per process), and prints every declared resource
 * and every invoke as JSON on stdout. Run: `node --import tsx test/support/program-under-mocks.ts
 * <partition> [<region>]`. Used by tests that need the program in another partition or region.
 */
import * as pulumi from '@pulumi/pulumi';

const [partition = 'aws', region = 'eu-west-1'] = process.argv.slice(2);
const account = '123456789012';
const resources: { type: string; name: string; inputs: Record<string, unknown>; state: Record<string, unknown> }[] = [];
const invokes: { token: string; inputs: Record<string, unknown> }[] = [];

function fakeState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const module = type.split(':')[1]!.split('/')[0]!;
  const service = module === 'sfn' ? 'states' : module;
  const arn = type === 'aws:iam/role:Role' ? `arn:${partition}:iam::${account}:role/${name}` : `arn:${partition}:${service}:${region}:${account}:${name}`;
  const extra: Record<string, unknown> = { arn, name: inputs.name ?? `${name}-physical` };
  if (type === 'aws:lambda/function:Function') extra.invokeArn = `arn:${partition}:apigateway:${region}:lambda:path/functions/${arn}/invocations`;
  if (type === 'aws:apigatewayv2/api:Api') Object.assign(extra, { apiEndpoint: `https://${name}.execute-api.${region}.amazonaws.com.cn`, executionArn: `arn:${partition}:execute-api:${region}:${account}:${name}` });
  if (type === 'aws:kms/key:Key') extra.keyId = `${name}-key-id`;
  if (type === 'aws:sqs/queue:Queue') extra.url = `https://sqs.${region}.amazonaws.com.cn/${account}/${name}`;
  if (type === 'random:index/randomBytes:RandomBytes') extra.base64 = Buffer.alloc(32, 7).toString('base64');
  return { ...inputs, ...extra };
}

pulumi.runtime.setMocks(
  {
    newResource(args) {
      const state = fakeState(args.type, args.name, args.inputs);
      resources.push({ type: args.type, name: args.name, inputs: args.inputs, state });
      return { id: `${args.name}-id`, state };
    },
    call(args) {
      invokes.push({ token: args.token, inputs: args.inputs });
      if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') return { accountId: account, arn: `arn:${partition}:iam::${account}:user/dev`, userId: 'dev' };
      if (args.token === 'aws:index/getRegion:getRegion') return { name: region, region };
      if (args.token === 'aws:index/getPartition:getPartition') return { partition, dnsSuffix: partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com', id: partition };
      if (args.token === 'aws:acm/getCertificate:getCertificate') return { arn: `arn:${partition}:acm:${region}:${account}:certificate/found` };
      return args.inputs;
    },
  },
  'email-approval',
  'test',
  false,
);
for (const [key, value] of Object.entries({
  'email-approval:senderEmail': 'approvals@example.com',
  'email-approval:reviewers': 'alice@example.com,bob@example.com',
  'email-approval:admins': 'boss@example.com',
  'email-approval:alarmEmail': 'ops@example.com',
  'email-approval:domain': 'approvals.example.com',
  'aws:region': region,
})) {
  pulumi.runtime.setConfig(key, value);
}

async function main(): Promise<void> {
  await import('../../pulumi/index.js');
  // Let every pending apply register its resource.
  for (let quiet = 0; quiet < 5; ) {
    const seen = resources.length;
    await new Promise((resolve) => setImmediate(resolve));
    quiet = resources.length === seen ? quiet + 1 : 0;
  }
  process.stdout.write(JSON.stringify({ resources, invokes }));
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exit(1);
});
