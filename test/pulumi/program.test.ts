/**
 * The Pulumi program under Pulumi's own mocks: no CLI, no AWS. Every resource the program
 * declares is recorded with its inputs, then checked for the properties that matter.
 */
import { expect } from 'chai';
import * as pulumi from '@pulumi/pulumi';
import { envNames, read, type EnvSchema } from '../../src/approval/config';
import { DECISION_LEASE_SECONDS } from '../../src/approval/defaults';
import { ADMIN_ENV } from '../../src/approval/lambda/admin-env';
import { CLOSER_ENV, REQUEST_ENV, REVIEW_ENV, SWEEPER_ENV } from '../../src/approval/lambda/env';
import { NOTIFY_ENV, POSTS_ENV, POST_CLOSER_ENV } from '../../src/blog/lambda/env';

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** What the mock returned: inputs plus fake outputs such as `arn` and the physical `name`. */
  state: Record<string, unknown>;
}
const resources: Recorded[] = [];
const invokes: { token: string; inputs: Record<string, unknown> }[] = [];
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

function fakeState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const module = type.split(':')[1]!.split('/')[0]!;
  const service = module === 'sfn' ? 'states' : module;
  const arn = `arn:aws:${service}:${REGION}:${ACCOUNT}:${name}`;
  const extra: Record<string, unknown> = { arn, name: inputs.name ?? `${name}-physical` };
  if (type === 'aws:lambda/function:Function') extra.invokeArn = `arn:aws:apigateway:${REGION}:lambda:path/functions/${arn}/invocations`;
  if (type === 'aws:apigatewayv2/api:Api') Object.assign(extra, { apiEndpoint: `https://${name}.execute-api.${REGION}.amazonaws.com`, executionArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${name}` });
  if (type === 'aws:kms/key:Key') extra.keyId = `${name}-key-id`;
  if (type === 'aws:sqs/queue:Queue') extra.url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
  if (type === 'aws:iam/role:Role') extra.arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
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
      invokes.push({ token: args.token, inputs: args.inputs as Record<string, unknown> });
      if (args.token === 'aws:index/getCallerIdentity:getCallerIdentity') return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/dev`, userId: 'dev' };
      if (args.token === 'aws:index/getRegion:getRegion') return { name: REGION, region: REGION };
      if (args.token === 'aws:index/getPartition:getPartition') return { partition: 'aws', dnsSuffix: 'amazonaws.com', id: 'aws' };
      return args.inputs;
    },
  },
  'email-approval',
  'test',
  false,
);
pulumi.runtime.setConfig('email-approval:senderEmail', 'approvals@example.com');
pulumi.runtime.setConfig('email-approval:reviewers', 'alice@example.com, bob@example.com');
pulumi.runtime.setConfig('email-approval:linkTtlHours', '48');
pulumi.runtime.setConfig('email-approval:admins', 'Boss@example.com');
pulumi.runtime.setConfig('email-approval:requiredApprovals', '2');
pulumi.runtime.setConfig('email-approval:reminderHoursBeforeExpiry', '12');
pulumi.runtime.setConfig('email-approval:alarmEmail', 'ops@example.com');
pulumi.runtime.setConfig('email-approval:pendingShards', '32');
pulumi.runtime.setConfig('email-approval:postsPerClientPerHour', '30');
pulumi.runtime.setConfig('email-approval:signInsPerAddressPer15Minutes', '0');
pulumi.runtime.setConfig('aws:region', REGION);

const value = <T>(output: pulumi.Output<T> | undefined): Promise<T> => new Promise((resolve) => (output ? output.apply(resolve) : resolve(undefined as T)));
const ofType = (type: string) => resources.filter((r) => r.type === type);
const one = (type: string, nameIncludes = '') => {
  const found = ofType(type).filter((r) => r.name.includes(nameIncludes));
  expect(found, `${type} ${nameIncludes}`).to.have.length(1);
  return found[0]!;
};
/** Lets every pending apply (policies, definitions, alarms on output names) register its resource. */
async function settle(): Promise<void> {
  let quiet = 0;
  while (quiet < 5) {
    const seen = resources.length;
    await new Promise((resolve) => setImmediate(resolve));
    quiet = resources.length === seen ? quiet + 1 : 0;
  }
}

