/**
 * IAM documents as pure functions of plain ARNs: the Pulumi program fills them with resource
 * outputs, and the tests simulate them with the same inputs. Least privilege per principal.
 */
import { KEY_PREFIX } from '../../src/approval/adapters/table-schema';
import { TOKEN_PURPOSE } from '../../src/approval/domain/sealed-token';
import { SIGN_IN_RATE_KIND } from '../../src/approval/domain/rate-limit';

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

/** A policy document of these statements. */
export const policyDocument = (...Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const doc = policyDocument;

/** Where the service sends email from: enough to grant `ses:SendEmail` from its sender. */
export interface SenderArns {
  /** `aws`, `aws-cn`, `aws-us-gov`: every ARN built here is in the deployment's partition. */
  partition: string;
  region: string;
  accountId: string;
  senderEmail: string;
}

export interface ServiceArns extends SenderArns {
  tableArn: string;
  tokenKeyArn: string;
  macSecretArn: string;
}

/** Items a principal may touch, by partition-key prefix (requests `REQ#…`). */
export const leadingKeys = (prefix: string) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } });
const tokenContext = { StringEquals: { 'kms:EncryptionContext:purpose': TOKEN_PURPOSE } };

/** Trust policies carry no Resource; IAM rejects one that does. */
export function trustPolicy(service: 'lambda.amazonaws.com' | 'states.amazonaws.com'): object {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] };
}

export function writeLogs(logGroupArn: string): Statement {
  return { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroupArn}:*` };
}

/** Email from the service's sender (and nothing else). */
export function sendEmail(a: SenderArns): Statement {
  return {
    Sid: 'SendFromSender',
    Effect: 'Allow',
    Action: 'ses:SendEmail',
    // SES authorises against every identity involved (sender, and recipients in the sandbox).
    Resource: `arn:${a.partition}:ses:${a.region}:${a.accountId}:identity/*`,
    Condition: { StringEquals: { 'ses:FromAddress': a.senderEmail } },
  };
}

const readMacSecret = (a: ServiceArns): Statement => ({ Sid: 'MacKey', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: a.macSecretArn });

/** The execution registry (`EXEC#…` items): the request Lambda registers requests, the closer ends executions. */
const executionItems = (a: ServiceArns): Statement => ({ Sid: 'Executions', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.execution) });

/** Request Lambda: seal tokens (never open them), store requests, email reviewers. */
export function requestFunctionPolicy(a: ServiceArns & { logGroupArn: string }): PolicyDocument {
  return doc(
    { Sid: 'SealToken', Effect: 'Allow', Action: 'kms:Encrypt', Resource: a.tokenKeyArn, Condition: tokenContext },
    { Sid: 'Requests', Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.request) },
    executionItems(a),
    readMacSecret(a),
    sendEmail(a),
    writeLogs(a.logGroupArn),
  );
}

/** What every principal that delivers a decision needs: open the token, resume the execution. */
function deliverDecisions(a: ServiceArns): Statement[] {
  return [
    { Sid: 'OpenToken', Effect: 'Allow', Action: 'kms:Decrypt', Resource: a.tokenKeyArn, Condition: tokenContext },
    // Task tokens are not resources: AWS requires "*" for the callback actions.
    { Sid: 'Callback', Effect: 'Allow', Action: ['states:SendTaskSuccess', 'states:SendTaskFailure'], Resource: '*' },
  ];
}

/**
 * Pending and recent requests, through the index: its partitions are the shards PENDING#k and
 * DONE#k, and the unsharded PENDING and DONE of requests stored before sharding.
 */
const queryIndex = (a: ServiceArns): Statement => ({
  Sid: 'ListRequests',
  Effect: 'Allow',
  Action: 'dynamodb:Query',
  Resource: `${a.tableArn}/index/pending`,
});

/** Link Lambda: verify links, record votes, deliver decisions, tell the others. */
export function reviewFunctionPolicy(a: ServiceArns & { logGroupArn: string }): PolicyDocument {
  return doc(
    ...deliverDecisions(a),
    { Sid: 'Requests', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.request) },
    readMacSecret(a),
    sendEmail(a),
    writeLogs(a.logGroupArn),
  );
}

/**
 * Admin dashboard: sign-in links (single use, and read when a link is opened), each admin's
 * session generation (read on every request, moved on at sign-out), the sign-in counters, list
 * and read requests, decide like a reviewer.
 */
export function adminFunctionPolicy(a: ServiceArns & { logGroupArn: string }): PolicyDocument {
  return doc(
    ...deliverDecisions(a),
    { Sid: 'Requests', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.request) },
    { Sid: 'SignInLinks', Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.signIn) },
    { Sid: 'Sessions', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.admin) },
    { Sid: 'SignInCounters', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: a.tableArn, Condition: leadingKeys(`${KEY_PREFIX.rate}${SIGN_IN_RATE_KIND}#`) },
    queryIndex(a),
    readMacSecret(a),
    sendEmail(a),
    writeLogs(a.logGroupArn),
  );
}

