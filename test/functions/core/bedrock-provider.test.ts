/**
 * The Bedrock adapter (a SigV4-signed fetch), pointed at the provider simulator's Converse API
 * over a real socket: JSON answers, image input, ConverseStream
 * with the metadata event's usage, cut streams, and Bedrock's throttles feeding the key pool's
 * cool-down and the chain's fallback exactly as a provider 429 does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CircuitBreaker } from '#core/circuit-breaker';
import { KeyPool, bedrockKeyOf } from '#core/key-pool';
import { keyFingerprint } from '#core/key-fingerprint';
import { ProviderCallError, type ModelRequest, type ModelStreamEvent } from '#core/model-call';
import type { SecretStore, TaskKeys } from '#core/ports';
import { ProviderChain, type ChainEvent } from '#core/provider-chain';
import { BedrockProviderClient, classifyBedrockError, providerClientFor, type ProviderBaseUrls } from '#core/providers/index';
import { BedrockServiceError } from '#core/providers/bedrock-signed-fetch';
import type { ProviderTarget } from '#core/task-config';
import { imageTokens, startProviderSimulator, textTokens, type ProviderSimulator } from '../../../local/simulator';
import { SIMULATED_ANSWERS } from '../../../local/simulator/answers';

/** The SigV4 access key id the SDK signs with (test/setup-env.ts): the simulator's "key". */
const ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID!;
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const PRIMARY: ProviderTarget = { provider: 'bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' };
const FALLBACK: ProviderTarget = { provider: 'bedrock', model: 'amazon.nova-pro-v1:0' };

let simulator: ProviderSimulator;
let endpoints: ProviderBaseUrls;
beforeAll(async () => {
  simulator = await startProviderSimulator({ keys: { [ACCESS_KEY_ID]: {} } });
  endpoints = { bedrock: simulator.bedrockEndpoint };
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.configure({ keys: { [ACCESS_KEY_ID]: {} }, faults: {}, modelFaults: {}, disabledModels: {} });
  simulator.resetStats();
});

const request = (overrides: Partial<ModelRequest> = {}): ModelRequest => ({
  task: 'clinical',
  system: '[smartdental:clinical.diagnoses]\nYou help a dentist.',
  messages: [{ role: 'user', content: 'Tooth #19 aches on cold.' }],
  responseFormat: 'json',
  maxOutputTokens: 400,
  ...overrides,
});
const call = { apiKey: bedrockKeyOf(PRIMARY.model).apiKey, timeoutMs: 5_000 };
const client = () => providerClientFor(PRIMARY, endpoints);

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

it('answers JSON through Converse, with the usage Bedrock reported and the model path-encoded', async () => {
  const response = await client().complete(request(), call);
  expect(response.provider).toBe('bedrock');
  expect(response.model).toBe(PRIMARY.model);
  expect(JSON.parse(response.text)).toEqual(SIMULATED_ANSWERS['clinical.diagnoses']!({ outputKind: 'clinical.diagnoses', userText: 'Tooth #19 aches on cold.', imageCount: 0 }));
  const stats = simulator.stats();
  // The inference-profile id (with its ':') reached the simulator intact through the path.
  expect(stats.models[PRIMARY.model]).toMatchObject({ requests: 1 });
  expect(response.usage).toEqual({ inputTokens: stats.totals.inputTokens, outputTokens: stats.totals.outputTokens, cachedTokens: 0 });
  // Signed with the role's credentials: the access key id is what the simulator counted against.
  expect(stats.keys[ACCESS_KEY_ID]).toMatchObject({ requests: 1 });
});

it('sends image bytes as a Converse image block (format png), counted as image tokens', async () => {
  const withImage = request({ images: [{ mediaType: 'image/png', dataBase64: PNG_BASE64 }] });
  const response = await client().complete(withImage, call);
  const without = await client().complete(request(), call);
  expect(response.usage.inputTokens - without.usage.inputTokens).toBe(imageTokens(PNG_BASE64));
});

