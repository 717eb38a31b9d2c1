import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { NOTIFY_ENV, POSTS_ENV, POST_CLOSER_ENV } from '../../src/blog/lambda/env';
import { moderationWorkflow } from '../../src/blog/workflow/moderation-workflow';
import { ApprovalService, keepFailedInvocations, keyringSecret, nodeFunction, onExecutionEnd, trustPolicy, type AlarmingComponent } from '../approval';
import { bundleBlogFunction } from './functions';
import { notifyFunctionPolicy, postCloserFunctionPolicy, postsFunctionPolicy, stateMachinePolicy, type BlogArns } from './iam-policies';
import { postsTable } from './posts-table';

export interface BlogModerationArgs {
  senderEmail: string;
  reviewers: string[];
  linkTtlHours: number;
  domain?: string;
  logRetentionDays?: number;
  admins?: string[];
  requiredApprovals?: number;
  escalateTo?: string[];
  escalateAfterHours?: number;
  reminderHoursBeforeExpiry?: number;
  auditRetentionDays?: number;
  /** Shards of the approval service's pending index (default 16). */
  pendingShards?: number;
  /** Where operator alarms are emailed (optional). */
  alarmEmail?: string;
  /** Create the SES identity for the sender (default true; false: it already exists, verified). */
  createSenderIdentity?: boolean;
  /** The ACM certificate for `domain`, used as given. */
  certificateArn?: string;
  /**
   * `own` (the default): the example keeps its posts, Idempotency-Keys and counters in a table of
   * its own. `shared`: in the approval table, under their own key prefixes and IAM conditions, as
   * stacks deployed before the example had its own table did; nothing moves, and executions
   * started before an upgrade finish where they began.
   */
  postsTable?: 'own' | 'shared';
  /** Reserved concurrency of the public posts Lambda (undefined: none). */
  postsConcurrency?: number;
  /** New posts per author address and per client per hour (defaults 5 and 20; 0: no limit). */
  postsPerAuthorPerHour?: number;
  postsPerClientPerHour?: number;
  /** Sign-in emails per address per 15 minutes (default 3; 0: no limit). */
  signInsPerAddressPer15Minutes?: number;
}

/**
 * The shipped example: authors submit posts over the HTTP API, reviewers decide by email,
 * and a STANDARD state machine publishes, rejects or expires each post and tells the author.
 * Its Lambdas and state machine alarm to the approval service's topic.
 */
export class BlogModeration extends pulumi.ComponentResource implements AlarmingComponent {
  readonly approval: ApprovalService;
  /** Where the example's posts, Idempotency-Keys and counters are: its own table, or the approval table (`postsTable: 'shared'`). */
  readonly postsTable: aws.dynamodb.Table;
  readonly alarmTopic: aws.sns.Topic;
  readonly stateMachine: aws.sfn.StateMachine;
  readonly apiUrl: pulumi.Output<string>;

