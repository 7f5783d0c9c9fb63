/**
 * The provider adapters against the provider simulator over real sockets: answers, images,
 * streaming with usage, and every failure mapped to its ProviderCallError kind.
 */
import { ProviderCallError, type ModelRequest, type ModelStreamEvent, type ProviderClient } from '#core/model-call';
import { providerBaseUrlsFromEnv, providerClientFor, retryAfterSecondsOf, type ProviderBaseUrls } from '#core/providers/index';
import { imageTokens, startProviderSimulator, textTokens, type ProviderSimulator } from '../../../local/simulator';
import { SIMULATED_ANSWERS } from '../../../local/simulator/answers';

const KEY = 'sk-sim-adapter';
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const SYSTEM = '[smartdental:chat.reply]\nYou are a dental practice assistant.';

let simulator: ProviderSimulator;
let baseUrls: ProviderBaseUrls;

beforeAll(async () => {
  simulator = await startProviderSimulator({ keys: { [KEY]: {} } });
  baseUrls = { openai: simulator.openaiBaseUrl, anthropic: simulator.anthropicBaseUrl, 'openai-compatible': simulator.openaiBaseUrl };
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.configure({ keys: { [KEY]: {} }, faults: {}, modelFaults: {}, disabledModels: {}, streamFrameDelayMs: 0 });
  simulator.resetStats();
});

const clients = (): ProviderClient[] => [
  providerClientFor({ provider: 'openai', model: 'gpt-5.4' }, baseUrls),
  providerClientFor({ provider: 'anthropic', model: 'claude-sonnet-5-5' }, baseUrls),
  providerClientFor({ provider: 'openai-compatible', model: 'llama-3.1-8b-instruct', baseUrl: 'http://127.0.0.1:9/v1' }, baseUrls),
];

const request = (overrides: Partial<ModelRequest> = {}): ModelRequest => ({
  task: 'chat',
  system: SYSTEM,
  messages: [{ role: 'user', content: 'What should I do about a sore tooth?' }],
  responseFormat: 'json',
  maxOutputTokens: 300,
  ...overrides,
});
const call = { apiKey: KEY, timeoutMs: 5_000 };
const reply = SIMULATED_ANSWERS['chat.reply']!({ outputKind: 'chat.reply', userText: '', imageCount: 0 });

async function failureOf(promise: Promise<unknown>): Promise<ProviderCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderCallError);
  return error as ProviderCallError;
}

