import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RequestTableConfig } from '../config';
import { DEFAULT_RETENTION_SECONDS } from '../defaults';
import type { Decision, Voter } from '../domain/lifecycle';
import { DEFAULT_PENDING_SHARDS } from '../domain/pending-index';
import type { ApprovalRecord, AuditEvent } from '../domain/ports';
import type { ClaimResult, DecisionClaim, IndexPosition, PendingPage, RequestStore, VoteResult } from '../domain/request-store';
import { DecisionWrites } from './request-decisions';
import { IndexReads } from './request-index-reads';
import { SweepWrites } from './request-sweep-writes';
import { RequestTable } from './request-table';
import { VoteWrites } from './request-votes';
import { RequestWrites } from './request-writes';

export { requestItem } from './request-item';

/**
 * The request store on one DynamoDB table (pk/sk). Every state change is a conditional
 * write, so concurrent clicks, votes and retries resolve in DynamoDB, not in memory; each
 * write appends its audit events to the item in the same request. The writes are grouped by the
 * role that makes them (request-writes, request-votes, request-decisions, request-sweep-writes)
 * and the index reads kept apart (request-index-reads); this class puts them behind one object.
 */
export class DynamoRequestStore implements RequestStore {
  private readonly table: RequestTable;
  private readonly writes: RequestWrites;
  private readonly votes: VoteWrites;
  private readonly decisions: DecisionWrites;
  private readonly sweeps: SweepWrites;
  private readonly index: IndexReads;

  /** `pendingShards` must be the same in every Lambda of a deployment: build it from `requestTableConfig` (see `onTable`). */
  constructor(client: DynamoDBClient, tableName: string, retentionSeconds = DEFAULT_RETENTION_SECONDS, readonly pendingShards = DEFAULT_PENDING_SHARDS) {
    this.table = new RequestTable(client, tableName, retentionSeconds, pendingShards);
    this.writes = new RequestWrites(this.table);
    this.votes = new VoteWrites(this.table);
    this.decisions = new DecisionWrites(this.table);
    this.sweeps = new SweepWrites(this.table);
    this.index = new IndexReads(this.table);
  }

  /** The store every Lambda builds from its environment: table, retention and shard count travel together. */
  static onTable(client: DynamoDBClient, table: RequestTableConfig): DynamoRequestStore {
    return new DynamoRequestStore(client, table.tableName, table.retentionSeconds, table.pendingShards);
  }

  get(requestId: string): Promise<ApprovalRecord | undefined> {
    return this.table.get(requestId);
  }

  // ---- The request Lambda's writes ----
  createIfAbsent(record: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    return this.writes.createIfAbsent(record);
  }
  replaceToken(requestId: string, sealedToken: string, tokenHash: string): Promise<boolean> {
    return this.writes.replaceToken(requestId, sealedToken, tokenHash);
  }
  claimNotification(requestId: string, reviewer: number): Promise<boolean> {
    return this.writes.claimNotification(requestId, reviewer);
  }
  releaseNotification(requestId: string, reviewer: number): Promise<void> {
    return this.writes.releaseNotification(requestId, reviewer);
  }
  appendAudit(requestId: string, events: AuditEvent[]): Promise<void> {
    return this.writes.appendAudit(requestId, events);
  }
  closePending(requestId: string, event: AuditEvent, nowSeconds: number): Promise<ApprovalRecord | undefined> {
    return this.writes.closePending(requestId, event, nowSeconds);
  }
  claimClosedNotice(requestId: string, reviewer: number): Promise<boolean> {
    return this.writes.claimClosedNotice(requestId, reviewer);
  }

  // ---- Votes ----
  claimDecision(claim: DecisionClaim): Promise<ClaimResult> {
    return this.votes.claimDecision(claim);
  }
  recordVote(claim: DecisionClaim & { voter: { kind: 'reviewer'; index: number } }): Promise<VoteResult> {
    return this.votes.recordVote(claim);
  }
  recordOpened(requestId: string, reviewer: number, event: AuditEvent): Promise<void> {
    return this.votes.recordOpened(requestId, reviewer, event);
  }

  // ---- Delivering a decision, for the lease holder ----
  takeOverDecision(requestId: string, expiredLease: number, newLease: number): Promise<boolean> {
    return this.decisions.takeOverDecision(requestId, expiredLease, newLease);
  }
  completeDecision(requestId: string, lease: number, decision: Decision, event: AuditEvent): Promise<void> {
    return this.decisions.completeDecision(requestId, lease, decision, event);
  }
  abandonDecision(requestId: string, lease: number, vote: { voter: Voter; approval: boolean }): Promise<void> {
    return this.decisions.abandonDecision(requestId, lease, vote);
  }
  markExpired(requestId: string, lease: number, event: AuditEvent): Promise<void> {
    return this.decisions.markExpired(requestId, lease, event);
  }

  // ---- The sweeper's writes ----
  claimReminder(requestId: string, reviewer: number, event: AuditEvent): Promise<boolean> {
    return this.sweeps.claimReminder(requestId, reviewer, event);
  }
  escalate(requestId: string, reviewers: string[], nowSeconds: number, event: AuditEvent): Promise<ApprovalRecord | undefined> {
    return this.sweeps.escalate(requestId, reviewers, nowSeconds, event);
  }
  expirePending(requestId: string, nowSeconds: number, event: AuditEvent): Promise<boolean> {
    return this.sweeps.expirePending(requestId, nowSeconds, event);
  }

  // ---- The pending index ----
  listPending(limit: number): Promise<ApprovalRecord[]> {
    return this.index.listPending(limit);
  }
  listRecent(limit: number): Promise<ApprovalRecord[]> {
    return this.index.listRecent(limit);
  }
  pendingPage(partition: string, limit: number, after?: IndexPosition): Promise<PendingPage> {
    return this.index.pendingPage(partition, limit, after);
  }
}