/** Sweeper: reminders, escalation, expiry, and finishing decisions a crash left DECIDING. */
export function sweeperFunctionPolicy(a: ServiceArns & { logGroupArn: string }): PolicyDocument {
  return doc(
    ...deliverDecisions(a),
    { Sid: 'Requests', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.request) },
    // Where a pass too long for one run carries on: read, and replaced by a conditional put.
    { Sid: 'SweepCursor', Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.sweep) },
    queryIndex(a),
    readMacSecret(a),
    sendEmail(a),
    writeLogs(a.logGroupArn),
  );
}

/** Closer: end an execution in the registry, close its pending requests, tell their reviewers. Never decrypts. */
export function closerFunctionPolicy(a: ServiceArns & { logGroupArn: string; deadLetterQueueArn: string }): PolicyDocument {
  return doc(
    executionItems(a),
    { Sid: 'Requests', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: a.tableArn, Condition: leadingKeys(KEY_PREFIX.request) },
    sendEmail(a),
    keepFailedEvents(a.deadLetterQueueArn),
    writeLogs(a.logGroupArn),
  );
}

/** Invoke these functions (and their versions and aliases). */
export function invokeFunctions(Sid: string, functionArns: string[]): Statement {
  return { Sid, Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: functionArns.flatMap((arn) => [arn, `${arn}:*`]) };
}

/** Lambda's on-failure destination sends with the function's own role. */
export const keepFailedEvents = (queueArn: string): Statement => ({ Sid: 'FailedEvents', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn });

/**
 * The dead-letter queue of execution ends: EventBridge may put events it could not deliver to a
 * rule's target there, for this account's rules only (Lambda's on-failure destination uses the
 * function's role instead).
 */
export function deadLetterQueuePolicy(a: { partition: string; region: string; accountId: string; queueArn: string }): PolicyDocument {
  return doc(serviceOnBehalfOfAccount('UndeliveredEvents', 'events.amazonaws.com', 'sqs:SendMessage', a.queueArn, a.accountId, `arn:${a.partition}:events:${a.region}:${a.accountId}:rule/*`));
}

/** CloudWatch Logs delivery (vended logs), set up with the caller's permissions: Step Functions logging, API access logs. */
export const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/** What the account's administrators may do with the key: manage it, never use it, never grant it. */
export const KEY_ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:UpdateAlias',
  'kms:DescribeKey',
  'kms:EnableKey',
  'kms:DisableKey',
  'kms:EnableKeyRotation',
  'kms:DisableKeyRotation',
  'kms:GetKeyRotationStatus',
  'kms:RotateKeyOnDemand',
  'kms:GetKeyPolicy',
  'kms:PutKeyPolicy',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:ListGrants',
  'kms:RevokeGrant',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateKeyDescription',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/**
 * The token key's policy. The account administers the key (its IAM policies decide who: the
 * deployer needs DeleteAlias and ScheduleKeyDeletion to destroy the stack) but cannot use it;
 * only the request role may encrypt and only the roles that deliver decisions (link, admin,
 * sweeper) may decrypt, and only task tokens. No grants: a grant is a second way to use a key
 * that bypasses this policy, so CreateGrant is denied to everyone unless an AWS service asks
 * for it on a principal's behalf (none of ours does). Anyone else who wants to decrypt must first
 * change this policy (PutKeyPolicy), which CloudTrail records.
 */
export function tokenKeyPolicy(a: { partition: string; accountId: string; requestRoleArn: string; decryptRoleArns: string[] }): PolicyDocument {
  return doc(
    { Sid: 'Administer', Effect: 'Allow', Principal: { AWS: `arn:${a.partition}:iam::${a.accountId}:root` }, Action: KEY_ADMIN_ACTIONS, Resource: '*' },
    { Sid: 'Seal', Effect: 'Allow', Principal: { AWS: a.requestRoleArn }, Action: 'kms:Encrypt', Resource: '*', Condition: tokenContext },
    { Sid: 'Open', Effect: 'Allow', Principal: { AWS: a.decryptRoleArns }, Action: 'kms:Decrypt', Resource: '*', Condition: tokenContext },
    {
      Sid: 'NoGrants',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'false' } },
    },
  );
}

/**
 * The alarm topic's resource policy: CloudWatch may publish to it, and only on behalf of alarms
 * in this account and region (aws:SourceAccount and aws:SourceArn keep another account's alarms
 * from using CloudWatch as a confused deputy). It replaces SNS's default policy; people and roles
 * of the account still publish and subscribe through their own IAM permissions.
 */
export function alarmTopicPolicy(a: { partition: string; region: string; accountId: string; topicArn: string }): PolicyDocument {
  return doc(serviceOnBehalfOfAccount('CloudWatchAlarms', 'cloudwatch.amazonaws.com', 'sns:Publish', a.topicArn, a.accountId, `arn:${a.partition}:cloudwatch:${a.region}:${a.accountId}:alarm:*`));
}

/** An AWS service may act on `resource`, only for sources (`sourceArn`, a pattern) of this account: no confused deputy. */
function serviceOnBehalfOfAccount(Sid: string, service: string, action: string, resource: string, accountId: string, sourceArn: string): Statement {
  return {
    Sid,
    Effect: 'Allow',
    Principal: { Service: service },
    Action: action,
    Resource: resource,
    Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': sourceArn } },
  };
}
