/**
 * The ledger's DynamoDB client ends a request that hangs when the invocation's time is up,
 * instead of hanging with it. The server here accepts connections and never answers (a
 * DynamoDB endpoint that stopped responding); the test waits for the client's rejection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { boundDynamoRequestsBy, boundDynamoRequestsByInvocation, createDocumentClient, dynamoRequestTimeoutMs } from '../../../functions/core/dynamo';
import { DependencyUnavailableError } from '../../../functions/core/errors';
import { DynamoUsageLedger } from '../../../functions/core/usage-ledger';

let server: Server;
const sockets: Socket[] = [];
let endpoint: string;

beforeAll(async () => {
  server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  boundDynamoRequestsBy(undefined);
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const client = () => createDocumentClient({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

it('takes its request timeout from the time the invocation has left', () => {
  boundDynamoRequestsByInvocation({ getRemainingTimeInMillis: () => 10_000 });
  const left = dynamoRequestTimeoutMs()!;
  expect(left).toBeGreaterThan(9_000);
  expect(left).toBeLessThanOrEqual(10_000 - 250);
  boundDynamoRequestsBy(undefined);
  expect(dynamoRequestTimeoutMs()).toBeUndefined();
});

it('a request to a DynamoDB that never answers fails with a timeout once the deadline has passed, not at the Lambda timeout', async () => {
  const doc = client();
  try {
    boundDynamoRequestsBy(Date.now() + 300);
    const error = await doc.send(new GetCommand({ TableName: 'test-usage', Key: { pk: 'a', sk: 'b' } })).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
  } finally {
    boundDynamoRequestsBy(undefined);
    doc.destroy();
  }
});

it('the ledger turns that timeout into its typed 503', async () => {
  const doc = client();
  const ledger = new DynamoUsageLedger({ doc, tableName: 'test-usage' });
  try {
    boundDynamoRequestsBy(Date.now() + 300);
    const error = await ledger.reserve({ task: 'chat', tokens: 10, dailyTokenBudget: 100, tokensPerMinute: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
  } finally {
    boundDynamoRequestsBy(undefined);
    doc.destroy();
  }
});