it('streams through ConverseStream: text deltas, then done with the metadata event usage', async () => {
  const events = await collect(client().stream(request({ system: '[smartdental:chat.reply]\nBe kind.', responseFormat: 'text' }), call));
  const deltas = events.filter((e): e is Extract<ModelStreamEvent, { type: 'delta' }> => e.type === 'delta');
  expect(deltas.length).toBeGreaterThan(1);
  const text = deltas.map((d) => d.text).join('');
  expect(text).toBe(SIMULATED_ANSWERS['chat.reply']!({ outputKind: 'chat.reply', userText: 'Tooth #19 aches on cold.', imageCount: 0 }));
  const done = events.at(-1)!;
  expect(done).toMatchObject({ type: 'done', provider: 'bedrock', model: PRIMARY.model });
  expect((done as Extract<ModelStreamEvent, { type: 'done' }>).usage).toEqual({ inputTokens: simulator.stats().totals.inputTokens, outputTokens: textTokens(text), cachedTokens: 0 });
});

it('turns a stream cut half-way into an unavailable ProviderCallError, after the first deltas', async () => {
  simulator.configure({ faults: { cutStream: 1 } });
  const seen: ModelStreamEvent[] = [];
  const failure = await failureOf(
    (async () => {
      for await (const event of client().stream(request({ responseFormat: 'text' }), call)) seen.push(event);
    })(),
  );
  expect(failure.kind).toBe('unavailable');
  expect(seen.some((e) => e.type === 'done')).toBe(false);
});

it.each([
  ['throttle', 'throttled', 429, 'ThrottlingException'],
  ['overloaded', 'throttled', 503, 'ServiceUnavailableException'],
  ['serverError', 'unavailable', 500, 'InternalServerException'],
] as const)('maps the %s fault to %s (HTTP %d, %s)', async (fault, kind, status, exception) => {
  simulator.configure({ faults: { [fault]: 1 } });
  const failure = await failureOf(client().complete(request(), call));
  expect(failure).toMatchObject({ kind, status, provider: 'bedrock' });
  expect(failure.message).toContain(exception);
});

it('rejects a credential the service does not know (no retry fixes it)', async () => {
  simulator.configure({ keys: {} });
  const failure = await failureOf(client().complete(request(), call));
  expect(failure).toMatchObject({ kind: 'rejected', status: 403 });
  expect(simulator.stats().totals.unauthorized).toBe(1);
});

it('times out a hanging Converse call at the attempt limit', async () => {
  simulator.configure({ faults: { timeout: 1 } });
  const failure = await failureOf(client().complete(request(), { ...call, timeoutMs: 300 }));
  expect(failure.kind).toBe('timeout');
});

it('classifies ModelNotReadyException as a throttle and ValidationException/AccessDeniedException as rejections', () => {
  expect(classifyBedrockError(new BedrockServiceError('ModelNotReadyException', 429), { model: 'm', timedOut: false }).kind).toBe('throttled');
  // Inside a ConverseStream an exception event has a name but no HTTP status.
  expect(classifyBedrockError(new BedrockServiceError('ThrottlingException', undefined), { model: 'm', timedOut: false })).toMatchObject({ kind: 'throttled', status: 429 });
  expect(classifyBedrockError(new BedrockServiceError('ModelStreamErrorException', undefined), { model: 'm', timedOut: false })).toMatchObject({ kind: 'unavailable', status: undefined });
  for (const [name, status] of [['ValidationException', 400], ['AccessDeniedException', 403]] as const) {
    expect(classifyBedrockError(new BedrockServiceError(name, status), { model: 'm', timedOut: false })).toMatchObject({ kind: 'rejected', status });
  }
  // An answer that names no exception type falls back to its status.
  expect(classifyBedrockError(new BedrockServiceError(undefined, 502), { model: 'm', timedOut: false })).toMatchObject({ kind: 'unavailable', status: 502 });
});

