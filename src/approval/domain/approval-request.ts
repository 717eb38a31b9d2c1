import { HOUR_SECONDS, LINK_TTL_HOURS } from '../defaults';
import { ApprovalError } from './errors';
import { array, gte, int, lte, maxLength, minLength, object, optional, regex, strictObject, string } from 'zod/mini';
import { email, line, optionalText, problemsOf, text } from './validation';

export const DEFAULT_TTL_SECONDS = LINK_TTL_HOURS.default * HOUR_SECONDS;
/** Step Functions keeps a task open for at most a year. */
export const MAX_TTL_SECONDS = 365 * 24 * 3600;
export const MAX_REVIEWERS = 50;
/** Step Functions task tokens are at most 2,048 characters. */
export const MAX_TOKEN_CHARS = 2048;
/** An execution ARN is ASCII, so 500 characters are 500 bytes of its registry key. */
export const MAX_EXECUTION_ID_CHARS = 500;
/**
 * Limits of the request's text, in characters as people count them (code points: an emoji is
 * one). Callers derive their own limits from these, so what they accept always fits.
 */
export const MAX_SUBJECT_CHARS = 200;
export const MAX_SUMMARY_CHARS = 2000;
export const MAX_DETAILS_CHARS = 10_000;

const requestSchema = strictObject({
  subject: line(MAX_SUBJECT_CHARS),
  summary: text(MAX_SUMMARY_CHARS),
  details: optional(optionalText(MAX_DETAILS_CHARS)),
  reviewers: array(email()).check(minLength(1), maxLength(MAX_REVIEWERS)),
  requiredApprovals: optional(int().check(gte(1), lte(MAX_REVIEWERS))),
  escalateTo: optional(array(email()).check(maxLength(MAX_REVIEWERS))),
  escalateAfterSeconds: optional(int().check(gte(60), lte(MAX_TTL_SECONDS))),
  remindBeforeSeconds: optional(int().check(gte(60), lte(MAX_TTL_SECONDS))),
  ttlSeconds: optional(int().check(gte(60), lte(MAX_TTL_SECONDS))),
  requestedBy: optional(line(254)),
});

const taskSchema = object({
  taskToken: string().check(minLength(1), maxLength(MAX_TOKEN_CHARS), regex(/^[\x21-\x7e]+$/, 'must be printable ASCII')),
  request: requestSchema,
  // An execution ARN (at most ~250 characters); kept well under DynamoDB's 2,048-byte key, which
  // the execution registry's `EXEC#<executionId>` key must fit in UTF-8.
  executionId: optional(string().check(maxLength(MAX_EXECUTION_ID_CHARS), regex(/^arn:[\x21-\x7e]+$/, 'must be an execution ARN'))),
  idempotencyKey: optional(string().check(minLength(1), maxLength(512))),
});

export interface ApprovalRequest {
  subject: string;
  summary: string;
  details?: string;
  /** Lower-cased and de-duplicated, in the order given, without the requester. */
  reviewers: string[];
  ttlSeconds: number;
  requestedBy?: string;
  requiredApprovals: number;
  escalateTo: string[];
  escalateAfterSeconds?: number;
  remindBeforeSeconds?: number;
}

export interface ApprovalTask {
  taskToken: string;
  request: ApprovalRequest;
  executionId?: string;
  /**
   * Identifies the approval step across Step Functions retries, which may hand the Lambda a
   * new task token (e.g. `States.Format('{}#{}#{}', $$.Execution.Id, $$.State.Name, $$.State.EnteredTime)`).
   */
  idempotencyKey?: string;
}

/**
 * Validates the approval task contract (README, "The approval task contract"). Throws INVALID_APPROVAL_REQUEST with
 * one line per problem (`request.reviewers.0: must be an email address`); never echoes the token.
 */
export function parseApprovalTask(input: unknown): ApprovalTask {
  const result = taskSchema.safeParse(input);
  if (!result.success) {
    throw new ApprovalError('INVALID_APPROVAL_REQUEST', { details: problemsOf(result.error) });
  }
  const { taskToken, request, executionId, idempotencyKey } = result.data;
  // Nobody reviews their own request: the requester is never a reviewer.
  const author = request.requestedBy?.toLowerCase();
  const reviewers = [...new Set(request.reviewers)].filter((r) => r !== author);
  const escalateTo = [...new Set(request.escalateTo ?? [])].filter((r) => r !== author && !reviewers.includes(r));
  const requiredApprovals = request.requiredApprovals ?? 1;
  // Its own code (task error NoReviewers): the workflow tells the author why, in plain words.
  if (reviewers.length === 0) throw new ApprovalError('NO_REVIEWERS', { details: ['request.reviewers: no reviewer left once the requester is removed'] });
  if (requiredApprovals > reviewers.length) {
    throw new ApprovalError('INVALID_APPROVAL_REQUEST', { details: [`request.requiredApprovals: ${requiredApprovals} approvals cannot come from ${reviewers.length} reviewer(s)`] });
  }
  return {
    taskToken,
    executionId,
    idempotencyKey,
    request: {
      subject: request.subject,
      summary: request.summary,
      details: request.details?.trim() || undefined,
      reviewers,
      ttlSeconds: request.ttlSeconds ?? DEFAULT_TTL_SECONDS,
      requestedBy: request.requestedBy,
      requiredApprovals,
      escalateTo,
      escalateAfterSeconds: request.escalateAfterSeconds,
      remindBeforeSeconds: request.remindBeforeSeconds,
    },
  };
}
