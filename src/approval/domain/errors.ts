/**
 * One error family with stable codes. Callers switch on `code`; how each code is answered (an
 * HTTP status, the words a person reads) is the HTTP layer's table (see `http/error-answers.ts`).
 * Errors never carry exception text, tokens, ciphertexts or MACs.
 */
export type ErrorCode =
  | 'LINK_MALFORMED'
  | 'LINK_INVALID'
  | 'LINK_EXPIRED'
  | 'CSRF_REJECTED'
  | 'METHOD_NOT_ALLOWED'
  | 'INVALID_DECISION'
  | 'INVALID_COMMENT'
  | 'PAYLOAD_TOO_LARGE'
  | 'REQUEST_NOT_FOUND'
  | 'ALREADY_DECIDED'
  | 'ALREADY_VOTED'
  | 'DECISION_IN_PROGRESS'
  | 'TASK_CLOSED'
  | 'THROTTLED'
  | 'UNAVAILABLE'
  | 'INVALID_APPROVAL_REQUEST'
  | 'NO_REVIEWERS'
  | 'REVIEW_CLOSED'
  | 'EMAIL_REJECTED'
  | 'INVALID_INPUT'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'EMAIL_DELIVERY_FAILED'
  | 'SIGN_IN_INVALID'
  | 'SIGN_IN_EXPIRED'
  | 'SIGN_IN_USED'
  | 'SESSION_REQUIRED'
  | 'NOT_ADMIN'
  | 'RATE_LIMITED'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'INTERNAL';

/**
 * Finer reasons within a code, for logs and tests only: a person is told the code's words
 * (a damaged and a forged session cookie look the same to them), an operator sees which it was.
 */
export type ErrorReason =
  | 'SIGN_IN_MALFORMED'
  | 'SESSION_MISSING'
  | 'SESSION_INVALID'
  | 'SESSION_EXPIRED'
  | 'SESSION_ENDED';

/** Facts about an already-made decision, shown on "already decided" pages. */
export interface DecisionFacts {
  decision: 'approved' | 'rejected';
  decidedBy: string;
  decidedAt: string;
}

export interface ApprovalErrorOptions {
  details?: string[];
  decided?: DecisionFacts;
  cause?: unknown;
  retryAfterSeconds?: number;
  reason?: ErrorReason;
}

export class ApprovalError extends Error {
  readonly code: ErrorCode;
  /** Safe, caller-facing details (validation messages, who decided). Never secrets. */
  readonly details?: string[];
  readonly decided?: DecisionFacts;
  /** When trying again may work, in whole seconds (RATE_LIMITED: until the counting window ends). */
  readonly retryAfterSeconds?: number;
  /** Which of the code's cases it was, for the log (never shown to the caller). */
  readonly reason?: ErrorReason;

  /** The message is the code: the words a person reads belong to the answer, not to the error. */
  constructor(code: ErrorCode, options: ApprovalErrorOptions = {}) {
    super(code, { cause: options.cause });
    this.name = 'ApprovalError';
    this.code = code;
    this.details = options.details;
    this.decided = options.decided;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.reason = options.reason;
  }
}

/** Any thrown value as an ApprovalError: unknown faults become a generic INTERNAL. */
export function toApprovalError(err: unknown): ApprovalError {
  return err instanceof ApprovalError ? err : new ApprovalError('INTERNAL', { cause: err });
}
