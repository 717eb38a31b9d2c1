/**
 * The request side of local Step Functions' API: AWS's name, ARN, token and size rules, request
 * fields read with AWS's errors (SerializationException, ValidationException), and paging.
 */
import { pageId, pageToken } from './execution-history';
import { ServiceError } from './json-protocol';

/**
 * Step Functions' name rules: 1 to 80 characters, none of them whitespace, brackets, wildcards,
 * `"#%\\^|~`$&,;:/` or control characters. One character class: linear time.
 */
export const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/u;
/** A task token as Step Functions issues them (base64, at most 2,048 characters). */
export const TOKEN = /^[A-Za-z0-9+/=]{16,2048}$/;
// ARNs of this service, checked before they are looked up: a malformed one is InvalidArn.
// Names count in code points, as EXECUTION_NAME does (the `u` flag).
export const MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[^:]{1,80}$/u;
export const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[^:]{1,80}:[^:]{1,80}$/u;
/** An execution's input and a task's output: at most 256 KB, as on AWS. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
export const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);

/** A request field that must be a string when present: anything else is SerializationException, as AWS answers. */
export function text(input: Record<string, unknown>, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceError('SerializationException', `${field} must be a string`);
  return value;
}

/** A whole-number request field (maxResults) within its range, or ValidationException. */
export function whole(input: Record<string, unknown>, field: string, max: number): number {
  const value = input[field];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number') throw new ServiceError('SerializationException', `${field} must be a number`);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new ServiceError('ValidationException', `${field} must be between 0 and ${max}`);
  return value;
}

/** SendTaskFailure's and StopExecution's error (≤ 256) and cause (≤ 32,768), as AWS limits them. */
export function errorAndCause(input: Record<string, unknown>): { error?: string; cause?: string } {
  const error = text(input, 'error');
  const cause = text(input, 'cause');
  if (error !== undefined && error.length > 256) throw new ServiceError('ValidationException', 'error must be at most 256 characters');
  if (cause !== undefined && cause.length > 32_768) throw new ServiceError('ValidationException', 'cause must be at most 32768 characters');
  return { ...(error ? { error } : {}), ...(cause !== undefined && cause !== '' ? { cause } : {}) };
}

/** Epoch ms as the epoch seconds the JSON protocol carries. */
export const seconds = (ms: number) => ms / 1000;

/**
 * A page of `items`, sorted by `keyOf` (descending if asked), from `nextToken` on: the token
 * holds the sort key of the next item, so a listing continues from there even if that item
 * has since left it (an execution that stopped while paging RUNNING ones). `maxResults` 0 or
 * absent means 100, at most 1,000.
 */
export function page<T>(items: T[], keyOf: (item: T) => string, input: Record<string, unknown>, descending = false): { items: T[]; nextToken?: string } {
  const max = whole(input, 'maxResults', 1000);
  const size = max === 0 ? 100 : max;
  let start = 0;
  const token = text(input, 'nextToken');
  if (token !== undefined) {
    let key: string;
    try {
      key = pageId(token);
    } catch {
      throw new ServiceError('InvalidToken', 'Invalid Token');
    }
    start = items.findIndex((item) => (descending ? keyOf(item) <= key : keyOf(item) >= key));
    if (start < 0) start = items.length;
  }
  const next = items[start + size];
  return { items: items.slice(start, start + size), ...(next !== undefined ? { nextToken: pageToken(keyOf(next)) } : {}) };
}