const LAMBDA = 'aws:lambda/function:Function';
const ALARM = 'aws:cloudwatch/metricAlarm:MetricAlarm';
const TOPIC = 'aws:sns/topic:Topic';
const SUBSCRIPTION = 'aws:sns/topicSubscription:TopicSubscription';
const dimensions = (alarm: Recorded) => alarm.inputs.dimensions as Record<string, string>;
const alarmsOn = (alarms: Recorded[], namespace: string, metricName: string, dimension: string, value: unknown) =>
  alarms.filter((a) => a.inputs.namespace === namespace && a.inputs.metricName === metricName && dimensions(a)[dimension] === value);

/**
 * Every Lambda among `recorded` has exactly one Errors alarm naming it, and every alarm counts
 * single occurrences and notifies `topicArn` on ALARM and on OK.
 */
function expectOperatorAlarms(recorded: Recorded[], topicArn: unknown, stateMachineArn: unknown): void {
  const fns = recorded.filter((r) => r.type === LAMBDA);
  const alarms = recorded.filter((r) => r.type === ALARM);
  expect(fns).to.not.be.empty;
  for (const fn of fns) expect(alarmsOn(alarms, 'AWS/Lambda', 'Errors', 'FunctionName', fn.state.name), `Errors alarms on ${fn.name}`).to.have.length(1);
  expect(alarms.filter((a) => a.inputs.namespace === 'AWS/Lambda'), 'Lambda alarms on functions not declared here').to.have.length(fns.length);
  for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
    expect(alarmsOn(alarms, 'AWS/States', metric, 'StateMachineArn', stateMachineArn), metric).to.have.length(1);
  }
  // …and one on the dead-letter queue of execution ends that could not be handled.
  expect(alarms.filter((a) => a.inputs.namespace === 'AWS/SQS' && a.inputs.metricName === 'ApproximateNumberOfMessagesVisible'), 'dead-letter queue').to.have.length(1);
  expect(alarms).to.have.length(fns.length + 3);
  for (const alarm of alarms) {
    expect(alarm.inputs, alarm.name).to.deep.include({
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [topicArn],
      okActions: [topicArn],
    });
    expect(alarm.inputs.alarmDescription, alarm.name).to.be.a('string').and.not.be.empty;
  }
}

