/**
 * The provider chain against the provider simulator over real sockets, through the real adapters
 * and SDKs. Only the clock and the sleep are injected, so backoff and retry-after waits can be
 * observed without waiting for them.
 */
import { createHash } from 'node:crypto';
import { CircuitBreaker } from '#core/circuit-breaker';
import { ProviderThrottledError, ProviderUnavailableError, toHttpError } from '#core/errors';
import { KeyPool } from '#core/key-pool';
import { ProviderCallError, type ModelRequest, type ModelStreamEvent } from '#core/model-call';
import type { ProviderKey, SecretStore, TaskKeys } from '#core/ports';
import { ProviderChain, type ChainEvent, type ProviderChainOptions } from '#core/provider-chain';
import { providerClientFor, type ProviderBaseUrls } from '#core/providers/index';
import type { ProviderTarget } from '#core/task-config';
import { startProviderSimulator, type ProviderSimulator } from '../../../local/simulator';

const KEYS = { openaiA: 'sk-sim-chain-a', openaiB: 'sk-sim-chain-b', anthropic: 'sk-sim-chain-ant' };
const PRIMARY: ProviderTarget = { provider: 'openai', model: 'gpt-5.4' };
const FALLBACK: ProviderTarget = { provider: 'anthropic', model: 'claude-sonnet-5-5' };

const providerKey = (name: string, apiKey: string): ProviderKey => ({ name, apiKey, fingerprint: `k_${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}` });
class InMemorySecretStore implements SecretStore {
  constructor(private readonly keys: TaskKeys) {}
  async getKeys(): Promise<TaskKeys> {
    return this.keys;
  }
}

let simulator: ProviderSimulator;
let baseUrls: ProviderBaseUrls;
beforeAll(async () => {
  simulator = await startProviderSimulator({ acceptAnyKey: true });
  baseUrls = { openai: simulator.openaiBaseUrl, anthropic: simulator.anthropicBaseUrl };
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.configure({ keys: {}, faults: {}, modelFaults: {}, disabledModels: {}, throttleRetryAfterSeconds: 1 });
  simulator.resetStats();
});

const request: ModelRequest = {
  task: 'clinical',
  system: '[smartdental:chat.reply]\nYou help a dentist.',
  messages: [{ role: 'user', content: 'Summarise the findings.' }],
  responseFormat: 'json',
  maxOutputTokens: 400,
};

interface Harness {
  chain: ProviderChain;
  sleeps: number[];
  events: ChainEvent[];
  breaker: CircuitBreaker;
  onSleep?: (ms: number) => void;
  clock: { now: number };
}

/** A chain over the simulator with a fake sleep that advances a fake clock. */
function harness(options: { keys?: TaskKeys; targets?: ProviderTarget[]; breaker?: CircuitBreaker; chain?: ProviderChainOptions; onSleep?: (ms: number) => void } = {}): Harness {
  const clock = { now: Date.now() };
  const sleeps: number[] = [];
  const keys = options.keys ?? { openai: [providerKey('openai', KEYS.openaiA)], anthropic: [providerKey('anthropic', KEYS.anthropic)] };
  const breaker = options.breaker ?? new CircuitBreaker({ failureThreshold: 100 });
  const pool = new KeyPool(new InMemorySecretStore(keys), { now: () => clock.now, defaultCoolDownMs: 5_000 });
  const chain = new ProviderChain(options.targets ?? [PRIMARY, FALLBACK], pool, (t) => providerClientFor(t, baseUrls), breaker, {
    maxAttemptsPerProvider: 3,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    now: () => clock.now,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      options.onSleep?.(ms);
    },
    ...options.chain,
  });
  return { chain, sleeps, events: [], breaker, clock };
}

const run = (h: Harness, deadlineInMs = 30_000) => h.chain.complete(request, { deadline: h.clock.now + deadlineInMs, onEvent: (e) => h.events.push(e) });
const fingerprint = (apiKey: string) => providerKey('x', apiKey).fingerprint;

it('answers from the primary provider with the key fingerprint and no fallback', async () => {
  const h = harness();
  const result = await run(h);
  expect(result).toMatchObject({ target: PRIMARY, attempts: 1, fallbackUsed: false, keyFingerprint: fingerprint(KEYS.openaiA) });
  expect(result.response.usage.inputTokens).toBe(simulator.stats().totals.inputTokens);
  expect(h.events.map((e) => e.type)).toEqual(['attempt', 'success']);
});

it('uses two keys of one provider round-robin (the simulator sees both)', async () => {
  const h = harness({ keys: { openai: [providerKey('openai', KEYS.openaiA), providerKey('openai', KEYS.openaiB)] } });
  for (let i = 0; i < 4; i++) await run(h);
  const stats = simulator.stats();
  expect(stats.keys[KEYS.openaiA]!.requests).toBe(2);
  expect(stats.keys[KEYS.openaiB]!.requests).toBe(2);
});

