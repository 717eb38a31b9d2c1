/**
 * Local Step Functions' API over executions and state machines (StartExecution, StopExecution,
 * DescribeExecution, ListExecutions, GetExecutionHistory, ListStateMachines,
 * DescribeStateMachine, DescribeStateMachineForExecution) with AWS's shapes, pagination and
 * error codes. The task callbacks are in sfn-task-callbacks.ts.
 */
import { randomUUID } from 'node:crypto';
import type { AslDefinition } from '../blog/workflow/moderation-workflow';
import { historyPage } from './execution-history';
import { ServiceError, type Operation } from './json-protocol';
import { errorAndCause, EXECUTION_ARN, EXECUTION_NAME, MACHINE_ARN, MAX_PAYLOAD_BYTES, page, seconds, STATUSES, text, whole } from './sfn-input';
import { ROLE_ARN, type ExecutionRecord } from './sfn-model';
import type { ExecutionRunner } from './sfn-runner';
import type { ExecutionStore } from './sfn-store';

export interface ExecutionApiOptions {
  store: ExecutionStore;
  runner: ExecutionRunner;
  /** State machine ARN → its definition. */
  machines: Record<string, AslDefinition>;
  /** State machine ARN → its definition as written (the interpreter's validation adds fields to what it checks). */
  sources: Map<string, string>;
  /** When the state machines were created (epoch ms): when local Step Functions was made. */
  createdAt: number;
}

