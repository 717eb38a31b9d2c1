/**
 * The deployer's permissions: one IAM policy for the principal that runs `pulumi up`,
 * `pulumi refresh` and `pulumi destroy` on this program, built from the resource types and
 * invokes the program declares. The Pulumi AWS provider is the Terraform AWS provider
 * underneath, so each type lists the API calls that provider makes to create, read, update and
 * delete it, waits and tag reads included. Resources are scoped to the program's names; "*" only
 * where AWS authorises nothing narrower. A pure function of (partition, region, account, types),
 * so the tests simulate exactly what `npm run deployer-policy` prints. Pulumi's state storage
 * (Pulumi Cloud, or an S3 bucket) is not in it.
 */
import { LOG_DELIVERY_ACTIONS, type PolicyDocument, type Statement } from './approval/iam-policies';

export interface DeployerScope {
  /** `aws`, `aws-cn` or `aws-us-gov` (or `*`). */
  partition: string;
  /** The stack's `aws:region` (or `*`). */
  region: string;
  /** The account deployed to (or `*`). */
  accountId: string;
  /**
   * The program's name prefix (`email-approval`). Pulumi names each physical resource after its
   * logical name plus a random suffix (`email-approval-request-role-1a2b3c4`), and every logical
   * name in the program starts with the prefix, so `${namePrefix}-*` is exactly ours.
   */
  namePrefix: string;
  /** The sender address whose SES identity the program creates; any identity in the account when not given. */
  senderEmail?: string;
  /** Also grant tag writes: the program sets no tags, but the provider's `aws:defaultTags` would. */
  tagging?: boolean;
}

/** What the program declared: resource type tokens and invoke tokens. */
export interface ProgramTokens {
  resourceTypes: string[];
  invokes: string[];
}

type Condition = NonNullable<Statement['Condition']>;

/** Where some actions apply; every type that grants actions at the same place adds them to one statement. */
interface Place {
  sid: string;
  resources: (s: DeployerScope) => string[];
  condition?: (s: DeployerScope) => Condition;
  /** A StringEquals condition key whose values the grants here bring (the third element of a grant). */
  collects?: string;
}
type Grant = readonly [place: Place, actions: readonly string[], conditionValue?: string];

const regional = (service: string, s: DeployerScope, resource: string) => `arn:${s.partition}:${service}:${s.region}:${s.accountId}:${resource}`;
const ourRoles = (s: DeployerScope) => [`arn:${s.partition}:iam::${s.accountId}:role/${s.namePrefix}-*`];
const apiGateway = (s: DeployerScope, path: string) => `arn:${s.partition}:apigateway:${s.region}::${path}`;

// Places, in the order the statements are printed.
/**
 * Calls AWS authorises on "*" only: who am I, creating a key (its id is random), listing
 * aliases and certificates, validating a state machine definition, and CloudWatch Logs' log
 * deliveries (with the logs resource policy they add to), which API Gateway and Step Functions
 * set up with the caller's permissions.
 */
const ACCOUNT_WIDE: Place = { sid: 'AccountWide', resources: () => ['*'] };
const ROLES: Place = { sid: 'Roles', resources: ourRoles };
/** Our roles, to the services the program hands them to (each role also trusts only its own service). */
const PASS_ROLES: Place = { sid: 'PassRoles', resources: ourRoles, collects: 'iam:PassedToService' };
/** API Gateway creates its service-linked role with the first API or custom domain in an account. */
const API_GATEWAY_ROLE: Place = {
  sid: 'ApiGatewayServiceRole',
  resources: (s) => [`arn:${s.partition}:iam::${s.accountId}:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway`],
  condition: () => ({ StringEquals: { 'iam:AWSServiceName': 'ops.apigateway.amazonaws.com' } }),
};
const FUNCTIONS: Place = { sid: 'Functions', resources: (s) => [regional('lambda', s, `function:${s.namePrefix}-*`)] };
const LOG_GROUPS: Place = {
  sid: 'LogGroups',
  // Step Functions' log group is named from a prefix under /aws/vendedlogs/states/.
  resources: (s) => [regional('logs', s, `log-group:${s.namePrefix}-*`), regional('logs', s, `log-group:/aws/vendedlogs/states/${s.namePrefix}-*`)],
};
const TABLES: Place = { sid: 'Tables', resources: (s) => [regional('dynamodb', s, `table/${s.namePrefix}-*`)] };
/**
 * Reading key metadata (also of the AWS-managed alias/aws/dynamodb key the table is encrypted
 * under), and our aliases: alias calls are authorised on the alias (ours only) and on its key.
 */
