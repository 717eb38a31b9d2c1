/**
 * Bench section 9: the largest request item the flow can produce, against DynamoDB's 400 KB item
 * limit, built by the real code on dynalite: the request Lambda's handler takes the largest task
 * the contract accepts (50 reviewers at the 254-character address limit, a 200-character subject,
 * 2,000-character summary and 10,000-character details all of 4-byte characters, a 2,048-character
 * task token, a 500-character execution ARN, 50 escalation reviewers); the sweeper escalates,
 * then reminds all 100 reviewers with every reminder failing (one more audit line each); every
 * reviewer opens a link; and 50 approvals decide it (requiredApprovals is at most 50, and the
 * 50th approval closes the vote): 49 with the longest comment an approval that does not decide
 * may carry at that quorum (maxCommentChars(50) = 1,000 characters), the 50th with the longest
 * comment of all (2,000), all 4-byte characters. Comments are 2,000 characters, but 50 of those
 * would be 400 KB on their own: that is why the approvals of a large quorum share 50,000.
 *
 * Sizes follow DynamoDB's rules: attribute names plus values, strings in UTF-8 bytes, 3 bytes
 * plus 1 per element for lists and maps. Dynalite checks the limit too, but counts a string's
 * UTF-16 units, so it lets through items up to twice too large when the text is astral.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoExecutionRegistry } from '../src/approval/adapters/dynamo-execution-registry';
import { DynamoRequestStore } from '../src/approval/adapters/dynamo-request-store';
import { DynamoSweepCursor } from '../src/approval/adapters/dynamo-sweep-cursor';
import { requestKey } from '../src/approval/adapters/table-schema';
import { MAX_DETAILS_CHARS, MAX_EXECUTION_ID_CHARS, MAX_REVIEWERS, MAX_SUBJECT_CHARS, MAX_SUMMARY_CHARS, MAX_TOKEN_CHARS } from '../src/approval/domain/approval-request';
import { auditEvent } from '../src/approval/domain/audit';
import { MAX_EMAIL_CHARS, MAX_LOCAL_PART_CHARS } from '../src/approval/domain/email-address';
import { reviewerKey } from '../src/approval/domain/lifecycle';
import type { MacKeyring } from '../src/approval/domain/mac-keyring';
import type { DecisionOutput, Mailer, OutgoingEmail, TokenCipher } from '../src/approval/domain/ports';
import { MAX_COMMENT_CHARS, maxCommentChars } from '../src/approval/domain/review-form';
import { createRequestHandler } from '../src/approval/handlers/request-handler';
import type { AppLogger } from '../src/approval/logger';
import { requestIdFor } from '../src/approval/services/request-approval';
import { decide } from '../src/approval/services/review-decision';
import { sweep } from '../src/approval/services/sweeper';
import type { BenchRow } from './bundles';
import { startBenchTable } from './dynalite-table';

/** DynamoDB's item size limit: 400 KB. */
export const ITEM_LIMIT_BYTES = 400 * 1024;
/** Step Functions' limit on a task's output (SendTaskSuccess): 256 KB. */
const TASK_OUTPUT_LIMIT_BYTES = 256 * 1024;
const REVIEW_URL = 'https://abcdef1234.execute-api.eu-west-1.amazonaws.com/review';
const DAY = 24 * 3600;
/** A 4-byte UTF-8 character (one code point, two UTF-16 units): the most bytes a counted character can take. */
const WIDE = '😀';

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
/** Dynalite's own item size, the one its 400 KB check uses (not part of its typed API). */
const dynaliteItemSize = (createRequire(__filename)('dynalite/db') as { itemSize(item: Record<string, AttributeValue>): number }).itemSize;

/** The size of a number: 1 byte, plus 1 per two significant digits (DynamoDB's documented approximation). */
function numberBytes(n: string): number {
  const digits = [...n].filter((c) => c >= '0' && c <= '9').join('');
  let first = 0;
  let last = digits.length;
  while (first < last && digits[first] === '0') first++;
  while (last > first && digits[last - 1] === '0') last--;
  return 1 + Math.ceil(Math.max(last - first, 1) / 2);
}

/** An attribute value's size under DynamoDB's rules. */
export function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberBytes(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueBytes(v), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + utf8(k) + valueBytes(v), 0);
  throw new Error(`unknown attribute type: ${Object.keys(value).join()}`);
}

