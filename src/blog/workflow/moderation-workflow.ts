/**
 * The blog-moderation state machine (Amazon States Language, JSONPath), built by a pure
 * function from ARNs and settings. The Pulumi program deploys exactly this definition and
 * local mode runs exactly this definition.
 */
import { POST_PK_PREFIX, POST_SK } from '../adapters/table-schema';
import { APPROVAL_TASK_RETRY, TASK_ERROR } from '../../approval';
import { POST_SUBJECT_PREFIX } from '../domain/post';
import type { PostFailureReason } from '../domain/post-failure';

export interface ModerationWorkflowArgs {
  /** The AWS partition of the service-integration ARNs (default `aws`; `aws-cn`, `aws-us-gov`). */
  partition?: string;
  requestFunctionArn: string;
  notifyFunctionArn: string;
  tableName: string;
  reviewers: string[];
  /** Link lifetime; also the approval task's TimeoutSeconds. */
  linkTtlSeconds: number;
  /** Distinct approvals that approve a post (default 1; one rejection rejects). */
  requiredApprovals?: number;
  /** Reviewers added if nobody has decided after escalateAfterSeconds. */
  escalateTo?: string[];
  escalateAfterSeconds?: number;
  /** When to remind reviewers who have not answered, before the links expire. */
  remindBeforeSeconds?: number;
}

export type AslState = Record<string, unknown>;
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, AslState>;
}

