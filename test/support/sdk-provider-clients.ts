/**
 * The provider adapters as they were before the gateway dropped the provider SDKs: the same
 * requests through the official `openai` and `@anthropic-ai/sdk` clients, and the same mapping of
 * what those SDKs throw to a ProviderCallError. They are the reference the fetch adapters of
 * functions/core/providers/ are held to (test/functions/core/providers-contract.test.ts); the
 * SDKs are dev dependencies, never bundled into a function. The Bedrock reference at the end does
 * the same for `@aws-sdk/client-bedrock-runtime`.
 */
import { BaseAnthropic } from '@anthropic-ai/sdk/client';
import { Messages, type Usage } from '@anthropic-ai/sdk/resources/messages/messages';
import type { ContentBlockParam, MessageCreateParamsBase, MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, type ContentBlock, type ConverseRequest, type Message, type TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import OpenAI from 'openai';
import type { ChatCompletionContentPart, ChatCompletionCreateParamsBase, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { ProviderCallError, type ImageInput, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ModelUsage, type ProviderCallOptions, type ProviderClient, type ProviderFailureKind } from '#core/model-call';
import { attemptSignal } from '#core/providers/attempt-signal';
import { JSON_ONLY_INSTRUCTION, unfence } from '#core/providers/json-answer';
import type { ProviderKind } from '#core/task-config';

/** Added to the SDK's own timeout so our timer, which we can tell apart, fires first. */
const SDK_TIMEOUT_GRACE_MS = 1_000;

/** `logLevel: 'off'`: the SDKs log a stream event they cannot parse, which the malformed cases send on purpose. */
function sdkClientCache<T>(create: (options: { apiKey: string; baseURL: string | undefined; maxRetries: 0; logLevel: 'off' }) => T): (baseURL: string | undefined, apiKey: string) => T {
  const clients = new Map<string, T>();
  return (baseURL, apiKey) => {
    const cacheKey = `${baseURL ?? ''}\n${apiKey}`;
    let client = clients.get(cacheKey);
    if (!client) {
      client = create({ apiKey, baseURL, maxRetries: 0, logLevel: 'off' });
      clients.set(cacheKey, client);
    }
    return client;
  };
}

class MessagesClient extends BaseAnthropic {
  readonly messages: Messages = new Messages(this);
}
const anthropicClient = sdkClientCache((options) => new MessagesClient(options));
const openAiClient = sdkClientCache((options) => new OpenAI(options));

/** OpenAI's JSON mode refuses a prompt that never mentions JSON, so one is added when missing. */
const JSON_INSTRUCTION = 'Answer with one JSON object and nothing else.';

export class SdkOpenAiProviderClient implements ProviderClient {
  constructor(
    readonly provider: 'openai' | 'openai-compatible',
    readonly model: string,
    /** Undefined: the SDK's default (api.openai.com). */
    private readonly baseUrl?: string,
  ) {}

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const completion = await openAiClient(this.baseUrl, options.apiKey).chat.completions.create(
        { ...this.body(request), stream: false },
        { timeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS, signal: attempt.signal, maxRetries: 0 },
      );
      const text = completion.choices?.[0]?.message?.content;
      if (typeof text !== 'string') throw this.malformed('the answer carries no message content');
      if (!completion.usage) throw this.malformed('the answer carries no usage');
      return { text, usage: openAiUsageOf(completion.usage), provider: this.provider, model: this.model };
    } catch (error) {
      throw this.classify(error, attempt.timedOut());
    } finally {
      attempt.dispose();
    }
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const attempt = attemptSignal(options);
    try {
      const stream = await openAiClient(this.baseUrl, options.apiKey).chat.completions.create(
        { ...this.body(request), stream: true, stream_options: { include_usage: true } },
        { timeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS, signal: attempt.signal, maxRetries: 0 },
      );
      let usage: ModelUsage | undefined;
      for await (const chunk of stream) {
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) yield { type: 'delta', text: delta };
        if (chunk.usage) usage = openAiUsageOf(chunk.usage);
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
    return classifySdkError(error, { provider: this.provider, model: this.model, sdk: OpenAI, timedOut });
  }
}

function openAiUsageOf(usage: OpenAI.CompletionUsage): ModelUsage {
  return {
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

export class SdkAnthropicProviderClient implements ProviderClient {
  readonly provider = 'anthropic' as const;

  constructor(
    readonly model: string,
    private readonly baseUrl?: string,
  ) {}

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const message = await anthropicClient(this.baseUrl, options.apiKey).messages.create(
        { ...this.body(request), stream: false },
        { timeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS, signal: attempt.signal, maxRetries: 0 },
      );
      const texts = (message.content ?? []).flatMap((block) => (block.type === 'text' ? [block.text] : []));
      if (texts.length === 0 || !message.usage) throw this.malformed('the answer carries no text block or no usage');
      const text = texts.join('');
      return {
        text: request.responseFormat === 'json' ? unfence(text) : text,
        usage: anthropicUsageOf(message.usage, message.usage.output_tokens),
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
      const stream = await anthropicClient(this.baseUrl, options.apiKey).messages.create(
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
      yield { type: 'done', usage: anthropicUsageOf(started, outputTokens), provider: this.provider, model: this.model };
    } catch (error) {
      throw this.classify(error, attempt.timedOut());
    } finally {
      attempt.dispose();
    }
  }

  private body(request: ModelRequest): MessageCreateParamsBase {
    const system = request.responseFormat === 'json' ? `${request.system}\n\n${JSON_ONLY_INSTRUCTION}` : request.system;
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
    return classifySdkError(error, { provider: this.provider, model: this.model, sdk: BaseAnthropic, timedOut });
  }
}

/**
 * Total input tokens, whether served from Anthropic's prompt cache or not (its `input_tokens`
 * excludes cache reads and writes); `cachedTokens` are the cache reads.
 */
function anthropicUsageOf(usage: Usage, outputTokens: number): ModelUsage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  return {
    inputTokens: usage.input_tokens + cacheRead + (usage.cache_creation_input_tokens ?? 0),
    outputTokens,
    cachedTokens: cacheRead,
  };
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The connection-level error classes of one SDK (both SDKs export the same three). */
interface SdkErrorClasses {
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
  APIUserAbortError: ErrorClass;
}

interface ClassifyContext {
  provider: ProviderKind;
  model: string;
  sdk: SdkErrorClasses;
  /** Our own attempt timer fired (the SDK then reports an abort, not a timeout). */
  timedOut: boolean;
}

function classifySdkError(error: unknown, context: ClassifyContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const { provider, model, sdk } = context;
  const fail = (kind: ProviderFailureKind, message: string, status?: number, retryAfterSeconds?: number) =>
    new ProviderCallError(kind, provider, model, `${provider} ${model}: ${message}`, status, retryAfterSeconds);

  if (context.timedOut || error instanceof sdk.APIConnectionTimeoutError) return fail('timeout', 'no answer within the attempt time limit');
  if (error instanceof sdk.APIUserAbortError) return fail('timeout', 'the attempt was aborted before the answer was complete');

  const status = statusOf(error);
  if (status !== undefined) {
    const type = errorTypeOf(error);
    const described = `answered HTTP ${status}${type ? ` (${type})` : ''}`;
    if (status === 429) return fail('throttled', described, status, retryAfterSecondsOf(headersOf(error)));
    if (status === 408) return fail('timeout', described, status);
    if (status >= 500) return fail('unavailable', described, status, retryAfterSecondsOf(headersOf(error)));
    return fail('rejected', described, status);
  }
  if (error instanceof sdk.APIConnectionError) return fail('unavailable', 'the connection failed');
  // JSON.parse of a broken body or stream event. Compared by name, not instanceof: the error may come
  // from another realm (undici's body parsing, jest's module sandbox).
  const { name, message } = nameAndMessageOf(error);
  if (name === 'SyntaxError') return fail('malformed', 'the answer was not valid JSON');
  // undici's "terminated": the socket closed in the middle of the body (a cut stream).
  if (name === 'TypeError' && /terminated|other side closed|socket/i.test(message)) {
    return fail('unavailable', 'the connection closed before the answer was complete');
  }
  return fail('unavailable', `the call failed (${name ?? typeof error})`);
}

function nameAndMessageOf(error: unknown): { name?: string; message: string } {
  if (typeof error !== 'object' || error === null) return { message: '' };
  const { name, message } = error as { name?: unknown; message?: unknown };
  return { name: typeof name === 'string' ? name : undefined, message: typeof message === 'string' ? message : '' };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function headersOf(error: unknown): Headers | undefined {
  const headers = (error as { headers?: unknown } | null)?.headers;
  return headers instanceof Headers || (typeof headers === 'object' && headers !== null && typeof (headers as Headers).get === 'function') ? (headers as Headers) : undefined;
}

/** The provider's error type (`rate_limit_error`, `invalid_request_error`, …): safe, never a key. */
function errorTypeOf(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' && /^[a-z_]{1,64}$/.test(type) ? type : undefined;
}

/** `retry-after-ms` (OpenAI), else `retry-after` in seconds or as an HTTP date. */
function retryAfterSecondsOf(headers: Pick<Headers, 'get'> | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}


/**
 * The Bedrock adapter as it was on `@aws-sdk/client-bedrock-runtime` (Converse and ConverseStream,
 * SDK retries off, HTTP/1.1), the reference functions/core/providers/bedrock.ts is held to. Its
 * client signs with the credentials it is given, else the SDK's default chain.
 */
const bedrockClients = new Map<string, BedrockRuntimeClient>();

function bedrockClient(endpoint: string | undefined, options: { region?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } }): BedrockRuntimeClient {
  const cacheKey = `${endpoint ?? ''}\n${options.region ?? ''}\n${options.credentials?.accessKeyId ?? ''}`;
  let client = bedrockClients.get(cacheKey);
  if (!client) {
    client = new BedrockRuntimeClient({
      ...(endpoint ? { endpoint } : {}),
      ...(options.region ? { region: options.region } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, throwOnRequestTimeout: true }),
    });
    bedrockClients.set(cacheKey, client);
  }
  return client;
}

const IMAGE_FORMATS: Record<ImageInput['mediaType'], 'jpeg' | 'png'> = { 'image/jpeg': 'jpeg', 'image/png': 'png' };

export class SdkBedrockProviderClient implements ProviderClient {
  readonly provider = 'bedrock' as const;

  constructor(
    readonly model: string,
    private readonly endpoint?: string,
    private readonly clientOptions: { region?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } = {},
  ) {}

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const output = await this.client().send(new ConverseCommand(this.body(request)), { abortSignal: attempt.signal, requestTimeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS });
      const texts = (output.output?.message?.content ?? []).flatMap((block) => (typeof block.text === 'string' ? [block.text] : []));
      if (texts.length === 0) throw this.malformed('the answer carries no text block');
      if (!output.usage) throw this.malformed('the answer carries no usage');
      const text = texts.join('');
      return { text: request.responseFormat === 'json' ? unfence(text) : text, usage: bedrockUsageOf(output.usage), provider: this.provider, model: this.model };
    } catch (error) {
      throw classifySdkBedrockError(error, { model: this.model, timedOut: attempt.timedOut() });
    } finally {
      attempt.dispose();
    }
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const attempt = attemptSignal(options);
    try {
      const output = await this.client().send(new ConverseStreamCommand(this.body(request)), { abortSignal: attempt.signal, requestTimeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS });
      if (!output.stream) throw this.malformed('the answer carries no event stream');
      let usage: ModelUsage | undefined;
      let stopped = false;
      // An exception event inside the stream is thrown by the SDK's iterator under the exception's name.
      for await (const event of output.stream) {
        const text = event.contentBlockDelta?.delta?.text;
        if (text) yield { type: 'delta', text };
        else if (event.messageStop) stopped = true;
        else if (event.metadata?.usage) usage = bedrockUsageOf(event.metadata.usage);
      }
      if (!stopped || !usage) throw this.malformed('the stream ended before its messageStop and metadata events');
      attempt.dispose();
      yield { type: 'done', usage, provider: this.provider, model: this.model };
    } catch (error) {
      throw classifySdkBedrockError(error, { model: this.model, timedOut: attempt.timedOut() });
    } finally {
      attempt.dispose();
    }
  }

  private client(): BedrockRuntimeClient {
    return bedrockClient(this.endpoint, this.clientOptions);
  }

  private body(request: ModelRequest): ConverseRequest {
    const system = request.responseFormat === 'json' ? `${request.system}\n\n${JSON_ONLY_INSTRUCTION}` : request.system;
    const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
    const messages: Message[] = request.messages.map((turn, index) => {
      if (turn.role !== 'user' || index !== lastUser || !request.images?.length) return { role: turn.role, content: [{ text: turn.content }] };
      const content: ContentBlock[] = [
        ...request.images.map((image): ContentBlock => ({ image: { format: IMAGE_FORMATS[image.mediaType], source: { bytes: Buffer.from(image.dataBase64, 'base64') } } })),
        { text: turn.content },
      ];
      return { role: 'user', content };
    });
    return { modelId: this.model, system: [{ text: system }], messages, inferenceConfig: { maxTokens: request.maxOutputTokens } };
  }

  private malformed(message: string): ProviderCallError {
    return new ProviderCallError('malformed', this.provider, this.model, `${this.provider} ${this.model}: ${message}`);
  }
}

