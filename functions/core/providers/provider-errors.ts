/**
 * Turns whatever a provider call throws into a {@link ProviderCallError}, the one failure type the
 * provider chain understands. Messages are built here from the status and error type only: a
 * provider's own message can quote part of the key (OpenAI's 401 does), so it is never copied and
 * the original error is not attached as `cause`.
 */
import { ProviderCallError, type ProviderFailureKind } from '../model-call';
import type { ProviderKind } from '../task-config';
import { EventStreamFormatError } from './aws-event-stream';
import { BedrockServiceError } from './bedrock-signed-fetch';
import { ProviderConnectionError } from './provider-http';

export interface ClassifyContext {
  provider: ProviderKind;
  model: string;
  /** Our own attempt timer fired (fetch then reports an abort, not a timeout). */
  timedOut: boolean;
}

/**
 * For the OpenAI and Anthropic adapters: what {@link postJson} throws (a status, or no connection),
 * an abort, a body that is not JSON, or a connection that closed in the middle of the body.
 */
export function classifyProviderError(error: unknown, context: ClassifyContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const { provider, model } = context;
  const fail = (kind: ProviderFailureKind, message: string, status?: number, retryAfterSeconds?: number) =>
    new ProviderCallError(kind, provider, model, `${provider} ${model}: ${message}`, status, retryAfterSeconds);

  const { name, message } = nameAndMessageOf(error);
  if (context.timedOut || (error instanceof ProviderConnectionError && error.timedOut)) return fail('timeout', 'no answer within the attempt time limit');
  if (name === 'AbortError') return fail('timeout', 'the attempt was aborted before the answer was complete');

  const status = statusOf(error);
  if (status !== undefined) {
    const type = errorTypeOf(error);
    const described = `answered HTTP ${status}${type ? ` (${type})` : ''}`;
    if (status === 429) return fail('throttled', described, status, retryAfterSecondsOf(headersOf(error)));
    if (status === 408) return fail('timeout', described, status);
    if (status >= 500) return fail('unavailable', described, status, retryAfterSecondsOf(headersOf(error)));
    return fail('rejected', described, status);
  }
  if (error instanceof ProviderConnectionError) return fail('unavailable', 'the connection failed');
  // JSON.parse of a broken body or stream event. Compared by name, not instanceof: the error may come
  // from another realm (undici's body parsing, jest's module sandbox).
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
export function retryAfterSecondsOf(headers: Pick<Headers, 'get'> | undefined, now: number = Date.now()): number | undefined {
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
 * Bedrock's capacity signals, all treated as a provider 429 (key cool-down, retry, fallback and the
 * ProviderThrottles metric): ThrottlingException is an account/Region/model quota (429),
 * ModelNotReadyException a model not yet able to serve (429), and ServiceUnavailableException
 * "high demand or temporary capacity constraints" (503). Source:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/troubleshooting-api-error-codes.html
 * and the Errors of https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
const BEDROCK_THROTTLES: ReadonlySet<string> = new Set(['ThrottlingException', 'ModelNotReadyException', 'ServiceUnavailableException', 'ServiceQuotaExceededException']);
/** No retry fixes these: a bad request, a role without the grant, a model id that does not exist. */
const BEDROCK_REJECTIONS: ReadonlySet<string> = new Set(['ValidationException', 'AccessDeniedException', 'ResourceNotFoundException', 'UnrecognizedClientException', 'ConflictException']);
/** The model failed or timed out on Bedrock's side; another attempt or provider may answer. */
const BEDROCK_FAILURES: ReadonlySet<string> = new Set(['InternalServerException', 'ModelErrorException', 'ModelStreamErrorException']);

export interface BedrockClassifyContext {
  model: string;
  /** Our own attempt timer fired (fetch then reports an abort). */
  timedOut: boolean;
}

/**
 * What the Bedrock adapter's signed fetch throws, as a {@link ProviderCallError}: a
 * {@link BedrockServiceError} named by its exception type (with the status outside a stream, none
 * inside one; Errors of https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * and https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html), no
 * connection, an abort, a body that is not JSON or not an event stream, or a connection that closed
 * in the middle of the body. The service's message is never copied.
 */
export function classifyBedrockError(error: unknown, context: BedrockClassifyContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const { model } = context;
  const fail = (kind: ProviderFailureKind, message: string, status?: number) => new ProviderCallError(kind, 'bedrock', model, `bedrock ${model}: ${message}`, status);
  const { name, message } = nameAndMessageOf(error);

  if (context.timedOut || name === 'AbortError' || name === 'TimeoutError' || (error instanceof ProviderConnectionError && error.timedOut)) return fail('timeout', 'no answer within the attempt time limit');
  if (error instanceof BedrockServiceError) {
    const httpStatus = error.status;
    const described = (type: string) => `answered ${httpStatus ? `HTTP ${httpStatus} ` : ''}(${type})`;
    if (BEDROCK_THROTTLES.has(error.name)) return fail('throttled', described(error.name), httpStatus ?? 429);
    if (BEDROCK_REJECTIONS.has(error.name)) return fail('rejected', described(error.name), httpStatus);
    if (error.name === 'ModelTimeoutException') return fail('timeout', described(error.name), httpStatus);
    if (BEDROCK_FAILURES.has(error.name)) return fail('unavailable', described(error.name), httpStatus);
    if (httpStatus === 429) return fail('throttled', `answered HTTP ${httpStatus}`, httpStatus);
    if (httpStatus !== undefined && httpStatus < 500) return fail('rejected', `answered HTTP ${httpStatus}`, httpStatus);
    return fail('unavailable', httpStatus === undefined ? `the call failed (${error.name})` : `answered HTTP ${httpStatus}`, httpStatus);
  }
  if (error instanceof ProviderConnectionError) return fail('unavailable', 'the connection failed');
  if (error instanceof EventStreamFormatError) return fail('malformed', 'the event stream was malformed');
  // Compared by name, not instanceof: the error may come from another realm (jest's module sandbox).
  if (name === 'SyntaxError') return fail('malformed', 'the answer was not valid JSON');
  // undici's "terminated": the socket closed in the middle of the body (a cut stream).
  if (name === 'TypeError' && /terminated|other side closed|socket/i.test(message)) return fail('unavailable', 'the connection closed before the answer was complete');
  return fail('unavailable', `the call failed (${name ?? typeof error})`);
}