/** An item's size: every attribute's name (UTF-8) and value. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueBytes(value), 0);
}

/** A distinct address of exactly 254 characters: a 64-character local part and a 189-character domain. */
function longestAddress(tag: string): string {
  const local = tag.padEnd(MAX_LOCAL_PART_CHARS, 'x');
  const domain = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(MAX_EMAIL_CHARS - MAX_LOCAL_PART_CHARS - 1 - 63 - 1 - 63 - 1 - 4)}.com`;
  const address = `${local}@${domain}`;
  if (address.length !== MAX_EMAIL_CHARS) throw new Error(`address is ${address.length} characters`);
  return address;
}

/** Random printable ASCII: what compresses least under deflate, so the sealed token is as long as it gets. */
function printable(chars: number): string {
  return [...randomBytes(chars)].map((b) => String.fromCharCode(0x21 + (b % 94))).join('');
}

/** KMS-sized envelope: the plaintext behind a 162-byte header (KMS adds about that much). */
const envelopeCipher: TokenCipher = {
  encrypt: async (plaintext) => Buffer.concat([randomBytes(162), plaintext]),
  decrypt: async (ciphertext) => Buffer.from(ciphertext).subarray(162),
};

class BenchMailer implements Mailer {
  failReminders = false;
  async send(email: OutgoingEmail): Promise<void> {
    if (this.failReminders && email.subject.startsWith('Reminder')) throw new Error('SES unavailable');
  }
}

const quiet = { info() {}, warn() {}, error() {}, debug() {}, addContext() {} } as unknown as AppLogger;
const kb = (bytes: number) => `${(bytes / 1024).toLocaleString('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} KB`;

export async function benchItemSize(keyring: MacKeyring): Promise<{ rows: BenchRow[]; notes: string[] }> {
  const table = await startBenchTable('approvals-size-bench');
  const { client, tableName } = table;
  try {
    const store = new DynamoRequestStore(client, tableName);
    const mailer = new BenchMailer();
    let clock = new Date('2026-11-30T12:00:00.000Z');
    let output: DecisionOutput | undefined;
    const callback = { succeed: async (_token: string, out: DecisionOutput) => void (output = out) };

    const token = printable(MAX_TOKEN_CHARS);
    const task = {
      taskToken: token,
      // The longest execution ARN the contract takes.
      executionId: `arn:aws:states:eu-west-1:123456789012:execution:${'m'.repeat(80)}:`.padEnd(MAX_EXECUTION_ID_CHARS, 'x'),
      idempotencyKey: 'k'.repeat(512),
      request: {
        subject: WIDE.repeat(MAX_SUBJECT_CHARS),
        summary: WIDE.repeat(MAX_SUMMARY_CHARS),
        details: WIDE.repeat(MAX_DETAILS_CHARS),
        reviewers: Array.from({ length: MAX_REVIEWERS }, (_, i) => longestAddress(`reviewer${i}`)),
        requestedBy: longestAddress('author'),
        requiredApprovals: MAX_REVIEWERS,
        escalateTo: Array.from({ length: MAX_REVIEWERS }, (_, i) => longestAddress(`lead${i}`)),
        escalateAfterSeconds: 60,
        ttlSeconds: 7 * DAY,
      },
    };
    const request = createRequestHandler({ store, executions: new DynamoExecutionRegistry(client, tableName), cipher: envelopeCipher, mailer, keyring: () => keyring, reviewUrl: REVIEW_URL, logger: quiet, now: () => clock });
    await request(task);
    const requestId = requestIdFor(token, task.idempotencyKey);

    const steps: { step: string; bytes: number; dynalite: number }[] = [];
    const measure = async (step: string) => {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: requestKey(requestId).pk }, sk: { S: requestKey(requestId).sk } }, ConsistentRead: true }));
      if (!Item) throw new Error('item size: the request was not stored');
      steps.push({ step, bytes: itemBytes(Item), dynalite: dynaliteItemSize(Item) });
      return Item;
    };
    await measure('created (50 reviewers emailed)');

    const sweepDeps = {
      store,
      cursor: new DynamoSweepCursor(client, tableName),
      mailer,
      keyring,
      reviewUrl: REVIEW_URL,
      cipher: envelopeCipher,
      callback,
      defaults: { remindBeforeSeconds: DAY },
    };
    clock = new Date(clock.getTime() + 120_000);
    const escalation = await sweep(sweepDeps, clock);
    if (escalation.escalated !== 1) throw new Error('item size: escalation did not happen');
    await measure('escalated (+50 reviewers emailed)');

    clock = new Date(clock.getTime() + 6 * DAY * 1000);
    mailer.failReminders = true;
    const reminded = await sweep(sweepDeps, clock);
    mailer.failReminders = false;
    const failedReminders = reminded.problems.filter((p) => p.step === 'remind' && p.code === 'EMAIL_DELIVERY_FAILED').length;
    if (failedReminders !== 2 * MAX_REVIEWERS) throw new Error(`item size: ${failedReminders} reminders claimed and failed`);
    await measure('100 reminders, every send failed');

    const client0 = { ip: '2001:db8:85a3::8a2e:370:7334', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36' };
    for (let i = 0; i < 2 * MAX_REVIEWERS; i++) await store.recordOpened(requestId, i, auditEvent('opened', clock, reviewerKey(i), keyring, client0, 'approve'));
    await measure('100 links opened');

    const quorumComment = WIDE.repeat(maxCommentChars(MAX_REVIEWERS));
    const reviewDeps = { store, cipher: envelopeCipher, callback, keyring, mailer };
    // The escalation reviewers (two-digit indices, the longest vote keys) approve; the 50th decides.
    for (let i = MAX_REVIEWERS; i < 2 * MAX_REVIEWERS; i++) {
      clock = new Date(clock.getTime() + 1000);
      const comment = i === 2 * MAX_REVIEWERS - 1 ? WIDE.repeat(MAX_COMMENT_CHARS) : quorumComment;
      await decide({ requestId, voter: { kind: 'reviewer', index: i }, decision: 'approved', comment }, reviewDeps, clock, client0);
      if (i === 2 * MAX_REVIEWERS - 2) await measure(`49 approvals, each with a ${maxCommentChars(MAX_REVIEWERS).toLocaleString('en-GB')}-character comment`);
    }
    const final = await measure(`the 50th approval (a ${MAX_COMMENT_CHARS.toLocaleString('en-GB')}-character comment) decides; delivered`);
    if (final.status?.S !== 'APPROVED' || !output) throw new Error(`item size: ended ${final.status?.S}`);

    const largest = steps.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const attributes = Object.entries(final)
      .map(([name, value]) => [name, utf8(name) + valueBytes(value)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5);
    const outputBytes = utf8(JSON.stringify(output));
    const rows: BenchRow[] = [
      ...steps.map((s) => ({ figure: `item after: ${s.step}`, value: kb(s.bytes), target: '' })),
      { figure: 'largest request item the flow produces', value: `${kb(largest.bytes)} (${Math.round((100 * largest.bytes) / ITEM_LIMIT_BYTES)}%)`, target: '< 400 KB', pass: largest.bytes < ITEM_LIMIT_BYTES },
      { figure: '  headroom under the limit', value: kb(ITEM_LIMIT_BYTES - largest.bytes), target: '' },
      { figure: 'its decision output (SendTaskSuccess, UTF-8 JSON)', value: `${kb(outputBytes)} (${Math.round((100 * outputBytes) / TASK_OUTPUT_LIMIT_BYTES)}%)`, target: '< 256 KB', pass: outputBytes < TASK_OUTPUT_LIMIT_BYTES },
    ];
    const notes = [
      `Largest attributes: ${attributes.map(([name, bytes]) => `${name} ${kb(bytes)}`).join(', ')}. ${(final.audit?.L ?? []).length} audit events.`,
      `Built through the request handler (contract validation included), the sweeper, recordOpened and decide, on dynalite; the item read back after each step and sized by DynamoDB's rules (strings in UTF-8 bytes). Text is all 4-byte characters: ${MAX_COMMENT_CHARS.toLocaleString('en-GB')} characters of comment are ${(4 * MAX_COMMENT_CHARS).toLocaleString('en-GB')} bytes, so 50 full comments would be ${kb(50 * 4 * MAX_COMMENT_CHARS)} on their own; an approval that does not decide carries at most ${maxCommentChars(MAX_REVIEWERS).toLocaleString('en-GB')} at a quorum of 50 (50,000 shared), and up to a quorum of 25 every vote takes ${MAX_COMMENT_CHARS.toLocaleString('en-GB')} (25 × 2,000 is the same 50,000).`,
      `Dynalite's own 400 KB check counts a string's UTF-16 units: it sizes this item at ${kb(largest.dynalite)}, so it would let through items DynamoDB refuses; the limit is checked here by size, not by a write failing in tests.`,
      `What still grows without a bound: each delivery attempt that fails before Step Functions is reached (throttled, say) keeps its "voted" audit line (~100 bytes) when the vote is taken back, so about ${Math.floor((ITEM_LIMIT_BYTES - largest.bytes) / 100).toLocaleString('en-GB')} such failures on one request would fill the headroom.`,
    ];
    return { rows, notes };
  } finally {
    client.destroy();
    await table.stop();
  }
}
