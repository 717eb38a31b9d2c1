/**
 * Why a post ended FAILED instead of being published, rejected or expired: a stable code for
 * the API and the pages, and plain words for its author (what happened, what they can do).
 */
export type PostFailureReason =
  /** Every configured reviewer was the author: nobody may review their own post. */
  | 'NO_REVIEWERS'
  /** The approval step refused the request it was given (a configuration or contract problem). */
  | 'INVALID_REQUEST'
  /** The review emails could not be sent (e.g. the sender address is not verified in SES yet). */
  | 'EMAIL_DELIVERY_FAILED'
  /** The approval step came back with a decision that is neither approved nor rejected. */
  | 'INVALID_DECISION'
  /** Anything else that stopped the approval step (a crash, a timeout of the function, …). */
  | 'INTERNAL'
  /** An operator stopped the workflow before a decision. */
  | 'ABORTED'
  /** The workflow failed after the approval step without recording an outcome. */
  | 'EXECUTION_FAILED'
  /** The workflow ran past its own time limit. */
  | 'EXECUTION_TIMED_OUT';

export const POST_FAILURE_REASONS: Record<PostFailureReason, { summary: string; advice: string }> = {
  NO_REVIEWERS: {
    summary: 'There was nobody to review it: you are the only reviewer, and nobody may review their own post.',
    advice: 'Ask the site’s administrator to add another reviewer, then submit it again.',
  },
  INVALID_REQUEST: {
    summary: 'The review could not be requested because the service is not set up correctly.',
    advice: 'The administrators have been alerted. Please submit it again later.',
  },
  EMAIL_DELIVERY_FAILED: {
    summary: 'The review emails could not be sent to the reviewers.',
    advice: 'The administrators have been alerted. Please submit it again later.',
  },
  INVALID_DECISION: {
    summary: 'The review ended without a decision the service understands.',
    advice: 'The administrators have been alerted. Please submit it again later.',
  },
  INTERNAL: {
    summary: 'Something went wrong on our side while requesting the review.',
    advice: 'The administrators have been alerted. Please submit it again later.',
  },
  ABORTED: {
    summary: 'The review was stopped by an administrator before anyone decided.',
    advice: 'You can submit it again; contact the site’s administrator if you are unsure why.',
  },
  EXECUTION_FAILED: {
    summary: 'The moderation workflow failed before it could record an outcome.',
    advice: 'The administrators have been alerted. Please submit it again later.',
  },
  EXECUTION_TIMED_OUT: {
    summary: 'The moderation workflow ran out of time before it could record an outcome.',
    advice: 'Please submit it again.',
  },
};

export const isPostFailureReason = (value: unknown): value is PostFailureReason =>
  typeof value === 'string' && Object.prototype.hasOwnProperty.call(POST_FAILURE_REASONS, value);
