/**
 * The `awslambda` global the Node.js Lambda runtime provides for response streaming, for calling a
 * streamified handler in the bench's own process, and the moment the caller had its last byte.
 */
import { Writable } from 'node:stream';

const STREAMING = Symbol.for('smartdental.bench.streaming');

class CollectingStream extends Writable {
  statusCode = 200;
  chunks: Buffer[] = [];
  override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
    callback();
  }
}

/** Installs `awslambda.streamifyResponse` and `HttpResponseStream` unless a runtime did already. */
export function installStreamingGlobal(): void {
  const global = globalThis as Record<string, any>;
  global.awslambda = global.awslambda ?? {};
  if (typeof global.awslambda.streamifyResponse === 'function') return;
  Object.assign(global.awslambda, {
    streamifyResponse<T extends (...args: any[]) => any>(handler: T): T {
      (handler as unknown as Record<symbol, boolean>)[STREAMING] = true;
      return handler;
    },
    HttpResponseStream: {
      from(stream: CollectingStream, metadata: { statusCode?: number }) {
        stream.statusCode = metadata.statusCode ?? 200;
        return stream;
      },
    },
  });
}

export interface StreamedAnswer {
  statusCode: number;
  body: string;
  /** `performance.now()` when the stream ended: the caller's last byte. */
  lastByteAt: number;
}

/** Invokes a streamified handler; resolves when both the stream and the handler have finished. */
export async function invokeStreaming(handler: (...args: any[]) => Promise<unknown>, event: unknown, context: unknown): Promise<StreamedAnswer> {
  if (!(handler as unknown as Record<symbol, boolean>)[STREAMING]) throw new Error('handler is not streamified');
  const stream = new CollectingStream();
  let lastByteAt = Number.NaN;
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('finish', () => {
      lastByteAt = performance.now();
      resolve();
    });
    stream.on('error', reject);
  });
  await handler(event, stream, context);
  if (!stream.writableEnded) stream.end();
  await finished;
  return { statusCode: stream.statusCode, body: Buffer.concat(stream.chunks).toString('utf8'), lastByteAt };
}