it('skips a key cooling after a 429 and answers with the other key at once', async () => {
  simulator.configure({ keys: { [KEYS.openaiA]: { rpm: 1 }, [KEYS.openaiB]: {} } });
  const h = harness({ keys: { openai: [providerKey('openai', KEYS.openaiA), providerKey('openai', KEYS.openaiB)] } });
  await run(h); // key A, its one request this minute
  await run(h); // key B
  const third = await run(h); // key A: 429 → cooling → key B without waiting
  expect(third.keyFingerprint).toBe(fingerprint(KEYS.openaiB));
  expect(h.sleeps).toEqual([0]);
  const throttled = h.events.find((e) => e.type === 'provider-throttled');
  expect(throttled).toMatchObject({ keyFingerprint: fingerprint(KEYS.openaiA) });
  expect((throttled as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);

  const fourth = await run(h); // key A is still cooling: skipped without a call
  expect(fourth.keyFingerprint).toBe(fingerprint(KEYS.openaiB));
  expect(simulator.stats().keys[KEYS.openaiA]).toMatchObject({ requests: 2, throttled: 1 });
});

it('honours retry-after when the only key is throttled', async () => {
  simulator.configure({ modelFaults: { [PRIMARY.model]: { throttle: 1 } }, throttleRetryAfterSeconds: 3 });
  const h = harness({ onSleep: () => simulator.configure({ modelFaults: {} }) });
  const result = await run(h);
  expect(h.sleeps).toEqual([3_000]);
  expect(result).toMatchObject({ target: PRIMARY, attempts: 2, fallbackUsed: false });
});

it('falls back to the second provider when the first model is switched off', async () => {
  simulator.configure({ disabledModels: { [PRIMARY.model]: 'unavailable' } });
  const h = harness();
  const result = await run(h);
  expect(result).toMatchObject({ target: FALLBACK, fallbackUsed: true, attempts: 4, keyFingerprint: fingerprint(KEYS.anthropic) });
  expect(simulator.stats().models[PRIMARY.model]).toMatchObject({ requests: 3, failures: 3 });
  // Jittered exponential backoff between the three attempts (random pinned at 0.5 → 3/4 of each step).
  expect(h.sleeps).toEqual([75, 150]);
  expect(h.events.find((e) => e.type === 'fallback')).toMatchObject({ from: PRIMARY, to: FALLBACK, reason: 'unavailable' });
});

it('skips a dead provider on the next call once its circuit is open: the simulator sees no request to it', async () => {
  simulator.configure({ disabledModels: { [PRIMARY.model]: 'reset' } });
  const breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 60_000 });
  const first = harness({ breaker });
  await run(first);
  expect(breaker.state(PRIMARY.provider, PRIMARY.model)).toBe('open');
  const primaryCalls = simulator.stats().models[PRIMARY.model]!.requests;

  const second = harness({ breaker });
  const result = await run(second);
  expect(result).toMatchObject({ target: FALLBACK, attempts: 1, fallbackUsed: true });
  expect(simulator.stats().models[PRIMARY.model]!.requests).toBe(primaryCalls);
  expect(second.events[0]).toMatchObject({ type: 'circuit-skip', target: PRIMARY });
});

it('treats a malformed body as malformed and falls back', async () => {
  simulator.configure({ modelFaults: { [PRIMARY.model]: { malformed: 1 } } });
  const h = harness({ chain: { maxAttemptsPerProvider: 1 } });
  const result = await run(h);
  expect(result.target).toEqual(FALLBACK);
  expect(h.events.find((e) => e.type === 'attempt-failed')).toMatchObject({ kind: 'malformed', target: PRIMARY });
});

it('moves on at once after a rejection (401), without retrying', async () => {
  simulator.configure({ acceptAnyKey: false, keys: { [KEYS.anthropic]: {} } });
  const h = harness();
  const result = await run(h);
  expect(result.target).toEqual(FALLBACK);
  expect(simulator.stats().totals.unauthorized).toBe(1);
  expect(h.sleeps).toEqual([]);
  simulator.configure({ acceptAnyKey: true });
});

