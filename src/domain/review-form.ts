import { ApprovalError } from './errors';
import { LINK_PARAMS, linkFromParams, type ReviewAction, type SignedLink } from './review-link';
import { parseStrictParams } from './strict-params';
import { codePointLength } from './validation';

export const MAX_COMMENT_CHARS = 1000;
/**
 * The most a comment of MAX_COMMENT_CHARS code points takes in a urlencoded form: 4 UTF-8 bytes
 * each, escaped as %XX. Form size limits leave room for it, so every comment we accept fits.
 */
export const MAX_ENCODED_COMMENT_CHARS = 12 * MAX_COMMENT_CHARS;
const COMMENT_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f<>]/;

export interface ReviewForm {
  link: SignedLink;
  csrf: string;
  decision: ReviewAction;
  comment?: string;
}

/** Parses the confirmation form: the link's fields, the CSRF token `t`, `decision` and `comment`. */
export function parseReviewForm(body: string): ReviewForm {
  const params = parseStrictParams(body, { required: [...LINK_PARAMS, 't', 'decision'], optional: ['comment'] });
  const link = linkFromParams(params);
  return { link, csrf: params.t!, decision: params.decision as ReviewAction, comment: params.comment };
}

/** The decision field must be exactly `approve` or `reject`. */
export function checkDecision(value: string): ReviewAction {
  if (value !== 'approve' && value !== 'reject') throw new ApprovalError('INVALID_DECISION');
  return value;
}

/**
 * A comment is one line of plain text of at most 1,000 characters (code points). It travels into
 * the workflow output and the author's email, where not every consumer escapes HTML, so control
 * characters and angle brackets are refused.
 */
export function checkComment(value: string | undefined): string | undefined {
  const comment = value?.trim();
  if (!comment) return undefined;
  if (codePointLength(comment) > MAX_COMMENT_CHARS || !comment.isWellFormed() || COMMENT_FORBIDDEN.test(comment)) throw new ApprovalError('INVALID_COMMENT');
  return comment;
}