const KEYS: Place = { sid: 'Keys', resources: (s) => [regional('kms', s, 'key/*'), regional('kms', s, `alias/${s.namePrefix}-*`)] };
/**
 * Changing and deleting keys: a key's id is random, so this names every key, but only those with
 * no alias (a key being created, or being destroyed after its alias) or only aliases of ours. A
 * key of anyone else's that has an alias (most do) stays out of reach. PutKeyPolicy is here too:
 * KMS's lockout check at CreateKey asks whether the caller could change the new key's policy.
 */
const OUR_KEYS: Place = {
  sid: 'ManageOwnKeys',
  resources: (s) => [regional('kms', s, 'key/*')],
  condition: (s) => ({ 'ForAllValues:StringLike': { 'kms:ResourceAliases': `alias/${s.namePrefix}-*` } }),
};
const SECRETS: Place = { sid: 'Secrets', resources: (s) => [regional('secretsmanager', s, `secret:${s.namePrefix}-*`)] };
const SENDER_IDENTITY: Place = { sid: 'SenderIdentity', resources: (s) => [regional('ses', s, `identity/${s.senderEmail ?? '*'}`)] };
const TOPICS: Place = { sid: 'Topics', resources: (s) => [regional('sns', s, `${s.namePrefix}-*`)] };
const QUEUES: Place = { sid: 'Queues', resources: (s) => [regional('sqs', s, `${s.namePrefix}-*`)] };
const ALARMS: Place = { sid: 'Alarms', resources: (s) => [regional('cloudwatch', s, `alarm:${s.namePrefix}-*`)] };
const RULES: Place = { sid: 'Rules', resources: (s) => [regional('events', s, `rule/${s.namePrefix}-*`)] };
const STATE_MACHINES: Place = { sid: 'StateMachines', resources: (s) => [regional('states', s, `stateMachine:${s.namePrefix}-*`)] };
/**
 * API Gateway's management API: HTTP APIs (random ids) with their sub-resources and tags, and
 * custom domain names with their API mappings.
 */
const API_GATEWAY: Place = {
  sid: 'ApiGateway',
  resources: (s) => [apiGateway(s, '/apis'), apiGateway(s, '/apis/*'), apiGateway(s, '/tags/*'), apiGateway(s, '/domainnames'), apiGateway(s, '/domainnames/*')],
};
const READ_CERTIFICATES: Place = { sid: 'ReadCertificates', resources: (s) => [regional('acm', s, 'certificate/*')] };

const PLACES: Place[] = [
  ACCOUNT_WIDE,
  ROLES,
  PASS_ROLES,
  API_GATEWAY_ROLE,
  FUNCTIONS,
  LOG_GROUPS,
  TABLES,
  KEYS,
  OUR_KEYS,
  SECRETS,
  SENDER_IDENTITY,
  TOPICS,
  QUEUES,
  ALARMS,
  RULES,
  STATE_MACHINES,
  API_GATEWAY,
  READ_CERTIFICATES,
];

/** CloudWatch Logs delivery, set up with the caller's permissions (HTTP API access logs, Step Functions logging). */
const VENDED_LOGS = LOG_DELIVERY_ACTIONS;
/** API Gateway's management API is REST verbs on paths: create (POST), read (GET), update (PATCH), delete (DELETE). */
const API_VERBS = ['apigateway:GET', 'apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE'];

