/** The calls each resource type and invoke makes, by place: what the deployer policy grants. */
import { LOG_DELIVERY_ACTIONS } from '../approval';
import { ACCOUNT_WIDE, ALARMS, API_GATEWAY, API_GATEWAY_ROLE, FUNCTIONS, type Grant, KEYS, LOG_GROUPS, OUR_KEYS, PASS_ROLES, QUEUES, READ_CERTIFICATES, ROLES, RULES, SECRETS, SENDER_IDENTITY, STATE_MACHINES, TABLES, TOPICS } from './places';

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
export const RESOURCE_GRANTS: Record<string, readonly Grant[]> = {
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
export const TAG_GRANTS: Record<string, readonly Grant[]> = {
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
export const INVOKE_GRANTS: Record<string, readonly Grant[]> = {
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
