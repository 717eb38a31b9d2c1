import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { PENDING_INDEX_KEY, PENDING_INDEX_NAME, TABLE_KEY, TTL_ATTRIBUTE } from '../../src/approval/adapters/table-schema';

/**
 * The approval table: requests, their executions, admin sign-ins and sessions, counters and the
 * sweeper's cursor. On-demand, with the sparse `pending` index the dashboard and the sweeper page
 * through, TTL, point-in-time recovery and deletion protection (turned off before
 * `pulumi destroy`: see the README's "Tear down").
 */
export function approvalTable(name: string, parent: pulumi.Resource): aws.dynamodb.Table {
  return new aws.dynamodb.Table(
    name,
    {
      billingMode: 'PAY_PER_REQUEST',
      hashKey: TABLE_KEY.partition,
      rangeKey: TABLE_KEY.sort,
      attributes: [TABLE_KEY.partition, TABLE_KEY.sort, PENDING_INDEX_KEY.partition, PENDING_INDEX_KEY.sort].map((n) => ({ name: n, type: 'S' })),
      globalSecondaryIndexes: [
        {
          name: PENDING_INDEX_NAME,
          keySchemas: [
            { attributeName: PENDING_INDEX_KEY.partition, keyType: 'HASH' },
            { attributeName: PENDING_INDEX_KEY.sort, keyType: 'RANGE' },
          ],
          projectionType: 'ALL',
        },
      ],
      ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: true,
    },
    { parent },
  );
}
