/**
 * The life of an approval request, in one place: its statuses and which are final, the
 * transitions between them and what each requires, the quorum, the decision lease, the refusal a
 * request in a given state answers a vote with, and the key a vote (and a reviewer's audit
 * entries) is stored under. Pure: the services decide with it, and the request store builds its
 * conditional writes from the same statuses and bounds, so the two cannot drift apart.
 */
import { ApprovalError, type DecisionFacts } from './errors';

export const STATUSES = ['PENDING', 'DECIDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CLOSED'] as const;
/** CLOSED: the execution that asked ended another way (stopped, failed, resumed directly) before a decision. */
export type RequestStatus = (typeof STATUSES)[number];
/** Statuses a request never leaves. */
export const FINAL_STATUSES = ['APPROVED', 'REJECTED', 'EXPIRED', 'CLOSED'] as const satisfies readonly RequestStatus[];
export const isFinal = (status: RequestStatus): boolean => (FINAL_STATUSES as readonly RequestStatus[]).includes(status);

export type Decision = 'approved' | 'rejected';

/** Who votes: a reviewer through their link, or an admin from the dashboard (always final). */
export type Voter = { kind: 'reviewer'; index: number } | { kind: 'admin'; email: string };

// ---- Vote keys ------------------------------------------------------------------------------

const ADMIN_KEY = 'admin';
/** `r` and a reviewer index written without leading zeros (reviewers number at most 100). */
const REVIEWER_KEY = /^r(0|[1-9][0-9]{0,2})$/;

/** The key a reviewer is known by in `votes` and as an audit actor: `r<index>`. */
export const reviewerKey = (index: number): string => `r${index}`;

/** The map key a voter's vote is stored under: `r<index>` or `admin`. */
export const voteKey = (voter: Voter): string => (voter.kind === 'admin' ? ADMIN_KEY : reviewerKey(voter.index));

