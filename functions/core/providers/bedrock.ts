/**
 * Amazon Bedrock through the Converse and ConverseStream APIs of `@aws-sdk/client-bedrock-runtime`.
 * There is no key: the SDK signs with the function's execution role, whose policy names exactly
 * the models of its task's catalog entry (lib/constructs/task-function.ts), so IAM is what keeps
 * one task off another's models. Converse has no JSON mode that every model family honours, so a
 * JSON request carries an instruction in the system prompt and a fenced answer is unwrapped.
 *
 * SDK retries are off (`maxAttempts: 1`): the provider chain does the retrying. The endpoint is the
 * SDK's own (which honours `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, how the local runtime points it at
 * the provider simulator) unless the target names one (a VPC interface endpoint).
 *
 * Still the SDK, unlike the OpenAI and Anthropic adapters: measured minified, this client bundled
 * is ~330 KB where a SigV4-signed fetch (@smithy/signature-v4 plus the event-stream codec of
 * @smithy/core) is ~21 KB, but today it loads from the runtime's SDK and only on the first
 * Bedrock call, so the switch (with its own contract test) waits until the AWS SDK is bundled.
 */
import type { BedrockRuntimeClient, ContentBlock, ConverseRequest, Message, TokenUsage } from '@aws-sdk/client-bedrock-runtime';
import { ProviderCallError, type ImageInput, type ModelRequest, type ModelResponse, type ModelStreamEvent, type ModelUsage, type ProviderCallOptions, type ProviderClient } from '../model-call';
import { attemptSignal, SDK_TIMEOUT_GRACE_MS } from './attempt-signal';
import { JSON_ONLY_INSTRUCTION, unfence } from './json-answer';
import { classifyBedrockError } from './provider-errors';

/** Client settings beyond the endpoint; tests hand in a region and credentials of their own. */
export interface BedrockClientOptions {
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

type BedrockSdk = typeof import('@aws-sdk/client-bedrock-runtime');
type HttpHandlerModule = typeof import('@smithy/node-http-handler');
let loading: Promise<[BedrockSdk, HttpHandlerModule]> | undefined;

/**
 * Loaded on the first Bedrock call, not at module init: every task function imports the provider
 * factory, and most tasks' chains never name Bedrock (the client costs ~15 ms of a cold start).
 */
function loadSdk(): Promise<[BedrockSdk, HttpHandlerModule]> {
  loading ??= Promise.all([import('@aws-sdk/client-bedrock-runtime'), import('@smithy/node-http-handler')]);
  return loading;
}

const sdkClients = new Map<string, BedrockRuntimeClient>();

function sdkClient([{ BedrockRuntimeClient }, { NodeHttpHandler }]: [BedrockSdk, HttpHandlerModule], endpoint: string | undefined, options: BedrockClientOptions): BedrockRuntimeClient {
  const cacheKey = `${endpoint ?? ''}\n${options.region ?? ''}\n${options.credentials?.accessKeyId ?? ''}`;
  let client = sdkClients.get(cacheKey);
  if (!client) {
    client = new BedrockRuntimeClient({
      ...(endpoint ? { endpoint } : {}),
      ...(options.region ? { region: options.region } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 1,
      // HTTP/1.1, like every other SDK client here and boto3: Converse and ConverseStream are plain
      // request/response APIs (the client's HTTP/2 default exists for the bidirectional
      // InvokeModelWithBidirectionalStream, which this gateway does not call). The per-call
      // requestTimeout is set on every send, below the attempt's time.
      requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, throwOnRequestTimeout: true }),
    });
    sdkClients.set(cacheKey, client);
  }
  return client;
}

/** Converse takes image bytes with a format name, not a media type. */
const IMAGE_FORMATS: Record<ImageInput['mediaType'], 'jpeg' | 'png'> = { 'image/jpeg': 'jpeg', 'image/png': 'png' };

export class BedrockProviderClient implements ProviderClient {
  readonly provider = 'bedrock' as const;

  constructor(
    /** A foundation-model id (`amazon.nova-pro-v1:0`) or an inference-profile id (`us.anthropic.…`). */
    readonly model: string,
    /** Undefined: the SDK's endpoint for the function's Region. */
    private readonly endpoint?: string,
    private readonly clientOptions: BedrockClientOptions = {},
  ) {}

  async complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse> {
    const attempt = attemptSignal(options);
    try {
      const sdk = await loadSdk();
      const output = await this.client(sdk).send(new sdk[0].ConverseCommand(this.body(request)), { abortSignal: attempt.signal, requestTimeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS });
      const texts = (output.output?.message?.content ?? []).flatMap((block) => (typeof block.text === 'string' ? [block.text] : []));
      if (texts.length === 0) throw this.malformed('the answer carries no text block');
      if (!output.usage) throw this.malformed('the answer carries no usage');
      const text = texts.join('');
      return { text: request.responseFormat === 'json' ? unfence(text) : text, usage: usageOf(output.usage), provider: this.provider, model: this.model };
    } catch (error) {
      throw classifyBedrockError(error, { model: this.model, timedOut: attempt.timedOut() });
    } finally {
      attempt.dispose();
    }
  }

  async *stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent> {
    const attempt = attemptSignal(options);
    try {
      const sdk = await loadSdk();
      const output = await this.client(sdk).send(new sdk[0].ConverseStreamCommand(this.body(request)), { abortSignal: attempt.signal, requestTimeout: options.timeoutMs + SDK_TIMEOUT_GRACE_MS });
      if (!output.stream) throw this.malformed('the answer carries no event stream');
      let usage: ModelUsage | undefined;
      let stopped = false;
      // An exception event inside the stream (throttlingException, modelStreamErrorException…)
      // is thrown by the SDK's iterator under the exception's name.
      for await (const event of output.stream) {
        const text = event.contentBlockDelta?.delta?.text;
        if (text) yield { type: 'delta', text };
        else if (event.messageStop) stopped = true;
        // The metadata event comes last and carries the usage of the whole answer.
        else if (event.metadata?.usage) usage = usageOf(event.metadata.usage);
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

  private client(sdk: [BedrockSdk, HttpHandlerModule]): BedrockRuntimeClient {
    return sdkClient(sdk, this.endpoint, this.clientOptions);
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

/**
 * Bedrock's `inputTokens` leaves out prompt-cache reads and writes (as Anthropic's does), so they
 * are added back for the total; `cachedTokens` are the cache reads.
 */
function usageOf(usage: TokenUsage): ModelUsage {
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  return {
    inputTokens: (usage.inputTokens ?? 0) + cacheRead + (usage.cacheWriteInputTokens ?? 0),
    outputTokens: usage.outputTokens ?? 0,
    cachedTokens: cacheRead,
  };
}
