/**
 * The `awslambda` global the Node.js Lambda runtime provides for response streaming, for
 * in-process tests: a streamified handler is called with a collecting stream, and
 * {@link invokeStreaming} returns what API Gateway would relay (status, headers, body text).
 */
import { Writable } from 'node:stream';

const STREAMING = Symbol.for('smartdental.test.streaming');

class CollectingStream extends Writable {
  statusCode = 200;
  headers: Record<string, string> = {};
  chunks: Buffer[] = [];
  /** Fails the write after this many chunks, as a client that hangs up does. */
  constructor(private readonly failAfterChunks = Infinity) {
    super();
  }
  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.chunks.length >= this.failAfterChunks) return callback(new Error('client disconnected'));
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    callback();
  }
}

export function installAwsLambdaGlobal(): void {
  // Other packages (the Lambda invoke store) may have created the global already: add to it.
  const global = globalThis as Record<string, any>;
  global.awslambda = global.awslambda ?? {};
  if (typeof global.awslambda.streamifyResponse === 'function') return;
  Object.assign(global.awslambda, {
    streamifyResponse<T extends (...args: any[]) => any>(handler: T): T {
      (handler as unknown as Record<symbol, boolean>)[STREAMING] = true;
      return handler;
    },
    HttpResponseStream: {
      from(stream: CollectingStream, metadata: { statusCode?: number; headers?: Record<string, string> }) {
        stream.statusCode = metadata.statusCode ?? 200;
        stream.headers = metadata.headers ?? {};
        return stream;
      },
    },
  });
}

export interface StreamedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Invokes a streamified handler and waits until it has ended its stream. */
export async function invokeStreaming(
  handler: (...args: any[]) => Promise<unknown>,
  event: unknown,
  context: unknown,
  options: { failAfterChunks?: number } = {},
): Promise<StreamedResponse> {
  if (!(handler as unknown as Record<symbol, boolean>)[STREAMING]) throw new Error('handler is not streamified');
  const stream = new CollectingStream(options.failAfterChunks);
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  if (options.failAfterChunks !== undefined) {
    // The caller hung up: the handler's pipeline fails, and what matters is what it cleaned up.
    await Promise.resolve(handler(event, stream, context)).catch(() => undefined);
    await finished.catch(() => undefined);
    return { statusCode: stream.statusCode, headers: stream.headers, body: Buffer.concat(stream.chunks).toString('utf8') };
  }
  await handler(event, stream, context);
  if (!stream.writableEnded) stream.end();
  await finished;
  return { statusCode: stream.statusCode, headers: stream.headers, body: Buffer.concat(stream.chunks).toString('utf8') };
}
