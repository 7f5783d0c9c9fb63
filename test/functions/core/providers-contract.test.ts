/**
 * The contract between the fetch adapters (functions/core/providers/) and the official SDKs they
 * replaced: the same request goes to the provider simulator over a real socket once through the
 * SDK-based reference adapter (test/support/sdk-provider-clients.ts) and once through ours, and
 * both must come back with the same normalised result — text, usage (cached tokens included),
 * stream deltas, error kind, status, retry-after and message — having sent the simulator the same
 * request body and charged it the same tokens. Bedrock is held to `@aws-sdk/client-bedrock-runtime`
 * the same way, signed with the same credentials (the access key id is the simulator's key).
 */
import { ProviderCallError, type ModelRequest, type ModelStreamEvent, type ProviderCallOptions, type ProviderClient, type ProviderFailureKind } from '#core/model-call';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { EventStreamCodec, type MessageHeaders } from '@smithy/core/event-streams';
import { AnthropicProviderClient, BedrockProviderClient, OpenAiProviderClient } from '#core/providers/index';
import { startProviderSimulator, type ProviderSimulator, type SimulatorConfigPatch } from '../../../local/simulator';
import { bedrockEventFrame } from '../../../local/simulator/bedrock-dialect';
import { closeServer, listenOnLoopback } from '../../../local/loopback-server';
import { SdkAnthropicProviderClient, SdkBedrockProviderClient, SdkOpenAiProviderClient } from '../../support/sdk-provider-clients';

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

const BEDROCK_MODEL = 'amazon.nova-pro-v1:0';
const bedrockOptions = { region: 'us-east-1', credentials: { accessKeyId: KEY, secretAccessKey: 'contract-secret', sessionToken: 'contract-session' } };
const BEDROCK: Pair = {
  provider: 'bedrock',
  sdk: () => new SdkBedrockProviderClient(BEDROCK_MODEL, simulator.bedrockEndpoint, bedrockOptions),
  ours: () => new BedrockProviderClient(BEDROCK_MODEL, simulator.bedrockEndpoint, bedrockOptions),
};
const both = (req: ModelRequest, opts: ProviderCallOptions = options) => [(c: ProviderClient) => completeOutcome(c, req, opts), (c: ProviderClient) => streamOutcome(c, { ...req, responseFormat: 'text' }, opts)];

describe('bedrock: our signed fetch answers as @aws-sdk/client-bedrock-runtime does', () => {
  it.each([
    ['a JSON answer', request()],
    ['a text answer', request({ responseFormat: 'text' })],
    ['an answer to an image', withImage()],
  ])('%s, with the prompt-cache reads in the usage', async (_label, req) => {
    for (const call of [(c: ProviderClient) => completeOutcome(c, req, options), (c: ProviderClient) => streamOutcome(c, req, options)]) {
      const outcome = await sameThroughBoth(BEDROCK, { cachedPromptTokens: CACHED }, call);
      expect(outcome.ok).toBe(true);
      expect(doneOf(outcome)?.usage.cachedTokens).toBe(CACHED);
      expect(doneOf(outcome)?.usage.outputTokens).toBeGreaterThan(0);
    }
  });

  it('streams the same deltas, more than one, before one done event', async () => {
    const outcome = await sameThroughBoth(BEDROCK, {}, (c) => streamOutcome(c, request({ responseFormat: 'text' }), options));
    expect(outcome.events.filter((e) => e.type === 'delta').length).toBeGreaterThan(1);
    expect(outcome.events.filter((e) => e.type === 'done')).toHaveLength(1);
  });

  it.each<[string, SimulatorConfigPatch, ProviderFailureKind, number | undefined, string | RegExp]>([
    ['a ThrottlingException (429)', { faults: { throttle: 1 }, throttleRetryAfterSeconds: 7 }, 'throttled', 429, 'ThrottlingException'],
    ['an InternalServerException (500)', { faults: { serverError: 1 } }, 'unavailable', 500, 'InternalServerException'],
    ['a ServiceUnavailableException under load (503)', { faults: { overloaded: 1 } }, 'throttled', 503, 'ServiceUnavailableException'],
    ['a switched-off model (503)', { disabledModels: { [BEDROCK_MODEL]: 'unavailable' } }, 'throttled', 503, 'ServiceUnavailableException'],
    ['a connection reset before any answer', { disabledModels: { [BEDROCK_MODEL]: 'reset' } }, 'unavailable', undefined, 'the connection failed'],
    ['a body that is neither JSON nor an event stream', { faults: { malformed: 1 } }, 'malformed', undefined, /not valid JSON|event stream was malformed/],
    ['an answer cut half-way', { faults: { cutStream: 1 } }, 'unavailable', undefined, 'closed before the answer was complete'],
    ['an access key the service does not know (403)', { keys: {} }, 'rejected', 403, 'UnrecognizedClientException'],
  ])('%s, plain and streamed', async (_label, config, kind, status, says) => {
    for (const call of both(request())) {
      const outcome = await sameThroughBoth(BEDROCK, config, call);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error).toMatchObject({ kind, status, provider: 'bedrock' });
      if (!outcome.ok) expect(outcome.error.message).toMatch(says);
      // Bedrock sends no retry-after, and neither reads the simulator's.
      if (!outcome.ok) expect(outcome.error.retryAfterSeconds).toBeUndefined();
    }
  });

  it('a stream cut half-way delivers the same deltas first', async () => {
    simulator.configure({ streamFrameDelayMs: 0 });
    const outcome = await sameThroughBoth(BEDROCK, { faults: { cutStream: 1 } }, (c) => streamOutcome(c, request({ responseFormat: 'text' }), options));
    expect(outcome.events.filter((e) => e.type === 'delta').length).toBeGreaterThan(0);
    expect(outcome.events.some((e) => e.type === 'done')).toBe(false);
  });

  it('a model that never answers: timeout when the attempt time is up', async () => {
    for (const call of both(request(), { ...options, timeoutMs: 150 })) {
      const outcome = await sameThroughBoth(BEDROCK, { faults: { timeout: 1 } }, call);
      expect(!outcome.ok && outcome.error.kind).toBe('timeout');
    }
  });

  it('a call whose caller has already given up: timeout, and nothing sent', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await sameThroughBoth(BEDROCK, {}, (c) => completeOutcome(c, request(), { ...options, signal: controller.signal }));
    expect(!outcome.ok && outcome.error.kind).toBe('timeout');
  });
});

