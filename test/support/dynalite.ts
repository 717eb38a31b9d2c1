/**
 * DynamoDB for tests: dynalite (a real implementation of the DynamoDB API, in memory) on a free
 * loopback port. Conditional writes are the heart of exactly-once, so tests run them for real
 * instead of stubbing answers. A middleware records every command the code sends.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DynamoDBClient, ScanCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../../src/approval/adapters/table-schema';

export interface TestTable {
  client: DynamoDBClient;
  tableName: string;
  /** Names of the commands sent through `client` (e.g. "PutCommand", "UpdateCommand"). */
  calls: string[];
  /** Makes the next `count` commands named `command` fail with `error`. */
  failNext(command: string, error: Error, count?: number): void;
  /** Every item in the table, for "nothing changed" assertions. */
  snapshot(): Promise<unknown[]>;
  stop(): Promise<void>;
}

let tableCounter = 0;

export async function startTestTable(): Promise<TestTable> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const tableName = `approvals-test-${++tableCounter}`;
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  // dynalite turns a new table ACTIVE on a timer; until then it answers ResourceNotFound.
  await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 0.02, maxDelay: 0.1 }, { TableName: tableName });

  const calls: string[] = [];
  const failures: { command: string; error: Error; left: number }[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? '');
      if (!['CreateTableCommand', 'ScanCommand'].includes(name)) calls.push(name);
      const failure = failures.find((f) => f.command === name && f.left > 0);
      if (failure) {
        failure.left--;
        throw failure.error;
      }
      return next(args);
    },
    { step: 'initialize', name: 'testRecorder' },
  );

  return {
    client,
    tableName,
    calls,
    failNext: (command, error, count = 1) => failures.push({ command, error, left: count }),
    snapshot: async () => (await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items ?? [],
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