/** The reviewer index a key (`r<index>`) names, or undefined for anything else (an admin, `system`, an address). */
export function reviewerIndexOf(key: string): number | undefined {
  const match = REVIEWER_KEY.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** Who a stored vote key names: a reviewer by index, the admin, or undefined for a key no voter writes. */
export function parseVoteKey(key: string): { kind: 'reviewer'; index: number } | { kind: 'admin' } | undefined {
  if (key === ADMIN_KEY) return { kind: 'admin' };
  const index = reviewerIndexOf(key);
  return index === undefined ? undefined : { kind: 'reviewer', index };
}

/** The facts of a request's lifecycle the rules below read (a stored record has them all). */
export interface LifecycleFacts {
  status: RequestStatus;
  /** Seconds since the epoch after which links stop working. */
  expiresAt: number;
  leaseUntil?: number;
  reviewers: readonly string[];
  approvalsNeeded: number;
  votes: Readonly<Record<string, unknown>>;
  escalated?: boolean;
  decision?: Decision;
  decidedBy?: string;
  decidedAt?: string;
}

export const hasVoted = (record: Pick<LifecycleFacts, 'votes'>, voter: Voter): boolean => record.votes[voteKey(voter)] !== undefined;

// ---- Transitions ----------------------------------------------------------------------------

/** What a transition requires besides its from-status: the links open (unexpired) or expired, and the caller holding the lease. */
export interface TransitionRule {
  from: RequestStatus;
  to: readonly RequestStatus[];
  links?: 'open' | 'expired';
  /** The record's lease must be the one the caller holds (or, for a take-over, the stale one it read). */
  lease?: true;
}

/** Every conditional change of a request's state, with what it requires. */
export const TRANSITIONS = {
  /** A retry brought a new task token. */
  replaceToken: { from: 'PENDING', to: ['PENDING'] },
  /** A deciding vote claims delivery: a rejection, an admin's vote, or the approval completing the quorum. */
  claim: { from: 'PENDING', to: ['DECIDING'], links: 'open' },
  /** An approval that leaves the quorum incomplete is recorded; the request stays PENDING. */
  vote: { from: 'PENDING', to: ['PENDING'], links: 'open' },
  /** Escalation reviewers are added (once: see `canEscalate`). */
  escalate: { from: 'PENDING', to: ['PENDING'], links: 'open' },
  /** The execution ended another way before anyone decided. */
  close: { from: 'PENDING', to: ['CLOSED'], links: 'open' },
  /** The links expired before anyone decided. */
  expire: { from: 'PENDING', to: ['EXPIRED'], links: 'expired' },
  /** A new decider takes over a lease that ran out (a crash after the claim). */
  takeOver: { from: 'DECIDING', to: ['DECIDING'], lease: true },
  /** Delivered: the decision is final. */
  complete: { from: 'DECIDING', to: ['APPROVED', 'REJECTED'], lease: true },
  /** Nothing reached Step Functions: the claim (and its vote) is taken back. */
  abandon: { from: 'DECIDING', to: ['PENDING'], lease: true },
  /** Step Functions no longer waits for the task. */
  markExpired: { from: 'DECIDING', to: ['EXPIRED'], lease: true },
} as const satisfies Record<string, TransitionRule>;

export type Transition = keyof typeof TRANSITIONS;

/** The statuses each status may move to. Final statuses move nowhere. */
export function nextStatuses(status: RequestStatus): RequestStatus[] {
  const next = new Set<RequestStatus>();
  for (const rule of Object.values(TRANSITIONS) as TransitionRule[]) if (rule.from === status) for (const to of rule.to) if (to !== status) next.add(to);
  return STATUSES.filter((s) => next.has(s));
}

/** The final status a delivered decision leaves. */
export const decidedStatus = (decision: Decision): 'APPROVED' | 'REJECTED' => (decision === 'approved' ? 'APPROVED' : 'REJECTED');

/** Whether `record` meets a transition's requirements at `nowSeconds`, for a caller holding `lease`. */
export function canTransition(transition: Transition, record: Pick<LifecycleFacts, 'status' | 'expiresAt' | 'leaseUntil'>, at: { nowSeconds: number; lease?: number }): boolean {
  const rule: TransitionRule = TRANSITIONS[transition];
  if (record.status !== rule.from) return false;
  if (rule.links === 'open' && !(record.expiresAt > at.nowSeconds)) return false;
  if (rule.links === 'expired' && !(record.expiresAt <= at.nowSeconds)) return false;
  if (rule.lease && (record.leaseUntil === undefined || record.leaseUntil !== at.lease)) return false;
  return true;
}

/** A pending request whose links still work: it takes votes, reminders and escalation. */
export const isOpen = (record: Pick<LifecycleFacts, 'status' | 'expiresAt'>, nowSeconds: number): boolean => record.status === 'PENDING' && record.expiresAt > nowSeconds;

/** Escalation happens once, while the request is open. */
export const canEscalate = (record: Pick<LifecycleFacts, 'status' | 'expiresAt' | 'escalated'>, nowSeconds: number): boolean =>
  canTransition('escalate', record, { nowSeconds }) && record.escalated === undefined;

// ---- Quorum ---------------------------------------------------------------------------------

/**
 * An approval decides when it is the last one missing: while `approvalsNeeded` is at most this.
 * A stored count never goes below it, but "at most" keeps a request decidable whatever it holds.
 */
export const LAST_APPROVAL = 1;

/** A reviewer's approval counts toward the quorum (and takes one from `approvalsNeeded`); any other vote decides alone. */
export const countsTowardQuorum = (voter: Voter, decision: Decision): boolean => voter.kind === 'reviewer' && decision === 'approved';

/** Whether a vote decides the request now: a rejection or an admin's vote always does; an approval when it completes the quorum. */
export const decidesNow = (voter: Voter, decision: Decision, approvalsNeeded: number): boolean => !countsTowardQuorum(voter, decision) || approvalsNeeded <= LAST_APPROVAL;

/** Whether this voter may vote on this record: a reviewer the record has, who has not voted (an admin always may). */
export function mayVote(record: Pick<LifecycleFacts, 'reviewers' | 'votes'>, voter: Voter): boolean {
  if (voter.kind === 'admin') return true;
  return Number.isSafeInteger(voter.index) && voter.index >= 0 && voter.index < record.reviewers.length && !hasVoted(record, voter);
}

/** Whether the record takes this voter's vote at `nowSeconds`, whichever way they vote: open, and theirs to cast. */
export const canVote = (record: LifecycleFacts, voter: Voter, nowSeconds: number): boolean => isOpen(record, nowSeconds) && mayVote(record, voter);

/**
 * What a vote does to a record at `nowSeconds`: `claim` (it decides: PENDING → DECIDING),
 * `vote` (an approval recorded toward the quorum), or undefined when the record cannot take it
 * (see `refusal` for why).
 */
export function voteTransition(record: LifecycleFacts, voter: Voter, decision: Decision, nowSeconds: number): 'claim' | 'vote' | undefined {
  if (!canVote(record, voter, nowSeconds)) return undefined;
  return decidesNow(voter, decision, record.approvalsNeeded) ? 'claim' : 'vote';
}

/** How many approvals the votes of a request's quorum count so far. */
export const approvalsSoFar = (record: { requiredApprovals: number; approvalsNeeded: number }) => record.requiredApprovals - record.approvalsNeeded;

// ---- The decision lease ---------------------------------------------------------------------

/**
 * How long a decider owns delivery after its claim. Longer than any Lambda timeout that
 * delivers, so a live decider is never overtaken; after it, the next attempt recovers a crash.
 */
export const DECISION_LEASE_SECONDS = 60;

/** The lease a claim or a take-over made at `nowSeconds` holds. */
export const leaseFrom = (nowSeconds: number, leaseSeconds: number = DECISION_LEASE_SECONDS): number => nowSeconds + leaseSeconds;

/** A DECIDING record whose decider's lease ran out: whoever takes the lease over delivers. */
export const isStaleClaim = (record: Pick<LifecycleFacts, 'status' | 'leaseUntil'>, nowSeconds: number): record is { status: 'DECIDING'; leaseUntil: number } =>
  record.status === 'DECIDING' && record.leaseUntil !== undefined && record.leaseUntil <= nowSeconds;

// ---- Refusals -------------------------------------------------------------------------------

/** Who decided, when and how, once a request holds a decision (DECIDING and after). */
export function decidedFacts(record: Pick<LifecycleFacts, 'decision' | 'decidedBy' | 'decidedAt'>): DecisionFacts | undefined {
  if (!record.decision || !record.decidedBy || !record.decidedAt) return undefined;
  return { decision: record.decision, decidedBy: record.decidedBy, decidedAt: record.decidedAt };
}

/** Why a request (or its absence) can no longer take this voter's vote at `nowSeconds`, as the error to show. */
export function refusal(record: LifecycleFacts | undefined, nowSeconds: number, voter?: Voter): ApprovalError {
  if (!record) return new ApprovalError('REQUEST_NOT_FOUND');
  switch (record.status) {
    case 'APPROVED':
    case 'REJECTED':
      return new ApprovalError('ALREADY_DECIDED', { decided: decidedFacts(record) });
    case 'DECIDING':
      return new ApprovalError('DECISION_IN_PROGRESS', { decided: decidedFacts(record) });
    case 'EXPIRED':
      return new ApprovalError('TASK_CLOSED');
    case 'CLOSED':
      return new ApprovalError('REVIEW_CLOSED');
    case 'PENDING':
      if (record.expiresAt <= nowSeconds) return new ApprovalError('LINK_EXPIRED');
      if (voter && hasVoted(record, voter)) return new ApprovalError('ALREADY_VOTED');
      return new ApprovalError('LINK_INVALID');
  }
}
