/**
 * Amazon Bedrock through the Converse and ConverseStream APIs, over a SigV4-signed `fetch`
 * (./bedrock-signed-fetch.ts) with the stream decoded by the AWS SDK's event-stream codec
 * (./aws-event-stream.ts). There is no key: the calls are signed with the function's execution
 * role, whose policy names exactly the models of its task's catalog entry
 * (lib/constructs/task-function.ts), so IAM is what keeps one task off another's models. Converse
 * has no JSON mode that every model family honours, so a JSON request carries an instruction in
 * the system prompt and a fenced answer is unwrapped.
 *
 * No SDK client. Measured minified (esbuild, as bench/function-bundles.ts builds): the adapter
 * with the signer and the codec is ~29 KB, where the Bedrock Runtime client with its dependencies
 * was ~350 KB loaded at the first Bedrock call; the chat bundle is 294 → 300 KB with `@aws-sdk/*`
 * external (as deployed today) and 695 → 628 KB with the SDK bundled. The client stays a dev
 * dependency: test/functions/core/providers-contract.test.ts holds this adapter to what the SDK
 * makes of the same answers (test/support/sdk-provider-clients.ts).
 */
import { ProviderCallError, type ImageInput, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ModelUsage, type ProviderCallOptions, type ProviderClient } from '../model-call';
import { attemptSignal } from './attempt-signal';
import { eventStreamMessages, stringHeader } from './aws-event-stream';
import { BedrockServiceError, endpointOf, postSigned, regionOf, type BedrockClientOptions } from './bedrock-signed-fetch';
import { JSON_ONLY_INSTRUCTION, unfence } from './json-answer';
import { classifyBedrockError } from './provider-errors';
import { isTokenCount } from './provider-http';

export type { BedrockClientOptions } from './bedrock-signed-fetch';

/** Converse takes image bytes with a format name, not a media type. */
const IMAGE_FORMATS: Record<ImageInput['mediaType'], 'jpeg' | 'png'> = { 'image/jpeg': 'jpeg', 'image/png': 'png' };
const EVENT_STREAM = 'application/vnd.amazon.eventstream';

type ContentBlock = { text: string } | { image: { format: 'jpeg' | 'png'; source: { bytes: string } } };
interface ConverseBody {
  system: Array<{ text: string }>;
  messages: Array<{ role: 'user' | 'assistant'; content: ContentBlock[] }>;
  inferenceConfig: { maxTokens: number };
}
interface TokenUsage {
  inputTokens?: unknown;
  outputTokens?: unknown;
  cacheReadInputTokens?: unknown;
  cacheWriteInputTokens?: unknown;
}
/** The part of a Converse answer, or of a stream event's payload, this adapter reads. */
interface ConversePayload {
  output?: { message?: { content?: Array<{ text?: unknown }> } };
  usage?: TokenUsage;
  delta?: { text?: unknown };
}

export class BedrockProviderClient implements ProviderClient {
  readonly provider = 'bedrock' as const;

