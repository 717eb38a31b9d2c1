/**
 * The ports the core's services use. Adapters implement them with AWS (../adapters) or locally;
 * they turn SDK exceptions into ApprovalError codes so nothing above them sees SDK types.
 */
import { parseVoteKey, type Decision, type RequestStatus } from './lifecycle';
import type { IndexPosition } from './request-store';
import type { ReviewAction } from './review-link';

export type { Decision, RequestStatus, Voter } from './lifecycle';
export type * from './request-store';

/** One reviewer's (or an admin's) vote, as stored. The voter is the map key: `r<index>` or `admin`. */
export interface StoredVote {
  decision: Decision;
  at: string;
  comment?: string;
  /** Set for admin votes (reviewers are named by their index). */
  by?: string;
}

/** A vote as reported in the workflow output and on the dashboard. */
export interface Vote {
  reviewer: string;
  decision: Decision;
  at: string;
  comment?: string;
}

export type AuditType = 'created' | 'emailed' | 'opened' | 'voted' | 'decided' | 'delivered' | 'reminded' | 'escalated' | 'expired' | 'recovered' | 'closed';

/** One entry of a request's audit trail. Actors are `r<index>`, an admin's address, or `system`. */
export interface AuditEvent {
  type: AuditType;
  at: string;
  actor: string;
  /** Keyed hashes of the client's IP and user agent: comparable, not reversible. */
  ipHash?: string;
  uaHash?: string;
  detail?: string;
}

export interface ApprovalRecord {
  requestId: string;
  status: RequestStatus;
  subject: string;
  summary: string;
  details?: string;
  reviewers: string[];
  requestedBy?: string;
  executionId?: string;
  /** ISO time the request was created. */
  createdAt: string;
  /** Seconds since the epoch after which links stop working. */
  expiresAt: number;
  /** KMS ciphertext of the packed task token (base64url); removed once the decision is delivered. */
  sealedToken?: string;
  /** SHA-256 of the task token (not the token): tells a retry with a new token from one with the same. */
  tokenHash?: string;
  /** Reviewer indices whose email has been claimed for sending. */
  notified: number[];
  decision?: Decision;
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
  /** While DECIDING: seconds since the epoch until which the decider owns delivery. */
  leaseUntil?: number;
  /** k: distinct approvals that approve the request (one rejection rejects it). */
  requiredApprovals: number;
  /** Approvals still missing while PENDING. */
  approvalsNeeded: number;
  votes: Record<string, StoredVote>;
  audit: AuditEvent[];
  /** Reviewer indices that opened their link (recorded once each). */
  opened: number[];
  /** Reviewer indices already reminded. */
  reminded: number[];
  /** Reviewer indices told that the review closed without a decision (each told once). */
  toldClosed?: number[];
  escalateTo?: string[];
  escalateAfterSeconds?: number;
  remindBeforeSeconds?: number;
  escalated?: boolean;
}

/** How far the sweeper's current pass over the pending index has come. */
export interface SweepCursor {
  /** When the pass began (ISO time). */
  passStartedAt: string;
  /** The highest shard count a sweep has read the index with: sweeps never read fewer shards than this. */
  shards: number;
  /** Per partition: where the pass stopped in it, or 'done'. A partition not listed has not been started. */
  partitions: Record<string, IndexPosition | 'done'>;
}

/** The sweeper's cursor: one small item, replaced only by whoever read its current version. */
export interface SweepCursorStore {
  /** The cursor and its version (0 and no cursor before the first save). Throws THROTTLED when throttled. */
  load(): Promise<{ cursor?: SweepCursor; version: number }>;
  /** Stores `cursor` as version `version + 1` if the stored version is still `version`; false if another sweep saved first. */
  save(cursor: SweepCursor, version: number): Promise<boolean>;
}

/**
 * Which approval requests each execution made, and whether that execution has ended: the
 * request Lambda registers each request before storing it and again after emailing, and the
 * handler of Step Functions' "execution status change" events closes the execution. Each is one
 * atomic update of the same item that also reads it, so whichever comes second sees the other:
 * a request made while its execution is being stopped is closed by one side or the other.
 */
export interface ExecutionRegistry {
  /** Adds the request to its execution (idempotent); `closedStatus` is how the execution ended, if it has. */
  register(executionId: string, requestId: string, expiresAt: number): Promise<{ closedStatus?: string }>;
  /** Marks the execution ended; returns the ids of every request it made. */
  close(executionId: string, status: string, at: string): Promise<string[]>;
}

/** Symmetric encryption bound to a context (KMS encryption context). */
export interface TokenCipher {
  encrypt(plaintext: Uint8Array, context: Record<string, string>): Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array, context: Record<string, string>): Promise<Uint8Array>;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
}

/** The output a state machine receives when a request is decided. */
export interface DecisionOutput {
  decision: Decision;
  decidedBy: string;
  decidedAt: string;
  comment?: string;
  /** Every vote, in time order (with a quorum, each approval; always the deciding vote). */
  votes: Vote[];
}

/** The votes of a record with reviewers' addresses, in time order. */
export function votesOf(record: Pick<ApprovalRecord, 'votes' | 'reviewers'>): Vote[] {
  return Object.entries(record.votes ?? {})
    .map(([key, v]) => {
      const voter = parseVoteKey(key);
      return {
        reviewer: voter?.kind === 'admin' ? (v.by ?? key) : ((voter && record.reviewers[voter.index]) ?? key),
        decision: v.decision,
        at: v.at,
        ...(v.comment ? { comment: v.comment } : {}),
      };
    })
    .sort((a, b) => a.at.localeCompare(b.at));
}

export interface TaskCallback {
  /** SendTaskSuccess. Throws TASK_CLOSED when the task is gone, THROTTLED when throttled. */
  succeed(taskToken: string, output: DecisionOutput): Promise<void>;
}

export const decisionFromAction = (action: ReviewAction): Decision => (action === 'approve' ? 'approved' : 'rejected');
