/**
 * The DynamoDB document client every adapter shares. In Lambda it is created once per cold
 * start and reused by warm invocations. The SDK itself honours `AWS_ENDPOINT_URL_DYNAMODB`, which
 * is how the local runtime points the very same code at dynalite.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Socket limits sized for a function that fans out a handful of ADDs per request; the SDK's
 * default of 50 sockets queues (and warns) under the local runtime's concurrency. A short
 * connection timeout turns an unreachable DynamoDB into a quick, typed 503 instead of a hang.
 * No request timeout: under a loaded laptop a slow-but-working dynalite must not turn into
 * spurious 503s, and in Lambda the function timeout bounds a hung call.
 */
const DEFAULT_CLIENT_CONFIG: DynamoDBClientConfig = {
  maxAttempts: 3,
  requestHandler: {
    connectionTimeout: 1_000,
    httpAgent: { keepAlive: true, maxSockets: 256 },
    httpsAgent: { keepAlive: true, maxSockets: 256 },
  },
};

/** Creates a new document client; pass `endpoint` to talk to a specific dynalite. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...DEFAULT_CLIENT_CONFIG, ...config });
  return DynamoDBDocumentClient.from(client, {
    // Optional fields of our records (a job's result, an error) may be undefined.
    marshallOptions: { removeUndefinedValues: true },
  });
}

let shared: DynamoDBDocumentClient | undefined;

/** The module-scope client of this function instance, created on first use. */
export function documentClient(): DynamoDBDocumentClient {
  shared ??= createDocumentClient();
  return shared;
}
