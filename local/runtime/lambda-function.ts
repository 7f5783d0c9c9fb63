/**
 * One Lambda function on the laptop: its own worker thread with its own environment (as a
 * function gets its own execution environment), its handler loaded once, and a concurrency
 * ceiling enforced exactly as reserved concurrency is in AWS: an invocation beyond the limit is
 * throttled at once, never queued.
 *
 * Invocations share the worker's event loop instead of getting one thread each; module-scope
 * clients and caches are then shared as they are across warm invocations, and a thousand
 * threads for a limit of a thousand would cost more than they show.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FunctionHostData } from './function-host';
import type { HostReply, HostRequest, InvocationContext } from './invocation-protocol';

export const BOOTSTRAP_FILE = join(__dirname, 'function-host-bootstrap.cjs');

export interface LocalFunctionSpec {
  /** Short id used in stats and the banner: `clinical`, `imaging-worker`, `ops`. */
  id: string;
  /** Lambda function name, e.g. `smartdental-local-clinical`. */
  functionName: string;
  handlerFile: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** At most this many invocations at once. */
  concurrencyLimit: number;
  /** Discard the worker's stdout/stderr (tests). */
  quiet?: boolean;
}

export interface FunctionStats {
  functionName: string;
  inFlight: number;
  limit: number;
  /** Highest in-flight count seen since start. */
  peakInFlight: number;
  invocations: number;
  throttles: number;
  errors: number;
  timeouts: number;
  coldStarts: number;
}

/** Lambda's answer when reserved concurrency is used up (API Gateway turns it into 429). */
export class FunctionThrottledError extends Error {
  override name = 'TooManyRequestsException';
  constructor(readonly functionName: string) {
    super('Rate Exceeded.');
  }
}

/** The handler threw or returned a rejected promise (API Gateway answers 502). */
export class FunctionInvocationError extends Error {
  override name = 'FunctionInvocationError';
  constructor(
    readonly errorType: string,
    message: string,
    readonly handlerStack?: string,
  ) {
    super(message);
  }
}

/** The function ran past its timeout ("Task timed out after N seconds"). */
export class FunctionTimeoutError extends Error {
  override name = 'FunctionTimeoutError';
}

/** Receives a streamed response as the handler writes it. */
export interface ResponseStreamSink {
  head(statusCode: number, headers: Record<string, string>, cookies?: string[]): void;
  chunk(chunk: Uint8Array): void;
  /** Called with a function that tells the handler its client hung up (its response stream closes). */
  onHangUp?(hangUp: () => void): void;
}

export type InvocationOutcome = { kind: 'result'; result: unknown } | { kind: 'stream' };

interface PendingInvocation {
  resolve(outcome: InvocationOutcome): void;
  reject(error: Error): void;
  sink?: ResponseStreamSink;
  streamed: boolean;
  timer: NodeJS.Timeout;
}

export class LocalLambdaFunction extends EventEmitter {
  readonly spec: LocalFunctionSpec;
  private worker?: Worker;
  private starting?: Promise<void>;
  private readonly pending = new Map<number, PendingInvocation>();
  private nextId = 1;
  private closed = false;
  private readonly counters = { inFlight: 0, peakInFlight: 0, invocations: 0, throttles: 0, errors: 0, timeouts: 0, coldStarts: 0 };

  constructor(spec: LocalFunctionSpec) {
    super();
    if (!Number.isInteger(spec.concurrencyLimit) || spec.concurrencyLimit < 1) {
      throw new Error(`function ${spec.id}: the concurrency limit must be a positive integer, got ${spec.concurrencyLimit}`);
    }
    this.spec = spec;
  }

