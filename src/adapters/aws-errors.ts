/** Classifies SDK exceptions without importing SDK types: adapters map them to ApprovalError codes. */
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

export function isThrottle(err: unknown): boolean {
  return THROTTLE_NAMES.has(errorName(err)) || (typeof err === 'object' && err !== null && (err as SdkError).$retryable?.throttling === true);
}
