import { ListTablesCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDocumentClient } from '../../functions/core/dynamo';
import { createTables, startDynamoDb } from '../../local/dynamodb';
import { startDynamoHarness, TEST_TABLES } from '../support/dynamo';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('embedded DynamoDB', () => {
  it('creates the tables with the key schemas of tables.ts (the ledger with its keys-only index), and a second call is a no-op', async () => {
    const harness = await startDynamoHarness();
    try {
      await createTables(harness.client, TEST_TABLES);
      const { TableNames } = await harness.client.send(new ListTablesCommand({}));
      expect(TableNames?.sort()).toEqual([TEST_TABLES.cache, TEST_TABLES.jobs, TEST_TABLES.practiceOverrides, TEST_TABLES.usage].sort());
      const usage = await harness.client.send(new DescribeTableCommand({ TableName: TEST_TABLES.usage }));
      expect(usage.Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(usage.Table?.TableStatus).toBe('ACTIVE');
      expect(usage.Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema, i.Projection?.ProjectionType])).toEqual([
        ['bySortKey', [{ AttributeName: 'sk', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }], 'KEYS_ONLY'],
      ]);
      const overrides = await harness.client.send(new DescribeTableCommand({ TableName: TEST_TABLES.practiceOverrides }));
      expect(overrides.Table?.KeySchema).toEqual([
        { AttributeName: 'practiceId', KeyType: 'HASH' },
        { AttributeName: 'task', KeyType: 'RANGE' },
      ]);
      const cache = await harness.client.send(new DescribeTableCommand({ TableName: TEST_TABLES.cache }));
      expect(cache.Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    } finally {
      await harness.close();
    }
  });

  it('listens on a free loopback port and frees it on close', async () => {
    const first = await startDynamoDb();
    const second = await startDynamoDb();
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(second.endpoint).not.toBe(first.endpoint);
    await first.close();
    await second.close();
    const client = new DynamoDBClient({ endpoint: first.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow();
    client.destroy();
  });

  it('keeps data across restarts with a data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dynalite-'));
    try {
      const first = await startDynamoDb({ dataDir });
      let doc = createDocumentClient({ endpoint: first.endpoint, region: 'us-east-1', credentials });
      const client = new DynamoDBClient({ endpoint: first.endpoint, region: 'us-east-1', credentials });
      await createTables(client, TEST_TABLES);
      await doc.send(new PutCommand({ TableName: TEST_TABLES.jobs, Item: { pk: 'JOB#1', status: 'queued' } }));
      doc.destroy();
      client.destroy();
      await first.close();

      const second = await startDynamoDb({ dataDir });
      doc = createDocumentClient({ endpoint: second.endpoint, region: 'us-east-1', credentials });
      const { Item } = await doc.send(new GetCommand({ TableName: TEST_TABLES.jobs, Key: { pk: 'JOB#1' } }));
      expect(Item).toEqual({ pk: 'JOB#1', status: 'queued' });
      doc.destroy();
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
