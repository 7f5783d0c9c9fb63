/**
 * OpenAI Chat Completions over `fetch`; also serves `openai-compatible` model servers (vLLM,
 * Ollama, llama.cpp) through their base URL. No SDK: the provider chain does the retrying, with
 * backoff bounded by the function's remaining time, and test/functions/core/providers-contract.test.ts
 * holds this adapter to what the official `openai` SDK makes of the same answers.
 */
import { ProviderCallError, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ModelUsage, type ProviderCallOptions, type ProviderClient } from '../model-call';
import { attemptSignal } from './attempt-signal';
import { classifyProviderError } from './provider-errors';
import { isTokenCount, jsonOf, postJson } from './provider-http';
import { serverSentEvents } from './server-sent-events';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** OpenAI's JSON mode refuses a prompt that never mentions JSON, so one is added when missing. */
const JSON_INSTRUCTION = 'Answer with one JSON object and nothing else.';

type ContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string | ContentPart[] };
interface ChatCompletionBody {
  model: string;
  messages: ChatMessage[];
  max_completion_tokens?: number;
  max_tokens?: number;
  response_format?: { type: 'json_object' };
}
/** The part of an answer (or of a stream chunk) this adapter reads. */
interface Completion {
  choices?: Array<{ message?: { content?: unknown }; delta?: { content?: unknown } }>;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null } | null;
  error?: unknown;
}

export class OpenAiProviderClient implements ProviderClient {
  private readonly url: string;

  constructor(
    readonly provider: 'openai' | 'openai-compatible',
    readonly model: string,
    /** Undefined: api.openai.com. */
    baseUrl?: string,
  ) {
    this.url = `${(baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '')}/chat/completions`;
  }

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const response = await postJson(this.url, this.headers(options.apiKey), { ...this.body(request), stream: false }, attempt.signal);
      const completion = (await jsonOf(response)) as Completion | null;
      const text = completion?.choices?.[0]?.message?.content;
      if (typeof text !== 'string') throw this.malformed('the answer carries no message content');
      const usage = completion?.usage ? this.usageOf(completion.usage) : undefined;
      if (!usage) throw this.malformed('the answer carries no usage');
      return { text, usage, provider: this.provider, model: this.model };
    } catch (error) {
      throw this.classify(error, attempt.timedOut());
    } finally {
      attempt.dispose();
    }
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const attempt = attemptSignal(options);
    try {
      const response = await postJson(this.url, { ...this.headers(options.apiKey), accept: 'text/event-stream' }, { ...this.body(request), stream: true, stream_options: { include_usage: true } }, attempt.signal);
      if (!response.body) throw this.malformed('the answer carries no event stream');
      let usage: ModelUsage | undefined;
      let finished = false;
      for await (const event of serverSentEvents(response.body)) {
        if (finished) continue;
        if (event.data.startsWith('[DONE]')) {
          finished = true;
          continue;
        }
        const chunk = JSON.parse(event.data) as Completion | null;
        // An error object in the stream: the provider failed after the headers (no status to go by).
        if (chunk?.error) throw new ProviderCallError('unavailable', this.provider, this.model, `${this.provider} ${this.model}: the stream carried an error event`);
        const delta = chunk?.choices?.[0]?.delta?.content;
        if (typeof delta === 'string' && delta) yield { type: 'delta', text: delta };
        if (chunk?.usage) usage = this.usageOf(chunk.usage) ?? usage;
      }
      // The usage chunk is the last one; without it the stream was cut or the server ignored include_usage.
      if (!usage) throw this.malformed('the stream ended without its usage chunk');
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
    return { authorization: `Bearer ${apiKey}` };
  }

  private body(request: ModelRequest): ChatCompletionBody {
    const json = request.responseFormat === 'json';
    const system = json && !/json/i.test(request.system) ? `${request.system}\n${JSON_INSTRUCTION}` : request.system;
    const messages: ChatMessage[] = [{ role: 'system', content: system }];
    const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
    request.messages.forEach((turn, index) => {
      if (turn.role === 'user' && index === lastUser && request.images?.length) {
        const parts: ContentPart[] = [
          { type: 'text', text: turn.content },
          ...request.images.map((image): ContentPart => ({ type: 'image_url', image_url: { url: `data:${image.mediaType};base64,${image.dataBase64}` } })),
        ];
        messages.push({ role: 'user', content: parts });
      } else messages.push({ role: turn.role, content: turn.content });
    });
    return {
      model: this.model,
      messages,
      // OpenAI's current models take max_completion_tokens only; model servers commonly know max_tokens only.
      ...(this.provider === 'openai' ? { max_completion_tokens: request.maxOutputTokens } : { max_tokens: request.maxOutputTokens }),
      ...(json ? { response_format: { type: 'json_object' as const } } : {}),
    };
  }

  /** Undefined when the counts are not token counts (the caller calls that malformed). */
  private usageOf(usage: NonNullable<Completion['usage']>): ModelUsage | undefined {
    const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
    if (!isTokenCount(usage.prompt_tokens) || !isTokenCount(usage.completion_tokens) || !isTokenCount(cached)) return undefined;
    return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, cachedTokens: cached };
  }

  private malformed(message: string): ProviderCallError {
    return new ProviderCallError('malformed', this.provider, this.model, `${this.provider} ${this.model}: ${message}`);
  }

  private classify(error: unknown, timedOut: boolean): ProviderCallError {
    return classifyProviderError(error, { provider: this.provider, model: this.model, timedOut });
  }
}