/**
 * Exceptions inside a ConverseStream (`:message-type exception`, the exception type in lower camel
 * case) and unmodelled `:message-type error` messages: the simulator answers its faults before the
 * stream starts, so this replays a stream that starts, then fails, from a server of its own.
 */
describe('bedrock: an exception inside the event stream', () => {
  const codec = new EventStreamCodec(
    (bytes) => Buffer.from(bytes).toString('utf8'),
    (text) => new Uint8Array(Buffer.from(text, 'utf8')),
  );
  const str = (value: string) => ({ type: 'string' as const, value });
  const frame = (headers: MessageHeaders, payload: unknown) => codec.encode({ headers, body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')) });
  let failing: Server;
  let endpoint: string;
  let tail: Uint8Array[] = [];
  beforeAll(async () => {
    failing = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
        for (const bytes of [bedrockEventFrame('messageStart', { role: 'assistant' }), bedrockEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Your filling ' } }), ...tail]) res.write(bytes);
        res.end();
      });
    });
    endpoint = `http://127.0.0.1:${await listenOnLoopback(failing, 0)}`;
  });
  afterAll(() => closeServer(failing));

  it.each<[string, Uint8Array, ProviderFailureKind, number | undefined, string]>([
    ['throttlingException', frame({ ':message-type': str('exception'), ':exception-type': str('throttlingException'), ':content-type': str('application/json') }, { message: 'Too many tokens' }), 'throttled', 429, 'ThrottlingException'],
    ['serviceUnavailableException', frame({ ':message-type': str('exception'), ':exception-type': str('serviceUnavailableException'), ':content-type': str('application/json') }, { message: 'busy' }), 'throttled', 429, 'ServiceUnavailableException'],
    ['modelStreamErrorException', frame({ ':message-type': str('exception'), ':exception-type': str('modelStreamErrorException'), ':content-type': str('application/json') }, { message: 'the model failed' }), 'unavailable', undefined, 'ModelStreamErrorException'],
    ['internalServerException', frame({ ':message-type': str('exception'), ':exception-type': str('internalServerException'), ':content-type': str('application/json') }, { message: 'oops' }), 'unavailable', undefined, 'InternalServerException'],
    ['an unmodelled error message', frame({ ':message-type': str('error'), ':error-code': str('InternalFailure'), ':error-message': str('oops') }, {}), 'unavailable', undefined, 'InternalFailure'],
  ])('%s: the deltas before it, then the same failure', async (_label, exception, kind, status, says) => {
    tail = [exception];
    const outcomes = [];
    for (const client of [new SdkBedrockProviderClient(BEDROCK_MODEL, endpoint, bedrockOptions), new BedrockProviderClient(BEDROCK_MODEL, endpoint, bedrockOptions)]) {
      outcomes.push(await streamOutcome(client, request({ responseFormat: 'text' }), options));
    }
    const [sdk, ours] = outcomes;
    expect(ours).toEqual(sdk);
    expect(ours!.events).toEqual([{ type: 'delta', text: 'Your filling ' }]);
    expect(!ours!.ok && ours!.error).toMatchObject({ kind, status });
    expect(!ours!.ok && ours!.error.message).toContain(says);
  });
});

/**
 * The simulator does not check signatures (it has no secret key), so this checks them the way the
 * service does: from the request as received, with the secret, after the SigV4 rules
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html): the path's
 * already-encoded labels encoded once more, the signed headers as sent, the body's SHA-256.
 */
