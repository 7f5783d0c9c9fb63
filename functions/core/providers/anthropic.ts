/**
 * Anthropic Messages over `fetch`. Anthropic has no JSON mode, so a JSON request gets an
 * instruction in the system prompt (and a fenced answer is unwrapped). No SDK: the provider chain
 * does the retrying, and test/functions/core/providers-contract.test.ts holds this adapter to what
 * the official `@anthropic-ai/sdk` makes of the same answers.
 */
import { ProviderCallError, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ModelUsage, type ProviderCallOptions, type ProviderClient } from '../model-call';
import { attemptSignal } from './attempt-signal';
import { JSON_ONLY_INSTRUCTION, unfence } from './json-answer';
import { classifyProviderError } from './provider-errors';
import { isTokenCount, jsonOf, postJson } from './provider-http';
import { serverSentEvents } from './server-sent-events';

const DEFAULT_BASE_URL = 'https://api.anthropic.com';
/**
 * The API version and the key header `@anthropic-ai/sdk` 1.x sends (its client.js `buildHeaders`
 * and `apiKeyAuth`); the contract test proves the simulator, built to that SDK, accepts them.
 */
const ANTHROPIC_VERSION = '2026-10-21';

export const ANTHROPIC_JSON_INSTRUCTION = JSON_ONLY_INSTRUCTION;

type ContentBlock = { type: 'text'; text: string } | { type: 'image'; source: { type: 'base64'; media_type: string; data: string } };
interface MessagesBody {
  model: string;
  max_tokens: number;
  system: string;
  messages: Array<{ role: 'user' | 'assistant'; content: string | ContentBlock[] }>;
}
interface Usage {
  input_tokens?: unknown;
  output_tokens?: unknown;
  cache_read_input_tokens?: unknown;
  cache_creation_input_tokens?: unknown;
}
/** The part of a message, or of a stream event, this adapter reads. */
interface MessageEvent {
  type?: unknown;
  content?: Array<{ type?: unknown; text?: unknown }>;
  usage?: Usage | null;
  message?: { usage?: Usage | null };
  delta?: { type?: unknown; text?: unknown };
}

export class AnthropicProviderClient implements ProviderClient {
  readonly provider = 'anthropic' as const;
  private readonly url: string;

  constructor(
    readonly model: string,
    /** Undefined: api.anthropic.com. */
    baseUrl?: string,
  ) {
    this.url = `${(baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '')}/v1/messages`;
  }

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const response = await postJson(this.url, this.headers(options.apiKey), { ...this.body(request), stream: false }, attempt.signal);
      const message = (await jsonOf(response)) as MessageEvent | null;
      const texts = (Array.isArray(message?.content) ? message.content : []).flatMap((block) => (block?.type === 'text' && typeof block.text === 'string' ? [block.text] : []));
      const usage = message?.usage ? usageOf(message.usage, message.usage.output_tokens) : undefined;
      if (texts.length === 0 || !usage) throw this.malformed('the answer carries no text block or no usage');
      const text = texts.join('');
      return { text: request.responseFormat === 'json' ? unfence(text) : text, usage, provider: this.provider, model: this.model };
    } catch (error) {
      throw this.classify(error, attempt.timedOut());
    } finally {
      attempt.dispose();
    }
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const attempt = attemptSignal(options);
    try {
      const response = await postJson(this.url, { ...this.headers(options.apiKey), accept: 'text/event-stream' }, { ...this.body(request), stream: true }, attempt.signal);
      if (!response.body) throw this.malformed('the answer carries no event stream');
      let started: Usage | undefined;
      let outputTokens: unknown = 0;
      let stopped = false;
      for await (const sse of serverSentEvents(response.body)) {
        // Like the SDK: events without a name and pings carry nothing; an `error` event is the provider failing mid-stream.
        if (sse.event === null || sse.event === 'ping') continue;
        if (sse.event === 'error') throw new ProviderCallError('unavailable', this.provider, this.model, `${this.provider} ${this.model}: the stream carried an error event`);
        if (!sse.data) continue;
        const event = JSON.parse(sse.data) as MessageEvent | null;
        if (event?.type === 'message_start') started = event.message?.usage ?? undefined;
        else if (event?.type === 'content_block_delta' && event.delta?.type === 'text_delta' && typeof event.delta.text === 'string' && event.delta.text) yield { type: 'delta', text: event.delta.text };
        // message_delta's output_tokens is cumulative: the last one is the total.
        else if (event?.type === 'message_delta') outputTokens = event.usage?.output_tokens;
        else if (event?.type === 'message_stop') stopped = true;
      }
      if (!started || !stopped) throw this.malformed('the stream ended before message_stop');
      const usage = usageOf(started, outputTokens);
      if (!usage) throw this.malformed('the stream carried no usable usage');
      // The consumer may never ask past `done`, so this generator's finally may never run: stop the timer now.
      attempt.dispose();
      yield { type: 'done', usage, provider: this.provider, model: this.model };
    } catch (error) {
      throw this.classify(error, attempt.timedOut());
    } finally {
      attempt.dispose();
    }
  }

  private headers(apiKey: string): Record<string, string> {
    return { authorization: `Bearer ${apiKey}`, 'anthropic-version': ANTHROPIC_VERSION };
  }

  private body(request: ModelRequest): MessagesBody {
    const system = request.responseFormat === 'json' ? `${request.system}\n\n${ANTHROPIC_JSON_INSTRUCTION}` : request.system;
    const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
    const messages = request.messages.map((turn, index): MessagesBody['messages'][number] => {
      if (turn.role !== 'user' || index !== lastUser || !request.images?.length) return { role: turn.role, content: turn.content };
      // Images before the text, as Anthropic recommends for vision prompts.
      const content: ContentBlock[] = [
        ...request.images.map((image): ContentBlock => ({ type: 'image', source: { type: 'base64', media_type: image.mediaType, data: image.dataBase64 } })),
        { type: 'text', text: turn.content },
      ];
      return { role: 'user', content };
    });
    return { model: this.model, max_tokens: request.maxOutputTokens, system, messages };
  }

  private malformed(message: string): ProviderCallError {
    return new ProviderCallError('malformed', this.provider, this.model, `${this.provider} ${this.model}: ${message}`);
  }

  private classify(error: unknown, timedOut: boolean): ProviderCallError {
    return classifyProviderError(error, { provider: this.provider, model: this.model, timedOut });
  }
}

/**
 * Total input tokens, whether served from Anthropic's prompt cache or not (its `input_tokens`
 * excludes cache reads and writes); `cachedTokens` are the cache reads. Undefined when a count is
 * not a token count (the caller calls that malformed).
 */
function usageOf(usage: Usage, outputTokens: unknown): ModelUsage | undefined {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  if (!isTokenCount(usage.input_tokens) || !isTokenCount(outputTokens) || !isTokenCount(cacheRead) || !isTokenCount(cacheWrite)) return undefined;
  return { inputTokens: usage.input_tokens + cacheRead + cacheWrite, outputTokens, cachedTokens: cacheRead };
}