describe('Pulumi program (mocked)', function () {
  this.timeout(60_000);
  let outputs: Record<string, unknown>;

  before(async () => {
    const program = await import('../../pulumi/index.js');
    outputs = {
      apiUrl: await value(program.apiUrl),
      stateMachineArn: await value(program.stateMachineArn),
      tableName: await value(program.tableName),
      requestFunctionArn: await value(program.requestFunctionArn),
      alarmTopicArn: await value(program.alarmTopicArn),
      deadLetterQueueUrl: await value(program.deadLetterQueueUrl),
    };
    await settle();
  });

  it('exports the API URL, state machine ARN, table name, request Lambda ARN, alarm topic ARN and dead-letter queue URL', () => {
    expect(outputs.apiUrl).to.match(/^https:\/\/.+execute-api/);
    expect(outputs.stateMachineArn).to.match(/^arn:aws:states:/);
    expect(outputs.tableName).to.be.a('string');
    expect(outputs.requestFunctionArn).to.match(/^arn:aws:lambda:/);
    expect(outputs.alarmTopicArn).to.equal(one(TOPIC).state.arn).and.match(/^arn:aws:sns:/);
    expect(outputs.deadLetterQueueUrl).to.equal(one('aws:sqs/queue:Queue', 'ended-dlq').state.url).and.match(/^https:\/\/sqs\./);
  });

  it('alarms on the errors of every Lambda and on failed and timed-out executions, to the one topic', () => {
    expectOperatorAlarms(resources, outputs.alarmTopicArn, outputs.stateMachineArn);
  });

  it('emails the alarmEmail address from the alarm topic', () => {
    const subscriptions = ofType(SUBSCRIPTION);
    expect(subscriptions).to.have.length(1);
    expect(subscriptions[0]!.inputs).to.deep.include({ topic: outputs.alarmTopicArn, protocol: 'email', endpoint: 'ops@example.com' });
  });

  it('lets CloudWatch publish to the alarm topic for alarms in this account and region only', () => {
    const topicPolicy = one('aws:sns/topicPolicy:TopicPolicy');
    expect(topicPolicy.inputs.arn).to.equal(outputs.alarmTopicArn);
    const statements = JSON.parse(topicPolicy.inputs.policy as string).Statement;
    expect(statements).to.deep.equal([
      {
        Sid: 'CloudWatchAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: outputs.alarmTopicArn,
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:*` } },
      },
    ]);
    // CloudWatch cannot use the AWS-managed SNS key (its policy cannot grant it): alarms would be dropped.
    expect(one(TOPIC).inputs.kmsMasterKeyId ?? '').to.not.match(/alias\/aws\/sns$/);
  });

  it('parents every resource to a component named after it', () => {
    const components = resources.filter((r) => r.type.startsWith('email-approval:'));
    expect(components.map((c) => c.type).sort()).to.deep.equal(['email-approval:index:ApprovalService', 'email-approval:index:BlogModeration']);
    for (const r of resources.filter((x) => !x.type.startsWith('email-approval:'))) expect(r.name).to.match(/^email-approval-/);
  });

  it('creates a STANDARD state machine with logging and a waitForTaskToken task timed out at the link TTL', async () => {
    const machine = one('aws:sfn/stateMachine:StateMachine');
    expect(machine.inputs.type).to.equal('STANDARD');
    expect(machine.inputs.loggingConfiguration).to.deep.include({ level: 'ALL' });
    const definition = JSON.parse(machine.inputs.definition as string);
    expect(definition.States.RequestApproval.Resource).to.equal('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(definition.States.RequestApproval.TimeoutSeconds).to.equal(48 * 3600);
    expect(definition.States.RequestApproval.Parameters.Payload.request.reviewers).to.deep.equal(['alice@example.com', 'bob@example.com']);
    expect(definition.States.RequestApproval.Parameters.FunctionName).to.equal(outputs.requestFunctionArn);
  });

  it('turns on KMS key rotation with a key policy that names the two roles', () => {
    const key = one('aws:kms/key:Key');
    expect(key.inputs.enableKeyRotation).to.equal(true);
    const policy = JSON.parse(key.inputs.policy as string);
    const principals = (sid: string) => [policy.Statement.find((s: { Sid: string }) => s.Sid === sid).Principal.AWS].flat();
    expect(principals('Seal')).to.deep.equal([`arn:aws:iam::${ACCOUNT}:role/email-approval-request-role`]);
    expect(principals('Open')).to.deep.equal(['review', 'admin', 'sweeper'].map((n) => `arn:aws:iam::${ACCOUNT}:role/email-approval-${n}-role`));
  });

  it("gives the blog example its own table, which its functions and workflow use and the core's never do", async () => {
    const posts = one('aws:dynamodb/table:Table', '-posts');
    expect(posts.inputs.ttl).to.deep.equal({ attributeName: 'ttl', enabled: true });
    expect(posts.inputs).to.deep.include({ deletionProtectionEnabled: true });
    expect(posts.inputs.globalSecondaryIndexes ?? []).to.deep.equal([]);
    const env = (fn: string) => (one('aws:lambda/function:Function', `approval-${fn}-fn`).inputs.environment as { variables: Record<string, string> }).variables;
    for (const fn of ['posts', 'post-closer']) expect(env(fn).TABLE_NAME, fn).to.equal(posts.state.name);
    for (const fn of ['request', 'review', 'admin', 'sweeper', 'closer']) expect(env(fn).TABLE_NAME, fn).to.not.equal(posts.state.name);
    const definition = JSON.parse(String(one('aws:sfn/stateMachine:StateMachine').inputs.definition));
    const tables = new Set(Object.values(definition.States as Record<string, { Parameters?: { TableName?: string } }>).map((st) => st.Parameters?.TableName).filter(Boolean));
    expect([...tables]).to.deep.equal([posts.state.name]);
  });

  it('creates the table with TTL, point-in-time recovery and the pending index', () => {
    const table = one('aws:dynamodb/table:Table', 'approval-table');
    expect(table.inputs.ttl).to.deep.equal({ attributeName: 'ttl', enabled: true });
    expect(table.inputs.pointInTimeRecovery).to.deep.equal({ enabled: true });
    expect((table.inputs.globalSecondaryIndexes as { name: string }[]).map((i) => i.name)).to.deep.equal(['pending']);
    // keySchemas, not the deprecated hashKey/rangeKey.
    expect((table.inputs.globalSecondaryIndexes as Record<string, unknown>[])[0]).to.deep.include({
      keySchemas: [
        { attributeName: 'pendingKey', keyType: 'HASH' },
        { attributeName: 'pendingSort', keyType: 'RANGE' },
      ],
    });
    expect((table.inputs.globalSecondaryIndexes as Record<string, unknown>[])[0]).to.not.have.any.keys('hashKey', 'rangeKey');
  });

  it('reserves concurrency for the public posts Lambda only (10 by default)', () => {
    const reserved = ofType(LAMBDA).filter((f) => f.inputs.reservedConcurrentExecutions !== undefined);
    expect(reserved.map((f) => [f.name, f.inputs.reservedConcurrentExecutions])).to.deep.equal([['email-approval-posts-fn', 10]]);
  });

  it('names the key alias after the stack, within what KMS accepts', () => {
    expect(one('aws:kms/alias:Alias').inputs.name).to.equal('alias/email-approval-task-token-test');
  });

  it('runs eight Lambdas on nodejs24.x with bundled code and JSON logs into log groups with retention', () => {
    const fns = ofType('aws:lambda/function:Function');
    expect(fns.map((f) => f.name).sort()).to.deep.equal([
      'email-approval-admin-fn',
      'email-approval-closer-fn',
      'email-approval-notify-fn',
      'email-approval-post-closer-fn',
      'email-approval-posts-fn',
      'email-approval-request-fn',
      'email-approval-review-fn',
      'email-approval-sweeper-fn',
    ]);
    for (const fn of fns) {
      expect(fn.inputs.runtime).to.equal('nodejs24.x');
      expect(fn.inputs.handler).to.equal('index.handler');
      expect((fn.inputs.loggingConfig as { logFormat: string }).logFormat).to.equal('JSON');
    }
    for (const lg of ofType('aws:cloudwatch/logGroup:LogGroup')) expect(lg.inputs.retentionInDays).to.equal(30);
    const review = one('aws:lambda/function:Function', 'review');
    expect((review.inputs.environment as { variables: Record<string, string> }).variables).to.include.keys('TABLE_NAME', 'TOKEN_KEY_ID', 'MAC_SECRET_ID');
    expect(review.inputs.timeout).to.be.below(60);
  });

  it('serves the review and posts routes on an HTTP API with throttling and query-free access logs', () => {
    expect(one('aws:apigatewayv2/api:Api').inputs.protocolType).to.equal('HTTP');
    const routes = ofType('aws:apigatewayv2/route:Route').map((r) => r.inputs.routeKey).sort();
    expect(routes).to.deep.equal(['ANY /admin', 'ANY /admin/{proxy+}', 'GET /posts/{id}', 'GET /review', 'HEAD /review', 'POST /posts', 'POST /review']);
    const stage = one('aws:apigatewayv2/stage:Stage');
    expect(stage.inputs.defaultRouteSettings).to.deep.include({ throttlingBurstLimit: 50, throttlingRateLimit: 25 });
    const format = (stage.inputs.accessLogSettings as { format: string }).format;
    expect(format).to.not.include('querystring').and.not.include('requestOverride');
    for (const integration of ofType('aws:apigatewayv2/integration:Integration')) expect(integration.inputs.payloadFormatVersion).to.equal('2.0');
  });

  it('creates the SES identity for the sender and a secret for the link keys', () => {
    expect(one('aws:sesv2/emailIdentity:EmailIdentity').inputs.emailIdentity).to.equal('approvals@example.com');
    const version = one('aws:secretsmanager/secretVersion:SecretVersion', 'mac-secret');
    // A secret input arrives wrapped by the mock layer: { <signature>: …, value }.
    const raw = version.inputs.secretString as string | { value: string };
    const secret = JSON.parse(typeof raw === 'string' ? raw : raw.value);
    expect(secret.current).to.equal('1');
    expect(Buffer.from(secret.keys['1'], 'base64')).to.have.length(32);
  });

  it('gives the posts Lambda its abuse limits and a hashing key of its own, and the dashboard its sign-in limit', () => {
    const env = (fn: string) => (one(LAMBDA, fn).inputs.environment as { variables: Record<string, string> }).variables;
    const secret = one('aws:secretsmanager/secret:Secret', 'client-hash');
    const version = one('aws:secretsmanager/secretVersion:SecretVersion', 'client-hash');
    expect(version.inputs.secretId).to.equal(`${secret.name}-id`);
    const raw = version.inputs.secretString as string | { value: string };
    const key = JSON.parse(typeof raw === 'string' ? raw : raw.value);
    expect(key.current).to.equal('1');
    expect(Buffer.from(key.keys['1'], 'base64')).to.have.length(32);
    expect(env('email-approval-posts-fn')).to.include({ POSTS_PER_AUTHOR_PER_HOUR: '5', POSTS_PER_CLIENT_PER_HOUR: '30', CLIENT_HASH_SECRET_ID: secret.state.arn });
    expect(env('email-approval-posts-fn')).to.not.have.property('MAC_SECRET_ID');
    expect(env('email-approval-admin-fn')).to.include({ SIGN_INS_PER_ADDRESS_PER_15_MINUTES: '0' });
  });

  it('gives every Lambda and the state machine a role of its own with an inline policy', () => {
    const roles = ofType('aws:iam/role:Role').map((r) => r.name).sort();
    expect(roles).to.deep.equal([
      'email-approval-admin-role',
      'email-approval-closer-role',
      'email-approval-notify-role',
      'email-approval-post-closer-role',
      'email-approval-posts-role',
      'email-approval-request-role',
      'email-approval-review-role',
      'email-approval-sweeper-role',
      'email-approval-workflow-role',
    ]);
    expect(ofType('aws:iam/rolePolicy:RolePolicy')).to.have.length(9);
  });

  it('runs the sweeper on a schedule and passes the team settings to the Lambdas and the workflow', async () => {
    const rule = one('aws:cloudwatch/eventRule:EventRule', 'sweep');
    expect(rule.inputs.scheduleExpression).to.equal('rate(15 minutes)');
    expect(one('aws:cloudwatch/eventTarget:EventTarget', 'sweep').inputs.arn).to.match(/sweeper/);
    const admin = one('aws:lambda/function:Function', 'admin');
    expect((admin.inputs.environment as { variables: Record<string, string> }).variables.ADMINS).to.equal('boss@example.com');
    const definition = JSON.parse(one('aws:sfn/stateMachine:StateMachine').inputs.definition as string);
    expect(definition.States.RequestApproval.Parameters.Payload.request).to.include({ requiredApprovals: 2, remindBeforeSeconds: 12 * 3600 });
  });
  it('gives every Lambda that reads or writes requests the same table and shard count of the pending index', () => {
    const env = (fn: Recorded) => (fn.inputs.environment as { variables: Record<string, string> }).variables;
    const requestLambdas = ['request', 'review', 'admin', 'sweeper', 'closer'].map((n) => one(LAMBDA, `email-approval-${n}-fn`));
    for (const fn of requestLambdas) expect(env(fn), fn.name).to.include({ PENDING_SHARDS: '32', AUDIT_RETENTION_DAYS: '365' });
    expect(new Set(requestLambdas.map((fn) => env(fn).TABLE_NAME)).size).to.equal(1);
  });

  it('routes the end of every workflow execution to the closer, and its failed, timed-out or stopped ends to the post closer', async () => {
    const machineArn = outputs.stateMachineArn;
    const rules = ofType('aws:cloudwatch/eventRule:EventRule').filter((r) => r.inputs.eventPattern);
    expect(rules.map((r) => r.name).sort()).to.deep.equal(['email-approval-post-ended', 'email-approval-workflow-ended']);
    const pattern = (name: string) => JSON.parse(one('aws:cloudwatch/eventRule:EventRule', name).inputs.eventPattern as string);
    const base = { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'] };
    expect(pattern('workflow-ended')).to.deep.equal({ ...base, detail: { stateMachineArn: [machineArn], status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] } });
    expect(pattern('post-ended')).to.deep.equal({ ...base, detail: { stateMachineArn: [machineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] } });
    const targetOf = (rule: string) => one('aws:cloudwatch/eventTarget:EventTarget', `${rule}-target`);
    expect(targetOf('workflow-ended').inputs.arn).to.equal(one(LAMBDA, 'email-approval-closer-fn').state.arn);
    expect(targetOf('post-ended').inputs.arn).to.equal(one(LAMBDA, 'post-closer-fn').state.arn);
    for (const [rule, fn] of [['workflow-ended', 'email-approval-closer-fn'], ['post-ended', 'post-closer-fn']]) {
      const permission = one('aws:lambda/permission:Permission', `${rule}-invoke`);
      expect(permission.inputs).to.deep.include({ action: 'lambda:InvokeFunction', principal: 'events.amazonaws.com', function: one(LAMBDA, fn!).state.name });
      expect(permission.inputs.sourceArn).to.equal(one('aws:cloudwatch/eventRule:EventRule', rule!).state.arn);
    }
    // What could not be handled is kept, not dropped: undeliverable events and failed invocations.
    const queueArn = one('aws:sqs/queue:Queue', 'ended-dlq').state.arn;
    for (const rule of ['workflow-ended', 'post-ended']) expect(targetOf(rule).inputs.deadLetterConfig).to.deep.equal({ arn: queueArn });
    for (const fn of ['email-approval-closer-fn', 'post-closer-fn']) {
      const config = ofType('aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig').filter((c) => c.inputs.functionName === one(LAMBDA, fn).state.name);
      expect(config, fn).to.have.length(1);
      expect(config[0]!.inputs).to.deep.include({ maximumRetryAttempts: 2, destinationConfig: { onFailure: { destination: queueArn } } });
    }
    const env = (fn: string) => (one(LAMBDA, fn).inputs.environment as { variables: Record<string, string> }).variables;
    expect(env('email-approval-closer-fn')).to.include.keys('TABLE_NAME', 'SENDER_EMAIL').and.not.include.keys('TOKEN_KEY_ID', 'MAC_SECRET_ID');
    expect(env('post-closer-fn')).to.include.keys('TABLE_NAME', 'SENDER_EMAIL');
  });

  it('catches every failure of the approval step in the deployed definition and ends it in a Fail state', () => {
    const definition = JSON.parse(one('aws:sfn/stateMachine:StateMachine').inputs.definition as string);
    const catches = definition.States.RequestApproval.Catch as { ErrorEquals: string[] }[];
    expect(catches.map((c) => c.ErrorEquals[0])).to.deep.equal(['States.Timeout', 'NoReviewers', 'InvalidApprovalRequest', 'EmailDeliveryFailed', 'States.ALL']);
    expect(definition.States.ApprovalFailed).to.deep.include({ Type: 'Fail', Error: 'ApprovalFailed' });
  });

  it("sets exactly the variables each function's schema declares, which the Lambda reads back as the stack configured them", () => {
    const schemas: Record<string, EnvSchema> = {
      request: REQUEST_ENV,
      review: REVIEW_ENV,
      admin: ADMIN_ENV,
      sweeper: SWEEPER_ENV,
      closer: CLOSER_ENV,
      posts: POSTS_ENV,
      notify: NOTIFY_ENV,
      'post-closer': POST_CLOSER_ENV,
    };
    expect(ofType(LAMBDA)).to.have.length(Object.keys(schemas).length);
    const settings: Record<string, Record<string, unknown>> = {};
    for (const [fn, schema] of Object.entries(schemas)) {
      const { NODE_OPTIONS, ...variables } = (one(LAMBDA, `email-approval-${fn}-fn`).inputs.environment as { variables: Record<string, string> }).variables;
      expect(NODE_OPTIONS, fn).to.equal('--enable-source-maps');
      // The stack names no SES configuration set: the only declared variable left unset.
      expect(Object.keys(variables), fn).to.have.members(envNames(schema).filter((name) => name !== 'SES_CONFIGURATION_SET'));
      settings[fn] = read(schema, variables);
    }
    const table = { PENDING_SHARDS: 32, AUDIT_RETENTION_DAYS: 365 };
    for (const fn of ['request', 'review', 'admin', 'sweeper', 'closer']) expect(settings[fn], fn).to.include(table);
    expect(settings.admin).to.deep.include({ ADMINS: ['boss@example.com'], SIGN_INS_PER_ADDRESS_PER_15_MINUTES: 0, BASE_URL: outputs.apiUrl });
    expect(settings.sweeper).to.include({ REMINDER_HOURS_BEFORE_EXPIRY: 12, REVIEW_URL: `${outputs.apiUrl}/review` });
    expect(settings.posts).to.include({ POSTS_PER_AUTHOR_PER_HOUR: 5, POSTS_PER_CLIENT_PER_HOUR: 30, STATE_MACHINE_ARN: outputs.stateMachineArn });
    for (const fn of ['request', 'review', 'admin', 'sweeper', 'closer', 'notify', 'post-closer']) expect(settings[fn]!.SENDER_EMAIL, fn).to.equal('approvals@example.com');
  });

  it('times out every Lambda that decides before the decision lease runs out', () => {
    for (const fn of ['review', 'admin', 'sweeper']) expect(one(LAMBDA, `email-approval-${fn}-fn`).inputs.timeout, fn).to.be.below(DECISION_LEASE_SECONDS);
  });
});

describe('ApprovalService used on its own (mocked)', function () {
  this.timeout(60_000);
  const NAME = 'bare';
  let recorded: Recorded[];
  let topicArn: unknown;
  let machineArn: unknown;

  before(async () => {
    const aws = await import('@pulumi/aws');
    const { ApprovalService } = await import('../../pulumi/approval/approval-service.js');
    const service = new ApprovalService(NAME, { senderEmail: 'approvals@example.com' });
    // A state machine of the consumer's own, alarmed through the service.
    const machine = new aws.sfn.StateMachine(`${NAME}-machine`, { roleArn: 'arn:aws:iam::123456789012:role/own', definition: '{}' });
    service.alarmOnStateMachine(`${NAME}-machine`, machine);
    service.closeRequestsOnEnd(`${NAME}-machine`, machine);
    topicArn = await value(service.alarmTopic.arn);
    machineArn = await value(machine.arn);
    await settle();
    recorded = resources.filter((r) => r.name.startsWith(`${NAME}-`));
  });

  it('alarms on its own Lambdas and on a consumer state machine, to its topic', () => {
    expect(recorded.filter((r) => r.type === LAMBDA).map((r) => r.name).sort()).to.deep.equal(['admin', 'closer', 'request', 'review', 'sweeper'].map((n) => `${NAME}-${n}-fn`));
    expectOperatorAlarms(recorded, topicArn, machineArn);
  });

  it('closes the requests of a consumer state machine when its executions end', () => {
    const rule = recorded.find((r) => r.name === `${NAME}-machine-ended`)!;
    expect(JSON.parse(rule.inputs.eventPattern as string).detail).to.deep.equal({ stateMachineArn: [machineArn], status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] });
    expect(recorded.find((r) => r.name === `${NAME}-machine-ended-target`)!.inputs.arn).to.equal(recorded.find((r) => r.name === `${NAME}-closer-fn`)!.state.arn);
  });

  it('still creates the alarm topic without alarmEmail, with no subscription', () => {
    expect(recorded.filter((r) => r.type === TOPIC)).to.have.length(1);
    expect(recorded.filter((r) => r.type === SUBSCRIPTION)).to.have.length(0);
  });

  it('shards the pending index 16 ways by default, the same in each of its Lambdas, and refuses a count outside 1 to 256', async () => {
    for (const fn of recorded.filter((r) => r.type === LAMBDA)) {
      expect((fn.inputs.environment as { variables: Record<string, string> }).variables.PENDING_SHARDS, fn.name).to.equal('16');
    }
    const { ApprovalService } = await import('../../pulumi/approval/approval-service.js');
    for (const pendingShards of [0, 257, 2.5]) {
      expect(() => new ApprovalService(`bad-${pendingShards}`, { senderEmail: 'approvals@example.com', pendingShards }), String(pendingShards)).to.throw('pendingShards must be a whole number from 1 to 256');
    }
  });

  it('refuses a setting its Lambdas would refuse at cold start, naming the function and the variable, before creating that function', async () => {
    const { ApprovalService } = await import('../../pulumi/approval/approval-service.js');
    expect(() => new ApprovalService('bad-retention', { senderEmail: 'approvals@example.com', auditRetentionDays: 0 })).to.throw(
      'bad-retention-request: AUDIT_RETENTION_DAYS must be a whole number of days from 1 to 3650, got "0"',
    );
    expect(() => new ApprovalService('bad-admins', { senderEmail: 'approvals@example.com', admins: ['boss'] })).to.throw('bad-admins-admin: ADMINS: entry 1 is not a plain ASCII email address');
    await settle();
    expect(ofType(LAMBDA).filter((fn) => fn.name.startsWith('bad-retention-')), 'functions of the refused component').to.deep.equal([]);
  });
});

describe('ApprovalService with an existing sender identity and a given certificate (mocked)', function () {
  this.timeout(60_000);
  const NAME = 'shared';
  const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666';
  let recorded: Recorded[];
  let invokedBefore: number;

  before(async () => {
    const { ApprovalService } = await import('../../pulumi/approval/approval-service.js');
    invokedBefore = invokes.length;
    new ApprovalService(NAME, { senderEmail: 'approvals@example.com', createSenderIdentity: false, domain: 'approvals.example.com', certificateArn: CERT });
    await settle();
    recorded = resources.filter((r) => r.name.startsWith(`${NAME}-`));
  });

  it('creates no SES identity (so a second stack, or a sender verified beforehand, is left alone)', () => {
    expect(recorded.filter((r) => r.type === 'aws:sesv2/emailIdentity:EmailIdentity')).to.deep.equal([]);
  });

  it('uses the certificate ARN as given, without looking one up', () => {
    const domain = recorded.find((r) => r.type === 'aws:apigatewayv2/domainName:DomainName')!;
    expect((domain.inputs.domainNameConfiguration as { certificateArn: string }).certificateArn).to.equal(CERT);
    expect(invokes.slice(invokedBefore).map((i) => i.token)).to.not.include('aws:acm/getCertificate:getCertificate');
  });
});

describe('pieces of the program', () => {
  it('writes a valid EventBridge rate for every sweep interval', async () => {
    const { rateExpression } = await import('../../pulumi/approval/approval-service.js');
    expect(rateExpression(1)).to.equal('rate(1 minute)');
    expect(rateExpression(15)).to.equal('rate(15 minutes)');
    for (let m = 1; m <= 1440; m++) expect(rateExpression(m)).to.match(m === 1 ? /^rate\(1 minute\)$/ : /^rate\([1-9]\d* minutes\)$/);
    expect(() => rateExpression(0)).to.throw(RangeError);
  });

  it('builds a KMS alias KMS accepts from any stack name', async () => {
    const { aliasName } = await import('../../pulumi/approval/approval-service.js');
    expect(aliasName('email-approval-task-token-prod.eu')).to.equal('alias/email-approval-task-token-prod-eu');
    expect(aliasName(`x-${'y'.repeat(400)}`)).to.match(/^alias\/[A-Za-z0-9/_-]{1,250}$/);
    for (const stack of ['dev', 'my.stack', 'team@prod', 'a b']) expect(aliasName(`email-approval-task-token-${stack}`)).to.match(/^alias\/[A-Za-z0-9/_-]+$/);
  });

  // Last: it declares a second example in this process, which the tests above would count.
  it('keeps the posts in the approval table when asked to (postsTable shared): no second table, the same names and rights as before it existed', async () => {
    const { BlogModeration } = await import('../../pulumi/blog/blog-moderation.js');
    const blog = new BlogModeration('legacy', { senderEmail: 'approvals@example.com', reviewers: ['alice@example.com'], linkTtlHours: 48, postsTable: 'shared' });
    await settle();
    const mine = resources.filter((r) => r.name.startsWith('legacy-'));
    const tables = mine.filter((r) => r.type === 'aws:dynamodb/table:Table');
    expect(tables.map((t) => t.name)).to.deep.equal(['legacy-table']);
    const approvalTable = tables[0]!.state.name;
    expect(await value(blog.postsTable.name)).to.equal(approvalTable);
    const env = (fn: string) => (mine.find((r) => r.type === LAMBDA && r.name === `legacy-${fn}-fn`)!.inputs.environment as { variables: Record<string, string> }).variables;
    for (const fn of ['posts', 'post-closer', 'request', 'closer']) expect(env(fn).TABLE_NAME, fn).to.equal(approvalTable);
    const definition = JSON.parse(String(mine.find((r) => r.type === 'aws:sfn/stateMachine:StateMachine')!.inputs.definition));
    const tableNames = new Set(Object.values(definition.States as Record<string, { Parameters?: { TableName?: string } }>).map((st) => st.Parameters?.TableName).filter(Boolean));
    expect([...tableNames]).to.deep.equal([approvalTable]);
    // The posts Lambda may touch only the example's items there, as before the posts table.
    const postsPolicy = JSON.parse(String(mine.find((r) => r.name === 'legacy-posts-policy')!.inputs.policy)) as { Statement: { Sid: string; Resource: string; Condition?: unknown }[] };
    const onTable = postsPolicy.Statement.filter((st) => st.Resource === tables[0]!.state.arn);
    expect(onTable.map((st) => st.Sid)).to.deep.equal(['Posts', 'IdempotencyKeys', 'PostCounters']);
    for (const st of onTable) expect(st.Condition, st.Sid).to.have.nested.property(['ForAllValues:StringLike', 'dynamodb:LeadingKeys'].join('.'));
  });
});