describe('bedrock: signed as the SDK signs', () => {
  const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const rfc3986 = (segment: string) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

  function verifies(method: string, path: string, headers: IncomingHttpHeaders, body: string, secret: string): boolean {
    const auth = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(String(headers.authorization));
    if (!auth) return false;
    const [, credential, signedHeaders, signature] = auth;
    const [, date, region, service] = credential!.split('/');
    const canonicalHeaders = signedHeaders!.split(';').map((name) => `${name}:${String(headers[name]).trim().replace(/\s+/g, ' ')}\n`).join('');
    const canonicalUri = path.split('/').map(rfc3986).join('/');
    const canonicalRequest = [method, canonicalUri, '', canonicalHeaders, signedHeaders, hex(body)].join('\n');
    const stringToSign = ['AWS4-HMAC-SHA256', String(headers['x-amz-date']), credential!.split('/').slice(1).join('/'), hex(canonicalRequest)].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), 'aws4_request');
    return createHmac('sha256', key).update(stringToSign).digest('hex') === signature;
  }

  let capture: Server;
  let endpoint: string;
  const seen: Array<{ method: string; path: string; headers: IncomingHttpHeaders; body: string }> = [];
  beforeAll(async () => {
    capture = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: '{"ok":true}' }] } }, stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 } }));
      });
    });
    endpoint = `http://127.0.0.1:${await listenOnLoopback(capture, 0)}`;
  });
  afterAll(() => closeServer(capture));

  it('both sign the path, host and body they send, with the session token, for bedrock in the Region', async () => {
    // An inference-profile ARN: its ':' and '/' must be encoded in the path exactly as signed.
    const model = 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3';
    for (const client of [new SdkBedrockProviderClient(model, endpoint, bedrockOptions), new BedrockProviderClient(model, endpoint, bedrockOptions)]) await client.complete(withImage(), options);
    expect(seen).toHaveLength(2);
    const [sdk, ours] = seen;
    expect(ours!.path).toBe(sdk!.path);
    expect(JSON.parse(ours!.body)).toEqual(JSON.parse(sdk!.body));
    for (const request of seen) {
      expect(request.headers.authorization).toMatch(new RegExp(`Credential=${KEY}/\\d{8}/us-east-1/bedrock/aws4_request`));
      expect(request.headers['x-amz-security-token']).toBe(bedrockOptions.credentials.sessionToken);
      expect(verifies(request.method, request.path, request.headers, request.body, bedrockOptions.credentials.secretAccessKey)).toBe(true);
      // The check can fail: the same request with another secret does not verify.
      expect(verifies(request.method, request.path, request.headers, request.body, 'another-secret')).toBe(false);
    }
  });
});

/**
 * Where the exception type comes from when the simulator's `x-amzn-ErrorType` header is absent:
 * the body's `__type` (a namespaced shape id) or `code`, as the SDK's restJson1 parser looks for
 * them, and a body that is no JSON at all (a proxy's 502 page), which leaves only the status.
 */
describe('bedrock: error answers named in the body, or not at all', () => {
  let answer: { status: number; headers: Record<string, string>; body: string } = { status: 500, headers: {}, body: '' };
  let errors: Server;
  let endpoint: string;
  beforeAll(async () => {
    errors = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      });
    });
    endpoint = `http://127.0.0.1:${await listenOnLoopback(errors, 0)}`;
  });
  afterAll(() => closeServer(errors));

  it.each<[string, typeof answer, ProviderFailureKind, number, string]>([
    ['a namespaced __type', { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: 'bad' }) }, 'rejected', 400, 'ValidationException'],
    ['a code field', { status: 429, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'ThrottlingException', message: 'slow down' }) }, 'throttled', 429, 'ThrottlingException'],
    ['the header, with its namespace suffix', { status: 403, headers: { 'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/', 'content-type': 'application/json' }, body: '{}' }, 'rejected', 403, 'AccessDeniedException'],
    ['a ModelNotReadyException', { status: 429, headers: { 'x-amzn-errortype': 'ModelNotReadyException', 'content-type': 'application/json' }, body: '{"message":"warming"}' }, 'throttled', 429, 'ModelNotReadyException'],
    ['no type and no JSON (a proxy page)', { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad Gateway</html>' }, 'unavailable', 502, 'HTTP 502'],
  ])('%s: the same failure through both', async (_label, served, kind, status, says) => {
    answer = served;
    for (const call of both(request())) {
      const outcomes = [];
      for (const client of [new SdkBedrockProviderClient(BEDROCK_MODEL, endpoint, bedrockOptions), new BedrockProviderClient(BEDROCK_MODEL, endpoint, bedrockOptions)]) outcomes.push(await call(client));
      const [sdk, ours] = outcomes;
      expect(ours).toEqual(sdk);
      expect(!ours!.ok && ours!.error).toMatchObject({ kind, status });
      expect(!ours!.ok && ours!.error.message).toContain(says);
    }
  });
});
