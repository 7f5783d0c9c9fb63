/**
 * One Lambda function on the laptop, modelled the way Lambda runs it: a pool of execution
 * environments, each a worker thread with the function's environment variables and its own
 * module state (clients, key-pool cursor and cool-downs, circuit breaker, secret cache), created
 * on demand (a cold start) up to the function's concurrency, each serving one invocation at a
 * time, reused while warm and reaped when idle. An invocation beyond the concurrency is throttled
 * at once, never queued, as reserved concurrency is in AWS.
 *
 * "Lambda runs each invocation in an execution environment that processes one request at a time"
 * and keeps it for later invocations, or shuts it down when idle:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
 * After a timeout Lambda resets the environment, so the next invocation starts cold there too.
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
  /** The name the handler file exports. @default 'handler' */
  handlerExport?: string;
  env: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  /** At most this many invocations at once. */
  concurrencyLimit: number;
  /** Discard the worker's stdout/stderr (tests). */
  quiet?: boolean;
  /** An environment idle this long is shut down (AWS does not say when; minutes). @default 600000 */
  idleTimeoutMs?: number;
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
  /** Execution environments alive now (busy or warm). */
  environments: number;
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
  timer: NodeJS.Timeout;
}

const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;

/** What an execution environment reports back to its function. */
interface EnvironmentEvents {
  error(): void;
  timeout(): void;
  crash(error: Error): void;
}

/**
 * One execution environment: a worker thread that loads the handler once and serves one
 * invocation at a time.
 */
class ExecutionEnvironment {
  readonly ready: Promise<void>;
  busy = false;
  lastUsedAt = Date.now();
  private readonly worker: Worker;
  private pending?: { id: number; invocation: PendingInvocation };
  private nextId = 1;
  private exited = false;
  /** Being shut down (after a timeout, or reaped): no new invocation may land here. */
  private retired = false;

  constructor(
    private readonly spec: LocalFunctionSpec,
    private readonly index: number,
    private readonly events: EnvironmentEvents,
    private readonly onExit: (environment: ExecutionEnvironment) => void,
  ) {
    const data: FunctionHostData = { handlerFile: spec.handlerFile, handlerName: spec.handlerExport };
    this.worker = new Worker(BOOTSTRAP_FILE, {
      workerData: data,
      env: spec.env,
      name: `${spec.functionName}#${index}`,
      stdout: spec.quiet === true,
      stderr: spec.quiet === true,
      // Lambda caps the heap by the memory setting; keep the same order of magnitude.
      resourceLimits: { maxOldGenerationSizeMb: Math.max(128, spec.memoryMb) },
    });
    if (spec.quiet) {
      this.worker.stdout.resume();
      this.worker.stderr.resume();
    }
    this.ready = new Promise<void>((resolve, reject) => {
      let loaded = false;
      this.worker.on('message', (reply: HostReply) => {
        if (reply.type === 'ready') {
          loaded = true;
          resolve();
        } else if (reply.type === 'load-error') {
          reject(new Error(`function ${spec.id} failed to load ${spec.handlerFile}: ${reply.message}`));
          void this.worker.terminate();
        } else {
          this.onReply(reply);
        }
      });
      this.worker.on('error', (error) => {
        if (!loaded) reject(error);
        this.events.crash(error);
      });
      this.worker.on('exit', (code) => {
        this.exited = true;
        this.onExit(this);
        if (!loaded) reject(new Error(`function ${spec.id}: worker exited with code ${code} before the handler loaded`));
        // Like a crashed execution environment: its invocation fails; the next call cold-starts.
        const running = this.pending;
        this.pending = undefined;
        if (running) {
          clearTimeout(running.invocation.timer);
          this.events.error();
          running.invocation.reject(new FunctionInvocationError('Runtime.ExitError', `The function's runtime exited with code ${code}`));
        }
      });
    });
    // A failed load is reported to the invocation that waits for it; nobody else must see it unhandled.
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return !this.exited && !this.retired;
  }

