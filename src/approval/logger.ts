import { Logger } from '@aws-lambda-powertools/logger';
import type { ApprovalError } from './domain/errors';

/** What handlers need of a logger: Powertools' structured JSON logger fits, so does a test double. */
export type AppLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'addContext'>;

/** Structured JSON logs carrying the Lambda request id. Callers never pass tokens, ciphertexts or MACs. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** What may be logged about a failure: the error class name only, never its message or payload. */
export function describeCause(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof Error ? cause.name : undefined;
}

/**
 * Logs a failure the one way every handler does: faults (INTERNAL) as errors, refusals of bad
 * input as warnings; with the stable code, its finer reason when it has one, and the cause's
 * class name, never its message.
 */
export function logFailure(logger: AppLogger, what: string, error: ApprovalError, fields: Record<string, unknown> = {}): ApprovalError {
  const all = { code: error.code, ...(error.reason ? { reason: error.reason } : {}), ...fields, cause: describeCause(error) };
  if (error.code === 'INTERNAL') logger.error(`${what} failed`, all);
  else logger.warn(`${what} refused`, all);
  return error;
}
