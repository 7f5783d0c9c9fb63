/**
 * Turns whatever a provider call throws into a {@link ProviderCallError}, the one failure type the
 * provider chain understands. Messages are built here from the status and error type only: a
 * provider's own message can quote part of the key (OpenAI's 401 does), so it is never copied and
 * the original error is not attached as `cause`.
 */
import { ProviderCallError, type ProviderFailureKind } from '../model-call';
import type { ProviderKind } from '../task-config';
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
  /** Our own attempt timer fired (the SDK then reports an abort). */
  timedOut: boolean;
}

/**
 * What the Bedrock Runtime client throws, as a {@link ProviderCallError}. The SDK names a service
 * error by its exception type (`error.name`) and carries the status in `$metadata`; an exception
 * inside a ConverseStream has the same name but no status. The service's message is not copied.
 */
export function classifyBedrockError(error: unknown, context: BedrockClassifyContext): ProviderCallError {
  if (error instanceof ProviderCallError) return error;
  const { model } = context;
  const fail = (kind: ProviderFailureKind, message: string, status?: number) => new ProviderCallError(kind, 'bedrock', model, `bedrock ${model}: ${message}`, status);
  const { name, message } = nameAndMessageOf(error);
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  const httpStatus = typeof status === 'number' ? status : undefined;
  const described = (type: string) => `answered ${httpStatus ? `HTTP ${httpStatus} ` : ''}(${type})`;

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
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return fail('unavailable', 'the connection failed');
  if (code === 'ECONNRESET' || code === 'EPIPE' || /aborted|socket hang up|terminated|truncated/i.test(message)) {
    return fail('unavailable', 'the connection closed before the answer was complete');
  }
  if (name === 'SyntaxError' || /deserializ|unexpected token|JSON/i.test(message)) return fail('malformed', 'the answer was not valid JSON');
  return fail('unavailable', `the call failed (${name ?? typeof error})`);
}
