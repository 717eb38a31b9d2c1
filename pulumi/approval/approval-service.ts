import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { DECIDER_TIMEOUT_SECONDS, LOG_RETENTION_DAYS, PENDING_SHARDS, SWEEPER_TIMEOUT_SECONDS, SWEEP_MINUTES } from '../../src/approval/defaults';
import { isShardCount } from '../../src/approval/domain/pending-index';
import { ADMIN_ENV } from '../../src/approval/lambda/admin-env';
import { CLOSER_ENV, REQUEST_ENV, REVIEW_ENV, SWEEPER_ENV } from '../../src/approval/lambda/env';
import { adminFunctionPolicy, closerFunctionPolicy, requestFunctionPolicy, reviewFunctionPolicy, sweeperFunctionPolicy, type SenderArns, type ServiceArns } from './iam-policies';
import { deadLetterQueue, keepFailedInvocations, onExecutionEnd } from './execution-events';
import { approvalTable } from './approval-table';
import { keyringSecret, tokenKey } from './keys';
import { approvalFunctionCode } from './bundle';
import { httpApi, lambdaRoutes } from './http-api';
import { lambdaRole, nodeFunction } from './node-function';
import { alarmTopic, stateMachineAlarms, type AlarmingComponent } from './operator-alarms';

export interface ApprovalServiceArgs {
  /** Verified SES identity the review emails come from. */
  senderEmail: pulumi.Input<string>;
  /** Optional custom domain with an ISSUED ACM certificate in the same region. */
  domain?: string;
  /** The ACM certificate for `domain` (any certificate covering it: a wildcard, several names); looked up by primary name when absent. */
  certificateArn?: string;
  logRetentionDays?: number;
  /** Create the SES email identity for the sender (false when it exists already). Default true. */
  createSenderIdentity?: boolean;
  /** Admins who may sign in to the dashboard (by emailed link). */
  admins?: string[];
  /** Reminder to reviewers who have not answered, this long before links expire (default 24). */
  reminderHoursBeforeExpiry?: number;
  /** How long a request and its audit trail outlive its links (default 365). */
  auditRetentionDays?: number;
  /** How often the sweeper runs (default 15). */
  sweepMinutes?: number;
  /**
   * Partitions the pending index spreads requests over (default 16, at most 256). May grow
   * later; lowering it hides requests in the higher shards from the dashboard until they close
   * (the sweeper still covers them). See the README's "Reminders and escalation".
   */
  pendingShards?: number;
  /** API-wide throttling: bounds what junk traffic (forged links) can cost. */
  throttle?: { burstLimit: number; rateLimit: number };
  /** Email address subscribed to the alarm topic (SNS asks it to confirm first). Without it, nobody is yet. */
  alarmEmail?: string;
  /** Sign-in emails one address may be sent per 15 minutes (default 3; 0: no limit). */
  signInsPerAddressPer15Minutes?: number;
}

/** An EventBridge rate expression: `rate(1 minute)`, `rate(15 minutes)` (EventBridge refuses `rate(1 minutes)`). */
export function rateExpression(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 1) throw new RangeError(`a sweep interval is a whole number of minutes ≥ 1, got ${minutes}`);
  return `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`;
}

export { aliasName } from './keys';

/**
 * The reusable approval core: token key, link-signing secret, table, and five Lambdas — request,
 * review link, admin dashboard, sweeper (reminders, escalation, expiry) and the closer of ended
 * executions' requests — with the HTTP API serving `/review` and `/admin`. Any state machine can call `requestFunction`
 * with `lambda:invoke.waitForTaskToken` (see the README's approval task contract).
 * Every Lambda it creates alarms on its errors to `alarmTopic`; a state machine that uses the
 * service gets alarms there too with `alarmOnStateMachine`.
 */
