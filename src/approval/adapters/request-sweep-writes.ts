/** The sweeper's writes to open requests (SweepWriter): reminders, escalation, expiry. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { ApprovalRecord, AuditEvent } from '../domain/ports';
import type { SweepWriter } from '../domain/request-store';
import { onlyTarget, transitionCondition } from './request-conditions';
import { fromItem } from './request-item';
import { conditional, mapError, type RequestTable } from './request-table';

/** PENDING → EXPIRED once its links have expired, moving it to its DONE partition; false if the condition failed. */
export function expirePending(table: RequestTable, requestId: string, nowSeconds: number, event: AuditEvent): Promise<boolean> {
  const guard = transitionCondition('expire', onlyTarget('expire'));
  return conditional(() =>
    table.update({
      requestId,
      UpdateExpression: 'SET #status = :to, pendingKey = :done, pendingSort = :at, audit = list_append(if_not_exists(audit, :empty), :events) REMOVE sealedToken',
      ConditionExpression: guard.condition,
      ExpressionAttributeNames: guard.names,
      ExpressionAttributeValues: { ...guard.values, ':now': nowSeconds, ...table.closed(requestId, event.at), ':events': [event], ':empty': [] },
    }),
  );
}

export class SweepWrites implements SweepWriter {
  constructor(private readonly table: RequestTable) {}

  claimReminder(requestId: string, reviewer: number, event: AuditEvent): Promise<boolean> {
    return this.table.claimSetMember(requestId, 'reminded', reviewer, [event]);
  }

  async escalate(requestId: string, reviewers: string[], nowSeconds: number, event: AuditEvent): Promise<ApprovalRecord | undefined> {
    const guard = transitionCondition('escalate');
    try {
      const { Attributes } = await this.table.update({
        requestId,
        UpdateExpression: 'SET escalated = :yes, reviewers = list_append(reviewers, :added), audit = list_append(if_not_exists(audit, :empty), :events)',
        // Once (the lifecycle's `canEscalate`).
        ConditionExpression: `${guard.condition} AND attribute_not_exists(escalated)`,
        ExpressionAttributeNames: guard.names,
        ExpressionAttributeValues: { ...guard.values, ':yes': true, ':added': reviewers, ':events': [event], ':empty': [], ':now': nowSeconds },
        ReturnValues: 'ALL_NEW',
      });
      return fromItem(Attributes!);
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw mapError(err);
    }
  }

  expirePending(requestId: string, nowSeconds: number, event: AuditEvent): Promise<boolean> {
    return expirePending(this.table, requestId, nowSeconds, event);
  }
}
