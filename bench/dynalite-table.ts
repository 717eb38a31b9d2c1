/** A DynamoDB table for a bench section: dynalite in memory on a free loopback port, the project's own table shape. */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { createTableInput } from '../src/approval/adapters/table-schema';

export interface BenchTable {
  client: DynamoDBClient;
  tableName: string;
  stop(): Promise<void>;
}

export async function startBenchTable(tableName: string): Promise<BenchTable> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 0.02, maxDelay: 0.1 }, { TableName: tableName });
  return {
    client,
    tableName,
    stop: () => {
      client.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
