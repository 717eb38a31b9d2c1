/** Small builders the service suites share: an approval record at a given time, and an error's code. */
import { ApprovalError } from '../../src/approval/domain/errors';
import type { ApprovalRecord } from '../../src/approval/domain/ports';

/** A request as stored, created at `now` and expiring an hour later, with `overrides` on top. */
export function approvalRecord(now: Date, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  const reviewers = overrides.reviewers ?? ['alice@example.com'];
  return {
    requestId: 'AAAAAAAAAAAAAAAAAAAAAA',
    status: 'PENDING',
    subject: 'Publish',
    summary: 'A post.',
    reviewers,
    createdAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + 3600,
    notified: reviewers.map((_, i) => i),
    requiredApprovals: 1,
    approvalsNeeded: 1,
    votes: {},
    audit: [],
    opened: [],
    reminded: [],
    ...overrides,
  };
}

/** The ApprovalError code a promise is refused with (undefined if it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof ApprovalError ? err.code : `not an ApprovalError: ${String(err)}`;
  }
}
