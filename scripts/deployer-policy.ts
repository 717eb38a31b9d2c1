/**
 * `npm run -s deployer-policy -- --account 123456789012 --region eu-west-1 [--partition aws] [--sender approvals@example.com] [--tags]`
 *
 * Prints the IAM policy the principal running `pulumi up` and `pulumi destroy` needs (see
 * pulumi/deployer-policy.ts). It runs the Pulumi program under Pulumi's mocks, so it needs
 * neither the Pulumi CLI nor AWS credentials, with every optional feature on (custom domain,
 * alarm email, the sender's SES identity), so the policy still fits after any of them is set.
 * Without --account or --region the ARNs name any account or region (`*`); --sender scopes the
 * SES statement to that identity; --tags adds tag writes (for the provider's `aws:defaultTags`).
 *
 * `--inventory` prints what the program declared instead (resources with their AWS-shaped
 * names and ARNs, invokes): the tests simulate the policy on it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as pulumi from '@pulumi/pulumi';
import { deployerPolicy, type ProgramTokens } from '../pulumi/deployer-policy';

const ROOT = join(__dirname, '..');

export interface Target {
  partition: string;
  region: string;
  accountId: string;
  /** The sender address configured for the run (its SES identity is one of the resources). */
  senderEmail: string;
}

/** A custom resource the program declared, with the physical name and ids AWS would give it. */
export interface DeclaredResource {
  type: string;
  /** Logical name. */
  name: string;
  /** The name Pulumi gives it on AWS: the configured name, or the logical name with a random suffix. */
  physicalName: string;
  id: string;
  /** What IAM authorises calls on, where the resource has an ARN of its own. */
  arn?: string;
  inputs: Record<string, unknown>;
}

export interface ProgramInventory {
  partition: string;
  region: string;
  accountId: string;
  stack: string;
  /** The root component's name: every logical name starts with it. */
  namePrefix: string;
  resources: DeclaredResource[];
  invokes: string[];
}

const STACK = 'dev';