  /** Starts the worker and loads the handler (the cold start); resolves when it can serve. */
  start(): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`function ${this.spec.id} is closed`));
    this.starting ??= this.spawn().catch((error: unknown) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private spawn(): Promise<void> {
    this.counters.coldStarts += 1;
    const data: FunctionHostData = { handlerFile: this.spec.handlerFile };
    const worker = new Worker(BOOTSTRAP_FILE, {
      workerData: data,
      env: this.spec.env,
      name: this.spec.functionName,
      stdout: this.spec.quiet === true,
      stderr: this.spec.quiet === true,
      // Lambda caps the heap by the memory setting; keep the same order of magnitude.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(128, this.spec.memoryMb) },
    });
    if (this.spec.quiet) {
      worker.stdout.resume();
      worker.stderr.resume();
    }
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (reply: HostReply) => {
        if (reply.type === 'ready') {
          ready = true;
          resolve();
        } else if (reply.type === 'load-error') {
          reject(new Error(`function ${this.spec.id} failed to load ${this.spec.handlerFile}: ${reply.message}`));
          void worker.terminate();
        } else {
          this.onReply(reply);
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        this.emit('crash', error);
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.starting = undefined;
        }
        if (!ready) reject(new Error(`function ${this.spec.id}: worker exited with code ${code} before the handler loaded`));
        // Like a crashed execution environment: everything in it fails; the next call cold-starts.
        for (const [id, invocation] of this.pending) {
          clearTimeout(invocation.timer);
          this.pending.delete(id);
          this.counters.errors += 1;
          invocation.reject(new FunctionInvocationError('Runtime.ExitError', `The function's runtime exited with code ${code}`));
        }
      });
    });
  }

  private onReply(reply: Exclude<HostReply, { type: 'ready' | 'load-error' }>): void {
    try {
      this.dispatchReply(reply);
    } catch (error) {
      // A sink that cannot write (the client went away) must not take the whole runtime down.
      const invocation = this.pending.get(reply.id);
      if (invocation) {
        this.finish(reply.id, invocation);
        invocation.reject(error as Error);
      }
    }
  }

  private dispatchReply(reply: Exclude<HostReply, { type: 'ready' | 'load-error' }>): void {
    const invocation = this.pending.get(reply.id);
    if (!invocation) return; // timed out already; Lambda discards late results too
    switch (reply.type) {
      case 'result':
        this.finish(reply.id, invocation);
        invocation.resolve({ kind: 'result', result: reply.result });
        return;
      case 'error':
        this.finish(reply.id, invocation);
        this.counters.errors += 1;
        invocation.reject(new FunctionInvocationError(reply.errorType, reply.message, reply.stack));
        return;
      case 'stream-head':
        invocation.streamed = true;
        invocation.sink?.head(reply.statusCode, reply.headers, reply.cookies);
        return;
      case 'stream-chunk':
        invocation.streamed = true;
        invocation.sink?.chunk(reply.chunk);
        return;
      case 'stream-end':
        this.finish(reply.id, invocation);
        invocation.resolve({ kind: 'stream' });
        return;
    }
  }

  private finish(id: number, invocation: PendingInvocation): void {
    clearTimeout(invocation.timer);
    this.pending.delete(id);
  }

  /**
   * Invokes the function. Throws {@link FunctionThrottledError} at once when the concurrency
   * limit is reached, {@link FunctionInvocationError} when the handler fails and
   * {@link FunctionTimeoutError} after the function's timeout.
   */
  async invoke(event: unknown, options: { sink?: ResponseStreamSink; requestId?: string } = {}): Promise<InvocationOutcome> {
    if (this.closed) throw new Error(`function ${this.spec.id} is closed`);
    if (this.counters.inFlight >= this.spec.concurrencyLimit) {
      this.counters.throttles += 1;
      this.emit('throttle');
      throw new FunctionThrottledError(this.spec.functionName);
    }
    this.counters.inFlight += 1;
    this.counters.peakInFlight = Math.max(this.counters.peakInFlight, this.counters.inFlight);
    this.counters.invocations += 1;
    try {
      await this.start();
      return await this.send(event, options);
    } finally {
      this.counters.inFlight -= 1;
    }
  }

  private send(event: unknown, options: { sink?: ResponseStreamSink; requestId?: string }): Promise<InvocationOutcome> {
    const worker = this.worker;
    if (!worker) throw new Error(`function ${this.spec.id} has no running worker`);
    const id = this.nextId++;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const awsRequestId = options.requestId ?? randomUUID();
    const context: InvocationContext = {
      awsRequestId,
      functionName: this.spec.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${this.spec.functionName}`,
      memoryLimitInMB: String(this.spec.memoryMb),
      logGroupName: `/aws/lambda/${this.spec.functionName}`,
      logStreamName: `local/[$LATEST]${this.spec.id}`,
      deadline: Date.now() + timeoutMs,
    };
    return new Promise<InvocationOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        this.counters.timeouts += 1;
        reject(new FunctionTimeoutError(`${awsRequestId} Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, sink: options.sink, streamed: false, timer });
      const request: HostRequest = { type: 'invoke', id, event, context };
      worker.postMessage(request);
      options.sink?.onHangUp?.(() => {
        if (this.pending.has(id)) worker.postMessage({ type: 'hang-up', id } satisfies HostRequest);
      });
    });
  }

  stats(): FunctionStats {
    const { inFlight, peakInFlight, invocations, throttles, errors, timeouts, coldStarts } = this.counters;
    return { functionName: this.spec.functionName, inFlight, limit: this.spec.concurrencyLimit, peakInFlight, invocations, throttles, errors, timeouts, coldStarts };
  }

  /** Terminates the worker; invocations still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    for (const invocation of this.pending.values()) clearTimeout(invocation.timer);
    this.pending.clear();
  }
}