/** The API's operations, by `X-Amz-Target`. */
export function executionActions({ store, runner, machines, sources, createdAt }: ExecutionApiOptions): Record<string, Operation> {
  const machineFor = (arn: unknown): [string, AslDefinition] => {
    if (arn !== undefined && typeof arn !== 'string') throw new ServiceError('SerializationException', 'stateMachineArn must be a string');
    const text = arn ?? '';
    if (!MACHINE_ARN.test(text)) throw new ServiceError('InvalidArn', `Invalid Arn: '${text.slice(0, 200)}'`);
    const definition = machines[text];
    if (!definition) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${text}'`);
    return [text, definition];
  };

  const executionFor = (arn: unknown): ExecutionRecord => {
    if (arn !== undefined && typeof arn !== 'string') throw new ServiceError('SerializationException', 'executionArn must be a string');
    const text = arn ?? '';
    if (!EXECUTION_ARN.test(text)) throw new ServiceError('InvalidArn', `Invalid Arn: '${text.slice(0, 200)}'`);
    const record = store.executions.get(text);
    if (!record) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${text}'`);
    return record;
  };

  const startExecution = (input: Record<string, unknown>) => {
    const [stateMachineArn] = machineFor(input.stateMachineArn);
    const executionName = text(input, 'name') ?? randomUUID();
    if (!EXECUTION_NAME.test(executionName)) throw new ServiceError('InvalidName', `Invalid Name: '${executionName.slice(0, 100)}'`);
    const given = text(input, 'input') ?? '{}';
    if (Buffer.byteLength(given) > MAX_PAYLOAD_BYTES) throw new ServiceError('InvalidExecutionInput', 'Execution input exceeds the maximum size of 262144 bytes');
    try {
      JSON.parse(given);
    } catch {
      throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
    const existing = store.executions.get(executionArn);
    if (existing) {
      // Step Functions: the same name and input as a RUNNING execution is that execution (an
      // idempotent start); a closed one's name, or other input, is refused.
      if (existing.input !== given || existing.status !== 'RUNNING') throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      return { executionArn, startDate: seconds(existing.startDate) };
    }
    const now = Date.now();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name: executionName,
      input: given,
      status: 'RUNNING',
      startDate: now,
      taskToken: '',
      taskTokens: [],
      enteredTime: new Date(now).toISOString(),
      visited: [],
    };
    store.executions.set(executionArn, record);
    store.save(record);
    store.addEvent(record, 'ExecutionStarted', { input: given, inputDetails: { truncated: false }, roleArn: ROLE_ARN }, now);
    runner.run(record, false);
    return { executionArn, startDate: seconds(now) };
  };

  /** StopExecution: a RUNNING execution ends ABORTED (with the given error and cause, if any). */
  const stopExecution = (input: Record<string, unknown>) => {
    const record = executionFor(input.executionArn);
    if (record.status === 'RUNNING') {
      runner.abort(record.executionArn);
      runner.finish(record, 'ABORTED', errorAndCause(input));
    }
    return { stopDate: seconds(record.stopDate ?? Date.now()) };
  };

  const describe = (input: Record<string, unknown>) => {
    const record = executionFor(input.executionArn);
    return {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: seconds(record.startDate),
      ...(record.stopDate ? { stopDate: seconds(record.stopDate) } : {}),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.cause !== undefined ? { cause: record.cause } : {}),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  };

  const listExecutions = (input: Record<string, unknown>) => {
    if (input.stateMachineArn === undefined) throw new ServiceError('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
    const [stateMachineArn] = machineFor(input.stateMachineArn);
    const status = text(input, 'statusFilter');
    if (status !== undefined && !STATUSES.has(status)) throw new ServiceError('ValidationException', `statusFilter must be one of ${[...STATUSES].join(', ')}`);
    // Newest first: the start time (fixed width, so text order is time order), then the ARN.
    const keyOf = (r: ExecutionRecord) => `${String(r.startDate).padStart(15, '0')}|${r.executionArn}`;
    const matching = [...store.executions.values()]
      .filter((r) => r.stateMachineArn === stateMachineArn && (status === undefined || r.status === status))
      .sort((a, b) => (keyOf(a) < keyOf(b) ? 1 : -1));
    const { items, nextToken } = page(matching, keyOf, input, true);
    return {
      executions: items.map((r) => ({
        executionArn: r.executionArn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: seconds(r.startDate),
        ...(r.stopDate ? { stopDate: seconds(r.stopDate) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  };

  const getExecutionHistory = (input: Record<string, unknown>) => {
    const record = executionFor(input.executionArn);
    const max = whole(input, 'maxResults', 1000);
    const token = text(input, 'nextToken');
    try {
      return historyPage(store.history(record.executionArn), {
        maxResults: max,
        ...(token !== undefined ? { nextToken: token } : {}),
        reverseOrder: input.reverseOrder === true,
        includeExecutionData: input.includeExecutionData !== false,
      });
    } catch (err) {
      if (err instanceof RangeError) throw new ServiceError('InvalidToken', 'Invalid Token');
      throw err;
    }
  };

  const machineSummary = (arn: string) => {
    return { stateMachineArn: arn, name: arn.slice(arn.lastIndexOf(':') + 1), type: 'STANDARD', creationDate: seconds(createdAt) };
  };

  const listStateMachines = (input: Record<string, unknown>) => {
    const { items, nextToken } = page(Object.keys(machines).sort(), (arn) => arn, input);
    return { stateMachines: items.map((arn) => machineSummary(arn)), ...(nextToken ? { nextToken } : {}) };
  };

  const machineDetails = (arn: string) => {
    return {
      stateMachineArn: arn,
      name: arn.slice(arn.lastIndexOf(':') + 1),
      definition: sources.get(arn)!,
      roleArn: ROLE_ARN,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  };

  const describeStateMachine = (input: Record<string, unknown>) => {
    const [arn] = machineFor(input.stateMachineArn);
    return { ...machineDetails(arn), status: 'ACTIVE', type: 'STANDARD', creationDate: seconds(createdAt) };
  };

  const describeStateMachineForExecution = (input: Record<string, unknown>) => {
    const record = executionFor(input.executionArn);
    const [arn] = machineFor(record.stateMachineArn);
    return { ...machineDetails(arn), updateDate: seconds(createdAt) };
  };

  return {
    'AWSStepFunctions.StartExecution': startExecution,
    'AWSStepFunctions.StopExecution': stopExecution,
    'AWSStepFunctions.DescribeExecution': describe,
    'AWSStepFunctions.ListExecutions': listExecutions,
    'AWSStepFunctions.GetExecutionHistory': getExecutionHistory,
    'AWSStepFunctions.ListStateMachines': listStateMachines,
    'AWSStepFunctions.DescribeStateMachine': describeStateMachine,
    'AWSStepFunctions.DescribeStateMachineForExecution': describeStateMachineForExecution,
  };
}
