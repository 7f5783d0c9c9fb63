/**
 * Runs one model call through a task's chain of providers: primary first, then the fallbacks.
 *
 * Per target: up to `maxAttemptsPerProvider` attempts with jittered exponential backoff; after a
 * 429 the key cools down in the key pool and the next attempt takes another key at once, or waits
 * for the `retry-after` when the target has no other key. Nothing sleeps past the deadline, and
 * each attempt's timeout is cut to the time that is left. Throttled, unavailable, timed-out and
 * malformed answers move on to the next target once retries are spent; a rejection (400/401/403/
 * 404) moves on at once; an open circuit skips the target. When every target failed, the caller
 * gets `ProviderThrottledError` (429) if only rate limits stood in the way, else
 * `ProviderUnavailableError` (503), both with `Retry-After` and never a key in the message.
 */
import type { CircuitBreaker } from './circuit-breaker';
import { GatewayError, ProviderThrottledError, ProviderUnavailableError } from './errors';
import type { KeyPool } from './key-pool';
import { ProviderCallError, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ProviderCallOptions, type ProviderClient, type ProviderFailureKind } from './model-call';
import type { ProviderKey } from './ports';
import type { ProviderTarget } from './task-config';

export type ProviderClientFactory = (target: ProviderTarget) => ProviderClient;

export interface ProviderChainOptions {
  /** Attempts on one target before moving to the next. @default 3 */
  maxAttemptsPerProvider?: number;
  /** First backoff step; doubles per attempt. @default 250 */
  baseDelayMs?: number;
  /** Ceiling of one backoff step (a `retry-after` may ask for more and is honoured). @default 4000 */
  maxDelayMs?: number;
  /** Timeout of one attempt, before the deadline cuts it shorter. @default 30000 */
  attemptTimeoutMs?: number;
  /** Time kept back before the deadline to answer the caller and settle the ledger. @default 500 */
  safetyMarginMs?: number;
  /** An attempt that would get less time than this is not started. @default 250 */
  minAttemptMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** 0 ≤ random() < 1, for the backoff jitter. */
  random?: () => number;
}

export interface ChainCallOptions {
  /** Epoch ms by which the chain must have answered or given up (the function's remaining time). */
  deadline: number;
  onEvent?: (event: ChainEvent) => void;
  /** Aborts the attempt in flight (for example when the caller went away). */
  signal?: AbortSignal;
  /** Targets this call must not use (a `block` PHI policy keeps a request to inside providers). */
  skip?: (target: ProviderTarget) => boolean;
}

/** What the ledger, metrics and logs subscribe to. Keys appear as fingerprints only. */
export type ChainEvent =
  | { type: 'attempt'; target: ProviderTarget; attempt: number; keyFingerprint: string; timeoutMs: number }
  | { type: 'attempt-failed'; target: ProviderTarget; attempt: number; keyFingerprint: string; kind: ProviderFailureKind; status?: number; retryAfterSeconds?: number }
  | { type: 'provider-throttled'; target: ProviderTarget; keyFingerprint: string; retryAfterSeconds?: number }
  | { type: 'retry'; target: ProviderTarget; nextAttempt: number; delayMs: number }
  | { type: 'circuit-skip'; target: ProviderTarget; remainingCoolDownMs: number }
  | { type: 'fallback'; from: ProviderTarget; to: ProviderTarget; reason: FailureReason }
  | { type: 'success'; target: ProviderTarget; keyFingerprint: string; attempts: number; fallbackUsed: boolean }
  | { type: 'stream-failed'; target: ProviderTarget; keyFingerprint: string; kind: ProviderFailureKind };

export type FailureReason = ProviderFailureKind | 'circuit-open' | 'no-time-left' | 'skipped';

export interface ChainCallMetadata {
  /** Fingerprint of the key that answered. */
  keyFingerprint: string;
  target: ProviderTarget;
  /** Provider calls made, over all targets (circuit skips are not calls). */
  attempts: number;
  /** A target other than the first answered. */
  fallbackUsed: boolean;
}

export interface ChainResult extends ChainCallMetadata {
  response: ModelResponse;
}

export interface ChainStream extends ChainCallMetadata {
  /** The first event was already received when `stream()` resolved; an error after it is a `ProviderCallError`. */
  events: AsyncIterable<ModelStreamEvent>;
}

interface TargetFailure {
  target: ProviderTarget;
  reason: FailureReason;
  retryAfterSeconds?: number;
}

type Attempt<T> = (client: ProviderClient, options: ProviderCallOptions) => Promise<T>;