export class ApprovalService extends pulumi.ComponentResource implements AlarmingComponent {
  readonly table: aws.dynamodb.Table;
  readonly tokenKey: aws.kms.Key;
  readonly macSecret: aws.secretsmanager.Secret;
  readonly requestFunction: aws.lambda.Function;
  readonly reviewFunction: aws.lambda.Function;
  readonly adminFunction: aws.lambda.Function;
  readonly sweeperFunction: aws.lambda.Function;
  /** Closes the requests of executions that ended; see `closeRequestsOnEnd`. */
  readonly closerFunction: aws.lambda.Function;
  /** Execution ends that could not be handled (alarmed); a consumer's own closers may use it too. */
  readonly endedDeadLetters: aws.sqs.Queue;
  readonly api: aws.apigatewayv2.Api;
  readonly stage: aws.apigatewayv2.Stage;
  /** Base URL of the HTTP API (custom domain when configured). */
  readonly apiUrl: pulumi.Output<string>;
  readonly domainTarget?: pulumi.Output<string>;
  readonly arns: pulumi.Output<ServiceArns>;
  /** Enough to grant a consumer's own function `ses:SendEmail` from the service's sender (`sendEmail`), and nothing of the service's own resources. */
  readonly sender: pulumi.Output<SenderArns>;
  readonly logRetentionDays: number;
  /** The AWS partition deployed to (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: pulumi.Output<string>;
  /** Where operator alarms go; subscribe more endpoints to it as needed. */
  readonly alarmTopic: aws.sns.Topic;
  /** The pending index's shard count, the same in every Lambda that reads or writes requests. */
  readonly pendingShards: number;

  constructor(name: string, args: ApprovalServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is registered: a bad count must not leave half a component behind.
    const pendingShards = args.pendingShards ?? PENDING_SHARDS.default;
    if (!isShardCount(pendingShards)) throw new Error(`${name}: pendingShards must be a whole number from 1 to ${PENDING_SHARDS.max}, got ${args.pendingShards}`);
    super('email-approval:index:ApprovalService', name, {}, opts);
    const parent = { parent: this };
    this.pendingShards = pendingShards;
    this.logRetentionDays = args.logRetentionDays ?? LOG_RETENTION_DAYS;
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);
    // aws, aws-cn or aws-us-gov: every ARN the program writes is built in it.
    const partition = aws.getPartitionOutput({}, parent).partition;
    this.partition = partition;
    // First: every function below alarms to it.
    this.alarmTopic = alarmTopic(name, { email: args.alarmEmail, partition, region: region.region, accountId: identity.accountId }, this);

    if (args.createSenderIdentity ?? true) {
      // SES sends a verification email to this address; nothing is delivered until it is clicked.
      new aws.sesv2.EmailIdentity(`${name}-sender`, { emailIdentity: args.senderEmail }, parent);
    }

    this.table = approvalTable(`${name}-table`, this);

    // The link-signing keys, readable at run time only by the Lambdas that sign or check links.
    this.macSecret = keyringSecret(`${name}-mac`, 'Keys that sign review links', this);

    // Roles first: the key policy names them, and their own policies then name the key.
    const requestRole = lambdaRole(name, 'request', this);
    const reviewRole = lambdaRole(name, 'review', this);
    const adminRole = lambdaRole(name, 'admin', this);
    const sweeperRole = lambdaRole(name, 'sweeper', this);
    this.tokenKey = tokenKey(name, { partition, accountId: identity.accountId, encryptRole: requestRole, decryptRoles: [reviewRole, adminRole, sweeperRole] }, this);
    this.arns = pulumi
      .all([partition, region.region, identity.accountId, this.table.arn, this.tokenKey.arn, this.macSecret.arn, args.senderEmail])
      .apply(([p, r, account, tableArn, tokenKeyArn, macSecretArn, senderEmail]): ServiceArns => ({
        partition: p,
        region: r,
        accountId: account,
        tableArn,
        tokenKeyArn,
        macSecretArn,
        senderEmail,
      }));
    this.sender = this.arns.apply(({ partition: p, region: r, accountId, senderEmail }) => ({ partition: p, region: r, accountId, senderEmail }));

    const http = httpApi(name, { domain: args.domain, certificateArn: args.certificateArn, throttle: args.throttle, logRetentionDays: this.logRetentionDays }, this);
    this.api = http.api;
    this.stage = http.stage;
    this.domainTarget = http.domainTarget;
    const apiUrl = http.apiUrl;
    this.apiUrl = apiUrl;

