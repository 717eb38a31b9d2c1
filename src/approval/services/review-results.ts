/** What the review use cases return: domain results, which the handlers turn into pages. */
import type { ApprovalRecord, Decision } from '../domain/ports';

/**
 * A pending request as a reviewer's link opens it: what the confirmation form needs. The handler
 * turns it into the page.
 */
export interface ReviewPrompt {
  kind: 'confirm';
  request: Pick<ApprovalRecord, 'subject' | 'summary' | 'details' | 'requestedBy' | 'expiresAt'>;
  /** The reviewer the link was sent to. */
  reviewer: string;
  /** What the form posts back: the signed link's fields and its CSRF token. */
  hidden: Record<string, string>;
  /** The longest comment this request takes (see `maxCommentChars`). */
  commentLimit: number;
  /** With a quorum: approvals so far and needed. */
  progress?: { approvals: number; required: number };
  /** When the form comes back refused: the comment as it was typed. */
  comment?: string;
}

/** A vote that was recorded: the decision it made, or (`progress`) an approval the quorum still waits on. */
export interface VoteOutcome {
  subject: string;
  decision: Decision;
  decidedBy: string;
  /** ISO time. */
  decidedAt: string;
  comment?: string;
  /** Set when the vote was recorded but the quorum is not reached yet. */
  progress?: { approvals: number; required: number };
}