async function collect(events: AsyncIterable<ModelStreamEvent>): Promise<ModelStreamEvent[]> {
  const seen: ModelStreamEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe.each(['openai', 'anthropic', 'openai-compatible'] as const)('%s adapter', (provider) => {
  const client = () => clients().find((c) => c.provider === provider)!;

  it('answers JSON with the usage the provider reported, images included', async () => {
    const response = await client().complete(request({ images: [{ mediaType: 'image/png', dataBase64: PNG_BASE64 }] }), call);
    expect(JSON.parse(response.text)).toEqual(reply);
    expect(response).toMatchObject({ provider, model: client().model });
    const served = simulator.stats().models[client().model]!;
    expect(response.usage).toEqual({ inputTokens: served.inputTokens, outputTokens: served.outputTokens, cachedTokens: 0 });
    expect(response.usage.inputTokens).toBeGreaterThanOrEqual(imageTokens(PNG_BASE64) + textTokens(SYSTEM));
  });

  it('streams deltas, then one done event with the usage', async () => {
    const events = await collect(client().stream(request({ responseFormat: 'text' }), call));
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    expect(events.filter((e) => e.type === 'done')).toHaveLength(1);
    const text = events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
    expect(text).toBe(reply);
    expect(done).toMatchObject({ usage: { outputTokens: textTokens(text) }, provider });
  });

  it('maps an unknown key (401) to rejected', async () => {
    const error = await failureOf(client().complete(request(), { ...call, apiKey: 'sk-unknown' }));
    expect(error).toMatchObject({ kind: 'rejected', status: 401, provider });
    expect(error.message).not.toContain('sk-unknown');
  });

  it('maps a 429 to throttled with the retry-after seconds', async () => {
    simulator.configure({ faults: { throttle: 1 }, throttleRetryAfterSeconds: 7 });
    expect(await failureOf(client().complete(request(), call))).toMatchObject({ kind: 'throttled', status: 429, retryAfterSeconds: 7 });
  });

  it('maps 500, 529 and a switched-off model to unavailable', async () => {
    simulator.configure({ faults: { serverError: 1 } });
    expect(await failureOf(client().complete(request(), call))).toMatchObject({ kind: 'unavailable', status: 500 });
    simulator.configure({ faults: { overloaded: 1 } });
    expect(await failureOf(client().complete(request(), call))).toMatchObject({ kind: 'unavailable', status: 529 });
    simulator.configure({ faults: {}, disabledModels: { [client().model]: 'reset' } });
    expect(await failureOf(client().complete(request(), call))).toMatchObject({ kind: 'unavailable' });
  });

  it('maps a body that is not JSON to malformed', async () => {
    simulator.configure({ faults: { malformed: 1 } });
    expect(await failureOf(client().complete(request(), call))).toMatchObject({ kind: 'malformed' });
  });

  it('maps a hanging provider to timeout when the attempt time is up', async () => {
    simulator.configure({ faults: { timeout: 1 } });
    expect(await failureOf(client().complete(request(), { ...call, timeoutMs: 200 }))).toMatchObject({ kind: 'timeout' });
  });

  it('times out a stream that stops sending after its first frames', async () => {
    // The SDKs' stream iterators swallowed this abort and ended quietly (then called malformed); fetch reports it.
    // The first frame (and the headers) come at once, the next only after the attempt's time is up.
    simulator.configure({ streamFrameDelayMs: 2_000 });
    const events: ModelStreamEvent[] = [];
    const error = await failureOf(
      (async () => {
        for await (const event of client().stream(request({ responseFormat: 'text' }), { ...call, timeoutMs: 300 })) events.push(event);
      })(),
    );
    expect(error).toMatchObject({ kind: 'timeout', provider });
    expect(events.filter((e) => e.type === 'done')).toHaveLength(0);
  });

  it('throws a ProviderCallError from a stream cut half-way, instead of hanging', async () => {
    simulator.configure({ faults: { cutStream: 1 } });
    const error = await failureOf(collect(client().stream(request({ responseFormat: 'text' }), call)));
    expect(['unavailable', 'malformed']).toContain(error.kind);
  });
});

describe('providerClientFor', () => {
  it('creates one client per target and reuses it', () => {
    const target = { provider: 'openai' as const, model: 'gpt-5.4-mini' };
    expect(providerClientFor(target, baseUrls)).toBe(providerClientFor({ ...target }, baseUrls));
    expect(providerClientFor(target, baseUrls)).not.toBe(providerClientFor({ provider: 'openai', model: 'gpt-5.4-nano' }, baseUrls));
  });

  it('reads PROVIDER_BASE_URLS and refuses a bad value with a message that names it', () => {
    expect(providerBaseUrlsFromEnv({ PROVIDER_BASE_URLS: JSON.stringify({ openai: 'http://127.0.0.1:1/v1' }) })).toEqual({ openai: 'http://127.0.0.1:1/v1' });
    expect(providerBaseUrlsFromEnv({})).toEqual({});
    expect(() => providerBaseUrlsFromEnv({ PROVIDER_BASE_URLS: '{"gemini":"http://x"}' })).toThrow(/PROVIDER_BASE_URLS: unknown provider kind 'gemini'/);
    expect(() => providerBaseUrlsFromEnv({ PROVIDER_BASE_URLS: 'not json' })).toThrow(/PROVIDER_BASE_URLS/);
  });
});

describe('retryAfterSecondsOf', () => {
  it('prefers retry-after-ms, then seconds, then an HTTP date', () => {
    expect(retryAfterSecondsOf(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }))).toBe(1.5);
    expect(retryAfterSecondsOf(new Headers({ 'retry-after': '9' }))).toBe(9);
    expect(retryAfterSecondsOf(new Headers({ 'retry-after': new Date(60_000).toUTCString() }), 30_000)).toBe(30);
    expect(retryAfterSecondsOf(new Headers())).toBeUndefined();
  });
});