export class ProviderChain {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly safetyMarginMs: number;
  private readonly minAttemptMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(
    readonly targets: readonly ProviderTarget[],
    private readonly keyPool: KeyPool,
    private readonly clientFor: ProviderClientFactory,
    private readonly breaker: CircuitBreaker,
    options: ProviderChainOptions = {},
  ) {
    if (targets.length === 0) throw new Error('a provider chain needs at least one target');
    this.maxAttempts = Math.max(1, options.maxAttemptsPerProvider ?? 3);
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 4_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.safetyMarginMs = options.safetyMarginMs ?? 500;
    this.minAttemptMs = options.minAttemptMs ?? 250;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  async complete(request: ModelRequest, options: ChainCallOptions): Promise<ChainResult> {
    const { value, ...metadata } = await this.run(request, options, (client, callOptions) => client.complete(request, callOptions));
    return { response: value, ...metadata };
  }

  /** Retries and fallbacks happen only until the first event arrives; after that, errors go to the consumer. */
  async stream(request: ModelRequest, options: ChainCallOptions): Promise<ChainStream> {
    const { value, ...metadata } = await this.run(request, options, async (client, callOptions) => {
      const iterator = client.stream(request, callOptions)[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw new ProviderCallError('malformed', client.provider, client.model, `${client.provider} ${client.model}: the stream ended before its first event`);
      return { iterator, first: first.value };
    });
    return { ...metadata, events: this.rest(value.iterator, value.first, metadata, options.onEvent) };
  }

  private async *rest(iterator: AsyncIterator<ModelStreamEvent>, first: ModelStreamEvent, metadata: ChainCallMetadata, onEvent: ChainCallOptions['onEvent']): AsyncIterable<ModelStreamEvent> {
    const { target, keyFingerprint } = metadata;
    let finished = first.type === 'done';
    try {
      yield first;
      while (!finished) {
        const next = await iterator.next();
        if (next.done) throw new ProviderCallError('malformed', target.provider, target.model, `${target.provider} ${target.model}: the stream ended without its usage`);
        finished = next.value.type === 'done';
        yield next.value;
      }
    } catch (error) {
      const failure = asCallError(error, target);
      this.breaker.recordFailure(target.provider, target.model, failure.kind);
      emit(onEvent, { type: 'stream-failed', target, keyFingerprint, kind: failure.kind });
      throw failure;
    } finally {
      // Ends the adapter's generator too (its finally releases the connection and the timer),
      // whether the consumer stopped early, the stream failed, or it ended at `done`.
      await iterator.return?.().catch(() => undefined);
    }
  }

  private async run<T>(request: ModelRequest, options: ChainCallOptions, attemptCall: Attempt<T>): Promise<ChainCallMetadata & { value: T }> {
    const { deadline, onEvent, signal, skip } = options;
    const failures: TargetFailure[] = [];
    let attempts = 0;

    for (const [index, target] of this.targets.entries()) {
      if (skip?.(target)) {
        failures.push({ target, reason: 'skipped' });
        continue;
      }
      const previous = failures.at(-1);
      if (index > 0 && previous && previous.reason !== 'skipped') emit(onEvent, { type: 'fallback', from: previous.target, to: target, reason: previous.reason });
      const client = this.clientFor(target);
      let failure: TargetFailure | undefined;

      for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
        const remaining = deadline - this.now() - this.safetyMarginMs;
        if (remaining < this.minAttemptMs || signal?.aborted) {
          failure = { target, reason: 'no-time-left' };
          break;
        }
        if (!this.breaker.tryAcquire(target.provider, target.model)) {
          const remainingCoolDownMs = this.breaker.remainingCoolDownMs(target.provider, target.model);
          emit(onEvent, { type: 'circuit-skip', target, remainingCoolDownMs });
          failure = { target, reason: 'circuit-open', retryAfterSeconds: remainingCoolDownMs / 1000 };
          break;
        }

        let key: ProviderKey;
        try {
          key = await this.keyPool.acquire(target);
        } catch (error) {
          // Our secret store failing (Secrets Manager down at a cold start) is not a provider
          // fault: say so, instead of blaming every provider in the chain.
          if (error instanceof GatewayError) {
            this.breaker.recordFailure(target.provider, target.model, 'rejected');
            throw error;
          }
          const noKey = asCallError(error, target);
          // Not a provider failure: give the half-open probe back.
          this.breaker.recordFailure(target.provider, target.model, noKey.kind === 'throttled' ? 'throttled' : 'rejected');
          failure = { target, reason: noKey.kind, retryAfterSeconds: noKey.retryAfterSeconds };
          const waitMs = Math.ceil((noKey.retryAfterSeconds ?? 0) * 1000);
          if (noKey.kind === 'throttled' && attempt < this.maxAttempts && this.fits(waitMs, deadline)) {
            emit(onEvent, { type: 'retry', target, nextAttempt: attempt + 1, delayMs: waitMs });
            await this.sleep(waitMs);
            continue;
          }
          break;
        }

        attempts += 1;
        // A provider that hangs must not eat the time of the fallbacks behind it: each target
        // still to try gets an equal share of what is left (measured again: reading the key may
        // have taken a while).
        const targetsLeft = this.targets.length - index;
        const left = deadline - this.now() - this.safetyMarginMs;
        const timeoutMs = Math.max(this.minAttemptMs, Math.min(this.attemptTimeoutMs, Math.floor(left / targetsLeft)));
        emit(onEvent, { type: 'attempt', target, attempt, keyFingerprint: key.fingerprint, timeoutMs });
        try {
          const value = await attemptCall(client, { apiKey: key.apiKey, timeoutMs, signal });
          this.breaker.recordSuccess(target.provider, target.model);
          const metadata = { keyFingerprint: key.fingerprint, target, attempts, fallbackUsed: index > 0 };
          emit(onEvent, { type: 'success', ...metadata });
          return { value, ...metadata };
        } catch (error) {
          const callError = asCallError(error, target);
          this.breaker.recordFailure(target.provider, target.model, callError.kind);
          emit(onEvent, {
            type: 'attempt-failed',
            target,
            attempt,
            keyFingerprint: key.fingerprint,
            kind: callError.kind,
            status: callError.status,
            retryAfterSeconds: callError.retryAfterSeconds,
          });
          failure = { target, reason: callError.kind, retryAfterSeconds: callError.retryAfterSeconds };
          if (callError.kind === 'throttled') {
            this.keyPool.coolDown(key.fingerprint, callError.retryAfterSeconds);
            emit(onEvent, { type: 'provider-throttled', target, keyFingerprint: key.fingerprint, retryAfterSeconds: callError.retryAfterSeconds });
          }
          if (callError.kind === 'rejected' || attempt === this.maxAttempts) break;

          const delayMs = await this.delayBeforeRetry(target, attempt, callError);
          if (!this.fits(delayMs, deadline)) break;
          emit(onEvent, { type: 'retry', target, nextAttempt: attempt + 1, delayMs });
          await this.sleep(delayMs);
        }
      }
      failures.push(failure ?? { target, reason: 'no-time-left' });
      if (failure?.reason === 'no-time-left') break;
    }
    throw this.exhausted(request, failures);
  }

  /**
   * After a 429 the key is cooling: wait until some key of the target is free (0 when another
   * key is, the `retry-after` when it was the only one). Otherwise jittered exponential backoff,
   * stretched to a `retry-after` the provider sent with a 5xx.
   */
  private async delayBeforeRetry(target: ProviderTarget, attempt: number, error: ProviderCallError): Promise<number> {
    if (error.kind === 'throttled') return this.keyPool.waitMs(target);
    const step = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    const backoff = Math.round(step / 2 + this.random() * (step / 2));
    return Math.max(backoff, Math.ceil((error.retryAfterSeconds ?? 0) * 1000));
  }

  /** Whether sleeping `delayMs` still leaves time for a worthwhile attempt before the deadline. */
  private fits(delayMs: number, deadline: number): boolean {
    return this.now() + delayMs + this.minAttemptMs <= deadline - this.safetyMarginMs;
  }

  private exhausted(request: ModelRequest, failures: TargetFailure[]): Error {
    const tried = new Set(failures.map((f) => f.target));
    const notTried = this.targets.filter((t) => !tried.has(t)).map((t) => `${t.provider} ${t.model}: not tried before the time limit`);
    const summary = [...failures.map((f) => `${f.target.provider} ${f.target.model}: ${describe(f.reason)}`), ...notTried].join('; ');
    const throttled = failures.filter((f) => f.reason === 'throttled');
    const onlyRateLimits = throttled.length > 0 && notTried.length === 0 && failures.every((f) => f.reason === 'throttled' || f.reason === 'rejected');
    if (onlyRateLimits) {
      const retryAfterSeconds = Math.max(1, Math.ceil(Math.min(...throttled.map((f) => f.retryAfterSeconds ?? 1))));
      return new ProviderThrottledError(`Every provider of the ${request.task} task is rate-limiting it (${summary}); retry after ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    const hints = failures.map((f) => f.retryAfterSeconds).filter((s): s is number => s !== undefined && s > 0);
    const retryAfterSeconds = Math.max(1, Math.ceil(hints.length > 0 ? Math.min(...hints) : 5));
    return new ProviderUnavailableError(`No provider could answer the ${request.task} task (${summary})`, { retryAfterSeconds });
  }
}

function describe(reason: FailureReason): string {
  switch (reason) {
    case 'throttled':
      return 'rate-limited';
    case 'unavailable':
      return 'unavailable';
    case 'timeout':
      return 'timed out';
    case 'malformed':
      return 'answered with a malformed response';
    case 'rejected':
      return 'rejected the request (check the model name and the key)';
    case 'circuit-open':
      return 'skipped after repeated failures (circuit open)';
    case 'no-time-left':
      return 'no time left for an attempt';
    case 'skipped':
      return 'not asked (the task may not send this request to it)';
  }
}

function asCallError(error: unknown, target: ProviderTarget): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  return new ProviderCallError('unavailable', target.provider, target.model, `${target.provider} ${target.model}: the call failed (${error instanceof Error ? error.name : typeof error})`);
}

function emit(onEvent: ChainCallOptions['onEvent'], event: ChainEvent): void {
  if (!onEvent) return;
  try {
    onEvent(event);
  } catch {
    // A failing subscriber (metrics, logging) must not fail the model call.
  }
}
