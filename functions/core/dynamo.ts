/**
 * The DynamoDB document client every adapter shares. In Lambda it is created once per cold
 * start and reused by warm invocations. The SDK itself honours `AWS_ENDPOINT_URL_DYNAMODB`, which
 * is how the local runtime points the very same code at dynalite.
 *
 * Timeouts. Every attempt of every request is bounded by the time the invocation has left: a
 * DynamoDB call that hangs must end as a typed 503 while the function can still answer, not as a
 * Lambda timeout. The invocation's deadline comes from `context.getRemainingTimeInMillis()`
 * ({@link boundDynamoRequestsByInvocation}) or from a deadline derived from it (the task runtime
 * passes its route deadline, {@link boundDynamoRequestsBy}); Lambda runs one invocation at a
 * time per execution environment, so one deadline per module is the invocation's. Without a
 * deadline (scripts, tests that never set one) requests have no request timeout: under a loaded
 * laptop a slow-but-working dynalite must not turn into spurious 503s.
 *
 * - `requestTimeout` (per attempt, the whole request including its connection) = the time left,
 *   and `throwOnRequestTimeout`, without which @smithy/node-http-handler ≥ 4.4 only warns
 *   (https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-smithy-node-http-handler,
 *   https://github.com/aws/aws-sdk-js-v3/blob/main/supplemental-docs/CLIENTS.md#request-handler-requesthandler).
 * - `connectionTimeout` 1 s, and never more than the time left (the request timeout covers the
 *   connection phase too): an unreachable DynamoDB is a quick 503 instead of a hang.
 *   `DYNAMODB_CONNECTION_TIMEOUT_MS` changes it. The laptop stand-ins set it higher: there dynalite
 *   answers from a process whose event loop the tests and other functions keep busy, so its
 *   `connect` can lag by seconds on a loaded machine, which is the host's lag, not DynamoDB's.
 * - Keep-alive agents, so a warm function reuses its TCP and TLS connection instead of paying a
 *   new handshake per call (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-reusing-connections.html);
 *   256 sockets, since the SDK's default of 50 queues (and warns) under the local runtime's concurrency.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const CONNECTION_TIMEOUT_MS = Number(process.env.DYNAMODB_CONNECTION_TIMEOUT_MS) || 1_000;
/** The least an attempt is given, so a call made right at the deadline still gets one short try. */
const MIN_REQUEST_TIMEOUT_MS = 200;
/** Kept back from Lambda's own end so the function can still write its 503. */
const INVOCATION_RESERVE_MS = 250;

type HttpHandlerOptions = NonNullable<Parameters<NodeHttpHandler['handle']>[1]>;

let invocationDeadline: number | undefined;

/** Bounds this instance's DynamoDB requests by an epoch-ms deadline (until the next call); undefined lifts the bound. */
export function boundDynamoRequestsBy(deadlineEpochMs: number | undefined): void {
  invocationDeadline = deadlineEpochMs;
}

/** Bounds this instance's DynamoDB requests by what the invocation has left. */
export function boundDynamoRequestsByInvocation(context: { getRemainingTimeInMillis(): number }): void {
  boundDynamoRequestsBy(Date.now() + context.getRemainingTimeInMillis() - INVOCATION_RESERVE_MS);
}

/** The request timeout for an attempt starting now; undefined when no deadline is set. */
export function dynamoRequestTimeoutMs(now = Date.now()): number | undefined {
  return invocationDeadline === undefined ? undefined : Math.max(MIN_REQUEST_TIMEOUT_MS, Math.floor(invocationDeadline - now));
}

/** NodeHttpHandler whose every attempt (retries included) gets the time the invocation has left. */
class DeadlineBoundHttpHandler extends NodeHttpHandler {
  override handle(request: Parameters<NodeHttpHandler['handle']>[0], options: HttpHandlerOptions = {}): ReturnType<NodeHttpHandler['handle']> {
    const left = dynamoRequestTimeoutMs();
    const requestTimeout = left === undefined ? options.requestTimeout : Math.min(left, options.requestTimeout ?? left);
    return super.handle(request, { ...options, requestTimeout });
  }
}

function requestHandler(): NodeHttpHandler {
  return new DeadlineBoundHttpHandler({
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    throwOnRequestTimeout: true,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
  });
}

/** Creates a new document client; pass `endpoint` to talk to a specific dynalite. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ maxAttempts: 3, requestHandler: requestHandler(), ...config });
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
