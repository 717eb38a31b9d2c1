/**
 * The request store's ports, split by what each Lambda may do to `REQ#` items. Capabilities are
 * small interfaces (each names the DynamoDB actions its methods use); each role is the union of
 * the capabilities its Lambda's IAM role grants, and each service and handler names only its
 * role, so the compiler proves, for instance, that the link Lambda never lists requests (no
 * Query) and the closer never reads one (no GetItem). One adapter may implement them all.
 */
import type { Decision, Voter } from './lifecycle';
import type { ApprovalRecord, AuditEvent } from './ports';

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

/** Where a read of one index partition stopped. Opaque outside the store; kept as is in the sweep cursor. */
export type IndexPosition = Record<string, string>;

export interface PendingPage {
  /** Each record with the position just after it, so a reader can stop between any two. */
  items: { record: ApprovalRecord; position: IndexPosition }[];
  /** Where the next page starts; absent when the partition has no more. */
  next?: IndexPosition;
}

// ---- Capabilities ---------------------------------------------------------------------------

/** Reads one request (GetItem, consistent). */
export interface RequestReader {
  get(requestId: string): Promise<ApprovalRecord | undefined>;
}

/** Stores new requests (PutItem; UpdateItem). */
export interface RequestCreator {
  /** Creates the record unless one with the same id exists; returns the existing one then. */
  createIfAbsent(record: ApprovalRecord): Promise<ApprovalRecord | undefined>;
  /** Replaces the sealed token of a PENDING request (a retry brought a new task token). */
  replaceToken(requestId: string, sealedToken: string, tokenHash: string): Promise<boolean>;
}

/** Who has been emailed their links, and the audit trail (UpdateItem). */
export interface NotificationClaims {
  /** Claims the right to email one reviewer; false if already claimed. */
  claimNotification(requestId: string, reviewer: number): Promise<boolean>;
  releaseNotification(requestId: string, reviewer: number): Promise<void>;
  appendAudit(requestId: string, events: AuditEvent[]): Promise<void>;
}

/** Votes, and reviewers opening their links (UpdateItem). */
export interface VoteWriter {
  /**
   * PENDING → DECIDING if still pending and unexpired, recording the vote. A rejection or an
   * admin's decision always decides; a reviewer's approval only when it completes the quorum.
   */
  claimDecision(claim: DecisionClaim): Promise<ClaimResult>;
  /** Records a reviewer's approval that does not complete the quorum (request stays PENDING). A rejection is refused (it always claims). */
  recordVote(claim: DecisionClaim & { voter: { kind: 'reviewer'; index: number } }): Promise<VoteResult>;
  /** Records that a reviewer opened their link (once per reviewer; never changes the request's state). */
  recordOpened(requestId: string, reviewer: number, event: AuditEvent): Promise<void>;
}

/** Delivering a claimed decision, for the holder of its lease (UpdateItem). */
export interface DecisionWriter {
  /** Takes over a DECIDING record whose lease ran out (crash recovery); false if someone else did. */
  takeOverDecision(requestId: string, expiredLease: number, newLease: number): Promise<boolean>;
  /** DECIDING → APPROVED | REJECTED, for the holder of `lease`. */
  completeDecision(requestId: string, lease: number, decision: Decision, event: AuditEvent): Promise<void>;
  /** DECIDING → PENDING again (nothing was delivered), taking back the claiming vote, for the holder of `lease`. */
  abandonDecision(requestId: string, lease: number, vote: { voter: Voter; approval: boolean }): Promise<void>;
  /** DECIDING → EXPIRED: Step Functions no longer waits for this task. */
  markExpired(requestId: string, lease: number, event: AuditEvent): Promise<void>;
}

/** Closing requests whose execution ended, and telling their reviewers once (UpdateItem only: no read). */
export interface RequestClosing {
  /**
   * PENDING → CLOSED (its execution ended without a decision); the closed record, or undefined if
   * it was not PENDING. A request whose links have already expired ends EXPIRED instead.
   */
  closePending(requestId: string, event: AuditEvent, nowSeconds: number): Promise<ApprovalRecord | undefined>;
  /** Claims the right to tell one reviewer that the review closed; false if someone already did. */
  claimClosedNotice(requestId: string, reviewer: number): Promise<boolean>;
}

/** The pending index, every partition (Query). */
export interface RequestLists {
  /** Requests awaiting a decision (PENDING or DECIDING), oldest first, from every partition of the index. */
  listPending(limit: number): Promise<ApprovalRecord[]>;
  /** Decided or expired requests, most recent first, from every partition of the index. */
  listRecent(limit: number): Promise<ApprovalRecord[]>;
}

/** The pending index one partition at a time, as the sweeper reads it (Query). */
export interface PendingPages {
  /** The shard count this store writes the pending index with (PENDING_SHARDS). */
  readonly pendingShards: number;
  /**
   * One page of one partition of the pending index (see `indexPartitions`), oldest first,
   * starting after `after`. `next` is absent once the partition has been read to its end.
   */
  pendingPage(partition: string, limit: number, after?: IndexPosition): Promise<PendingPage>;
}

/** The sweeper's changes to open requests (UpdateItem). */
export interface SweepWriter {
  /** Claims the right to remind one reviewer (once per reviewer). */
  claimReminder(requestId: string, reviewer: number, event: AuditEvent): Promise<boolean>;
  /** Adds escalation reviewers once; returns the updated record, or undefined if already escalated or closed. */
  escalate(requestId: string, reviewers: string[], nowSeconds: number, event: AuditEvent): Promise<ApprovalRecord | undefined>;
  /** PENDING → EXPIRED once its links have expired. */
  expirePending(requestId: string, nowSeconds: number, event: AuditEvent): Promise<boolean>;
}

// ---- Roles: one per Lambda, matching its IAM role on `REQ#` items ---------------------------

/** The request Lambda (PutItem, GetItem, UpdateItem): store the request, email reviewers, close it if its execution already ended. */
export interface RequestWriter extends RequestCreator, NotificationClaims, RequestClosing {}

/** The link Lambda (GetItem, UpdateItem; no Query): show the form, vote, deliver. */
export interface ReviewStore extends RequestReader, VoteWriter, DecisionWriter {}

/** The dashboard Lambda (GetItem, UpdateItem, Query): the link Lambda's rights, and the lists. */
export interface AdminStore extends ReviewStore, RequestLists {}

/** The sweeper Lambda (GetItem, UpdateItem, Query): page through the index, remind, escalate, expire, recover. */
export interface SweeperStore extends RequestReader, PendingPages, SweepWriter, NotificationClaims, DecisionWriter {}

/** The closer Lambda (UpdateItem only). */
export type CloserStore = RequestClosing;

/** Everything: what one adapter implements for every role. */
export interface RequestStore extends RequestWriter, AdminStore, SweeperStore, CloserStore {}
