/**
 * OpenAI Chat Completions through the official `openai` SDK; also serves `openai-compatible`
 * model servers (vLLM, Ollama, llama.cpp) through their base URL. SDK retries are off: the
 * provider chain does the retrying, with backoff bounded by the function's remaining time.
 */
import OpenAI from 'openai';
import type { ChatCompletionContentPart, ChatCompletionCreateParamsBase, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ProviderCallError, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ModelUsage, type ProviderCallOptions, type ProviderClient } from '../model-call';
import { attemptSignal, SDK_TIMEOUT_GRACE_MS } from './attempt-signal';
import { classifyProviderError } from './provider-errors';
import { sdkClientCache } from './sdk-clients';

const sdkClient = sdkClientCache((options) => new OpenAI(options));

/** OpenAI's JSON mode refuses a prompt that never mentions JSON, so one is added when missing. */
const JSON_INSTRUCTION = 'Answer with one JSON object and nothing else.';

export class OpenAiProviderClient implements ProviderClient {
  constructor(
    readonly provider: 'openai' | 'openai-compatible',
    readonly model: string,
    /** Undefined: the SDK's default (api.openai.com). */
    private readonly baseUrl?: string,
  ) {}

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const completion = await sdkClient(this.baseUrl, options.apiKey).chat.completions.create(
        { ...this.body(request), stream: false },
        { timeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS, signal: attempt.signal, maxRetries: 0 },
      );
      const text = completion.choices?.[0]?.message?.content;
      if (typeof text !== 'string') throw this.malformed('the answer carries no message content');
      if (!completion.usage) throw this.malformed('the answer carries no usage');
      return { text, usage: usageOf(completion.usage), provider: this.provider, model: this.model };
    } catch (error) {
      throw this.classify(error, attempt.timedOut());
    } finally {
      attempt.dispose();
    }
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const attempt = attemptSignal(options);
    try {
      const stream = await sdkClient(this.baseUrl, options.apiKey).chat.completions.create(
        { ...this.body(request), stream: true, stream_options: { include_usage: true } },
        { timeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS, signal: attempt.signal, maxRetries: 0 },
      );
      let usage: ModelUsage | undefined;
      for await (const chunk of stream) {
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) yield { type: 'delta', text: delta };
        if (chunk.usage) usage = usageOf(chunk.usage);
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

  private body(request: ModelRequest): ChatCompletionCreateParamsBase {
    const json = request.responseFormat === 'json';
    const system = json && !/json/i.test(request.system) ? `${request.system}\n${JSON_INSTRUCTION}` : request.system;
    const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: system }];
    const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
    request.messages.forEach((turn, index) => {
      if (turn.role === 'user' && index === lastUser && request.images?.length) {
        const parts: ChatCompletionContentPart[] = [
          { type: 'text', text: turn.content },
          ...request.images.map((image): ChatCompletionContentPart => ({ type: 'image_url', image_url: { url: `data:${image.mediaType};base64,${image.dataBase64}` } })),
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

  private malformed(message: string): ProviderCallError {
    return new ProviderCallError('malformed', this.provider, this.model, `${this.provider} ${this.model}: ${message}`);
  }

  private classify(error: unknown, timedOut: boolean): ProviderCallError {
    return classifyProviderError(error, { provider: this.provider, model: this.model, sdk: OpenAI, timedOut });
  }
}

function usageOf(usage: OpenAI.CompletionUsage): ModelUsage {
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}