/** DynamoDB's throttles and server faults, under every name Step Functions may report them by. */
const DYNAMO_RETRY = {
  ErrorEquals: [
    'DynamoDB.ProvisionedThroughputExceededException',
    'DynamoDB.ThrottlingException',
    'DynamoDB.RequestLimitExceeded',
    'DynamoDB.RequestLimitExceededException',
    'DynamoDB.InternalServerError',
    'DynamoDB.InternalServerErrorException',
    'DynamoDB.AmazonDynamoDBException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 5,
  BackoffRate: 2,
};

export const STATE = {
  create: 'StorePost',
  summary: 'KeepSummary',
  request: 'RequestApproval',
  decision: 'Decision',
  publish: 'PublishPost',
  reject: 'MarkRejected',
  expire: 'MarkExpired',
  fail: 'MarkFailed',
  notifyPublished: 'NotifyAuthorPublished',
  notifyRejected: 'NotifyAuthorRejected',
  notifyExpired: 'NotifyAuthorExpired',
  notifyFailed: 'NotifyAuthorFailed',
  failed: 'ApprovalFailed',
  done: 'Done',
} as const;

/**
 * How the approval step's errors become the reason a post FAILED, in Catch order (first match
 * wins; `States.ALL` must come last). `States.Timeout` is not here: it EXPIRES the post.
 */
export const FAILURE_CATCHES: { reason: PostFailureReason; errors: string[] }[] = [
  { reason: 'NO_REVIEWERS', errors: [TASK_ERROR.NO_REVIEWERS] },
  { reason: 'INVALID_REQUEST', errors: [TASK_ERROR.INVALID_APPROVAL_REQUEST] },
  { reason: 'EMAIL_DELIVERY_FAILED', errors: [TASK_ERROR.EMAIL_DELIVERY_FAILED, TASK_ERROR.EMAIL_REJECTED] },
  { reason: 'INTERNAL', errors: ['States.ALL'] },
];

/** The Pass state that records why the approval step failed, e.g. `ReasonNoReviewers`. */
export const reasonState = (reason: PostFailureReason): string =>
  `Reason${reason
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}`;

/** A direct DynamoDB integration that sets the post's status (no Lambda needed). */
function setPostStatus(partition: string, tableName: string, status: string, extra: 'decision' | 'reason' | undefined, next: string): AslState {
  const values: Record<string, unknown> = { ':status': { S: status } };
  let update = 'SET #status = :status';
  if (extra === 'decision') {
    // The whole decision as JSON: its comment is optional, which typed attributes cannot express.
    update += ', decisionJson = :decision';
    values[':decision'] = { 'S.$': 'States.JsonToString($.approval)' };
  } else if (extra === 'reason') {
    update += ', failureReason = :reason';
    values[':reason'] = { 'S.$': '$.failureReason' };
  }
  return {
    Type: 'Task',
    Resource: `arn:${partition}:states:::dynamodb:updateItem`,
    Parameters: {
      TableName: tableName,
      Key: { pk: { 'S.$': `States.Format('${POST_PK_PREFIX}{}', $.postId)` }, sk: { S: POST_SK } },
      UpdateExpression: update,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: values,
    },
    ResultPath: null,
    Retry: [DYNAMO_RETRY],
    Next: next,
  };
}

/** Emails the author; a failed notice never undoes the outcome, so it moves on either way. */
function notifyAuthor(partition: string, functionArn: string, outcome: 'published' | 'rejected' | 'expired' | 'failed', next: string): AslState {
  const about = outcome === 'failed' ? { 'reason.$': '$.failureReason' } : outcome === 'expired' ? {} : { 'approval.$': '$.approval' };
  return {
    Type: 'Task',
    Resource: `arn:${partition}:states:::lambda:invoke`,
    Parameters: {
      FunctionName: functionArn,
      Payload: {
        'postId.$': '$.postId',
        'title.$': '$.title',
        'authorEmail.$': '$.authorEmail',
        outcome,
        ...about,
      },
    },
    ResultPath: null,
    Retry: APPROVAL_TASK_RETRY,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.notifyError', Next: next }],
    Next: next,
  };
}

/** Text inside an intrinsic function's string literal: ' { } and \ must be escaped with a backslash. */
const intrinsicLiteral = (text: string) => text.replace(/['{}\\]/g, (c) => `\\${c}`);

/**
 * The moderation workflow: request approval → publish, or reject, or expire; then tell the
 * author. Every other way the approval step can end (no reviewer left, an invalid request,
 * email refused, a crash, an unknown decision) marks the post FAILED with a reason, tells the
 * author, and fails the execution so operators see it (ExecutionsFailed alarm).
 */
export function moderationWorkflow(args: ModerationWorkflowArgs): AslDefinition {
  if (args.reviewers.length === 0) throw new Error('moderationWorkflow: at least one reviewer is required');
  if (!Number.isInteger(args.linkTtlSeconds) || args.linkTtlSeconds < 60) throw new Error('moderationWorkflow: linkTtlSeconds must be a whole number ≥ 60');
  const partition = args.partition ?? 'aws';
  const reasons: Record<string, AslState> = {};
  for (const reason of [...FAILURE_CATCHES.map((c) => c.reason), 'INVALID_DECISION' as const]) {
    reasons[reasonState(reason)] = { Type: 'Pass', Result: reason, ResultPath: '$.failureReason', Next: STATE.fail };
  }
  return {
    Comment: 'Blog-post moderation by email-link approval',
    StartAt: STATE.create,
    States: {
      // The post is stored by its execution (the posts API stores it too, whichever comes first),
      // so a post exists exactly when its execution does and no post waits for a workflow that
      // never started.
      [STATE.create]: {
        Type: 'Task',
        Resource: `arn:${partition}:states:::dynamodb:putItem`,
        Parameters: {
          TableName: args.tableName,
          Item: {
            pk: { 'S.$': `States.Format('${POST_PK_PREFIX}{}', $.postId)` },
            sk: { S: POST_SK },
            id: { 'S.$': '$.postId' },
            title: { 'S.$': '$.title' },
            body: { 'S.$': '$.body' },
            authorEmail: { 'S.$': '$.authorEmail' },
            status: { S: 'IN_REVIEW' },
            createdAt: { 'S.$': '$.createdAt' },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
        ResultPath: null,
        Retry: [DYNAMO_RETRY],
        Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: null, Next: STATE.summary }],
        Next: STATE.summary,
      },
      // The body is stored; the rest of the run needs only these. Without it the state stays far
      // under Step Functions' 256 KB, whatever the body and however many votes come back.
      [STATE.summary]: {
        Type: 'Pass',
        Parameters: { 'postId.$': '$.postId', 'title.$': '$.title', 'excerpt.$': '$.excerpt', 'authorEmail.$': '$.authorEmail' },
        Next: STATE.request,
      },
      [STATE.request]: {
        Type: 'Task',
        Resource: `arn:${partition}:states:::lambda:invoke.waitForTaskToken`,
        Parameters: {
          FunctionName: args.requestFunctionArn,
          Payload: {
            'taskToken.$': '$$.Task.Token',
            'executionId.$': '$$.Execution.Id',
            // Stable across retries of this step (which may carry a new task token): the execution
            // and this state's name. This workflow enters the state once per execution.
            'idempotencyKey.$': `States.Format('{}#${STATE.request}', $$.Execution.Id)`,
            request: {
              'subject.$': `States.Format('${intrinsicLiteral(POST_SUBJECT_PREFIX)}{}', $.title)`,
              'summary.$': '$.excerpt',
              reviewers: args.reviewers,
              ttlSeconds: args.linkTtlSeconds,
              'requestedBy.$': '$.authorEmail',
              ...(args.requiredApprovals && args.requiredApprovals > 1 ? { requiredApprovals: args.requiredApprovals } : {}),
              ...(args.escalateTo?.length ? { escalateTo: args.escalateTo, escalateAfterSeconds: args.escalateAfterSeconds } : {}),
              ...(args.remindBeforeSeconds ? { remindBeforeSeconds: args.remindBeforeSeconds } : {}),
            },
          },
        },
        TimeoutSeconds: args.linkTtlSeconds,
        ResultPath: '$.approval',
        Retry: APPROVAL_TASK_RETRY,
        Catch: [
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: STATE.expire },
          ...FAILURE_CATCHES.map(({ reason, errors }) => ({ ErrorEquals: errors, ResultPath: '$.failure', Next: reasonState(reason) })),
        ],
        Next: STATE.decision,
      },
      [STATE.decision]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.approval.decision', StringEquals: 'approved', Next: STATE.publish },
          { Variable: '$.approval.decision', StringEquals: 'rejected', Next: STATE.reject },
        ],
        Default: reasonState('INVALID_DECISION'),
      },
      [STATE.publish]: setPostStatus(partition, args.tableName, 'PUBLISHED', 'decision', STATE.notifyPublished),
      [STATE.reject]: setPostStatus(partition, args.tableName, 'REJECTED', 'decision', STATE.notifyRejected),
      [STATE.expire]: setPostStatus(partition, args.tableName, 'EXPIRED', undefined, STATE.notifyExpired),
      ...reasons,
      [STATE.fail]: setPostStatus(partition, args.tableName, 'FAILED', 'reason', STATE.notifyFailed),
      [STATE.notifyPublished]: notifyAuthor(partition, args.notifyFunctionArn, 'published', STATE.done),
      [STATE.notifyRejected]: notifyAuthor(partition, args.notifyFunctionArn, 'rejected', STATE.done),
      [STATE.notifyExpired]: notifyAuthor(partition, args.notifyFunctionArn, 'expired', STATE.done),
      [STATE.notifyFailed]: notifyAuthor(partition, args.notifyFunctionArn, 'failed', STATE.failed),
      [STATE.failed]: { Type: 'Fail', Error: 'ApprovalFailed', CausePath: '$.failureReason' },
      [STATE.done]: { Type: 'Succeed' },
    },
  };
}