function bedrockUsageOf(usage: TokenUsage): ModelUsage {
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  return { inputTokens: (usage.inputTokens ?? 0) + cacheRead + (usage.cacheWriteInputTokens ?? 0), outputTokens: usage.outputTokens ?? 0, cachedTokens: cacheRead };
}

const BEDROCK_THROTTLES: ReadonlySet<string> = new Set(['ThrottlingException', 'ModelNotReadyException', 'ServiceUnavailableException', 'ServiceQuotaExceededException']);
/** No retry fixes these: a bad request, a role without the grant, a model id that does not exist. */
const BEDROCK_REJECTIONS: ReadonlySet<string> = new Set(['ValidationException', 'AccessDeniedException', 'ResourceNotFoundException', 'UnrecognizedClientException', 'ConflictException']);
/** The model failed or timed out on Bedrock's side; another attempt or provider may answer. */
const BEDROCK_FAILURES: ReadonlySet<string> = new Set(['InternalServerException', 'ModelErrorException', 'ModelStreamErrorException']);

interface BedrockClassifyContext {
  model: string;
  /** Our own attempt timer fired (the SDK then reports an abort). */
  timedOut: boolean;
}

/**
 * What the Bedrock Runtime client throws, as a {@link ProviderCallError}. The SDK names a service
 * error by its exception type (`error.name`) and carries the status in `$metadata`; an exception
 * inside a ConverseStream has the same name but no status. The service's message is not copied.
 */