  /** Runs one invocation; the environment must be idle and loaded. */
  send(event: unknown, options: { sink?: ResponseStreamSink; requestId?: string }): Promise<InvocationOutcome> {
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
      logStreamName: `local/[$LATEST]${this.spec.id}-${this.index}`,
      deadline: Date.now() + timeoutMs,
    };
    return new Promise<InvocationOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending?.id !== id) return;
        this.pending = undefined;
        this.events.timeout();
        reject(new FunctionTimeoutError(`${awsRequestId} Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`));
        // Lambda resets the environment after a timeout: whatever the handler still does ends here.
        void this.close();
      }, timeoutMs);
      this.pending = { id, invocation: { resolve, reject, sink: options.sink, timer } };
      const request: HostRequest = { type: 'invoke', id, event, context };
      this.worker.postMessage(request);
      // The client went away mid-stream: the handler's response stream is torn down (AWS documents no
      // hang-up signal for a streaming function; this models the stream's end, not a documented event).
      options.sink?.onHangUp?.(() => {
        if (this.pending?.id === id) this.worker.postMessage({ type: 'hang-up', id } satisfies HostRequest);
      });
    });
  }

  close(): Promise<number> {
    this.retired = true;
    this.onExit(this);
    return this.worker.terminate();
  }

  private onReply(reply: Exclude<HostReply, { type: 'ready' | 'load-error' }>): void {
    const running = this.pending;
    if (!running || running.id !== reply.id) return; // timed out already; Lambda discards late results too
    try {
      this.dispatchReply(reply, running.invocation);
    } catch (error) {
      // A sink that cannot write (the client went away) must not take the whole runtime down.
      this.finish();
      running.invocation.reject(error as Error);
    }
  }

  private dispatchReply(reply: Exclude<HostReply, { type: 'ready' | 'load-error' }>, invocation: PendingInvocation): void {
    switch (reply.type) {
      case 'result':
        this.finish();
        invocation.resolve({ kind: 'result', result: reply.result });
        return;
      case 'error':
        this.finish();
        this.events.error();
        invocation.reject(new FunctionInvocationError(reply.errorType, reply.message, reply.stack));
        return;
      case 'stream-head':
        invocation.sink?.head(reply.statusCode, reply.headers, reply.cookies);
        return;
      case 'stream-chunk':
        invocation.sink?.chunk(reply.chunk);
        return;
      case 'stream-end':
        this.finish();
        invocation.resolve({ kind: 'stream' });
        return;
    }
  }

  private finish(): void {
    if (this.pending) clearTimeout(this.pending.invocation.timer);
    this.pending = undefined;
  }
}

export class LocalLambdaFunction extends EventEmitter {
  readonly spec: LocalFunctionSpec;
  private readonly environments = new Set<ExecutionEnvironment>();
  private nextEnvironment = 1;
  private closed = false;
  private readonly reaper: NodeJS.Timeout;
  private readonly counters = { inFlight: 0, peakInFlight: 0, invocations: 0, throttles: 0, errors: 0, timeouts: 0, coldStarts: 0 };

  constructor(spec: LocalFunctionSpec) {
    super();
    if (!Number.isInteger(spec.concurrencyLimit) || spec.concurrencyLimit < 1) {
      throw new Error(`function ${spec.id}: the concurrency limit must be a positive integer, got ${spec.concurrencyLimit}`);
    }
    this.spec = spec;
    const idleMs = spec.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.reaper = setInterval(() => this.reapIdle(idleMs), Math.max(50, Math.floor(idleMs / 4)));
    this.reaper.unref();
  }

  /** Starts one execution environment and loads the handler (a cold start); resolves when it can serve. */
  async start(): Promise<void> {
    if (this.closed) throw new Error(`function ${this.spec.id} is closed`);
    const warm = [...this.environments][0];
    if (warm) return warm.ready;
    await this.coldStart().ready;
  }

  /**
   * Invokes the function in an idle environment, or a new one. Throws
   * {@link FunctionThrottledError} at once when the concurrency limit is reached,
   * {@link FunctionInvocationError} when the handler fails and {@link FunctionTimeoutError} after
   * the function's timeout.
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
    const environment = this.idleEnvironment() ?? this.coldStart();
    environment.busy = true;
    try {
      await environment.ready;
      return await environment.send(event, options);
    } finally {
      environment.busy = false;
      environment.lastUsedAt = Date.now();
      this.counters.inFlight -= 1;
    }
  }

  stats(): FunctionStats {
    const { inFlight, peakInFlight, invocations, throttles, errors, timeouts, coldStarts } = this.counters;
    return { functionName: this.spec.functionName, inFlight, limit: this.spec.concurrencyLimit, peakInFlight, invocations, throttles, errors, timeouts, coldStarts, environments: this.environments.size };
  }

  /** Shuts every environment down; invocations still running fail. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    await Promise.all([...this.environments].map((environment) => environment.close()));
    this.environments.clear();
  }

  /** The warm environment used most recently, as Lambda prefers; undefined when all are busy. */
  private idleEnvironment(): ExecutionEnvironment | undefined {
    let best: ExecutionEnvironment | undefined;
    for (const environment of this.environments) {
      if (!environment.busy && environment.alive && (!best || environment.lastUsedAt > best.lastUsedAt)) best = environment;
    }
    return best;
  }

  private coldStart(): ExecutionEnvironment {
    this.counters.coldStarts += 1;
    const environment = new ExecutionEnvironment(
      this.spec,
      this.nextEnvironment++,
      {
        error: () => (this.counters.errors += 1),
        timeout: () => (this.counters.timeouts += 1),
        crash: (error) => this.emit('crash', error),
      },
      (gone) => this.environments.delete(gone),
    );
    this.environments.add(environment);
    return environment;
  }

  private reapIdle(idleMs: number): void {
    const now = Date.now();
    for (const environment of this.environments) {
      if (!environment.busy && now - environment.lastUsedAt >= idleMs) {
        this.environments.delete(environment);
        void environment.close();
      }
    }
  }
}