it('answers 429 ProviderThrottledError with Retry-After when every provider is rate-limiting, naming no key', async () => {
  simulator.configure({ faults: { throttle: 1 }, throttleRetryAfterSeconds: 40 });
  const h = harness();
  const error = await run(h, 10_000).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProviderThrottledError);
  expect(toHttpError(error).headers['Retry-After']).toBe('40');
  expect((error as Error).message).toMatch(/clinical/);
  expect((error as Error).message).toMatch(/gpt-5.4.*claude-sonnet-5-5/);
  expect((error as Error).message).not.toMatch(/sk-sim|k_[0-9a-f]{12}/);
  // A 40 s retry-after does not fit a 10 s deadline: no sleep, straight to the fallback.
  expect(h.sleeps).toEqual([]);
});

it('never sleeps past the deadline and cuts attempt timeouts to the time left', async () => {
  simulator.configure({ faults: { serverError: 1 } });
  const h = harness({ chain: { baseDelayMs: 400, maxDelayMs: 5_000, safetyMarginMs: 100, minAttemptMs: 50, attemptTimeoutMs: 60_000 } });
  const start = h.clock.now;
  const deadline = start + 1_000;
  const error = await h.chain.complete(request, { deadline, onEvent: (e) => h.events.push(e) }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ProviderUnavailableError);
  expect(h.clock.now).toBeLessThanOrEqual(deadline - 100);
  const timeouts = h.events.flatMap((e) => (e.type === 'attempt' ? [e.timeoutMs] : []));
  expect(timeouts.length).toBeGreaterThan(0);
  for (const t of timeouts) expect(t).toBeLessThanOrEqual(900);
});

it('gives a hanging provider only the time that is left, then falls back', async () => {
  simulator.configure({ modelFaults: { [PRIMARY.model]: { timeout: 1 } } });
  const h = harness({ chain: { attemptTimeoutMs: 300, maxAttemptsPerProvider: 1 } });
  const result = await run(h);
  expect(result.target).toEqual(FALLBACK);
  expect(h.events.find((e) => e.type === 'attempt-failed')).toMatchObject({ kind: 'timeout', target: PRIMARY });
});

describe('stream', () => {
  const collect = async (events: AsyncIterable<ModelStreamEvent>) => {
    const seen: ModelStreamEvent[] = [];
    for await (const e of events) seen.push(e);
    return seen;
  };

  it('streams with usage, falling back before the first delta when the primary is down', async () => {
    simulator.configure({ disabledModels: { [PRIMARY.model]: 'unavailable' } });
    const h = harness({ chain: { maxAttemptsPerProvider: 1 } });
    const stream = await h.chain.stream({ ...request, responseFormat: 'text' }, { deadline: h.clock.now + 30_000 });
    expect(stream).toMatchObject({ target: FALLBACK, fallbackUsed: true });
    const events = await collect(stream.events);
    expect(events.at(-1)).toMatchObject({ type: 'done', provider: 'anthropic' });
    expect(events.filter((e) => e.type === 'delta').length).toBeGreaterThan(0);
  });

  it('ends a stream cut mid-way with a ProviderCallError after the first delta, not a hang, and no retry', async () => {
    simulator.configure({ faults: { cutStream: 1 } });
    const h = harness({ targets: [PRIMARY] });
    const stream = await h.chain.stream({ ...request, responseFormat: 'text' }, { deadline: h.clock.now + 30_000, onEvent: (e) => h.events.push(e) });
    const seen: ModelStreamEvent[] = [];
    const failure = await (async () => {
      for await (const e of stream.events) seen.push(e);
    })().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderCallError);
    expect(seen.some((e) => e.type === 'delta')).toBe(true);
    expect(seen.some((e) => e.type === 'done')).toBe(false);
    expect(h.events.at(-1)).toMatchObject({ type: 'stream-failed', target: PRIMARY });
    expect(simulator.stats().models[PRIMARY.model]!.requests).toBe(1);
  });
});

describe('skip (a block PHI policy keeping a request to inside targets)', () => {
  it('never calls a skipped target, counts no fallback and charges its circuit nothing', async () => {
    const h = harness();
    const result = await h.chain.complete(request, { deadline: h.clock.now + 30_000, onEvent: (e) => h.events.push(e), skip: (t) => t === PRIMARY });
    expect(result.target).toBe(FALLBACK);
    expect(result.attempts).toBe(1);
    expect(Object.keys(simulator.stats().models)).toEqual([FALLBACK.model]);
    expect(h.events.map((e) => e.type)).toEqual(['attempt', 'success']);
    expect(h.breaker.tryAcquire(PRIMARY.provider, PRIMARY.model)).toBe(true);
  });

  it('answers 503 saying why when every target is skipped, without a provider call', async () => {
    const h = harness();
    const failure = await h.chain.complete(request, { deadline: h.clock.now + 30_000, skip: () => true }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProviderUnavailableError);
    expect((failure as Error).message).toMatch(/gpt-5\.4: not asked/);
    expect(simulator.stats().totals.requests).toBe(0);
  });
});
