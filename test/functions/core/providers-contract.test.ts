/**
 * The contract between the fetch adapters (functions/core/providers/) and the official SDKs they
 * replaced: the same request goes to the provider simulator over a real socket once through the
 * SDK-based reference adapter (test/support/sdk-provider-clients.ts) and once through ours, and
 * both must come back with the same normalised result — text, usage (cached tokens included),
 * stream deltas, error kind, status, retry-after and message — having sent the simulator the same
 * request body and charged it the same tokens.
 */
import { ProviderCallError, type ModelRequest, type ModelStreamEvent, type ProviderCallOptions, type ProviderClient, type ProviderFailureKind } from '#core/model-call';
import { AnthropicProviderClient, OpenAiProviderClient } from '#core/providers/index';
import { startProviderSimulator, type ProviderSimulator, type SimulatorConfigPatch } from '../../../local/simulator';
import { SdkAnthropicProviderClient, SdkOpenAiProviderClient } from '../../support/sdk-provider-clients';

const KEY = 'sk-sim-contract';
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const CACHED = 7;

let simulator: ProviderSimulator;
beforeAll(async () => {
  simulator = await startProviderSimulator({ keys: { [KEY]: {} } });
});
afterAll(() => simulator.close());

interface Pair {
  provider: string;
  sdk: () => ProviderClient;
  ours: () => ProviderClient;
}
const PAIRS: Pair[] = [
  { provider: 'openai', sdk: () => new SdkOpenAiProviderClient('openai', 'gpt-5.4', simulator.openaiBaseUrl), ours: () => new OpenAiProviderClient('openai', 'gpt-5.4', simulator.openaiBaseUrl) },
  {
    provider: 'openai-compatible',
    sdk: () => new SdkOpenAiProviderClient('openai-compatible', 'llama-3.1-8b-instruct', `${simulator.openaiBaseUrl}/`),
    ours: () => new OpenAiProviderClient('openai-compatible', 'llama-3.1-8b-instruct', `${simulator.openaiBaseUrl}/`),
  },
  { provider: 'anthropic', sdk: () => new SdkAnthropicProviderClient('claude-sonnet-5-5', simulator.anthropicBaseUrl), ours: () => new AnthropicProviderClient('claude-sonnet-5-5', simulator.anthropicBaseUrl) },
];

const request = (overrides: Partial<ModelRequest> = {}): ModelRequest => ({
  task: 'chat',
  system: '[smartdental:chat.reply]\nYou are a dental practice assistant.',
  messages: [
    { role: 'user', content: 'My filling fell out.' },
    { role: 'assistant', content: 'I am sorry to hear that. Does it hurt?' },
    { role: 'user', content: 'A little, when I drink something cold.' },
  ],
  responseFormat: 'json',
  maxOutputTokens: 300,
  ...overrides,
});
const withImage = (overrides: Partial<ModelRequest> = {}) => request({ system: '[smartdental:imaging.findings]\nYou read dental radiographs.', images: [{ mediaType: 'image/png', dataBase64: PNG_BASE64 }], ...overrides });

type Outcome =
  | { ok: true; events: ModelStreamEvent[] }
  | { ok: false; events: ModelStreamEvent[]; error: { kind: ProviderFailureKind; status?: number; retryAfterSeconds?: number; message: string; provider: string; model: string } };

function failed(events: ModelStreamEvent[], error: unknown): Outcome {
  if (!(error instanceof ProviderCallError)) throw new Error(`not a ProviderCallError: ${String(error)}`);
  const { kind, status, retryAfterSeconds, message, provider, model } = error;
  return { ok: false, events, error: { kind, status, retryAfterSeconds, message, provider, model } };
}

/** A plain answer as one `done`-shaped event list, so plain and streamed outcomes compare alike. */
async function completeOutcome(client: ProviderClient, req: ModelRequest, options: ProviderCallOptions): Promise<Outcome> {
  try {
    const { text, usage, provider, model } = await client.complete(req, options);
    return { ok: true, events: [{ type: 'delta', text }, { type: 'done', usage, provider, model }] };
  } catch (error) {
    return failed([], error);
  }
}

async function streamOutcome(client: ProviderClient, req: ModelRequest, options: ProviderCallOptions): Promise<Outcome> {
  const events: ModelStreamEvent[] = [];
  try {
    for await (const event of client.stream(req, options)) events.push(event);
    return { ok: true, events };
  } catch (error) {
    return failed(events, error);
  }
}

interface Run {
  outcome: Outcome;
  /** The request body the simulator received, parsed. */
  sent: unknown;
  served: { inputTokens: number; outputTokens: number; requests: number };
}

