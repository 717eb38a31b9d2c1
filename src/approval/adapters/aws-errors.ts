/** Classifies SDK exceptions without importing SDK types: adapters map them to ApprovalError codes. */
import { ApprovalError } from '../domain/errors';

const THROTTLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'KMSThrottlingException',
]);

interface SdkError {
  name?: string;
  $retryable?: { throttling?: boolean };
}

export function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as SdkError).name === 'string' ? (err as SdkError).name! : 'Error';
}

/** Failures that say nothing about the request itself: the service or the network. */
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ServiceUnavailable', 'InternalFailure']);

/** A server-side fault (5xx) or a network failure: worth trying again, and the outcome may be unknown. */
export function isTransient(err: unknown): boolean {
  const e = err as { $fault?: string; code?: string } | null;
  return TRANSIENT_NAMES.has(errorName(err)) || (typeof e === 'object' && e !== null && (e.$fault === 'server' || TRANSIENT_NAMES.has(String(e.code))));
}

/**
 * An SDK failure as the service's own error: THROTTLED, UNAVAILABLE (a 5xx or a network failure:
 * retry later), or `fallback` (the error itself when none is given) for everything else.
 */
export function serviceError(err: unknown, fallback?: 'INTERNAL'): unknown {
  if (isThrottle(err)) return new ApprovalError('THROTTLED', { cause: err });
  if (isTransient(err)) return new ApprovalError('UNAVAILABLE', { cause: err });
  return fallback ? new ApprovalError(fallback, { cause: err }) : err;
}

export function isThrottle(err: unknown): boolean {
  return THROTTLE_NAMES.has(errorName(err)) || (typeof err === 'object' && err !== null && (err as SdkError).$retryable?.throttling === true);
}
