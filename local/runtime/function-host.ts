/**
 * Runs inside a worker thread and hosts one Lambda function, as the Node.js Lambda runtime does:
 * the handler module is loaded once (cold start) and then serves invocations with a Lambda-like
 * context. The `awslambda` global the runtime provides (`streamifyResponse`,
 * `HttpResponseStream.from`) is installed first, so a streaming handler relays its chunks to the
 * HTTP response as they are written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Writable } from 'node:stream';
import type { Context } from 'aws-lambda';
import { STREAMING_HANDLER, type HostReply, type HostRequest, type InvocationContext } from './invocation-protocol';

export interface FunctionHostData {
  /** Absolute path of the handler module (TypeScript). */
  handlerFile: string;
  /** Exported name of the handler. @default 'handler' */
  handlerName?: string;
}

const port = parentPort;
if (!port) throw new Error('function-host must run in a worker thread');
const data = workerData as FunctionHostData;
const post = (reply: HostReply) => port.postMessage(reply);

/** The response stream a streaming handler writes to; each write crosses to the main thread. */
class RelayResponseStream extends Writable {
  private headSent = false;
  private contentType?: string;

  constructor(private readonly id: number) {
    super();
  }

  setContentType(contentType: string): void {
    this.contentType = contentType;
  }

  sendHead(statusCode: number, headers: Record<string, string>, cookies?: string[]): void {
    if (this.headSent) return;
    this.headSent = true;
    post({ type: 'stream-head', id: this.id, statusCode, headers, cookies });
  }

  private ensureHead(): void {
    if (!this.headSent) this.sendHead(200, { 'content-type': this.contentType ?? 'application/octet-stream' });
  }

  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.ensureHead();
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    post({ type: 'stream-chunk', id: this.id, chunk: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ensureHead();
    post({ type: 'stream-end', id: this.id });
    callback();
  }
}

type StreamingHandler = ((event: unknown, stream: RelayResponseStream, context: Context) => Promise<unknown>) & { [STREAMING_HANDLER]?: string };
type BufferedHandler = (event: unknown, context: Context) => Promise<unknown>;

// Merge, never replace: `@aws/lambda-invoke-store` (under Powertools) keeps its `InvokeStore` on
// this same global, and whichever side loads first must not wipe the other's members.
const lambdaGlobal = globalThis as { awslambda?: Record<string, unknown> };
lambdaGlobal.awslambda = lambdaGlobal.awslambda ?? {};
Object.assign(lambdaGlobal.awslambda, {
  streamifyResponse<T extends StreamingHandler>(handler: T): T {
    handler[STREAMING_HANDLER] = 'response';
    return handler;
  },
  HttpResponseStream: {
    from(stream: RelayResponseStream, metadata: { statusCode?: number; headers?: Record<string, string>; cookies?: string[] }) {
      stream.sendHead(metadata.statusCode ?? 200, metadata.headers ?? {}, metadata.cookies);
      return stream;
    },
  },
});

function lambdaContext(context: InvocationContext): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, context.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Response streams of invocations still running, so a hang-up can reach them. */
const openStreams = new Map<number, RelayResponseStream>();

async function invoke(handler: StreamingHandler, request: Extract<HostRequest, { type: 'invoke' }>): Promise<void> {
  const context = lambdaContext(request.context);
  if (handler[STREAMING_HANDLER] === 'response') {
    const stream = new RelayResponseStream(request.id);
    openStreams.set(request.id, stream);
    try {
      await handler(request.event, stream, context);
    } catch (error) {
      // A stream destroyed by the hang-up fails the handler's pipeline; nobody is left to answer.
      if (stream.destroyed) return void post({ type: 'stream-end', id: request.id });
      throw error;
    } finally {
      openStreams.delete(request.id);
    }
    if (stream.destroyed) return void post({ type: 'stream-end', id: request.id });
    // A handler may resolve without ending the stream; Lambda ends it then.
    if (!stream.writableEnded) await new Promise<void>((resolve) => stream.end(resolve));
    return;
  }
  const result = await (handler as unknown as BufferedHandler)(request.event, context);
  post({ type: 'result', id: request.id, result });
}

function describeError(error: unknown): { errorType: string; message: string; stack?: string } {
  if (error instanceof Error) return { errorType: error.name, message: error.message, stack: error.stack };
  return { errorType: 'Error', message: String(error) };
}

try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(data.handlerFile) as Record<string, unknown>;
  const handler = module[data.handlerName ?? 'handler'] as StreamingHandler | undefined;
  if (typeof handler !== 'function') throw new Error(`${data.handlerFile} does not export a function named '${data.handlerName ?? 'handler'}'`);
  port.on('message', (request: HostRequest) => {
    if (request.type === 'hang-up') return void openStreams.get(request.id)?.destroy();
    invoke(handler, request).catch((error: unknown) => post({ type: 'error', id: request.id, ...describeError(error) }));
  });
  post({ type: 'ready' });
} catch (error) {
  const { message, stack } = describeError(error);
  post({ type: 'load-error', message, stack });
}
