import { Logger } from '@aws-lambda-powertools/logger';

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
