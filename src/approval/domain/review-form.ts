import { ApprovalError } from './errors';
import { LINK_PARAMS, linkFromParams, type ReviewAction, type SignedLink } from './review-link';
import { parseStrictParams } from './strict-params';
import { codePointLength, thousands } from './validation';

/** The longest comment, in code points (what people count as characters). */
export const MAX_COMMENT_CHARS = 2000;
/**
 * The comments of every vote a request keeps, together. A request with a large quorum collects
 * up to 50 votes, each stored in the request's item (DynamoDB: 400 KB) and sent in the decision
 * output (Step Functions: 256 KB); 50 comments of 2,000 four-byte characters would be 400 KB on
 * their own. So an approval that does not decide takes at most this ÷ the quorum (see
 * `maxCommentChars`); the deciding vote always takes MAX_COMMENT_CHARS.
 */
export const MAX_VOTE_COMMENTS_CHARS = 50_000;
/**
 * The comment field's `maxlength`. Browsers count it in UTF-16 units (an emoji is two), so twice
 * MAX_COMMENT_CHARS always lets 2,000 characters through; a longer comment still reaches the
 * server, which shows the form again with the text and says how much to cut.
 */
export const MAX_COMMENT_FIELD_UNITS = 2 * MAX_COMMENT_CHARS;
/**
 * The most the comment field can take in a urlencoded form: 9 bytes per UTF-16 unit (a 3-byte
 * character escaped as %XX%XX%XX; an emoji is 12 bytes for two units; a line break, one unit,
 * is sent as %0D%0A). Form size limits leave room for it, so whatever the field lets through is
 * read and answered with the form, never refused unread.
 */
export const MAX_ENCODED_COMMENT_CHARS = 9 * MAX_COMMENT_FIELD_UNITS;
/** Control characters other than tab, LF and CR (C0, DEL, C1): none belongs in text a person wrote. */
const COMMENT_FORBIDDEN = /[\u0000-\u0008\v\f\u000e-\u001f\u007f-\u009f]/;
/** CR LF and a lone CR: browsers send a textarea's line breaks as CR LF; a comment keeps LF. */
const LINE_BREAK = /\r\n?/g;

/**
 * The longest comment a vote on a request with this quorum may carry: MAX_COMMENT_CHARS up to a
 * quorum of 25, then MAX_VOTE_COMMENTS_CHARS shared by the quorum (1,000 each at 50).
 */
export function maxCommentChars(requiredApprovals: number): number {
  return Math.min(MAX_COMMENT_CHARS, Math.floor(MAX_VOTE_COMMENTS_CHARS / Math.max(1, requiredApprovals)));
}

export interface ReviewForm {
  link: SignedLink;
  csrf: string;
  /** The button the reviewer pressed; absent when the form was sent without one. */
  decision?: string;
  comment?: string;
}

/**
 * Parses the confirmation form: the link's fields, the CSRF token `t`, and the optional
 * `decision` (the pressed button's value) and `comment`.
 */
export function parseReviewForm(body: string): ReviewForm {
  const params = parseStrictParams(body, { required: [...LINK_PARAMS, 't'], optional: ['decision', 'comment'] });
  const link = linkFromParams(params);
  return { link, csrf: params.t!, decision: params.decision, comment: params.comment };
}

/**
 * The decision must be exactly `approve` or `reject`. A form sent without one (no button
 * pressed: a scanner submitting the form, a script) decides nothing.
 */
export function checkDecision(value: string | undefined): ReviewAction {
  if (value !== 'approve' && value !== 'reject') throw new ApprovalError('INVALID_DECISION');
  return value;
}

/**
 * A comment is free text: several lines, any printable Unicode (`<`, `&` and quotes included:
 * every HTML view escapes it, and text parts and the workflow output carry it verbatim), at most
 * `max` characters (code points) once its line breaks are LF and its ends are trimmed. Refused:
 * an unpaired surrogate (it has no UTF-8 form) and control characters other than tab and line
 * breaks. A refusal's detail says what to change, for the form shown again.
 */
export function checkComment(value: string | undefined, max = MAX_COMMENT_CHARS): string | undefined {
  const comment = value?.replace(LINE_BREAK, '\n').trim();
  if (!comment) return undefined;
  const length = codePointLength(comment);
  if (length > max) {
    throw new ApprovalError('INVALID_COMMENT', { details: [`Your comment has ${thousands(length)} characters; at most ${thousands(max)} fit. Shorten it and confirm again.`] });
  }
  if (!comment.isWellFormed()) {
    throw new ApprovalError('INVALID_COMMENT', { details: ['Your comment contains a broken character (an unpaired surrogate). Remove it and confirm again.'] });
  }
  if (COMMENT_FORBIDDEN.test(comment)) {
    throw new ApprovalError('INVALID_COMMENT', { details: ['Your comment contains a control character (only tabs and line breaks are allowed). Remove it and confirm again.'] });
  }
  return comment;
}
