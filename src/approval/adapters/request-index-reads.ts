/**
 * Reads of the pending index: the dashboard's lists across every partition (RequestLists) and
 * the sweeper's pages of one partition at a time (PendingPages).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { indexPartitions, type IndexState } from '../domain/pending-index';
import type { ApprovalRecord } from '../domain/ports';
import type { IndexPosition, PendingPage, PendingPages, RequestLists } from '../domain/request-store';
import { fromItem, positionOf, type Item } from './request-item';
import { mapError, type RequestTable } from './request-table';
import { PENDING_INDEX_NAME } from './table-schema';

export class IndexReads implements RequestLists, Omit<PendingPages, 'pendingShards'> {
  constructor(private readonly table: RequestTable) {}

  listPending(limit: number): Promise<ApprovalRecord[]> {
    return this.merged('PENDING', limit, true);
  }

  listRecent(limit: number): Promise<ApprovalRecord[]> {
    return this.merged('DONE', limit, false);
  }

  async pendingPage(partition: string, limit: number, after?: IndexPosition): Promise<PendingPage> {
    const page = await this.page(partition, limit, true, after);
    return { items: page.items.map((item) => ({ record: fromItem(item), position: positionOf(item) })), ...(page.next ? { next: page.next } : {}) };
  }

  /** One page of one index partition, in `pendingSort` order (oldest first when `forward`). */
  private async page(partition: string, limit: number, forward: boolean, after?: IndexPosition): Promise<{ items: Item[]; next?: IndexPosition }> {
    try {
      const page = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.tableName,
          IndexName: PENDING_INDEX_NAME,
          KeyConditionExpression: 'pendingKey = :p',
          ExpressionAttributeValues: { ':p': partition },
          ScanIndexForward: forward,
          Limit: limit,
          ExclusiveStartKey: after,
        }),
      );
      return { items: page.Items ?? [], ...(page.LastEvaluatedKey ? { next: positionOf(page.LastEvaluatedKey) } : {}) };
    } catch (err) {
      throw mapError(err);
    }
  }

  /**
   * The first `limit` requests in `state` across every partition, merged in `pendingSort` order
   * (ties by key, as within a partition). Each partition is read a small page at a time and only
   * as far as the merge needs it, so a read costs about `limit` items plus one page per partition.
   */
  private async merged(state: IndexState, limit: number, forward: boolean): Promise<ApprovalRecord[]> {
    const partitions = indexPartitions(state, this.table.pendingShards);
    const pageSize = Math.min(100, Math.ceil(limit / partitions.length) + 2);
    const sources = partitions.map((partition) => ({ partition, items: [] as Item[], next: undefined as IndexPosition | undefined, exhausted: false }));
    const refill = async (source: (typeof sources)[number]) => {
      const page = await this.page(source.partition, pageSize, forward, source.next);
      source.items.push(...page.items);
      source.next = page.next;
      source.exhausted = !page.next;
    };
    const order = (a: Item, b: Item) => {
      const bySort = String(a.pendingSort).localeCompare(String(b.pendingSort)) || String(a.pk).localeCompare(String(b.pk));
      return forward ? bySort : -bySort;
    };
    const out: ApprovalRecord[] = [];
    while (out.length < limit) {
      // A partition whose read items are used up but that has more must be read on before choosing.
      await Promise.all(sources.filter((s) => s.items.length === 0 && !s.exhausted).map(refill));
      let best: (typeof sources)[number] | undefined;
      for (const source of sources) if (source.items.length > 0 && (!best || order(source.items[0]!, best.items[0]!) < 0)) best = source;
      if (!best) break;
      out.push(fromItem(best.items.shift()!));
    }
    return out;
  }
}
