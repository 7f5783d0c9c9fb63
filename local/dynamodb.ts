/**
 * Embedded DynamoDB for `npm start`, tests and benchmarks: dynalite in this process, spoken to
 * over a real socket by the same SDK adapters that run in Lambda.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { CACHE_TABLE, JOBS_TABLE, PRACTICE_OVERRIDES_TABLE, USAGE_TABLE, type TableDefinition } from '../functions/core/tables';
import { closeServer, listenOnLoopback } from './loopback-server';

export interface EmbeddedDynamoDb {
  /** `http://127.0.0.1:<port>`; give it to the SDK as `endpoint` or `AWS_ENDPOINT_URL_DYNAMODB`. */
  endpoint: string;
  close(): Promise<void>;
}

export interface StartDynamoDbOptions {
  /** LevelDB directory that keeps the data across restarts; in memory when absent. */
  dataDir?: string;
  /** @default 0 (a free port) */
  port?: number;
}

export async function startDynamoDb(options: StartDynamoDbOptions = {}): Promise<EmbeddedDynamoDb> {
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listenOnLoopback(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
}

/** Physical table names, as the stack passes them in `USAGE_TABLE`, `CACHE_TABLE`, `JOBS_TABLE`. */
export interface TableNames {
  usage: string;
  cache: string;
  jobs: string;
  /** `PRACTICE_OVERRIDES_TABLE`; created only when named. */
  practiceOverrides?: string;
}

/**
 * Creates the gateway's tables (the key schemas of functions/core/tables.ts, on demand) unless
 * they exist, so a `--data-dir` database survives restarts. TTL is not configured: dynalite has
 * no UpdateTimeToLive, and the adapters ignore expired items on read anyway.
 */
export async function createTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const wanted: Array<[string, TableDefinition]> = [
    [names.usage, USAGE_TABLE],
    [names.cache, CACHE_TABLE],
    [names.jobs, JOBS_TABLE],
    ...(names.practiceOverrides ? [[names.practiceOverrides, PRACTICE_OVERRIDES_TABLE] as [string, TableDefinition]] : []),
  ];
  for (const [tableName, definition] of wanted) {
    // A `--data-dir` database from before an index existed keeps its tables without it (dynalite
    // cannot add one later); the per-practice report then says so.
    if (await tableExists(client, tableName)) continue;
    const keys: KeySchemaElement[] = [{ AttributeName: definition.partitionKey, KeyType: 'HASH' }];
    const attributes: AttributeDefinition[] = [{ AttributeName: definition.partitionKey, AttributeType: 'S' }];
    if (definition.sortKey) {
      keys.push({ AttributeName: definition.sortKey, KeyType: 'RANGE' });
      attributes.push({ AttributeName: definition.sortKey, AttributeType: 'S' });
    }
    const indexes = definition.indexes ?? [];
    for (const index of indexes) {
      for (const name of [index.partitionKey, index.sortKey]) {
        if (name && !attributes.some((a) => a.AttributeName === name)) attributes.push({ AttributeName: name, AttributeType: 'S' });
      }
    }
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: keys,
        AttributeDefinitions: attributes,
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes:
          indexes.length === 0
            ? undefined
            : indexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' as const }, ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }] : [])],
                Projection: { ProjectionType: 'KEYS_ONLY' as const },
              })),
      }),
    );
  }
  // dynalite turns a table ACTIVE on a timer, later still with a data directory on disk; a write
  // before that is a ResourceNotFoundException, so wait as a client of real DynamoDB would.
  for (const [tableName] of wanted) await waitUntilActive(client, tableName);
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus ?? 'ACTIVE';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  return (await tableStatus(client, tableName)) !== undefined;
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await tableStatus(client, tableName)) === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