    // Each function's environment is written from its schema (the variables it reads at cold start),
    // a setting left undefined as its default. Every Lambda that reads or writes requests takes the
    // table through this one object, so they all use the pending index with the same shard count.
    const requestTable = {
      TABLE_NAME: this.table.name,
      AUDIT_RETENTION_DAYS: args.auditRetentionDays,
      PENDING_SHARDS: this.pendingShards,
    };
    const common = {
      ...requestTable,
      MAC_SECRET_ID: this.macSecret.arn,
      TOKEN_KEY_ID: this.tokenKey.arn,
      SENDER_EMAIL: args.senderEmail,
    };
    const reviewUrl = pulumi.interpolate`${apiUrl}/review`;
    // No configuration set: SES sends with the account's defaults.
    const ses = { SES_CONFIGURATION_SET: undefined };
    const request = nodeFunction(
      name,
      {
        name: 'request',
        code: approvalFunctionCode('request'),
        description: 'Seals the task token, stores the request and emails the reviewers',
        schema: REQUEST_ENV,
        environment: { ...common, ...ses, REVIEW_URL: reviewUrl },
        policy: (logGroupArn) => pulumi.all([this.arns, logGroupArn]).apply(([a, lg]) => requestFunctionPolicy({ ...a, logGroupArn: lg })),
        role: requestRole,
        timeoutSeconds: 60,
        logRetentionDays: this.logRetentionDays,
      },
      this,
    );
    const review = nodeFunction(
      name,
      {
        name: 'review',
        code: approvalFunctionCode('review'),
        description: 'Review links: confirmation page and exactly-once decisions',
        schema: REVIEW_ENV,
        environment: common,
        policy: (logGroupArn) => pulumi.all([this.arns, logGroupArn]).apply(([a, lg]) => reviewFunctionPolicy({ ...a, logGroupArn: lg })),
        role: reviewRole,
        // Well under the decision lease, so a live decider is never overtaken.
        timeoutSeconds: DECIDER_TIMEOUT_SECONDS,
        logRetentionDays: this.logRetentionDays,
      },
      this,
    );
    this.requestFunction = request.fn;
    this.reviewFunction = review.fn;

    const admin = nodeFunction(
      name,
      {
        name: 'admin',
        code: approvalFunctionCode('admin'),
        description: 'Admin dashboard: sign-in by emailed link, pending requests, audit trail, decisions',
        schema: ADMIN_ENV,
        environment: { ...common, ADMINS: args.admins, BASE_URL: apiUrl, SIGN_INS_PER_ADDRESS_PER_15_MINUTES: args.signInsPerAddressPer15Minutes },
        policy: (logGroupArn) => pulumi.all([this.arns, logGroupArn]).apply(([a, lg]) => adminFunctionPolicy({ ...a, logGroupArn: lg })),
        role: adminRole,
        timeoutSeconds: DECIDER_TIMEOUT_SECONDS,
        logRetentionDays: this.logRetentionDays,
      },
      this,
    );
    this.adminFunction = admin.fn;

    // Reminders, escalation, expiry and crash recovery: one scheduled sweep over the pending
    // index, every shard read in parallel, a pass too long for one run carried on by the next from
    // a cursor item. Needs no per-request schedule to create or delete, and runs the same code in
    // local mode on an interval.
    const sweeper = nodeFunction(
      name,
      {
        name: 'sweeper',
        code: approvalFunctionCode('sweeper'),
        description: 'Reminds, escalates, expires and finishes interrupted decisions',
        schema: SWEEPER_ENV,
        environment: { ...common, ...ses, REVIEW_URL: reviewUrl, REMINDER_HOURS_BEFORE_EXPIRY: args.reminderHoursBeforeExpiry },
        policy: (logGroupArn) => pulumi.all([this.arns, logGroupArn]).apply(([a, lg]) => sweeperFunctionPolicy({ ...a, logGroupArn: lg })),
        role: sweeperRole,
        // Under the decision lease, like the link Lambda. A run stops starting new work 15 s before
        // its timeout (room for the request in hand and the cursor's save); the next run carries on.
        timeoutSeconds: SWEEPER_TIMEOUT_SECONDS,
        logRetentionDays: this.logRetentionDays,
      },
      this,
    );
    this.sweeperFunction = sweeper.fn;

