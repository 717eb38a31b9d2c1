/**
 * What local Step Functions keeps about an execution, what it is given (state machines, local
 * Lambdas, DynamoDB), and the definition the interpreter runs in place of the deployed one.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AslDefinition } from '../blog/workflow/moderation-workflow';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** The task token of the latest entry (or retry) of a waiting task; '' before one. */
  taskToken: string;
  /** Every token this execution has issued: an earlier one answers TaskTimedOut, as on AWS. */
  taskTokens?: string[];
  /** The state that issued `taskToken`. */
  taskState?: string;
  /** `$$.State.EnteredTime` of that entry, kept stable across restarts. */
  enteredTime: string;
  /** When the waiting task times out (epoch ms), once it has been entered. */
  taskDeadline?: number;
  /** When it times out unless a heartbeat comes first (HeartbeatSeconds), epoch ms. */
  heartbeatDeadline?: number;
  /** The task that issued `taskToken` has ended (answered, failed, timed out): the token is dead. */
  taskClosed?: boolean;
  /** That task's Lambda returned (TaskSubmitted): a resumed run does not invoke it again. */
  taskSubmitted?: boolean;
  taskOpen?: boolean;
  /** The callback for the current token, once delivered: replayed if the execution is re-run after a restart. */
  callback?: { output?: string; error?: string; cause?: string };
  /** Whether the end of this execution has been handed to every status-change listener (the local EventBridge rule). */
  endDelivered?: boolean;
  /** Epoch ms when the callback arrived and when the waiting task finished with it. */
  callbackAt?: number;
  resumedAt?: number;
  currentState?: string;
  visited: string[];
}

export type LocalLambda = (payload: unknown) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  dataDir: string;
  /** State machine ARN → its definition. */
  machines: Record<string, AslDefinition>;
  /** Function ARN → its local handler. */
  lambdas: Record<string, LocalLambda>;
  dynamodb: DynamoDBClient;
  port?: number;
  /** Days a closed execution and its history are kept (default 90, as on AWS). */
  retentionDays?: number;
}

/** The role every execution reports it runs as. */
export const ROLE_ARN = 'arn:aws:iam::000000000000:role/email-approval-local-states';
export const WAIT_SUFFIX = '.waitForTaskToken';
/** AWS's TimeoutSeconds for a Task that sets none: no timeout (the interpreter's own default is 60 s). */
export const NO_TIMEOUT_SECONDS = 99_999_999;

/** An error whose name is what a Retry, a Catch and the history see (`States.Timeout`, `Lambda.…`). */
export class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The definition the interpreter runs: every Task without a timeout gets AWS's default (none, not
 * the interpreter's 60 s); waiting tasks' TimeoutSeconds and HeartbeatSeconds are enforced by
 * local Step Functions from saved deadlines (so a restart keeps them), so the interpreter gets no
 * timeout for them; `startAt` resumes a run at the state the previous process stopped in.
 */
export function localDefinition(source: AslDefinition, startAt?: string): AslDefinition {
  const definition = JSON.parse(JSON.stringify(source)) as AslDefinition;
  for (const state of Object.values(definition.States)) {
    if (state.Type !== 'Task') continue;
    if (String(state.Resource).endsWith(WAIT_SUFFIX)) {
      state.TimeoutSeconds = NO_TIMEOUT_SECONDS;
      delete state.TimeoutSecondsPath;
      delete state.HeartbeatSeconds;
      delete state.HeartbeatSecondsPath;
    } else if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = NO_TIMEOUT_SECONDS;
    }
  }
  if (startAt !== undefined) definition.StartAt = startAt;
  return definition;
}