  constructor(
    /** A foundation-model id (`amazon.nova-pro-v1:0`) or an inference-profile id (`us.anthropic.…`). */
    readonly model: string,
    /** Undefined: the configured endpoint, else the Region's. */
    private readonly endpoint?: string,
    private readonly clientOptions: BedrockClientOptions = {},
  ) {}

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const response = await this.post('converse', request, 'application/json', attempt.signal);
      const output = JSON.parse(await response.text()) as ConversePayload | null;
      const content = output?.output?.message?.content;
      const texts = (Array.isArray(content) ? content : []).flatMap((block) => (typeof block?.text === 'string' ? [block.text] : []));
      if (texts.length === 0) throw this.malformed('the answer carries no text block');
      if (!output?.usage) throw this.malformed('the answer carries no usage');
      const usage = usageOf(output.usage);
      if (!usage) throw this.malformed('the answer carries no usable usage');
      const text = texts.join('');
      return { text: request.responseFormat === 'json' ? unfence(text) : text, usage, provider: this.provider, model: this.model };
    } catch (error) {
      throw classifyBedrockError(error, { model: this.model, timedOut: attempt.timedOut() });
    } finally {
      attempt.dispose();
    }
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const attempt = attemptSignal(options);
    try {
      const response = await this.post('converse-stream', request, EVENT_STREAM, attempt.signal);
      if (!response.body) throw this.malformed('the answer carries no event stream');
      let usage: ModelUsage | undefined;
      let stopped = false;
      for await (const message of eventStreamMessages(response.body)) {
        const messageType = stringHeader(message, ':message-type');
        // An exception inside the stream (`throttlingException`, `modelStreamErrorException`…) is named
        // in lower camel case; the SDK throws it under the exception's own name, and so does this.
        // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
        if (messageType === 'exception') throw new BedrockServiceError(exceptionName(stringHeader(message, ':exception-type')), undefined);
        if (messageType === 'error') throw new BedrockServiceError(exceptionName(stringHeader(message, ':error-code')), undefined);
        if (messageType !== 'event') throw this.malformed('the event stream carried a message of no known type');
        const eventType = stringHeader(message, ':event-type');
        if (eventType !== 'contentBlockDelta' && eventType !== 'messageStop' && eventType !== 'metadata') continue;
        const payload = JSON.parse(Buffer.from(message.body).toString('utf8')) as ConversePayload | null;
        const text = payload?.delta?.text;
        if (eventType === 'contentBlockDelta' && typeof text === 'string' && text) yield { type: 'delta', text };
        else if (eventType === 'messageStop') stopped = true;
        // The metadata event comes last and carries the usage of the whole answer.
        else if (eventType === 'metadata' && payload?.usage) usage = usageOf(payload.usage);
      }
      if (!stopped || !usage) throw this.malformed('the stream ended before its messageStop and metadata events');
      // The consumer may never ask past `done`, so this generator's finally may never run: stop the timer now.
      attempt.dispose();
      yield { type: 'done', usage, provider: this.provider, model: this.model };
    } catch (error) {
      throw classifyBedrockError(error, { model: this.model, timedOut: attempt.timedOut() });
    } finally {
      attempt.dispose();
    }
  }

  private post(operation: 'converse' | 'converse-stream', request: ModelRequest, accept: string, signal: AbortSignal): Promise<Response> {
    const region = regionOf(this.clientOptions);
    if (!region) throw new ProviderCallError('rejected', this.provider, this.model, `${this.provider} ${this.model}: no AWS Region to call (AWS_REGION is not set)`);
    return postSigned(endpointOf(region, this.endpoint), region, this.clientOptions.credentials, this.model, operation, this.body(request), accept, signal);
  }

  private body(request: ModelRequest): ConverseBody {
    const system = request.responseFormat === 'json' ? `${request.system}\n\n${JSON_ONLY_INSTRUCTION}` : request.system;
    const lastUser = request.messages.map((m) => m.role).lastIndexOf('user');
    const messages = request.messages.map((turn, index): ConverseBody['messages'][number] => {
      if (turn.role !== 'user' || index !== lastUser || !request.images?.length) return { role: turn.role, content: [{ text: turn.content }] };
      // Blobs travel base64-encoded in the JSON body (restJson1), which is what the request already holds.
      const content: ContentBlock[] = [...request.images.map((image): ContentBlock => ({ image: { format: IMAGE_FORMATS[image.mediaType], source: { bytes: image.dataBase64 } } })), { text: turn.content }];
      return { role: 'user', content };
    });
    return { system: [{ text: system }], messages, inferenceConfig: { maxTokens: request.maxOutputTokens } };
  }

  private malformed(message: string): ProviderCallError {
    return new ProviderCallError('malformed', this.provider, this.model, `${this.provider} ${this.model}: ${message}`);
  }
}

/** `throttlingException` → `ThrottlingException`, the name the same exception has outside a stream. */
function exceptionName(type: string | undefined): string | undefined {
  return type ? `${type.charAt(0).toUpperCase()}${type.slice(1)}` : undefined;
}

/**
 * Bedrock's `inputTokens` leaves out prompt-cache reads and writes (as Anthropic's does), so they
 * are added back for the total; `cachedTokens` are the cache reads. Undefined when a count is not a
 * token count (the caller calls that malformed).
 */
function usageOf(usage: TokenUsage): ModelUsage | undefined {
  const { inputTokens = 0, outputTokens = 0, cacheReadInputTokens = 0, cacheWriteInputTokens = 0 } = usage;
  if (!isTokenCount(inputTokens) || !isTokenCount(outputTokens) || !isTokenCount(cacheReadInputTokens) || !isTokenCount(cacheWriteInputTokens)) return undefined;
  return { inputTokens: inputTokens + cacheReadInputTokens + cacheWriteInputTokens, outputTokens, cachedTokens: cacheReadInputTokens };
}