async function run(client: ProviderClient, config: SimulatorConfigPatch, call: (client: ProviderClient) => Promise<Outcome>): Promise<Run> {
  simulator.configure({ keys: { [KEY]: {} }, faults: {}, modelFaults: {}, disabledModels: {}, throttleRetryAfterSeconds: 1, cachedPromptTokens: 0, ...config });
  simulator.resetStats();
  const outcome = await call(client);
  const received = simulator.received();
  const { inputTokens, outputTokens, requests } = simulator.stats().totals;
  return { outcome, sent: received.length ? JSON.parse(received.at(-1)!.body) : undefined, served: { inputTokens, outputTokens, requests } };
}

/** Runs the call through the SDK, then through our adapter, and requires the same result. */
async function sameThroughBoth(pair: Pair, config: SimulatorConfigPatch, call: (client: ProviderClient) => Promise<Outcome>): Promise<Outcome> {
  const sdk = await run(pair.sdk(), config, call);
  const ours = await run(pair.ours(), config, call);
  expect(ours.outcome).toEqual(sdk.outcome);
  expect(ours.sent).toEqual(sdk.sent);
  expect(ours.served).toEqual(sdk.served);
  return ours.outcome;
}

const options: ProviderCallOptions = { apiKey: KEY, timeoutMs: 5_000 };
const doneOf = (outcome: Outcome) => outcome.events.find((e): e is Extract<ModelStreamEvent, { type: 'done' }> => e.type === 'done');

describe.each(PAIRS)('$provider: our fetch adapter answers as the official SDK does', (pair) => {
  it.each([
    ['a JSON answer', request()],
    ['a text answer', request({ responseFormat: 'text' })],
    ['an answer to an image', withImage()],
  ])('%s, with the prompt-cache reads in the usage', async (_label, req) => {
    for (const call of [(c: ProviderClient) => completeOutcome(c, req, options), (c: ProviderClient) => streamOutcome(c, req, options)]) {
      const outcome = await sameThroughBoth(pair, { cachedPromptTokens: CACHED }, call);
      expect(outcome.ok).toBe(true);
      // Not a comparison of two empty answers: the usage carries what the simulator reported.
      expect(doneOf(outcome)?.usage.cachedTokens).toBe(CACHED);
      expect(doneOf(outcome)?.usage.outputTokens).toBeGreaterThan(0);
    }
  });

  it('streams the same deltas, more than one, before one done event', async () => {
    const outcome = await sameThroughBoth(pair, {}, (c) => streamOutcome(c, request({ responseFormat: 'text' }), options));
    expect(outcome.events.filter((e) => e.type === 'delta').length).toBeGreaterThan(1);
    expect(outcome.events.filter((e) => e.type === 'done')).toHaveLength(1);
  });

  it.each<[string, SimulatorConfigPatch, ProviderFailureKind, number | undefined]>([
    ['a 429 with retry-after', { faults: { throttle: 1 }, throttleRetryAfterSeconds: 7 }, 'throttled', 429],
    ['a 500', { faults: { serverError: 1 } }, 'unavailable', 500],
    ['a 529 overloaded', { faults: { overloaded: 1 } }, 'unavailable', 529],
    ['a switched-off model (503)', { disabledModels: { 'gpt-5.4': 'unavailable', 'llama-3.1-8b-instruct': 'unavailable', 'claude-sonnet-5-5': 'unavailable' } }, 'unavailable', 503],
    ['a connection reset before any answer', { disabledModels: { 'gpt-5.4': 'reset', 'llama-3.1-8b-instruct': 'reset', 'claude-sonnet-5-5': 'reset' } }, 'unavailable', undefined],
    ['a body that is not JSON', { faults: { malformed: 1 } }, 'malformed', undefined],
    ['an answer cut half-way', { faults: { cutStream: 1 } }, 'unavailable', undefined],
    ['an unknown key (401)', { keys: {} }, 'rejected', 401],
  ])('%s, plain and streamed', async (_label, config, kind, status) => {
    for (const call of [(c: ProviderClient) => completeOutcome(c, request(), options), (c: ProviderClient) => streamOutcome(c, request({ responseFormat: 'text' }), options)]) {
      const outcome = await sameThroughBoth(pair, config, call);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error).toMatchObject({ kind, status });
      if (!outcome.ok && kind === 'throttled') expect(outcome.error.retryAfterSeconds).toBe(7);
    }
  });

  it('a provider that never answers: timeout when the attempt time is up', async () => {
    for (const call of [(c: ProviderClient) => completeOutcome(c, request(), { ...options, timeoutMs: 150 }), (c: ProviderClient) => streamOutcome(c, request(), { ...options, timeoutMs: 150 })]) {
      const outcome = await sameThroughBoth(pair, { faults: { timeout: 1 } }, call);
      expect(!outcome.ok && outcome.error.kind).toBe('timeout');
    }
  });

  it('a call whose caller has already given up: timeout, and nothing sent', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await sameThroughBoth(pair, {}, (c) => completeOutcome(c, request(), { ...options, signal: controller.signal }));
    expect(!outcome.ok && outcome.error.kind).toBe('timeout');
  });
});
