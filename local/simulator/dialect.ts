/**
 * The part of a provider API that differs between OpenAI, Anthropic and Bedrock: how a request is
 * read, and how answers, errors and stream events are written. The simulator's pipeline is shared.
 */
import type { RateLimitState } from './rate-limiter';
import type { PromptParts } from './tokens';

export interface SimulatedCall {
  model: string;
  prompt: PromptParts;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: a last chunk carries the usage. */
  includeUsage: boolean;
  /** The request asked for one JSON object. */
  json: boolean;
}

export interface SimulatedUsage {
  /** All of the prompt, cached or not. */
  inputTokens: number;
  outputTokens: number;
  /** The part of `inputTokens` read from the prompt cache. @default 0 */
  cachedTokens?: number;
}

export type SimulatedErrorKind = 'invalid_request' | 'authentication' | 'not_found' | 'rate_limit' | 'server' | 'unavailable' | 'overloaded';

export const ERROR_STATUS: Record<SimulatedErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  not_found: 404,
  rate_limit: 429,
  server: 500,
  unavailable: 503,
  overloaded: 529,
};

/** What the path says about the call, for an API that names the model there (Bedrock). */
export interface SimulatedRoute {
  model: string;
  stream: boolean;
}

export interface Dialect {
  readonly name: 'openai' | 'anthropic' | 'bedrock';
  /** Reads the request body; throws {@link InvalidSimulatedRequest} when it cannot. */
  readCall(body: unknown, headers: Record<string, string | string[] | undefined>, route?: SimulatedRoute): SimulatedCall;
  errorBody(kind: SimulatedErrorKind, message: string): unknown;
  /** Headers every error of this API carries (Bedrock's `x-amzn-ErrorType`). @default none */
  errorHeaders?(kind: SimulatedErrorKind): Record<string, string>;
  /** The status of an error, when the API differs from {@link ERROR_STATUS}. */
  errorStatus?(kind: SimulatedErrorKind): number;
  rateLimitHeaders(state: RateLimitState, now: number): Record<string, string>;
  completion(call: SimulatedCall, text: string, usage: SimulatedUsage, id: string): unknown;
  /**
   * Whether a 429 carries `retry-after` (OpenAI and Anthropic send one; Bedrock's
   * ThrottlingException carries only a message). @default true
   */
  readonly sendsRetryAfter?: boolean;
  /**
   * The body of the `malformed` fault: a 200 that cannot be decoded. @default a JSON document (or
   * a server-sent event) cut off in the middle
   */
  malformedBody?(call: SimulatedCall): string | Uint8Array;
  /** Content type of a streamed answer. @default text/event-stream */
  readonly streamContentType?: string;
  /** Stream frames: server-sent events, each complete with its blank line, or binary event-stream messages. */
  streamFrames(call: SimulatedCall, text: string, usage: SimulatedUsage, id: string): Array<string | Uint8Array>;
}

export class InvalidSimulatedRequest extends Error {}

/** Splits an answer into a few pieces, as a model streams it. */
export function streamPieces(text: string): string[] {
  if (text.length === 0) return [''];
  const size = Math.max(1, Math.ceil(text.length / 8));
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
