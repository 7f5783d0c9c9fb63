/**
 * Anthropic Messages through the official `@anthropic-ai/sdk`. Anthropic has no JSON mode, so a
 * JSON request gets an instruction in the system prompt (and a fenced answer is unwrapped).
 * SDK retries are off: the provider chain does the retrying.
 */
import { BaseAnthropic } from '@anthropic-ai/sdk/client';
import { Messages, type Usage } from '@anthropic-ai/sdk/resources/messages/messages';
import type { ContentBlockParam, MessageCreateParamsBase, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { ProviderCallError, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ModelUsage, type ProviderCallOptions, type ProviderClient } from '../model-call';
import { attemptSignal, SDK_TIMEOUT_GRACE_MS } from './attempt-signal';
import { JSON_ONLY_INSTRUCTION, unfence } from './json-answer';
import { classifyProviderError } from './provider-errors';
import { sdkClientCache } from './sdk-clients';

/**
 * The SDK's client with only the Messages resource. `new Anthropic()` carries every resource
 * (beta, files, organization, skills…), about 300 KB of each bundle that this gateway never calls.
 */
class MessagesClient extends BaseAnthropic {
  readonly messages: Messages = new Messages(this);
}

const sdkClient = sdkClientCache((options) => new MessagesClient(options));

export const ANTHROPIC_JSON_INSTRUCTION = JSON_ONLY_INSTRUCTION;

export class AnthropicProviderClient implements ProviderClient {
  readonly provider = 'anthropic' as const;

  constructor(
    readonly model: string,
    private readonly baseUrl?: string,
  ) {}

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const message = await sdkClient(this.baseUrl, options.apiKey).messages.create(
        { ...this.body(request), stream: false },
        { timeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS, signal: attempt.signal, maxRetries: 0 },
      );
      const texts = (message.content ?? []).flatMap((block) => (block.type === 'text' ? [block.text] : []));
      if (texts.length === 0 || !message.usage) throw this.malformed('the answer carries no text block or no usage');
      const text = texts.join('');
      return {
        text: request.responseFormat === 'json' ? unfence(text) : text,
        usage: usageOf(message.usage, message.usage.output_tokens),
        provider: this.provider,
        model: this.model,
      };
    } catch (error) {
      throw this.classify(error, attempt.timedOut());
    } finally {
      attempt.dispose();
    }
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const attempt = attemptSignal(options);
    try {
      const stream = await sdkClient(this.baseUrl, options.apiKey).messages.create(
        { ...this.body(request), stream: true },
        { timeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS, signal: attempt.signal, maxRetries: 0 },
      );
      let started: Usage | undefined;
      let outputTokens = 0;
      let stopped = false;
      for await (const event of stream) {
        if (event.type === 'message_start') started = event.message.usage;
        else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta' && event.delta.text) yield { type: 'delta', text: event.delta.text };
        // message_delta's output_tokens is cumulative: the last one is the total.
        else if (event.type === 'message_delta') outputTokens = event.usage.output_tokens;
        else if (event.type === 'message_stop') stopped = true;
      }
      if (!started || !stopped) throw this.malformed('the stream ended before message_stop');
      // The consumer may never ask past `done`, so this generator's finally may never run: stop the timer now.
      attempt.dispose();
      yield { type: 'done', usage: usageOf(started, outputTokens), provider: this.provider, model: this.model };
    } catch (error) {
      throw this.classify(error, attempt.timedOut());
    } finally {
      attempt.dispose();
    }
  }

  private body(request: ModelRequest): MessageCreateParamsBase {
    const system = request.responseFormat === 'json' ? `${request.system}\n\n${ANTHROPIC_JSON_INSTRUCTION}` : request.system;
    const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
    const messages: MessageParam[] = request.messages.map((turn, index) => {
      if (turn.role !== 'user' || index !== lastUser || !request.images?.length) return { role: turn.role, content: turn.content };
      // Images before the text, as Anthropic recommends for vision prompts.
      const content: ContentBlockParam[] = [
        ...request.images.map((image): ContentBlockParam => ({ type: 'image', source: { type: 'base64', media_type: image.mediaType, data: image.dataBase64 } })),
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
    return classifyProviderError(error, { provider: this.provider, model: this.model, sdk: BaseAnthropic, timedOut });
  }
}

/**
 * Total input tokens, whether served from Anthropic's prompt cache or not (its `input_tokens`
 * excludes cache reads and writes); `cachedTokens` are the cache reads.
 */
function usageOf(usage: Usage, outputTokens: number): ModelUsage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  return {
    inputTokens: usage.input_tokens + cacheRead + (usage.cache_creation_input_tokens ?? 0),
    outputTokens,
    cachedTokens: cacheRead,
  };
}
