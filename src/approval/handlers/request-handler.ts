import type { Context } from 'aws-lambda';
import { ApprovalError, toApprovalError, type ErrorCode } from '../domain/errors';
import { taskErrorName } from '../task-contract';
import type { MacKeyring } from '../domain/mac-keyring';
import type { ExecutionRegistry, Mailer, TokenCipher } from '../domain/ports';
import type { RequestWriter } from '../domain/request-store';
import { logFailure, type AppLogger } from '../logger';
import { requestApproval, type RequestApprovalResult } from '../services/request-approval';

export interface RequestHandlerDeps {
  store: RequestWriter;
  executions: ExecutionRegistry;
  cipher: TokenCipher;
  mailer: Mailer;
  keyring: () => Promise<MacKeyring> | MacKeyring;
  reviewUrl: string;
  logger: AppLogger;
  now?: () => Date;
}

/** The error Step Functions sees: its name is the task's error (for Retry/Catch), its message is safe. */
export class TaskError extends Error {
  constructor(code: ErrorCode, details: string[] = []) {
    super(details.length > 0 ? details.join('; ') : code);
    this.name = taskErrorName(code);
  }
}

/**
 * The request Lambda, invoked by `lambda:invoke.waitForTaskToken` with `{ taskToken, request }`.
 * A bad request fails the task (InvalidApprovalRequest) without storing or emailing anything.
 */
export function createRequestHandler(deps: RequestHandlerDeps) {
  const now = deps.now ?? (() => new Date());
  return async (event: unknown, context?: Context): Promise<RequestApprovalResult> => {
    if (context) deps.logger.addContext(context);
    try {
      const keyring = await deps.keyring();
      const result = await requestApproval(event, { ...deps, keyring }, now());
      deps.logger.info('approval requested', { ...result });
      return result;
    } catch (err) {
      const error = toApprovalError(err);
      logFailure(deps.logger, 'approval request', error, { details: error.details });
      throw new TaskError(error.code, error instanceof ApprovalError ? error.details : undefined);
    }
  };
}
