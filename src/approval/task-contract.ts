/**
 * The approval task contract: what a state machine passes to the request Lambda with
 * `lambda:invoke.waitForTaskToken`, the error names the task can fail with (what Retry and Catch
 * match), and what it returns. The request handler throws these names, the blog's workflow
 * retries and catches them, and the README publishes them: one definition for all three.
 */
import type { ErrorCode } from './domain/errors';

/** The task's resource: Lambda invoke, waiting for the decision's task token. */
export const APPROVAL_TASK_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The Step Functions error name of each code a task can fail with. */
export const TASK_ERROR = {
  NO_REVIEWERS: 'NoReviewers',
  INVALID_APPROVAL_REQUEST: 'InvalidApprovalRequest',
  EMAIL_REJECTED: 'EmailRejected',
  EMAIL_DELIVERY_FAILED: 'EmailDeliveryFailed',
  THROTTLED: 'Throttled',
  UNAVAILABLE: 'Unavailable',
  INVALID_INPUT: 'InvalidInput',
  INTERNAL: 'Internal',
} as const satisfies Partial<Record<ErrorCode, string>>;
export type TaskErrorCode = keyof typeof TASK_ERROR;
export type TaskErrorName = (typeof TASK_ERROR)[TaskErrorCode];

/** The names worth retrying (after a wait): the rest mean the request itself cannot succeed. */
export const RETRYABLE_TASK_ERRORS: readonly TaskErrorName[] = [TASK_ERROR.EMAIL_DELIVERY_FAILED, TASK_ERROR.THROTTLED, TASK_ERROR.UNAVAILABLE];

/**
 * The Retry a Task state invoking the request Lambda should have (the blog workflow uses it for its
 * Lambdas too): transient Lambda failures (AWS's recommended set, plus a client-side timeout) and
 * the contract's retryable errors, four times with backoff; and a function timeout or crash
 * (`Lambda.Unknown`) once, which is safe because the request Lambda is idempotent by request id (a
 * retry finds its own record and emails only reviewers not yet emailed).
 */
export const APPROVAL_TASK_RETRY = [
  {
    ErrorEquals: [
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'Lambda.ClientExecutionTimeoutException',
      ...RETRYABLE_TASK_ERRORS,
    ],
    IntervalSeconds: 2,
    MaxAttempts: 4,
    BackoffRate: 2,
  },
  { ErrorEquals: ['Lambda.Unknown'], IntervalSeconds: 5, MaxAttempts: 1 },
];

/**
 * A task's error name for any code: the table's name, or the code in PascalCase for codes a task
 * is not expected to fail with (`INVALID_APPROVAL_REQUEST` → `InvalidApprovalRequest`).
 */
export function taskErrorName(code: ErrorCode): string {
  const known = (TASK_ERROR as Partial<Record<ErrorCode, string>>)[code];
  if (known) return known;
  return code
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** What the person asked is shown, and who is asked (fields of `request` in the task's payload). */
export interface ApprovalRequestInput {
  subject: string;
  summary: string;
  details?: string;
  reviewers: string[];
  /** Approvals needed (default 1); one rejection decides. */
  requiredApprovals?: number;
  ttlSeconds?: number;
  /** Never one of its own reviewers: removed from them if listed. */
  requestedBy?: string;
  escalateTo?: string[];
  escalateAfterSeconds?: number;
  remindBeforeSeconds?: number;
}

/** What the task returns once decided (a rejection is a decision, not a failure). */
export interface ApprovalTaskOutput {
  decision: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: string;
  comment?: string;
  votes: { reviewer: string; decision: 'approved' | 'rejected'; at: string; comment?: string }[];
}

/**
 * The Task state's `Parameters` for an approval step named `stateName`: the task token, the
 * execution (so its requests close when it ends), an idempotency key that is the same on every
 * retry of this state, and the request (literal values, or `field.$` paths).
 */
export function approvalTaskParameters(functionArn: string, stateName: string, request: Record<string, unknown>) {
  return {
    FunctionName: functionArn,
    Payload: {
      'taskToken.$': '$$.Task.Token',
      'executionId.$': '$$.Execution.Id',
      'idempotencyKey.$': `States.Format('{}#${stateName}', $$.Execution.Id)`,
      request,
    },
  };
}

/** The contract as the Pulumi program publishes it (stack output `approvalTaskContract`). */
export const APPROVAL_TASK_CONTRACT = {
  resource: APPROVAL_TASK_RESOURCE,
  payload: {
    'taskToken.$': '$$.Task.Token',
    'executionId.$': '$$.Execution.Id',
    'idempotencyKey.$': "States.Format('{}#<this state's name>', $$.Execution.Id)",
    request: {
      subject: 'string',
      summary: 'string',
      'details?': 'string',
      reviewers: ['email'],
      'requiredApprovals?': 'number (default 1)',
      'ttlSeconds?': 'number',
      'requestedBy?': 'email (never one of its reviewers)',
      'escalateTo?': ['email'],
      'escalateAfterSeconds?': 'number',
      'remindBeforeSeconds?': 'number',
    },
  },
  output: { decision: 'approved | rejected', decidedBy: 'email', decidedAt: 'ISO-8601', 'comment?': 'string', votes: [{ reviewer: 'email', decision: 'approved | rejected', at: 'ISO-8601', 'comment?': 'string' }] },
  errors: {
    [TASK_ERROR.NO_REVIEWERS]: 'no reviewer left once the requester is removed (not retried)',
    [TASK_ERROR.INVALID_APPROVAL_REQUEST]: 'the request breaks the contract (not retried)',
    [TASK_ERROR.EMAIL_REJECTED]: 'SES refused every failed email, e.g. an unverified sender (not retried)',
    [TASK_ERROR.EMAIL_DELIVERY_FAILED]: 'some emails failed for a transient reason (retry: only those are sent again)',
    [TASK_ERROR.THROTTLED]: 'retry',
    [TASK_ERROR.UNAVAILABLE]: 'retry',
    'States.Timeout': 'nobody decided within TimeoutSeconds',
  },
  closing: 'pass executionId and call closeRequestsOnEnd for your state machine, so its requests close when an execution ends another way',
} as const;
