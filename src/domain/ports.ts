/**
 * The ports the services use. Adapters implement them with AWS (src/adapters) or locally;
 * they turn SDK exceptions into ApprovalError codes so nothing above them sees SDK types.
 */
import type { Post } from './post';
import type { ReviewAction } from './review-link';

export type RequestStatus = 'PENDING' | 'DECIDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED';
export type Decision = 'approved' | 'rejected';

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
}

export interface DecisionClaim {
  requestId: string;
  reviewer: number;
  decision: Decision;
  decidedAt: string;
  comment?: string;
  nowSeconds: number;
  leaseUntil: number;
}

export type ClaimResult = { claimed: true; record: ApprovalRecord } | { claimed: false; current?: ApprovalRecord };

export interface RequestStore {
  /** Creates the record unless one with the same id exists; returns the existing one then. */
  createIfAbsent(record: ApprovalRecord): Promise<ApprovalRecord | undefined>;
  get(requestId: string): Promise<ApprovalRecord | undefined>;
  /** Replaces the sealed token of a PENDING request (a retry brought a new task token). */
  replaceToken(requestId: string, sealedToken: string, tokenHash: string): Promise<boolean>;
  /** Claims the right to email one reviewer; false if already claimed. */
  claimNotification(requestId: string, reviewer: number): Promise<boolean>;
  releaseNotification(requestId: string, reviewer: number): Promise<void>;
  /** PENDING → DECIDING if still pending and unexpired (the first decision wins). */
  claimDecision(claim: DecisionClaim): Promise<ClaimResult>;
  /** Takes over a DECIDING record whose lease ran out (crash recovery); false if someone else did. */
  takeOverDecision(requestId: string, expiredLease: number, newLease: number): Promise<boolean>;
  /** DECIDING → APPROVED | REJECTED, for the holder of `lease`. */
  completeDecision(requestId: string, lease: number, decision: Decision): Promise<void>;
  /** DECIDING → PENDING again (nothing was delivered), for the holder of `lease`. */
  abandonDecision(requestId: string, lease: number): Promise<void>;
  /** DECIDING → EXPIRED: Step Functions no longer waits for this task. */
  markExpired(requestId: string, lease: number): Promise<void>;
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
}

export interface TaskCallback {
  /** SendTaskSuccess. Throws TASK_CLOSED when the task is gone, THROTTLED when throttled. */
  succeed(taskToken: string, output: DecisionOutput): Promise<void>;
}

/** Posts of the blog-moderation example. */
export interface PostStore {
  /** Creates the post unless one with the same id exists; returns the existing one then. */
  createIfAbsent(post: Post): Promise<Post | undefined>;
  get(id: string): Promise<Post | undefined>;
}

/** Starts the moderation workflow; idempotent for the same name and input. */
export interface WorkflowStarter {
  start(name: string, input: object): Promise<void>;
}

export const decisionFromAction = (action: ReviewAction): Decision => (action === 'approve' ? 'approved' : 'rejected');
