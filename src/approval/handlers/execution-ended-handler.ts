import type { Context } from 'aws-lambda';
import { enum as zEnum, literal, maxLength, minLength, nullable, object, optional, string } from 'zod/mini';
import type { ExecutionRegistry, Mailer } from '../domain/ports';
import type { CloserStore } from '../domain/request-store';
import { describeCause, type AppLogger } from '../logger';
import { closeRequestsOf, type ExecutionEndStatus } from '../services/close-requests';

/** Step Functions' "Execution Status Change" event as EventBridge delivers it (the fields we use). */
const statusChange = object({
  source: literal('aws.states'),
  'detail-type': literal('Step Functions Execution Status Change'),
  detail: object({
    executionArn: string().check(minLength(1), maxLength(2048)),
    name: string().check(minLength(1), maxLength(80)),
    status: zEnum(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    // The execution's input (EventBridge carries it when it fits): the post, for a post that was never stored.
    input: optional(nullable(string())),
  }),
});

export interface ExecutionEnded {
  input?: string | null;
  executionArn: string;
  name: string;
  status: ExecutionEndStatus;
}

/**
 * The event, or undefined for anything else (a RUNNING event, a test event, another source):
 * those are logged and ignored, since retrying them cannot help.
 */
export function parseExecutionEnded(event: unknown, logger: AppLogger): ExecutionEnded | undefined {
  const parsed = statusChange.safeParse(event);
  if (parsed.success) return parsed.data.detail;
  logger.warn('event ignored', { problems: parsed.error.issues.map((i) => i.path.join('.')) });
  return undefined;
}

export interface RequestCloserDeps {
  store: CloserStore;
  executions: ExecutionRegistry;
  mailer?: Mailer;
  logger: AppLogger;
  now?: () => Date;
}

/**
 * The approval core's handler for Step Functions execution status changes (an EventBridge
 * rule): closes the approval requests of an execution that ended. A failure throws, so Lambda's
 * asynchronous retries run it again (it is idempotent) and the Errors alarm tells an operator.
 */
export function createRequestCloserHandler(deps: RequestCloserDeps) {
  const now = deps.now ?? (() => new Date());
  return async (event: unknown, context?: Context) => {
    if (context) deps.logger.addContext(context);
    const ended = parseExecutionEnded(event, deps.logger);
    if (!ended) return { closed: 0 };
    try {
      const result = await closeRequestsOf(ended, deps, now());
      deps.logger.info('execution ended', { status: ended.status, closed: result.closed, told: result.told, untold: result.untold });
      return { closed: result.closed.length };
    } catch (err) {
      deps.logger.error('closing requests failed', { status: ended.status, error: err instanceof Error ? err.name : 'unknown', cause: describeCause(err) });
      throw err;
    }
  };
}
