/**
 * Messages between the runtime (main thread) and a function's worker thread. One worker hosts
 * one Lambda function; invocations are multiplexed over the port by id.
 */

/** What a Lambda context carries, minus the methods (rebuilt in the worker). */
export interface InvocationContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  /** Epoch ms at which the function times out. */
  deadline: number;
}

export type HostRequest =
  | { type: 'invoke'; id: number; event: unknown; context: InvocationContext }
  /** The client of a streamed response hung up: the response stream is destroyed, as the connection is. */
  | { type: 'hang-up'; id: number };

export type HostReply =
  | { type: 'ready' }
  | { type: 'load-error'; message: string; stack?: string }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; errorType: string; message: string; stack?: string }
  /** Response streaming: the HTTP status and headers (`awslambda.HttpResponseStream.from`). */
  | { type: 'stream-head'; id: number; statusCode: number; headers: Record<string, string>; cookies?: string[] }
  | { type: 'stream-chunk'; id: number; chunk: Uint8Array }
  | { type: 'stream-end'; id: number };

/** Set on a handler by `awslambda.streamifyResponse`, as the Node.js Lambda runtime does. */
export const STREAMING_HANDLER = Symbol.for('aws.lambda.runtime.handler.streaming');
