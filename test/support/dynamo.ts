/**
 * Test harness: dynalite on a random port with the gateway's tables, plus a document client
 * pointed at it. Every integration test that needs DynamoDB starts one and closes it after.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../functions/core/dynamo';
import { createTables, startDynamoDb, type TableNames } from '../../local/dynamodb';

export interface DynamoHarness {
  endpoint: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  tables: TableNames & { practiceOverrides: string };
  close(): Promise<void>;
}

export const TEST_TABLES = { usage: 'test-usage', cache: 'test-cache', jobs: 'test-jobs', practiceOverrides: 'test-practice-overrides' } satisfies TableNames;

export async function startDynamoHarness(tables: TableNames & { practiceOverrides: string } = TEST_TABLES): Promise<DynamoHarness> {
  const dynamo = await startDynamoDb();
  const config = { endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const doc = createDocumentClient(config);
  const client = new DynamoDBClient(config);
  await createTables(client, tables);
  return {
    endpoint: dynamo.endpoint,
    client,
    doc,
    tables,
    async close() {
      doc.destroy();
      client.destroy();
      await dynamo.close();
    },
  };
}