/**
 * Per resource type: the calls the provider's create, read (also refresh and the waits), update
 * and delete make for the properties this program sets. Calls for properties it never sets
 * (publishing versions, code signing, DKIM, key enablement, rule state) are left out; tag writes
 * are in TAG_GRANTS, since the program sets no tags.
 */
const RESOURCE_GRANTS: Record<string, readonly Grant[]> = {
  'aws:iam/role:Role': [
    [
      ROLES,
      [
        'iam:CreateRole',
        'iam:GetRole',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:ListRoleTags',
        'iam:UpdateAssumeRolePolicy',
        // Delete first detaches the role from any instance profile.
        'iam:ListInstanceProfilesForRole',
        'iam:DeleteRole',
      ],
    ],
  ],
  'aws:iam/rolePolicy:RolePolicy': [[ROLES, ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy']]],
  'aws:lambda/function:Function': [
    [
      FUNCTIONS,
      [
        'lambda:CreateFunction',
        'lambda:GetFunction',
        'lambda:ListVersionsByFunction',
        'lambda:GetFunctionCodeSigningConfig',
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
        // Reserved concurrency is a property of the function: set, changed, or removed ("off").
        'lambda:GetFunctionConcurrency',
        'lambda:PutFunctionConcurrency',
        'lambda:DeleteFunctionConcurrency',
        'lambda:DeleteFunction',
      ],
    ],
    [PASS_ROLES, ['iam:PassRole'], 'lambda.amazonaws.com'],
  ],
  'aws:lambda/permission:Permission': [[FUNCTIONS, ['lambda:AddPermission', 'lambda:GetPolicy', 'lambda:RemovePermission']]],
  'aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig': [
    [FUNCTIONS, ['lambda:PutFunctionEventInvokeConfig', 'lambda:GetFunctionEventInvokeConfig', 'lambda:UpdateFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig']],
  ],
  'aws:cloudwatch/logGroup:LogGroup': [
    [LOG_GROUPS, ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:ListTagsForResource', 'logs:DeleteLogGroup']],
    [ACCOUNT_WIDE, ['logs:DescribeLogGroups']],
  ],
  'aws:dynamodb/table:Table': [
    [
      TABLES,
      [
        'dynamodb:CreateTable',
        'dynamodb:DescribeTable',
        'dynamodb:UpdateTable',
        'dynamodb:DescribeTimeToLive',
        'dynamodb:UpdateTimeToLive',
        'dynamodb:DescribeContinuousBackups',
        'dynamodb:UpdateContinuousBackups',
        'dynamodb:ListTagsOfResource',
        // After deletion protection is turned off (UpdateTable): see the README's "Tear down".
        'dynamodb:DeleteTable',
      ],
    ],
    // Read tells the AWS-managed alias/aws/dynamodb key apart from a key of one's own.
    [KEYS, ['kms:DescribeKey']],
  ],
  'aws:kms/key:Key': [
    [ACCOUNT_WIDE, ['kms:CreateKey']],
    [KEYS, ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags']],
    [OUR_KEYS, ['kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:UpdateKeyDescription', 'kms:ScheduleKeyDeletion']],
  ],
  'aws:kms/alias:Alias': [
    [ACCOUNT_WIDE, ['kms:ListAliases']],
    [KEYS, ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias']],
  ],
  'aws:secretsmanager/secret:Secret': [
    [SECRETS, ['secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy', 'secretsmanager:UpdateSecret', 'secretsmanager:DeleteSecret']],
  ],
  'aws:secretsmanager/secretVersion:SecretVersion': [
    // Read fetches the value back to compare; delete takes off any label but AWSCURRENT (e.g. the README's PULUMI-INITIAL).
    [SECRETS, ['secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue', 'secretsmanager:UpdateSecretVersionStage']],
  ],
  'aws:sesv2/emailIdentity:EmailIdentity': [[SENDER_IDENTITY, ['ses:CreateEmailIdentity', 'ses:GetEmailIdentity', 'ses:ListTagsForResource', 'ses:DeleteEmailIdentity']]],
  'aws:sns/topic:Topic': [[TOPICS, ['sns:CreateTopic', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:ListTagsForResource', 'sns:DeleteTopic']]],
  'aws:sns/topicPolicy:TopicPolicy': [[TOPICS, ['sns:GetTopicAttributes', 'sns:SetTopicAttributes']]],
  'aws:sns/topicSubscription:TopicSubscription': [[TOPICS, ['sns:Subscribe', 'sns:GetSubscriptionAttributes', 'sns:Unsubscribe']]],
  'aws:sqs/queue:Queue': [[QUEUES, ['sqs:CreateQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:ListQueueTags', 'sqs:DeleteQueue']]],
  'aws:sqs/queuePolicy:QueuePolicy': [[QUEUES, ['sqs:GetQueueAttributes', 'sqs:SetQueueAttributes']]],
  'aws:cloudwatch/metricAlarm:MetricAlarm': [[ALARMS, ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource', 'cloudwatch:DeleteAlarms']]],
  'aws:cloudwatch/eventRule:EventRule': [[RULES, ['events:PutRule', 'events:DescribeRule', 'events:ListTagsForResource', 'events:DeleteRule']]],
  'aws:cloudwatch/eventTarget:EventTarget': [[RULES, ['events:PutTargets', 'events:ListTargetsByRule', 'events:RemoveTargets']]],
  'aws:sfn/stateMachine:StateMachine': [
    [
      STATE_MACHINES,
      [
        'states:CreateStateMachine',
        'states:DescribeStateMachine',
        'states:ListStateMachineVersions',
        'states:ListTagsForResource',
        'states:UpdateStateMachine',
        'states:DeleteStateMachine',
      ],
    ],
    [ACCOUNT_WIDE, ['states:ValidateStateMachineDefinition', ...VENDED_LOGS]],
    [PASS_ROLES, ['iam:PassRole'], 'states.amazonaws.com'],
  ],
  'aws:apigatewayv2/api:Api': [
    [API_GATEWAY, API_VERBS],
    [API_GATEWAY_ROLE, ['iam:CreateServiceLinkedRole']],
  ],
  'aws:apigatewayv2/stage:Stage': [
    [API_GATEWAY, API_VERBS],
    [ACCOUNT_WIDE, VENDED_LOGS],
  ],
  'aws:apigatewayv2/integration:Integration': [[API_GATEWAY, API_VERBS]],
  'aws:apigatewayv2/route:Route': [[API_GATEWAY, API_VERBS]],
  'aws:apigatewayv2/domainName:DomainName': [
    [API_GATEWAY, API_VERBS],
    [API_GATEWAY_ROLE, ['iam:CreateServiceLinkedRole']],
  ],
  'aws:apigatewayv2/apiMapping:ApiMapping': [[API_GATEWAY, API_VERBS]],
};

/**
 * Tag writes, per resource type: needed only when resources carry tags, i.e. with the provider's
 * `aws:defaultTags` (`tagging` in the scope). Creating a tagged resource needs them too.
 */
const TAG_GRANTS: Record<string, readonly Grant[]> = {
  'aws:iam/role:Role': [[ROLES, ['iam:TagRole', 'iam:UntagRole']]],
  'aws:lambda/function:Function': [[FUNCTIONS, ['lambda:TagResource', 'lambda:UntagResource']]],
  'aws:cloudwatch/logGroup:LogGroup': [[LOG_GROUPS, ['logs:TagResource', 'logs:UntagResource']]],
  'aws:dynamodb/table:Table': [[TABLES, ['dynamodb:TagResource', 'dynamodb:UntagResource']]],
  'aws:kms/key:Key': [[OUR_KEYS, ['kms:TagResource', 'kms:UntagResource']]],
  'aws:secretsmanager/secret:Secret': [[SECRETS, ['secretsmanager:TagResource', 'secretsmanager:UntagResource']]],
  'aws:sesv2/emailIdentity:EmailIdentity': [[SENDER_IDENTITY, ['ses:TagResource', 'ses:UntagResource']]],
  'aws:sns/topic:Topic': [[TOPICS, ['sns:TagResource', 'sns:UntagResource']]],
  'aws:sqs/queue:Queue': [[QUEUES, ['sqs:TagQueue', 'sqs:UntagQueue']]],
  'aws:cloudwatch/metricAlarm:MetricAlarm': [[ALARMS, ['cloudwatch:TagResource', 'cloudwatch:UntagResource']]],
  'aws:cloudwatch/eventRule:EventRule': [[RULES, ['events:TagResource', 'events:UntagResource']]],
  'aws:sfn/stateMachine:StateMachine': [[STATE_MACHINES, ['states:TagResource', 'states:UntagResource']]],
  // API Gateway tags through POST and DELETE on /tags/{arn}, already granted.
};

/** Per invoke (data source): the calls it makes. */
const INVOKE_GRANTS: Record<string, readonly Grant[]> = {
  // AWS lets anyone call GetCallerIdentity; named for completeness (the provider calls it on every run too).
  'aws:index/getCallerIdentity:getCallerIdentity': [[ACCOUNT_WIDE, ['sts:GetCallerIdentity']]],
  // Answered from the provider's own configuration: no AWS call.
  'aws:index/getRegion:getRegion': [],
  'aws:index/getPartition:getPartition': [],
  'aws:acm/getCertificate:getCertificate': [
    [ACCOUNT_WIDE, ['acm:ListCertificates']],
    [READ_CERTIFICATES, ['acm:DescribeCertificate', 'acm:ListTagsForCertificate']],
  ],
};

/** Providers whose resources never call AWS (`random` generates in the engine, state only). */
const LOCAL_PACKAGES = new Set(['random']);

const packageOf = (token: string) => token.split(':')[0]!;

function grantsFor(token: string, table: Record<string, readonly Grant[]>): readonly Grant[] | undefined {
  if (LOCAL_PACKAGES.has(packageOf(token))) return [];
  return Object.hasOwn(table, token) ? table[token] : undefined;
}

/** Every resource type and invoke the deployer policy knows how to grant (the tests compare them with the program's). */
export const MAPPED_RESOURCE_TYPES: readonly string[] = Object.keys(RESOURCE_GRANTS);
export const MAPPED_INVOKES: readonly string[] = Object.keys(INVOKE_GRANTS);

/** The tokens among `used` that have no mapping here: a policy built without them would fail the deploy. */
export function unmappedTokens(used: ProgramTokens): string[] {
  return [
    ...used.resourceTypes.filter((t) => grantsFor(t, RESOURCE_GRANTS) === undefined),
    ...used.invokes.filter((t) => grantsFor(t, INVOKE_GRANTS) === undefined),
  ];
}

/**
 * Patterns written in place of the exact actions they stand for, so that the policy stays under
 * IAM's 6,144-character limit for a managed policy. Each matches exactly its list in the Service
 * Authorization Reference (the tests check), and replaces it only where a statement holds the
 * whole list: a pattern never grants more than the listed actions.
 */
export const ACTION_PATTERNS: Readonly<Record<string, readonly string[]>> = {
  'logs:*LogDeliver*': ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries'],
  'lambda:*FunctionEventInvokeConfig': ['lambda:PutFunctionEventInvokeConfig', 'lambda:GetFunctionEventInvokeConfig', 'lambda:UpdateFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig'],
  'lambda:*FunctionConcurrency': ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency'],
  'states:*StateMachine': ['states:CreateStateMachine', 'states:DescribeStateMachine', 'states:UpdateStateMachine', 'states:DeleteStateMachine'],
  'kms:*Alias': ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
  'events:*Targets*': ['events:PutTargets', 'events:ListTargetsByRule', 'events:RemoveTargets'],
  'sns:*TopicAttributes': ['sns:GetTopicAttributes', 'sns:SetTopicAttributes'],
  'sqs:*QueueAttributes': ['sqs:GetQueueAttributes', 'sqs:SetQueueAttributes'],
  'dynamodb:*TimeToLive': ['dynamodb:DescribeTimeToLive', 'dynamodb:UpdateTimeToLive'],
  'dynamodb:*ContinuousBackups': ['dynamodb:DescribeContinuousBackups', 'dynamodb:UpdateContinuousBackups'],
  'cloudwatch:*Alarms': ['cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
};

/** A statement's actions, each complete ACTION_PATTERNS list written as its pattern. */
function compact(actions: Set<string>): string[] {
  const out = new Set(actions);
  for (const [pattern, list] of Object.entries(ACTION_PATTERNS)) {
    if (list.every((a) => out.has(a))) {
      for (const a of list) out.delete(a);
      out.add(pattern);
    }
  }
  return [...out].sort();
}

/** IAM takes a single value or a list: one value is written alone. */
const one = (values: string[]): string | string[] => (values.length === 1 ? values[0]! : values);

export class UnmappedTypesError extends Error {
  constructor(readonly tokens: string[]) {
    super(`No deployer permissions are mapped for: ${tokens.join(', ')}. Add what the provider calls for each to pulumi/deployer-policy.ts.`);
    this.name = 'UnmappedTypesError';
  }
}

/**
 * The least-privilege policy for deploying, refreshing and destroying a program that declares
 * `used`: one statement per place, holding every action any used type needs there, resources
 * scoped to `scope`'s partition, region, account and name prefix. Throws UnmappedTypesError
 * naming every token it has no mapping for.
 */
export function deployerPolicy(scope: DeployerScope, used: ProgramTokens): PolicyDocument {
  const unmapped = unmappedTokens(used);
  if (unmapped.length > 0) throw new UnmappedTypesError([...new Set(unmapped)]);
  const actions = new Map<Place, Set<string>>();
  const conditionValues = new Map<Place, Set<string>>();
  // The provider checks its credentials with GetCallerIdentity before anything else.
  const grants: Grant[] = [[ACCOUNT_WIDE, ['sts:GetCallerIdentity']]];
  for (const t of new Set(used.resourceTypes)) grants.push(...grantsFor(t, RESOURCE_GRANTS)!, ...(scope.tagging ? (TAG_GRANTS[t] ?? []) : []));
  for (const t of new Set(used.invokes)) grants.push(...grantsFor(t, INVOKE_GRANTS)!);
  for (const [place, names, conditionValue] of grants) {
    actions.set(place, new Set([...(actions.get(place) ?? []), ...names]));
    if (conditionValue) conditionValues.set(place, new Set([...(conditionValues.get(place) ?? []), conditionValue]));
  }
  const unordered = [...actions.keys()].filter((p) => !PLACES.includes(p));
  if (unordered.length > 0) throw new Error(`deployer-policy: add ${unordered.map((p) => p.sid).join(', ')} to PLACES`);
  const Statement = PLACES.filter((p) => actions.has(p)).map((place): Statement => {
    const names = compact(actions.get(place)!);
    const resources = place.resources(scope);
    const values = [...(conditionValues.get(place) ?? [])].sort();
    const condition = place.collects ? { StringEquals: { [place.collects]: one(values) } } : place.condition?.(scope);
    return {
      Sid: place.sid,
      Effect: 'Allow',
      Action: one(names),
      Resource: one(resources),
      ...(condition ? { Condition: condition } : {}),
    };
  });
  return { Version: '2012-10-17', Statement };
}