    // Closes the requests of executions that end without a decision; each state machine that
    // uses the approval step routes its executions' ends here with `closeRequestsOnEnd`.
    this.endedDeadLetters = deadLetterQueue(`${name}-ended-dlq`, { partition, region: region.region, accountId: identity.accountId, topic: this.alarmTopic }, this);
    const closer = nodeFunction(
      name,
      {
        name: 'closer',
        code: approvalFunctionCode('closer'),
        description: 'Closes the approval requests of executions that ended without a decision',
        schema: CLOSER_ENV,
        environment: { ...requestTable, ...ses, SENDER_EMAIL: args.senderEmail },
        policy: (logGroupArn) =>
          pulumi.all([this.arns, logGroupArn, this.endedDeadLetters.arn]).apply(([a, lg, deadLetterQueueArn]) => closerFunctionPolicy({ ...a, logGroupArn: lg, deadLetterQueueArn })),
        timeoutSeconds: 60,
        logRetentionDays: this.logRetentionDays,
      },
      this,
    );
    this.closerFunction = closer.fn;
    keepFailedInvocations(`${name}-closer-failures`, closer.fn, this.endedDeadLetters, this);
    const schedule = new aws.cloudwatch.EventRule(`${name}-sweep-schedule`, { scheduleExpression: rateExpression(args.sweepMinutes ?? SWEEP_MINUTES), description: 'Runs the approval sweeper' }, parent);
    new aws.cloudwatch.EventTarget(`${name}-sweep-target`, { rule: schedule.name, arn: sweeper.fn.arn }, parent);
    new aws.lambda.Permission(`${name}-sweep-invoke`, { action: 'lambda:InvokeFunction', function: sweeper.fn.name, principal: 'events.amazonaws.com', sourceArn: schedule.arn }, parent);

    // The review links (a decision may wait on KMS and Step Functions: 20 s, under the Lambda's timeout) and the dashboard.
    lambdaRoutes(`${name}-review`, this.api, review.fn, { get: 'GET /review', head: 'HEAD /review', post: 'POST /review' }, this, { timeoutMilliseconds: 20000 });
    lambdaRoutes(`${name}-admin`, this.api, admin.fn, { root: 'ANY /admin', paths: 'ANY /admin/{proxy+}' }, this);

    this.registerOutputs({
      apiUrl: this.apiUrl,
      tableName: this.table.name,
      requestFunctionArn: this.requestFunction.arn,
      tokenKeyArn: this.tokenKey.arn,
      alarmTopicArn: this.alarmTopic.arn,
    });
  }

  /**
   * Alarms `${name}-failed` and `${name}-timed-out` on a state machine's failed and timed-out
   * executions, publishing to `alarmTopic`; children of `parent` (this service by default).
   */
  alarmOnStateMachine(name: string, stateMachine: aws.sfn.StateMachine, parent: pulumi.Resource = this): aws.cloudwatch.MetricAlarm[] {
    return stateMachineAlarms(name, stateMachine, this.alarmTopic, parent);
  }

  /**
   * Closes the approval requests of `stateMachine`'s executions when they end in any way
   * (stopped, failed, timed out, or resumed without our links), so no request stays open after
   * its execution: an EventBridge rule named `${name}-ended` invoking the closer.
   */
  closeRequestsOnEnd(name: string, stateMachine: aws.sfn.StateMachine, parent: pulumi.Resource = this): aws.cloudwatch.EventRule {
    return onExecutionEnd(`${name}-ended`, stateMachine, ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'], this.closerFunction, this.endedDeadLetters, parent);
  }

  /**
   * Serves `routeKeys` (`POST /posts`, `GET /posts/{id}`) of the service's HTTP API with `fn`
   * (a Lambda proxy integration, payload format 2.0), so a consumer's own functions share the
   * service's API, domain and throttling. Children of `parent`, named `${name}-…`.
   */
  addRoutes(name: string, fn: aws.lambda.Function, routeKeys: Record<string, string>, parent: pulumi.Resource = this): aws.apigatewayv2.Route[] {
    return lambdaRoutes(name, this.api, fn, routeKeys, parent);
  }

}
