/** What the dashboard's use cases return: domain results, which the handler turns into pages. */
import type { Decision } from '../domain/ports';

/** What the dashboard shows of one request: facts and votes, reviewers by address. */
export interface RequestSummary {
  requestId: string;
  subject: string;
  requestedBy?: string;
  reviewers: string[];
  /** ISO time. */
  createdAt: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  status: string;
  requiredApprovals: number;
  votes: { reviewer: string; decision: Decision; at: string; comment?: string }[];
  decision?: Decision;
  decidedBy?: string;
  decidedAt?: string;
}

/** One line of a request's audit trail, its actor named for people. */
export interface AuditEntry {
  type: string;
  at: string;
  actor: string;
  detail?: string;
}

/** Who is signed in, and the CSRF token their forms carry. */
export interface SignedIn {
  admin: string;
  csrf: string;
  /** Seconds since the epoch: ages and time left are counted from it. */
  now: number;
}

/** The dashboard: requests awaiting a decision and the most recently decided. */
export interface Overview extends SignedIn {
  pending: RequestSummary[];
  decided: RequestSummary[];
}

/** One request with its audit trail. */
export interface RequestDetail extends SignedIn {
  request: RequestSummary;
  audit: AuditEntry[];
}
