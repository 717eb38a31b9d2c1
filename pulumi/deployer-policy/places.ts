/** Where the deployer's grants apply: the stack's scope, and the places (ARN patterns) its statements name. */
import type { Statement } from '../approval';

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

export type Condition = NonNullable<Statement['Condition']>;

/** Where some actions apply; every type that grants actions at the same place adds them to one statement. */
export interface Place {
  sid: string;
  resources: (s: DeployerScope) => string[];
  condition?: (s: DeployerScope) => Condition;
  /** A StringEquals condition key whose values the grants here bring (the third element of a grant). */
  collects?: string;
}
export type Grant = readonly [place: Place, actions: readonly string[], conditionValue?: string];

export const regional = (service: string, s: DeployerScope, resource: string) => `arn:${s.partition}:${service}:${s.region}:${s.accountId}:${resource}`;
export const ourRoles = (s: DeployerScope) => [`arn:${s.partition}:iam::${s.accountId}:role/${s.namePrefix}-*`];
export const apiGateway = (s: DeployerScope, path: string) => `arn:${s.partition}:apigateway:${s.region}::${path}`;

// Places, in the order the statements are printed.
/**
 * Calls AWS authorises on "*" only: who am I, creating a key (its id is random), listing
 * aliases and certificates, validating a state machine definition, and CloudWatch Logs' log
 * deliveries (with the logs resource policy they add to), which API Gateway and Step Functions
 * set up with the caller's permissions.
 */
export const ACCOUNT_WIDE: Place = { sid: 'AccountWide', resources: () => ['*'] };
export const ROLES: Place = { sid: 'Roles', resources: ourRoles };
/** Our roles, to the services the program hands them to (each role also trusts only its own service). */
export const PASS_ROLES: Place = { sid: 'PassRoles', resources: ourRoles, collects: 'iam:PassedToService' };
/** API Gateway creates its service-linked role with the first API or custom domain in an account. */
export const API_GATEWAY_ROLE: Place = {
  sid: 'ApiGatewayServiceRole',
  resources: (s) => [`arn:${s.partition}:iam::${s.accountId}:role/aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForAPIGateway`],
  condition: () => ({ StringEquals: { 'iam:AWSServiceName': 'ops.apigateway.amazonaws.com' } }),
};
export const FUNCTIONS: Place = { sid: 'Functions', resources: (s) => [regional('lambda', s, `function:${s.namePrefix}-*`)] };
export const LOG_GROUPS: Place = {
  sid: 'LogGroups',
  // Step Functions' log group is named from a prefix under /aws/vendedlogs/states/.
  resources: (s) => [regional('logs', s, `log-group:${s.namePrefix}-*`), regional('logs', s, `log-group:/aws/vendedlogs/states/${s.namePrefix}-*`)],
};
export const TABLES: Place = { sid: 'Tables', resources: (s) => [regional('dynamodb', s, `table/${s.namePrefix}-*`)] };
/**
 * Reading key metadata (also of the AWS-managed alias/aws/dynamodb key the table is encrypted
 * under), and our aliases: alias calls are authorised on the alias (ours only) and on its key.
 */
export const KEYS: Place = { sid: 'Keys', resources: (s) => [regional('kms', s, 'key/*'), regional('kms', s, `alias/${s.namePrefix}-*`)] };
/**
 * Changing and deleting keys: a key's id is random, so this names every key, but only those with
 * no alias (a key being created, or being destroyed after its alias) or only aliases of ours. A
 * key of anyone else's that has an alias (most do) stays out of reach. PutKeyPolicy is here too:
 * KMS's lockout check at CreateKey asks whether the caller could change the new key's policy.
 */
export const OUR_KEYS: Place = {
  sid: 'ManageOwnKeys',
  resources: (s) => [regional('kms', s, 'key/*')],
  condition: (s) => ({ 'ForAllValues:StringLike': { 'kms:ResourceAliases': `alias/${s.namePrefix}-*` } }),
};
export const SECRETS: Place = { sid: 'Secrets', resources: (s) => [regional('secretsmanager', s, `secret:${s.namePrefix}-*`)] };
export const SENDER_IDENTITY: Place = { sid: 'SenderIdentity', resources: (s) => [regional('ses', s, `identity/${s.senderEmail ?? '*'}`)] };
export const TOPICS: Place = { sid: 'Topics', resources: (s) => [regional('sns', s, `${s.namePrefix}-*`)] };
export const QUEUES: Place = { sid: 'Queues', resources: (s) => [regional('sqs', s, `${s.namePrefix}-*`)] };
export const ALARMS: Place = { sid: 'Alarms', resources: (s) => [regional('cloudwatch', s, `alarm:${s.namePrefix}-*`)] };
export const RULES: Place = { sid: 'Rules', resources: (s) => [regional('events', s, `rule/${s.namePrefix}-*`)] };
export const STATE_MACHINES: Place = { sid: 'StateMachines', resources: (s) => [regional('states', s, `stateMachine:${s.namePrefix}-*`)] };
/**
 * API Gateway's management API: HTTP APIs (random ids) with their sub-resources and tags, and
 * custom domain names with their API mappings.
 */
export const API_GATEWAY: Place = {
  sid: 'ApiGateway',
  resources: (s) => [apiGateway(s, '/apis'), apiGateway(s, '/apis/*'), apiGateway(s, '/tags/*'), apiGateway(s, '/domainnames'), apiGateway(s, '/domainnames/*')],
};
export const READ_CERTIFICATES: Place = { sid: 'ReadCertificates', resources: (s) => [regional('acm', s, 'certificate/*')] };

export const PLACES: Place[] = [
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