export function classifySdkBedrockError(error: unknown, context: BedrockClassifyContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const { model } = context;
  const fail = (kind: ProviderFailureKind, message: string, status?: number) => new ProviderCallError(kind, 'bedrock', model, `bedrock ${model}: ${message}`, status);
  const { name, message } = nameAndMessageOf(error);
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  const httpStatus = typeof status === 'number' ? status : undefined;
  const described = (type: string) => `answered ${httpStatus ? `HTTP ${httpStatus} ` : ''}(${type})`;

  const code = (error as { code?: unknown } | null)?.code;
  // Two things the SDK says that are not what happened, read here as the fetch adapter reports them:
  // its retry layer renames a reset before any response ("socket hang up", "read ECONNRESET"; a reset
  // after the response began is Node's "aborted") to TimeoutError, and its chunker reads a body that
  // is no event stream as one huge message that was "truncated".
  // (Under jest the SDK wraps that error as "AWS SDK error wrapper for TimeoutError: socket hang up", without its code.)
  if (!context.timedOut && ((code === 'ECONNRESET' && !/aborted/i.test(message)) || /socket hang up|read ECONNRESET/i.test(message))) return fail('unavailable', 'the connection failed');
  if (/Truncated event message/i.test(message)) return fail('malformed', 'the event stream was malformed');
  if (context.timedOut || name === 'AbortError' || name === 'TimeoutError') return fail('timeout', 'no answer within the attempt time limit');
  if (name && /^[A-Za-z]{1,64}$/.test(name)) {
    if (BEDROCK_THROTTLES.has(name)) return fail('throttled', described(name), httpStatus ?? 429);
    if (BEDROCK_REJECTIONS.has(name)) return fail('rejected', described(name), httpStatus);
    if (name === 'ModelTimeoutException') return fail('timeout', described(name), httpStatus);
    if (BEDROCK_FAILURES.has(name)) return fail('unavailable', described(name), httpStatus);
  }
  if (httpStatus !== undefined && httpStatus >= 400) {
    if (httpStatus === 429) return fail('throttled', `answered HTTP ${httpStatus}`, httpStatus);
    if (httpStatus >= 500) return fail('unavailable', `answered HTTP ${httpStatus}`, httpStatus);
    return fail('rejected', `answered HTTP ${httpStatus}`, httpStatus);
  }
  // Node's socket errors: the connection failed, or closed in the middle of the body (a cut stream).
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return fail('unavailable', 'the connection failed');
  if (code === 'ECONNRESET' || code === 'EPIPE' || /aborted|socket hang up|terminated|truncated/i.test(message)) {
    return fail('unavailable', 'the connection closed before the answer was complete');
  }
  if (name === 'SyntaxError' || /deserializ|unexpected token|JSON/i.test(message)) return fail('malformed', 'the answer was not valid JSON');
  return fail('unavailable', `the call failed (${name ?? typeof error})`);
}
