/**
 * The request Lambda's writes (RequestCreator, NotificationClaims, RequestClosing): storing a new
 * request, claiming and releasing reviewers' notifications, the audit trail, and closing a request
 * whose execution ended.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { canTransition } from '../domain/lifecycle';
import type { ApprovalRecord, AuditEvent } from '../domain/ports';
import type { NotificationClaims, RequestClosing, RequestCreator } from '../domain/request-store';
import { onlyTarget, transitionCondition } from './request-conditions';
import { fromItem, requestItem } from './request-item';
import { expirePending } from './request-sweep-writes';
import { conditional, mapError, type RequestTable } from './request-table';

export class RequestWrites implements RequestCreator, NotificationClaims, RequestClosing {
  constructor(private readonly table: RequestTable) {}

  async createIfAbsent(record: ApprovalRecord): Promise<ApprovalRecord | undefined> {
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: requestItem(record, this.table.retentionSeconds, this.table.pendingShards),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return this.table.current(err, record.requestId);
      throw mapError(err);
    }
  }

  replaceToken(requestId: string, sealedToken: string, tokenHash: string): Promise<boolean> {
    const guard = transitionCondition('replaceToken');
    return conditional(() =>
      this.table.update({
        requestId,
        UpdateExpression: 'SET sealedToken = :sealed, tokenHash = :hash',
        ConditionExpression: guard.condition,
        ExpressionAttributeNames: guard.names,
        ExpressionAttributeValues: { ...guard.values, ':sealed': sealedToken, ':hash': tokenHash },
      }),
    );
  }

  claimNotification(requestId: string, reviewer: number): Promise<boolean> {
    return this.table.claimSetMember(requestId, 'notified', reviewer);
  }

  async releaseNotification(requestId: string, reviewer: number): Promise<void> {
    await conditional(() => this.table.update({ requestId, UpdateExpression: 'DELETE notified :one', ExpressionAttributeValues: { ':one': new Set([reviewer]) } }));
  }

  async appendAudit(requestId: string, events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    await conditional(() =>
      this.table.update({
        requestId,
        UpdateExpression: 'SET audit = list_append(if_not_exists(audit, :empty), :events)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':events': events, ':empty': [] },
      }),
    );
  }

  async closePending(requestId: string, event: AuditEvent, nowSeconds: number): Promise<ApprovalRecord | undefined> {
    const guard = transitionCondition('close', onlyTarget('close'));
    try {
      const { Attributes } = await this.table.update({
        requestId,
        UpdateExpression: 'SET #status = :to, pendingKey = :done, pendingSort = :at, audit = list_append(if_not_exists(audit, :empty), :events) REMOVE sealedToken',
        ConditionExpression: guard.condition,
        ExpressionAttributeNames: guard.names,
        ExpressionAttributeValues: { ...guard.values, ':now': nowSeconds, ...this.table.closed(requestId, event.at), ':events': [event], ':empty': [] },
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      return fromItem(Attributes!);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw mapError(err);
      // Its links expired before the execution ended (nobody decided in time): it ends EXPIRED,
      // as the sweeper would have marked it. Decided from the item the failed write returns;
      // without one (no such item, or a DynamoDB emulator that does not return it) the expiry's
      // own condition decides. Never a read: the closer's IAM role has no GetItem.
      const current = err.Item ? fromItem(unmarshall(err.Item)) : undefined;
      if (!err.Item || canTransition('expire', current!, { nowSeconds })) {
        await expirePending(this.table, requestId, nowSeconds, { ...event, type: 'expired', detail: 'the links expired before a decision' });
      }
      return undefined;
    }
  }

  claimClosedNotice(requestId: string, reviewer: number): Promise<boolean> {
    return this.table.claimSetMember(requestId, 'toldClosed', reviewer);
  }
}