  constructor(name: string, args: BlogModerationArgs, opts?: pulumi.ComponentResourceOptions) {
    super('email-approval:index:BlogModeration', name, {}, opts);
    const parent = { parent: this };
    this.approval = new ApprovalService(
      name,
      {
        senderEmail: args.senderEmail,
        domain: args.domain,
        certificateArn: args.certificateArn,
        createSenderIdentity: args.createSenderIdentity,
        logRetentionDays: args.logRetentionDays,
        admins: args.admins,
        reminderHoursBeforeExpiry: args.reminderHoursBeforeExpiry,
        auditRetentionDays: args.auditRetentionDays,
        pendingShards: args.pendingShards,
        alarmEmail: args.alarmEmail,
        signInsPerAddressPer15Minutes: args.signInsPerAddressPer15Minutes,
      },
      parent,
    );
    const { approval } = this;
    this.alarmTopic = approval.alarmTopic;
    const retention = approval.logRetentionDays;
    this.postsTable = args.postsTable === 'shared' ? approval.table : postsTable(`${name}-posts`, this);
    const blogArns: pulumi.Output<BlogArns> = pulumi
      .all([approval.sender, this.postsTable.arn])
      .apply(([sender, postsTableArn]) => ({ ...sender, postsTableArn }));

    const notify = nodeFunction(
      name,
      {
        name: 'notify',
        code: bundleBlogFunction('notify'),
        description: 'Emails the author the outcome of the review',
        schema: NOTIFY_ENV,
        environment: { SENDER_EMAIL: args.senderEmail, SES_CONFIGURATION_SET: undefined },
        policy: (logGroupArn) => pulumi.all([blogArns, logGroupArn]).apply(([a, lg]) => notifyFunctionPolicy({ ...a, logGroupArn: lg })),
        timeoutSeconds: 30,
        logRetentionDays: retention,
      },
      this,
    );

    const linkTtlSeconds = args.linkTtlHours * 3600;
    const machineLogs = new aws.cloudwatch.LogGroup(
      `${name}-workflow-logs`,
      // Step Functions log groups live under /aws/vendedlogs/ to keep the logs resource policy small.
      { namePrefix: `/aws/vendedlogs/states/${name}-`, retentionInDays: retention },
      parent,
    );
    const machineRole = new aws.iam.Role(`${name}-workflow-role`, { assumeRolePolicy: JSON.stringify(trustPolicy('states.amazonaws.com')) }, parent);
    const machinePolicy = new aws.iam.RolePolicy(
      `${name}-workflow-policy`,
      {
        role: machineRole.id,
        policy: pulumi
          .all([blogArns, approval.requestFunction.arn, notify.fn.arn])
          .apply(([a, requestFunctionArn, notifyFunctionArn]) => JSON.stringify(stateMachinePolicy({ ...a, requestFunctionArn, notifyFunctionArn }))),
      },
      parent,
    );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-workflow`,
      {
        type: 'STANDARD',
        roleArn: machineRole.arn,
        definition: pulumi
          .all([approval.partition, approval.requestFunction.arn, notify.fn.arn, this.postsTable.name])
          .apply(([partition, requestFunctionArn, notifyFunctionArn, tableName]) =>
            JSON.stringify(
              moderationWorkflow({
                partition,
                requestFunctionArn,
                notifyFunctionArn,
                tableName,
                reviewers: args.reviewers,
                linkTtlSeconds,
                requiredApprovals: args.requiredApprovals,
                escalateTo: args.escalateTo,
                escalateAfterSeconds: args.escalateAfterHours ? args.escalateAfterHours * 3600 : undefined,
                remindBeforeSeconds: args.reminderHoursBeforeExpiry ? args.reminderHoursBeforeExpiry * 3600 : undefined,
              }),
            ),
          ),
        loggingConfiguration: { logDestination: pulumi.interpolate`${machineLogs.arn}:*`, level: 'ALL', includeExecutionData: false },
      },
      { parent: this, dependsOn: [machinePolicy] },
    );
    approval.alarmOnStateMachine(`${name}-workflow`, this.stateMachine, this);
    approval.closeRequestsOnEnd(`${name}-workflow`, this.stateMachine, this);

    // A post whose execution ended without giving it a final status (stopped, failed uncaught,
    // timed out) becomes FAILED and its author is told; the workflow records every other outcome.
    const postCloser = nodeFunction(
      name,
      {
        name: 'post-closer',
        code: bundleBlogFunction('post-closer'),
        description: 'Fails a post whose moderation ended without an outcome, and tells its author',
        schema: POST_CLOSER_ENV,
        environment: { TABLE_NAME: this.postsTable.name, SENDER_EMAIL: args.senderEmail, SES_CONFIGURATION_SET: undefined },
        policy: (logGroupArn) =>
          pulumi
            .all([blogArns, logGroupArn, approval.endedDeadLetters.arn])
            .apply(([a, lg, deadLetterQueueArn]) => postCloserFunctionPolicy({ ...a, logGroupArn: lg, deadLetterQueueArn })),
        timeoutSeconds: 30,
        logRetentionDays: retention,
      },
      this,
    );
    keepFailedInvocations(`${name}-post-closer-failures`, postCloser.fn, approval.endedDeadLetters, this);
    onExecutionEnd(`${name}-post-ended`, this.stateMachine, ['FAILED', 'TIMED_OUT', 'ABORTED'], postCloser.fn, approval.endedDeadLetters, this);

    // The key the posts API hashes counted addresses and IPs with: its own, so the public posts
    // Lambda never holds the link-signing keys. Same format as those, so it rotates the same way.
    const clientHashSecret = keyringSecret(`${name}-client-hash`, 'Key that hashes the addresses and IPs the posts API counts', this);
    const posts = nodeFunction(
      name,
      {
        name: 'posts',
        code: bundleBlogFunction('posts'),
        description: 'Posts API: submit a post for review, read its status',
        schema: POSTS_ENV,
        environment: {
          TABLE_NAME: this.postsTable.name,
          STATE_MACHINE_ARN: this.stateMachine.arn,
          CLIENT_HASH_SECRET_ID: clientHashSecret.arn,
          POSTS_PER_AUTHOR_PER_HOUR: args.postsPerAuthorPerHour,
          POSTS_PER_CLIENT_PER_HOUR: args.postsPerClientPerHour,
        },
        policy: (logGroupArn) =>
          pulumi
            .all([blogArns, logGroupArn, this.stateMachine.arn, clientHashSecret.arn])
            .apply(([a, lg, stateMachineArn, clientHashSecretArn]) => postsFunctionPolicy({ ...a, logGroupArn: lg, stateMachineArn, clientHashSecretArn })),
        timeoutSeconds: 15,
        logRetentionDays: retention,
        // Anyone can call POST /posts: bounded, so junk traffic neither runs up the bill beyond
        // this nor takes the concurrency the reviewers' clicks and the request Lambda need.
        reservedConcurrency: args.postsConcurrency,
      },
      this,
    );
    approval.addRoutes(`${name}-posts`, posts.fn, { create: 'POST /posts', read: 'GET /posts/{id}' }, this);

    this.apiUrl = approval.apiUrl;
    this.registerOutputs({ apiUrl: this.apiUrl, stateMachineArn: this.stateMachine.arn });
  }
}