describe('through the provider chain and the key pool', () => {
  class NoSecrets implements SecretStore {
    reads = 0;
    async getKeys(): Promise<TaskKeys> {
      this.reads += 1;
      return {};
    }
  }

  function harness() {
    const clock = { now: Date.now() };
    const sleeps: number[] = [];
    const events: ChainEvent[] = [];
    const secrets = new NoSecrets();
    const pool = new KeyPool(secrets, { now: () => clock.now, defaultCoolDownMs: 5_000 });
    const chain = new ProviderChain([PRIMARY, FALLBACK], pool, (t) => providerClientFor(t, endpoints), new CircuitBreaker({ failureThreshold: 100 }), {
      maxAttemptsPerProvider: 3,
      now: () => clock.now,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.now += ms;
      },
    });
    const run = (deadlineInMs = 3_000) => chain.complete(request(), { deadline: clock.now + deadlineInMs, onEvent: (e) => events.push(e) });
    return { pool, secrets, sleeps, events, run, clock };
  }

  it('needs no secret: the ledger key is a fingerprint of the model id', async () => {
    const h = harness();
    const result = await h.run();
    expect(result).toMatchObject({ target: PRIMARY, fallbackUsed: false, keyFingerprint: keyFingerprint(`bedrock:${PRIMARY.model}`) });
    expect(h.secrets.reads).toBe(0);
  });

  it('a ThrottlingException cools the model down, is counted as a provider throttle, and the chain falls back', async () => {
    simulator.configure({ modelFaults: { [PRIMARY.model]: { throttle: 1 } } });
    const h = harness();
    const first = await h.run();
    expect(first).toMatchObject({ target: FALLBACK, fallbackUsed: true, keyFingerprint: keyFingerprint(`bedrock:${FALLBACK.model}`) });
    const primaryFingerprint = keyFingerprint(`bedrock:${PRIMARY.model}`);
    expect(h.events.filter((e) => e.type === 'provider-throttled')).toEqual([expect.objectContaining({ keyFingerprint: primaryFingerprint })]);
    expect(h.pool.coolingKeys()).toEqual([primaryFingerprint]);
    // Bedrock sends no retry-after: the default cool-down outlasts this deadline, so no second call was made.
    expect(simulator.stats().models[PRIMARY.model]).toMatchObject({ requests: 1, throttled: 1 });

    // While it cools, the primary is skipped without a call.
    const second = await h.run();
    expect(second.target).toEqual(FALLBACK);
    expect(simulator.stats().models[PRIMARY.model]!.requests).toBe(1);

    // After the cool-down the primary answers again.
    simulator.configure({ modelFaults: {} });
    h.clock.now += 5_001;
    expect((await h.run()).target).toEqual(PRIMARY);
  });

  it('every Bedrock model throttled: the caller gets the 429 of a rate-limited provider', async () => {
    simulator.configure({ faults: { throttle: 1 } });
    const h = harness();
    await expect(h.run()).rejects.toMatchObject({ name: 'ProviderThrottledError' });
  });
});

it('sends every request to the endpoint it was given, not the Region default', async () => {
  const direct = new BedrockProviderClient(FALLBACK.model, simulator.bedrockEndpoint, { region: 'eu-central-1', credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: 'unused' } });
  await direct.complete(request(), call);
  expect(simulator.stats().models[FALLBACK.model]).toMatchObject({ requests: 1 });
});

it('without key variables in the environment (a laptop with a profile), signs with the SDK default credential chain', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedrock-profile-'));
  const saved = { ...process.env };
  try {
    writeFileSync(join(dir, 'credentials'), '[dental-demo]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret\n');
    // What the local runtime sets for SMARTDENTAL_BEDROCK=real with an AWS_PROFILE (local/runtime/task-keys.ts).
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'dental-demo', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') });
    simulator.configure({ keys: { AKIDFROMPROFILE: {} } });
    await new BedrockProviderClient(FALLBACK.model, simulator.bedrockEndpoint, { region: 'us-east-1' }).complete(request(), call);
    expect(simulator.stats().keys.AKIDFROMPROFILE).toMatchObject({ requests: 1 });
  } finally {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

it('signs with the session token of the environment, as Lambda hands the role to the function', async () => {
  // The simulator ignores the token; a real endpoint refuses temporary credentials without it.
  const saved = process.env.AWS_SESSION_TOKEN;
  let seen: string | undefined;
  const realFetch = globalThis.fetch;
  try {
    process.env.AWS_SESSION_TOKEN = 'token-from-the-execution-role';
    globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      seen = new Headers(init?.headers).get('x-amz-security-token') ?? undefined;
      return realFetch(input, init);
    }) as typeof fetch;
    await client().complete(request(), call);
    expect(seen).toBe('token-from-the-execution-role');
  } finally {
    globalThis.fetch = realFetch;
    if (saved === undefined) delete process.env.AWS_SESSION_TOKEN;
    else process.env.AWS_SESSION_TOKEN = saved;
  }
});

it('leaves the Bedrock Runtime client out of every function: the provider factory bundles none of it', async () => {
  // Bundled with nothing external (as if the AWS SDK were bundled too), the factory's inputs show what it pulls in.
  const result = await build({ entryPoints: ['functions/core/providers/index.ts'], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', logLevel: 'silent' });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((path) => path.includes('node_modules/@smithy/signature-v4/'))).toBe(true);
  expect(inputs.filter((path) => path.includes('@aws-sdk/client-bedrock-runtime/'))).toEqual([]);
});
