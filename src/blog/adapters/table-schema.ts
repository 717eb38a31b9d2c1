/**
 * The blog example's own table: posts, the Idempotency-Keys of `POST /posts` and the posts API's
 * abuse counters. Keyed like the approval table (pk, sk; TTL in `ttl`), without its index. The
 * state machine writes post items directly, so their key shape lives here, once.
 */
export const POST_PK_PREFIX = 'POST#';
export const POST_SK = 'POST';
export const IDEMPOTENCY_PK_PREFIX = 'IDEM#';
export const postKey = (postId: string) => ({ pk: `${POST_PK_PREFIX}${postId}`, sk: POST_SK });
/** An Idempotency-Key of `POST /posts`, by its hash with the author's address: the post it stands for, until its TTL. */
export const idempotencyKey = (keyHash: string) => ({ pk: `${IDEMPOTENCY_PK_PREFIX}${keyHash}`, sk: 'IDEM' });
