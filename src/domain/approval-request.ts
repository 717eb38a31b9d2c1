import { z } from 'zod';
import { ApprovalError } from './errors';

export const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;
/** Step Functions keeps a task open for at most a year. */
export const MAX_TTL_SECONDS = 365 * 24 * 3600;
export const MAX_REVIEWERS = 50;
/** Step Functions task tokens are at most 2,048 characters. */
export const MAX_TOKEN_CHARS = 2048;

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const EMAIL = /^[^\s@<>(),;:"\\[\]]{1,64}@[^\s@<>(),;:"\\[\]]+\.[^\s@<>(),;:"\\[\]]+$/;

/** One line of text: no CR, LF, NUL or other control characters (safe in mail headers). */
const line = (max: number) => z.string().trim().min(1).max(max).regex(NO_CONTROL, 'must be one line without control characters');
const email = z.string().trim().max(254).regex(EMAIL, 'must be an email address');

const requestSchema = z.strictObject({
  subject: line(200),
  summary: z.string().trim().min(1).max(2000),
  details: z.string().max(10_000).optional(),
  reviewers: z.array(email).min(1).max(MAX_REVIEWERS),
  requiredApprovals: z.literal(1, 'only 1 is supported').optional(),
  ttlSeconds: z.number().int().min(60).max(MAX_TTL_SECONDS).optional(),
  requestedBy: line(254).optional(),
});

const taskSchema = z.object({
  taskToken: z.string().min(1).max(MAX_TOKEN_CHARS).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII'),
  request: requestSchema,
  executionId: z.string().max(2048).optional(),
  idempotencyKey: z.string().min(1).max(512).optional(),
});

export interface ApprovalRequest {
  subject: string;
  summary: string;
  details?: string;
  /** Lower-cased and de-duplicated, in the order given. */
  reviewers: string[];
  ttlSeconds: number;
  requestedBy?: string;
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
 * Validates the approval task contract (DESIGN.md §2). Throws INVALID_APPROVAL_REQUEST with
 * one line per problem (`request.reviewers.0: must be an email address`); never echoes the token.
 */
export function parseApprovalTask(input: unknown): ApprovalTask {
  const result = taskSchema.safeParse(input);
  if (!result.success) {
    const details = result.error.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
    throw new ApprovalError('INVALID_APPROVAL_REQUEST', { details });
  }
  const { taskToken, request, executionId, idempotencyKey } = result.data;
  const reviewers = [...new Set(request.reviewers.map((r) => r.toLowerCase()))];
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
    },
  };
}
