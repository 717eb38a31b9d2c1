/**
 * The approval table's shape, shared by the Pulumi component, local mode and the tests,
 * so all three create exactly the same keys and index.
 */
export const TABLE_KEY = { partition: 'pk', sort: 'sk' } as const;
export const PENDING_INDEX_NAME = 'pending';
export const PENDING_INDEX_KEY = { partition: 'pendingKey', sort: 'pendingSort' } as const;
export const TTL_ATTRIBUTE = 'ttl';

/** Item keys, and the partition-key prefixes the IAM policies grant by. */
export const KEY_PREFIX = { request: 'REQ#', execution: 'EXEC#', signIn: 'SIGNIN#', admin: 'ADMIN#', rate: 'RATE#', sweep: 'SWEEP#' } as const;
export const requestKey = (requestId: string) => ({ pk: `${KEY_PREFIX.request}${requestId}`, sk: 'REQUEST' });
/**
 * An abuse-limit counter: one per kind, keyed hash of what is counted (an address, a client's
 * network) and fixed window (its start in epoch seconds), removed by TTL once the window is over.
 */
export const RATE_PK_PREFIX = KEY_PREFIX.rate;
export const rateKey = (kind: string, subject: string, windowStart: number) => ({ pk: `${RATE_PK_PREFIX}${kind}#${subject}#${windowStart}`, sk: 'RATE' });
/** One item per execution that asked for approval: the requests it made, and whether it ended. */
export const executionKey = (executionId: string) => ({ pk: `${KEY_PREFIX.execution}${executionId}`, sk: 'EXECUTION' });
/** A used admin sign-in token: written once, kept until its TTL, so a second use is refused. */
export const signInKey = (signInId: string) => ({ pk: `${KEY_PREFIX.signIn}${signInId}`, sk: 'SIGNIN' });
/** An admin's session generation: sign-out moves it on, ending every session opened before. */
export const adminSessionsKey = (email: string) => ({ pk: `${KEY_PREFIX.admin}${email}`, sk: 'SESSIONS' });
/** The sweeper's cursor over the pending index: one item, replaced under optimistic locking. */
export const SWEEP_PK_PREFIX = KEY_PREFIX.sweep;
export const sweepCursorKey = () => ({ pk: `${SWEEP_PK_PREFIX}cursor`, sk: 'CURSOR' });

/** CreateTable input (on-demand billing) for a table keyed like this one, without the pending index. */
export function createKeyedTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [TABLE_KEY.partition, TABLE_KEY.sort].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TABLE_KEY.partition, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEY.sort, KeyType: 'RANGE' as const },
    ],
  };
}

/** CreateTable input (on-demand billing), for DynamoDB-compatible local servers. */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [TABLE_KEY.partition, TABLE_KEY.sort, PENDING_INDEX_KEY.partition, PENDING_INDEX_KEY.sort].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: TABLE_KEY.partition, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEY.sort, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: PENDING_INDEX_NAME,
        KeySchema: [
          { AttributeName: PENDING_INDEX_KEY.partition, KeyType: 'HASH' as const },
          { AttributeName: PENDING_INDEX_KEY.sort, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}
