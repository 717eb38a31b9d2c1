/**
 * The blog-moderation state machine (Amazon States Language, JSONPath), built by a pure
 * function from ARNs and settings. The Pulumi program deploys exactly this definition and
 * local mode runs exactly this definition.
 */
import { POST_PK_PREFIX, POST_SK } from '../adapters/table-schema';

export interface ModerationWorkflowArgs {
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

/** Transient Lambda failures worth retrying (AWS's recommended set) plus ours. */
const LAMBDA_RETRY = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'EmailDeliveryFailed',
    'Throttled',
  ],
  IntervalSeconds: 2,
  MaxAttempts: 4,
  BackoffRate: 2,
};

const DYNAMO_RETRY = {
  ErrorEquals: [
    'DynamoDB.ProvisionedThroughputExceededException',
    'DynamoDB.ThrottlingException',
    'DynamoDB.RequestLimitExceededException',
    'DynamoDB.InternalServerErrorException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 5,
  BackoffRate: 2,
};

export const STATE = {
  request: 'RequestApproval',
  decision: 'Decision',
  publish: 'PublishPost',
  reject: 'MarkRejected',
  expire: 'MarkExpired',
  notifyPublished: 'NotifyAuthorPublished',
  notifyRejected: 'NotifyAuthorRejected',
  notifyExpired: 'NotifyAuthorExpired',
  unknown: 'UnknownDecision',
  done: 'Done',
} as const;

/** A direct DynamoDB integration that sets the post's status (no Lambda needed). */
function setPostStatus(tableName: string, status: string, withDecision: boolean, next: string): AslState {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::dynamodb:updateItem',
    Parameters: {
      TableName: tableName,
      Key: { pk: { 'S.$': `States.Format('${POST_PK_PREFIX}{}', $.postId)` }, sk: { S: POST_SK } },
      UpdateExpression: withDecision ? 'SET #status = :status, decisionJson = :decision' : 'SET #status = :status',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': { S: status },
        // The whole decision as JSON: its comment is optional, which typed attributes cannot express.
        ...(withDecision ? { ':decision': { 'S.$': 'States.JsonToString($.approval)' } } : {}),
      },
    },
    ResultPath: null,
    Retry: [DYNAMO_RETRY],
    Next: next,
  };
}

/** Emails the author; a failed notice never undoes the outcome, so it ends the run either way. */
function notifyAuthor(functionArn: string, outcome: 'published' | 'rejected' | 'expired'): AslState {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: {
      FunctionName: functionArn,
      Payload: {
        'postId.$': '$.postId',
        'title.$': '$.title',
        'authorEmail.$': '$.authorEmail',
        outcome,
        ...(outcome === 'expired' ? {} : { 'approval.$': '$.approval' }),
      },
    },
    ResultPath: null,
    Retry: [LAMBDA_RETRY],
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.notifyError', Next: STATE.done }],
    Next: STATE.done,
  };
}

/** The moderation workflow: request approval → publish, or reject, or expire; then tell the author. */
export function moderationWorkflow(args: ModerationWorkflowArgs): AslDefinition {
  if (args.reviewers.length === 0) throw new Error('moderationWorkflow: at least one reviewer is required');
  if (!Number.isInteger(args.linkTtlSeconds) || args.linkTtlSeconds < 60) throw new Error('moderationWorkflow: linkTtlSeconds must be a whole number ≥ 60');
  return {
    Comment: 'Blog-post moderation by email-link approval',
    StartAt: STATE.request,
    States: {
      [STATE.request]: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: args.requestFunctionArn,
          Payload: {
            'taskToken.$': '$$.Task.Token',
            'executionId.$': '$$.Execution.Id',
            // Stable across retries of this step, which may carry a new task token.
            'idempotencyKey.$': "States.Format('{}#{}', $$.Execution.Id, $$.State.EnteredTime)",
            request: {
              'subject.$': "States.Format('New post: {}', $.title)",
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
        Retry: [LAMBDA_RETRY],
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: STATE.expire }],
        Next: STATE.decision,
      },
      [STATE.decision]: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.approval.decision', StringEquals: 'approved', Next: STATE.publish },
          { Variable: '$.approval.decision', StringEquals: 'rejected', Next: STATE.reject },
        ],
        Default: STATE.unknown,
      },
      [STATE.publish]: setPostStatus(args.tableName, 'PUBLISHED', true, STATE.notifyPublished),
      [STATE.reject]: setPostStatus(args.tableName, 'REJECTED', true, STATE.notifyRejected),
      [STATE.expire]: setPostStatus(args.tableName, 'EXPIRED', false, STATE.notifyExpired),
      [STATE.notifyPublished]: notifyAuthor(args.notifyFunctionArn, 'published'),
      [STATE.notifyRejected]: notifyAuthor(args.notifyFunctionArn, 'rejected'),
      [STATE.notifyExpired]: notifyAuthor(args.notifyFunctionArn, 'expired'),
      [STATE.unknown]: { Type: 'Fail', Error: 'UnknownDecision', Cause: 'The approval step returned neither approved nor rejected.' },
      [STATE.done]: { Type: 'Succeed' },
    },
  };
}
