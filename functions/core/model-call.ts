/**
 * Provider-neutral shapes of one model call. The provider adapters translate them to the OpenAI
 * Chat Completions and Anthropic Messages APIs (over `fetch`) and Bedrock Converse (its SDK client);
 * the provider chain, the ledger and the handlers only ever see these.
 */
import type { ProviderKind, TaskName } from './task-config';

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface ImageInput {
  mediaType: 'image/jpeg' | 'image/png';
  dataBase64: string;
}

export interface ModelRequest {
  task: TaskName;
  system: string;
  /** The conversation; images, when any, are attached to the last user turn. */
  messages: ChatTurn[];
  images?: ImageInput[];
  /** `json`: the model must answer one JSON object (OpenAI `response_format`, Anthropic prefill-free instruction). */
  responseFormat: 'json' | 'text';
  maxOutputTokens: number;
}

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  /** Prompt tokens the provider served from its own prompt cache. */
  cachedTokens: number;
}

export interface ModelResponse {
  text: string;
  usage: ModelUsage;
  provider: ProviderKind;
  model: string;
}

/** Events of a streamed answer: text deltas, then exactly one `done` with the usage. */
export type ModelStreamEvent = { type: 'delta'; text: string } | { type: 'done'; usage: ModelUsage; provider: ProviderKind; model: string };

export interface ProviderCallOptions {
  apiKey: string;
  /** Per-attempt timeout, already bounded by the function's remaining time. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One provider behind its adapter; the adapter never retries, the chain does the retrying. */
export interface ProviderClient {
  readonly provider: ProviderKind;
  readonly model: string;
  complete(request: ModelRequest, options: ProviderCallOptions): Promise<ModelResponse>;
  stream(request: ModelRequest, options: ProviderCallOptions): AsyncIterable<ModelStreamEvent>;
}

/**
 * How a failed provider attempt is classified. `throttled` and `unavailable` move on (retry,
 * then fallback); `rejected` (400/401/403/404 from the provider) is a configuration fault that no
 * retry fixes, but the next provider in the chain may still answer.
 */
export type ProviderFailureKind = 'throttled' | 'unavailable' | 'timeout' | 'malformed' | 'rejected';

export class ProviderCallError extends Error {
  override name = 'ProviderCallError';
  constructor(
    readonly kind: ProviderFailureKind,
    readonly provider: ProviderKind,
    readonly model: string,
    message: string,
    readonly status?: number,
    /** Seconds, from the provider's `retry-after` header when it sent one. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