/** Stack configuration that turns every optional resource on. */
function exampleConfig(target: Target): Record<string, string> {
  return {
    'aws:region': target.region,
    'email-approval:senderEmail': target.senderEmail,
    'email-approval:reviewers': 'alice@example.com,bob@example.com',
    'email-approval:admins': 'boss@example.com',
    'email-approval:alarmEmail': 'ops@example.com',
    'email-approval:escalateTo': 'carol@example.com',
    // A domain without certificateArn: the program then looks the certificate up (acm:ListCertificates).
    'email-approval:domain': 'approvals.example.com',
  };
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);
/** Pulumi's auto-name: the logical name, a dash, seven random characters (here derived from the name, for stable output). */
const autoName = (name: string) => `${name}-${digest(name, 7)}`;
/** The Terraform provider's name from a prefix: the prefix and a 26-digit unique suffix. */
const prefixedName = (prefix: string, name: string) => `${prefix}${BigInt(`0x${digest(name, 16)}`).toString().padStart(26, '0').slice(-26)}`;
const uuid = (name: string) => {
  const h = digest(name, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/**
 * The id, ARN and outputs AWS (through the provider) returns for a resource, so that what the
 * program builds from them (policies naming role ARNs, environment naming queue URLs) has the
 * shape it has on AWS.
 */
function awsShaped(type: string, name: string, inputs: Record<string, unknown>, target: Target): Omit<DeclaredResource, 'inputs'> & { outputs: Record<string, unknown> } {
  const { partition: p, region: r, accountId: a } = target;
  const arn = (service: string, resource: string) => `arn:${p}:${service}:${r}:${a}:${resource}`;
  const given = typeof inputs.name === 'string' ? inputs.name : undefined;
  const physicalName = given ?? (typeof inputs.namePrefix === 'string' ? prefixedName(inputs.namePrefix, name) : autoName(name));
  const dnsSuffix = p === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  const of = (id: string, resourceArn?: string, outputs: Record<string, unknown> = {}) => ({ type, name, physicalName, id, arn: resourceArn, outputs: { ...(resourceArn ? { arn: resourceArn } : {}), ...outputs } });
  switch (type) {
    case 'aws:iam/role:Role':
      return of(physicalName, `arn:${p}:iam::${a}:role/${physicalName}`, { name: physicalName, uniqueId: `AROA${digest(name, 17).toUpperCase()}` });
    case 'aws:iam/rolePolicy:RolePolicy':
      return of(`${inputs.role}:${physicalName}`, undefined, { name: physicalName });
    case 'aws:lambda/function:Function': {
      const fnArn = arn('lambda', `function:${physicalName}`);
      return of(physicalName, fnArn, {
        name: physicalName,
        invokeArn: `arn:${p}:apigateway:${r}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
        qualifiedArn: `${fnArn}:$LATEST`,
        version: '$LATEST',
      });
    }
    case 'aws:lambda/permission:Permission':
      return of(`${inputs.function}/${physicalName}`, undefined, { statementId: physicalName });
    case 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig':
      return of(String(inputs.functionName));
    case 'aws:cloudwatch/logGroup:LogGroup':
      return of(physicalName, arn('logs', `log-group:${physicalName}`), { name: physicalName });
    case 'aws:dynamodb/table:Table':
      return of(physicalName, arn('dynamodb', `table/${physicalName}`), { name: physicalName, streamArn: '' });
    case 'aws:kms/key:Key': {
      const keyId = uuid(name);
      return of(keyId, arn('kms', `key/${keyId}`), { keyId });
    }
    case 'aws:kms/alias:Alias':
      return of(physicalName, arn('kms', physicalName), { name: physicalName, targetKeyArn: arn('kms', `key/${inputs.targetKeyId}`) });
    case 'aws:secretsmanager/secret:Secret': {
      const secretArn = arn('secretsmanager', `secret:${physicalName}-${digest(name, 6)}`);
      return of(secretArn, secretArn, { name: physicalName });
    }
    case 'aws:secretsmanager/secretVersion:SecretVersion': {
      const versionId = uuid(name);
      return of(`${inputs.secretId}|${versionId}`, String(inputs.secretId), { versionId, versionStages: ['AWSCURRENT'] });
    }
    case 'aws:sesv2/emailIdentity:EmailIdentity':
      return of(String(inputs.emailIdentity), arn('ses', `identity/${inputs.emailIdentity}`));
    case 'aws:sns/topic:Topic': {
      const topicArn = arn('sns', physicalName);
      return of(topicArn, topicArn, { name: physicalName });
    }
    case 'aws:sns/topicPolicy:TopicPolicy':
      return of(String(inputs.arn), String(inputs.arn));
    case 'aws:sns/topicSubscription:TopicSubscription': {
      const subscriptionArn = `${inputs.topic}:${uuid(name)}`;
      return of(subscriptionArn, subscriptionArn);
    }
    case 'aws:sqs/queue:Queue': {
      const url = `https://sqs.${r}.${dnsSuffix}/${a}/${physicalName}`;
      return of(url, arn('sqs', physicalName), { name: physicalName, url });
    }
    case 'aws:sqs/queuePolicy:QueuePolicy':
      return of(String(inputs.queueUrl));
    case 'aws:cloudwatch/metricAlarm:MetricAlarm':
      return of(physicalName, arn('cloudwatch', `alarm:${physicalName}`), { name: physicalName });
    case 'aws:cloudwatch/eventRule:EventRule':
      return of(physicalName, arn('events', `rule/${physicalName}`), { name: physicalName });
    case 'aws:cloudwatch/eventTarget:EventTarget':
      return of(`${inputs.rule}-${physicalName}`, undefined, { targetId: physicalName });
    case 'aws:sfn/stateMachine:StateMachine': {
      const machineArn = arn('states', `stateMachine:${physicalName}`);
      return of(machineArn, machineArn, { name: physicalName });
    }
    case 'aws:apigatewayv2/api:Api': {
      const id = digest(name, 10);
      return of(id, `arn:${p}:apigateway:${r}::/apis/${id}`, {
        name: physicalName,
        apiEndpoint: `https://${id}.execute-api.${r}.${dnsSuffix}`,
        executionArn: arn('execute-api', id),
      });
    }
    case 'aws:apigatewayv2/stage:Stage':
      return of(physicalName, `arn:${p}:apigateway:${r}::/apis/${inputs.apiId}/stages/${physicalName}`, { name: physicalName });
    case 'aws:apigatewayv2/integration:Integration':
    case 'aws:apigatewayv2/route:Route': {
      const id = digest(name, 7);
      const kind = type.endsWith('Integration') ? 'integrations' : 'routes';
      return of(id, `arn:${p}:apigateway:${r}::/apis/${inputs.apiId}/${kind}/${id}`);
    }
    case 'aws:apigatewayv2/domainName:DomainName':
      return of(String(inputs.domainName), `arn:${p}:apigateway:${r}::/domainnames/${inputs.domainName}`, {
        domainNameConfiguration: { ...(inputs.domainNameConfiguration as object), targetDomainName: `d-${digest(name, 10)}.execute-api.${r}.${dnsSuffix}`, hostedZoneId: 'Z2FDTNDATAQYW2' },
      });
    case 'aws:apigatewayv2/apiMapping:ApiMapping': {
      const id = digest(name, 6);
      return of(id, `arn:${p}:apigateway:${r}::/domainnames/${inputs.domainName}/apimappings/${id}`);
    }
    case 'random:index/randomBytes:RandomBytes': {
      const bytes = createHash('sha256').update(name).digest().subarray(0, Number(inputs.length ?? 32));
      return of(name, undefined, { base64: bytes.toString('base64'), hex: bytes.toString('hex') });
    }
    default: {
      // A type added to the program since: still recorded (the policy then names it unmapped).
      const service = type.split(':')[1]!.split('/')[0]!;
      return of(physicalName, arn(service, physicalName), { name: physicalName });
    }
  }
}

/** What the data sources answer on AWS. */
function invokeResult(token: string, inputs: Record<string, unknown>, target: Target): Record<string, unknown> {
  const { partition: p, region: r, accountId: a } = target;
  switch (token) {
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return { accountId: a, arn: `arn:${p}:iam::${a}:user/deployer`, userId: 'AIDADEPLOYER', id: a };
    case 'aws:index/getRegion:getRegion':
      return { name: r, region: r, id: r, endpoint: `ec2.${r}.amazonaws.com`, description: r };
    case 'aws:index/getPartition:getPartition':
      return { partition: p, id: p, dnsSuffix: p === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com', reverseDnsPrefix: 'com.amazonaws' };
    case 'aws:acm/getCertificate:getCertificate':
      return { ...inputs, arn: `arn:${p}:acm:${r}:${a}:certificate/${uuid(String(inputs.domain))}`, status: 'ISSUED', id: String(inputs.domain) };
    default:
      return inputs;
  }
}

let collected = false;

/**
 * Runs the Pulumi program under Pulumi's mocks and records what it declares. Mocks are
 * process-wide and the program module runs once per process, so this runs at most once per process.
 */
export async function collectProgram(target: Target): Promise<ProgramInventory> {
  if (collected) throw new Error('collectProgram runs the program once per process; start a new process');
  collected = true;
  const resources: DeclaredResource[] = [];
  const components: string[] = [];
  const invokes = new Set<string>();
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        if (!args.custom) {
          components.push(args.name);
          return { id: args.name, state: {} };
        }
        const { outputs, ...shaped } = awsShaped(args.type, args.name, inputs, target);
        resources.push({ ...shaped, inputs });
        return { id: shaped.id, state: { ...inputs, ...outputs } };
      },
      call(args) {
        invokes.add(args.token);
        return invokeResult(args.token, (args.inputs ?? {}) as Record<string, unknown>, target);
      },
    },
    'email-approval',
    STACK,
    false,
  );
  for (const [key, value] of Object.entries(exampleConfig(target))) pulumi.runtime.setConfig(key, value);
  await import('../pulumi/index.js');
  // Resources declared inside applies (policies, alarms on output names) register a few turns later.
  for (let quiet = 0; quiet < 5; ) {
    const seen = resources.length + invokes.size;
    await new Promise((resolve) => setImmediate(resolve));
    quiet = resources.length + invokes.size === seen ? quiet + 1 : 0;
  }
  return { partition: target.partition, region: target.region, accountId: target.accountId, stack: STACK, namePrefix: components[0] ?? 'email-approval', resources, invokes: [...invokes] };
}

/** The type and invoke tokens of an inventory, as the policy takes them. */
export function tokensOf(inventory: ProgramInventory): ProgramTokens {
  return { resourceTypes: [...new Set(inventory.resources.map((r) => r.type))].sort(), invokes: [...inventory.invokes].sort() };
}

const USAGE = 'usage: npm run -s deployer-policy -- [--account 123456789012] [--region eu-west-1] [--partition aws] [--sender approvals@example.com] [--tags] [--inventory]';

function parseTarget(argv: string[]): { target: Target; senderGiven: boolean; tagging: boolean; inventory: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      account: { type: 'string', default: '*' },
      region: { type: 'string', default: '*' },
      partition: { type: 'string', default: 'aws' },
      sender: { type: 'string' },
      tags: { type: 'boolean', default: false },
      inventory: { type: 'boolean', default: false },
    },
  });
  const problems: string[] = [];
  if (!/^(?:\d{12}|\*)$/.test(values.account)) problems.push(`--account must be a 12-digit account id, got ${JSON.stringify(values.account)}`);
  if (!/^(?:[a-z]{2}(?:-[a-z]+)+-\d+|\*)$/.test(values.region)) problems.push(`--region must be a region such as eu-west-1, got ${JSON.stringify(values.region)}`);
  if (!/^aws(?:-[a-z]+)*$/.test(values.partition)) problems.push(`--partition must be aws, aws-cn or aws-us-gov, got ${JSON.stringify(values.partition)}`);
  if (values.sender !== undefined && !/^[^\s@*]+@[^\s@*]+$/.test(values.sender)) problems.push(`--sender must be the sender's email address, got ${JSON.stringify(values.sender)}`);
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n${USAGE}`);
  return {
    target: { partition: values.partition, region: values.region, accountId: values.account, senderEmail: values.sender ?? 'approvals@example.com' },
    senderGiven: values.sender !== undefined,
    tagging: values.tags,
    inventory: values.inventory,
  };
}

/** The JSON to print: the policy, or with --inventory what the program declared. */
async function main(): Promise<string> {
  const { target, senderGiven, tagging, inventory } = parseTarget(process.argv.slice(2));
  // The program compiles the email templates when they are stale, printing a line: compile them
  // first with that line on stderr, so stdout holds nothing but the JSON.
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'build-templates.ts')], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  const declared = await collectProgram(target);
  if (inventory) return JSON.stringify(declared, null, 2);
  const scope = { partition: target.partition, region: target.region, accountId: target.accountId, namePrefix: declared.namePrefix, tagging, ...(senderGiven ? { senderEmail: target.senderEmail } : {}) };
  if (target.accountId === '*' || target.region === '*') console.error('deployer-policy: pass --account and --region to scope the ARNs to one account and region.');
  if (!senderGiven) console.error('deployer-policy: pass --sender <senderEmail> to scope the SES statement to your sender identity.');
  return JSON.stringify(deployerPolicy(scope, tokensOf(declared)), null, 2);
}

if (require.main === module) {
  main().then(
    // Exit once the JSON is out: Pulumi's runtime may keep handles open after the program ran.
    (json) => process.stdout.write(`${json}\n`, () => process.exit(0)),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
