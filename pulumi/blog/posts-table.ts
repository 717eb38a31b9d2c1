import * as aws from '@pulumi/aws';
import type * as pulumi from '@pulumi/pulumi';
import { TABLE_KEY, TTL_ATTRIBUTE } from '../../src/approval';

/**
 * The blog example's own table (posts, Idempotency-Keys, the posts API's counters): keyed like
 * the approval table, on-demand, with TTL (Idempotency-Keys and counters expire), point-in-time
 * recovery and deletion protection (turned off before `pulumi destroy`, as the core's table is:
 * see the README's "Tear down").
 */
export function postsTable(name: string, parent: pulumi.Resource): aws.dynamodb.Table {
  return new aws.dynamodb.Table(
    name,
    {
      billingMode: 'PAY_PER_REQUEST',
      hashKey: TABLE_KEY.partition,
      rangeKey: TABLE_KEY.sort,
      attributes: [TABLE_KEY.partition, TABLE_KEY.sort].map((n) => ({ name: n, type: 'S' })),
      ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: true,
    },
    { parent },
  );
}
