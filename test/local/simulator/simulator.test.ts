/**
 * The provider simulator, driven through the official SDKs over real sockets: if these pass, the
 * gateway's adapters, the local runtime and the benchmark can use it in place of the providers.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { imageTokens, startProviderSimulator, textTokens, type ProviderSimulator } from '../../../local/simulator';
import { SIMULATED_ANSWERS } from '../../../local/simulator/answers';

const KEY = 'sk-sim-clinical-1';
const OTHER_KEY = 'sk-sim-clinical-2';
// A 1x1 PNG.
const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

let simulator: ProviderSimulator;

beforeAll(async () => {
  simulator = await startProviderSimulator({ keys: { [KEY]: {}, [OTHER_KEY]: {} } });
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.configure({ keys: { [KEY]: {}, [OTHER_KEY]: {} }, faults: {}, modelFaults: {}, disabledModels: {}, acceptAnyKey: false });
  simulator.resetStats();
});

const openai = (apiKey = KEY, timeout = 10_000) => new OpenAI({ apiKey, baseURL: simulator.openaiBaseUrl, maxRetries: 0, timeout });
const anthropic = (apiKey = KEY, timeout = 10_000) => new Anthropic({ apiKey, baseURL: simulator.anthropicBaseUrl, maxRetries: 0, timeout });
const chatSystem = '[smartdental:chat.reply]\nYou are a dental practice assistant.';
const chatReply = (userText: string) => SIMULATED_ANSWERS['chat.reply']!({ outputKind: 'chat.reply', userText, imageCount: 0 });
const expectedText = (userText: string) => {
  const answer = chatReply(userText);
  return typeof answer === 'string' ? answer : (answer as { reply: string }).reply;
};

describe('OpenAI Chat Completions', () => {
  it('answers a JSON request with an image, reports usage from lengths and says it is simulated', async () => {
    const user = 'Please look at this radiograph.';
    const { data, response } = await openai()
      .chat.completions.create({
        model: 'gpt-5.4',
        response_format: { type: 'json_object' },
        max_completion_tokens: 500,
        messages: [
          { role: 'system', content: chatSystem },
          { role: 'user', content: [{ type: 'text', text: user }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } }] },
        ],
      })
      .withResponse();

    const content = data.choices[0]!.message.content!;
    expect(JSON.parse(content)).toEqual(chatReply(user));
    expect(data.system_fingerprint).toBe('smartdental-simulator');
    expect(response.headers.get('x-simulated')).toBe('true');
    expect(data.usage).toMatchObject({
      prompt_tokens: textTokens(chatSystem) + textTokens(user) + imageTokens(PNG_BASE64),
      completion_tokens: textTokens(content),
    });
    expect(simulator.stats().keys[KEY]).toMatchObject({ requests: 1, inputTokens: data.usage!.prompt_tokens, outputTokens: data.usage!.completion_tokens });
  });

  it('answers a text request with the reply text, and { simulated: true } for an unknown kind', async () => {
    const text = await openai().chat.completions.create({ model: 'gpt-5.4-mini', messages: [{ role: 'system', content: chatSystem }, { role: 'user', content: 'Hello' }] });
    expect(text.choices[0]!.message.content).toBe(expectedText('Hello'));

    const unknown = await openai().chat.completions.create({
      model: 'gpt-5.4-mini',
      response_format: { type: 'json_object' },
      messages: [{ role: 'system', content: 'No marker here' }, { role: 'user', content: 'Hello' }],
    });
    expect(JSON.parse(unknown.choices[0]!.message.content!)).toEqual({ simulated: true });
  });

  it('streams deltas and a final usage chunk when include_usage is set', async () => {
    const stream = await openai().chat.completions.create({
      model: 'gpt-5.4',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'system', content: chatSystem }, { role: 'user', content: 'Hi there' }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(expectedText('Hi there'));
    expect(usage).toMatchObject({ prompt_tokens: textTokens(chatSystem) + textTokens('Hi there'), completion_tokens: textTokens(text) });
  });

  it('rejects an unknown key with 401 and a provider-shaped body', async () => {
    const error = await openai('sk-not-a-key').chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
    expect(simulator.stats().totals.unauthorized).toBe(1);
  });

  it('enforces requests per minute with 429, retry-after and x-ratelimit headers', async () => {
    simulator.configure({ keys: { [KEY]: { rpm: 2 } } });
    const ask = () => openai().chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] });
    await ask();
    await ask();
    const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(Number(error.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(error.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(error.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(error.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(simulator.stats().keys[KEY]).toMatchObject({ requests: 3, throttled: 1 });
  });

  it('returns a 200 with a body that is not JSON for the malformed fault', async () => {
    simulator.configure({ faults: { malformed: 1 } });
    const error = await openai().chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    // Compared by name: jest gives each test file its own realm, so instanceof SyntaxError fails.
    expect((error as Error).name).toBe('SyntaxError');
  });

  it('answers valid JSON of the wrong shape for the schema fault of one model only', async () => {
    simulator.configure({ modelFaults: { 'gpt-5.4': { schema: 1 } } });
    const ask = (model: string) =>
      openai().chat.completions.create({ model, response_format: { type: 'json_object' }, messages: [{ role: 'system', content: chatSystem }, { role: 'user', content: 'x' }] });
    expect(JSON.parse((await ask('gpt-5.4')).choices[0]!.message.content!)).toHaveProperty('unexpected');
    expect(JSON.parse((await ask('gpt-5.4-mini')).choices[0]!.message.content!)).toEqual(chatReply('x'));
  });

  it('cuts a stream half-way: the SDK iteration throws instead of hanging', async () => {
    simulator.configure({ faults: { cutStream: 1 } });
    const stream = await openai().chat.completions.create({ model: 'gpt-5.4', stream: true, messages: [{ role: 'system', content: chatSystem }, { role: 'user', content: 'x' }] });
    const consume = async () => {
      for await (const chunk of stream) void chunk;
    };
    await expect(consume()).rejects.toThrow();
    expect(simulator.stats().models['gpt-5.4']).toMatchObject({ failures: 1, outputTokens: 0 });
  });

  it('hangs for the timeout fault until the client gives up', async () => {
    simulator.configure({ faults: { timeout: 1 } });
    const error = await openai(KEY, 300).chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    // Under jest the SDK sees a cross-realm AbortError and reports a plain connection error; the
    // adapters therefore keep their own timer and do not rely on the SDK's class.
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(simulator.stats().models['gpt-5.4']).toMatchObject({ requests: 1, failures: 1 });
  });
});

describe('Anthropic Messages', () => {
  it('answers with image blocks, JSON when the system prompt asks for it, and usage', async () => {
    const system = `${chatSystem}\nAnswer with one JSON object.`;
    const message = await anthropic().messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 500,
      system,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
            { type: 'text', text: 'What do you see?' },
          ],
        },
      ],
    });
    const block = message.content[0]!;
    expect(block.type).toBe('text');
    const text = (block as Anthropic.TextBlock).text;
    expect(JSON.parse(text)).toEqual(chatReply('What do you see?'));
    expect(message.usage.input_tokens).toBe(textTokens(system) + textTokens('What do you see?') + imageTokens(PNG_BASE64));
    expect(message.usage.output_tokens).toBe(textTokens(text));
  });

  it('streams message_start … message_stop with the usage in message_delta', async () => {
    const stream = anthropic().messages.stream({ model: 'claude-haiku-5-5', max_tokens: 200, system: chatSystem, messages: [{ role: 'user', content: 'Hello' }] });
    const seen: string[] = [];
    let text = '';
    for await (const event of stream) {
      seen.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    const final = await stream.finalMessage();
    expect(text).toBe(expectedText('Hello'));
    expect(seen[0]).toBe('message_start');
    expect(seen).toEqual(expect.arrayContaining(['content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']));
    expect(final.usage.output_tokens).toBe(textTokens(text));
    expect(final.usage.input_tokens).toBe(textTokens(chatSystem) + textTokens('Hello'));
  });

  it('accepts the key as x-api-key too, and rejects an unknown one with 401', async () => {
    const viaHeader = await fetch(`${simulator.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(viaHeader.status).toBe(200);
    const error = await anthropic('sk-ant-unknown').messages.create({ model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).type).toBe('authentication_error');
  });

  it('enforces tokens per minute with 429 and anthropic-ratelimit headers', async () => {
    simulator.configure({ keys: { [KEY]: { tpm: 40 } } });
    const ask = () => anthropic().messages.create({ model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'a'.repeat(100) }] });
    await ask();
    const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.headers.get('anthropic-ratelimit-tokens-limit')).toBe('40');
    expect(Number(error.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('answers 529 overloaded for the overloaded fault', async () => {
    simulator.configure({ faults: { overloaded: 1 } });
    const error = await anthropic().messages.create({ model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.InternalServerError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.InternalServerError>).type).toBe('overloaded_error');
  });
});

describe('limits, kill switch and the admin API', () => {
  it('uses a sliding window when asked: the retry-after is the time until the oldest request leaves it', async () => {
    let clock = 1_000_000;
    const sliding = await startProviderSimulator({ keys: { [KEY]: { rpm: 1 } }, rateLimitWindow: 'sliding', now: () => clock });
    try {
      const client = new OpenAI({ apiKey: KEY, baseURL: sliding.openaiBaseUrl, maxRetries: 0 });
      const ask = () => client.chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] });
      await ask();
      clock += 45_000;
      const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
      expect(error.headers.get('retry-after')).toBe('15');
      clock += 15_001;
      await expect(ask()).resolves.toBeDefined();
    } finally {
      await sliding.close();
    }
  });

  it('counts limits per compressed window when rateLimitWindowMs is shorter than a minute', async () => {
    let clock = 1_000_000;
    const compressed = await startProviderSimulator({ keys: { [KEY]: { rpm: 1 } }, rateLimitWindow: 'sliding', rateLimitWindowMs: 10_000, now: () => clock });
    try {
      const client = new OpenAI({ apiKey: KEY, baseURL: compressed.openaiBaseUrl, maxRetries: 0 });
      const ask = () => client.chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] });
      await ask();
      clock += 4_000;
      const error = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
      expect(error.headers.get('retry-after')).toBe('6');
      clock += 6_001;
      await expect(ask()).resolves.toBeDefined();
      expect(() => compressed.configure({ rateLimitWindowMs: 10 })).toThrow(/at least 1000/);
    } finally {
      await compressed.close();
    }
  });

  it('switches a model off through POST /_sim/config and reports stats through GET /_sim/stats', async () => {
    const config = await fetch(`${simulator.url}/_sim/config`, { method: 'POST', body: JSON.stringify({ disabledModels: ['gpt-5.4'] }) });
    expect(config.status).toBe(200);
    const error = await openai().chat.completions.create({ model: 'gpt-5.4', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);
    await openai(OTHER_KEY).chat.completions.create({ model: 'gpt-5.4-nano', messages: [{ role: 'user', content: 'x' }] });

    const stats = (await (await fetch(`${simulator.url}/_sim/stats`)).json()) as ReturnType<ProviderSimulator['stats']>;
    expect(stats.models['gpt-5.4']).toMatchObject({ requests: 1, failures: 1 });
    expect(stats.models['gpt-5.4-nano']).toMatchObject({ requests: 1, failures: 0 });
    expect(stats.keys[OTHER_KEY]!.fingerprint).toMatch(/^k_[0-9a-f]{12}$/);
  });

  it('resets the connection for a model switched off with reset', async () => {
    simulator.configure({ disabledModels: { 'claude-haiku-5-5': 'reset' } });
    const error = await anthropic().messages.create({ model: 'claude-haiku-5-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('refuses an invalid config with 400 and keeps the old one', async () => {
    const response = await fetch(`${simulator.url}/_sim/config`, { method: 'POST', body: JSON.stringify({ faults: { throttle: 2 } }) });
    expect(response.status).toBe(400);
    expect(simulator.config().faults).toEqual({});
  });

  it('keeps the last request bodies it received in a bounded ring, through received() and GET /_sim/received', async () => {
    const small = await startProviderSimulator({ keys: { [KEY]: {} }, receivedLimit: 2 });
    try {
      const client = new OpenAI({ apiKey: KEY, baseURL: small.openaiBaseUrl, maxRetries: 0, timeout: 10_000 });
      for (const text of ['first question', 'second question', 'third question']) {
        await client.chat.completions.create({ model: 'gpt-sim', messages: [{ role: 'system', content: chatSystem }, { role: 'user', content: text }] });
      }
      const received = small.received();
      expect(received.map((r) => JSON.parse(r.body).messages[1].content)).toEqual(['second question', 'third question']);
      expect(received[0]).toMatchObject({ dialect: 'openai', path: '/v1/chat/completions', truncated: false });
      const overHttp = (await (await fetch(`${small.url}/_sim/received`)).json()) as unknown[];
      expect(overHttp).toEqual(received);
      small.resetStats();
      expect(small.received()).toEqual([]);
    } finally {
      await small.close();
    }
  });

  it('repeats placeholders a scrubbing gateway sent, as a model would', () => {
    expect(expectedText('Hi, I am [NAME_1], call [PHONE_1].')).toMatch(/Noted: \[NAME_1\], \[PHONE_1\]\.$/);
    expect(expectedText('Hi, I am Ana.')).not.toMatch(/Noted/);
  });
});
