/**
 * The ports the core's services use. Adapters implement them with AWS (../adapters) or locally;
 * they turn SDK exceptions into ApprovalError codes so nothing above them sees SDK types.
 */
import type { ReviewAction } from './review-link';

/** CLOSED: the execution that asked ended another way (stopped, failed, resumed directly) before a decision. */
export type RequestStatus = 'PENDING' | 'DECIDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'CLOSED';
export type Decision = 'approved' | 'rejected';

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

/** Who votes: a reviewer through their link, or an admin from the dashboard (always final). */
export type Voter = { kind: 'reviewer'; index: number } | { kind: 'admin'; email: string };

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

export interface DecisionClaim {
  requestId: string;
  voter: Voter;
  decision: Decision;
  decidedAt: string;
  comment?: string;
  nowSeconds: number;
  leaseUntil: number;
  /** Events appended to the audit trail in the same write. */
  audit: AuditEvent[];
}

export type ClaimResult = { claimed: true; record: ApprovalRecord } | { claimed: false; current?: ApprovalRecord };
export type VoteResult = { recorded: true; record: ApprovalRecord } | { recorded: false; current?: ApprovalRecord };

export interface RequestStore {
  /** Creates the record unless one with the same id exists; returns the existing one then. */
  createIfAbsent(record: ApprovalRecord): Promise<ApprovalRecord | undefined>;
  get(requestId: string): Promise<ApprovalRecord | undefined>;
  /** Replaces the sealed token of a PENDING request (a retry brought a new task token). */
  replaceToken(requestId: string, sealedToken: string, tokenHash: string): Promise<boolean>;
  /** Claims the right to email one reviewer; false if already claimed. */
  claimNotification(requestId: string, reviewer: number): Promise<boolean>;
  releaseNotification(requestId: string, reviewer: number): Promise<void>;
  /**
   * PENDING → DECIDING if still pending and unexpired, recording the vote. A rejection or an
   * admin's decision always decides; a reviewer's approval only when it completes the quorum.
   */
  claimDecision(claim: DecisionClaim): Promise<ClaimResult>;
  /** Records a reviewer's approval that does not complete the quorum (request stays PENDING). */
  recordVote(claim: DecisionClaim & { voter: { kind: 'reviewer'; index: number } }): Promise<VoteResult>;
  /** Records that a reviewer opened their link (once per reviewer; never changes the request's state). */
  recordOpened(requestId: string, reviewer: number, event: AuditEvent): Promise<void>;
  appendAudit(requestId: string, events: AuditEvent[]): Promise<void>;
  /** Claims the right to remind one reviewer (once per reviewer). */
  claimReminder(requestId: string, reviewer: number, event: AuditEvent): Promise<boolean>;
  /** Adds escalation reviewers once; returns the updated record, or undefined if already escalated or closed. */
  escalate(requestId: string, reviewers: string[], nowSeconds: number, event: AuditEvent): Promise<ApprovalRecord | undefined>;
  /** PENDING → EXPIRED once its links have expired. */
  expirePending(requestId: string, nowSeconds: number, event: AuditEvent): Promise<boolean>;
  /** The shard count this store writes the pending index with (PENDING_SHARDS). */
  readonly pendingShards: number;
  /** Requests awaiting a decision (PENDING or DECIDING), oldest first, from every partition of the index. */
  listPending(limit: number): Promise<ApprovalRecord[]>;
  /** Decided or expired requests, most recent first, from every partition of the index. */
  listRecent(limit: number): Promise<ApprovalRecord[]>;
  /**
   * One page of one partition of the pending index (see `indexPartitions`), oldest first,
   * starting after `after`. `next` is absent once the partition has been read to its end.
   */
  pendingPage(partition: string, limit: number, after?: IndexPosition): Promise<PendingPage>;
  /** Takes over a DECIDING record whose lease ran out (crash recovery); false if someone else did. */
  takeOverDecision(requestId: string, expiredLease: number, newLease: number): Promise<boolean>;
  /** DECIDING → APPROVED | REJECTED, for the holder of `lease`. */
  completeDecision(requestId: string, lease: number, decision: Decision, event: AuditEvent): Promise<void>;
  /** DECIDING → PENDING again (nothing was delivered), taking back the claiming vote, for the holder of `lease`. */
  abandonDecision(requestId: string, lease: number, vote: { voter: Voter; approval: boolean }): Promise<void>;
  /** DECIDING → EXPIRED: Step Functions no longer waits for this task. */
  markExpired(requestId: string, lease: number, event: AuditEvent): Promise<void>;
  /**
   * PENDING → CLOSED (its execution ended without a decision); the closed record, or undefined if
   * it was not PENDING. A request whose links have already expired ends EXPIRED instead.
   */
  closePending(requestId: string, event: AuditEvent, nowSeconds: number): Promise<ApprovalRecord | undefined>;
  /** Claims the right to tell one reviewer that the review closed; false if someone already did. */
  claimClosedNotice(requestId: string, reviewer: number): Promise<boolean>;
}

/** Where a read of one index partition stopped. Opaque outside the store; kept as is in the sweep cursor. */
export type IndexPosition = Record<string, string>;

export interface PendingPage {
  /** Each record with the position just after it, so a reader can stop between any two. */
  items: { record: ApprovalRecord; position: IndexPosition }[];
  /** Where the next page starts; absent when the partition has no more. */
  next?: IndexPosition;
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
    .map(([key, v]) => ({
      reviewer: key === 'admin' ? (v.by ?? 'admin') : (record.reviewers[Number(key.slice(1))] ?? key),
      decision: v.decision,
      at: v.at,
      ...(v.comment ? { comment: v.comment } : {}),
    }))
    .sort((a, b) => a.at.localeCompare(b.at));
}

/** The map key a voter's vote is stored under. */
export const voteKey = (voter: Voter): string => (voter.kind === 'admin' ? 'admin' : `r${voter.index}`);

export interface TaskCallback {
  /** SendTaskSuccess. Throws TASK_CLOSED when the task is gone, THROTTLED when throttled. */
  succeed(taskToken: string, output: DecisionOutput): Promise<void>;
}

export const decisionFromAction = (action: ReviewAction): Decision => (action === 'approve' ? 'approved' : 'rejected');
