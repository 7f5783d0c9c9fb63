/**
 * Typed errors of the gateway. Each carries its HTTP status; {@link toHttpError} is the one place
 * that turns any thrown value into a status code and a JSON body. Messages are written for the
 * caller and never contain a key, a prompt or patient data.
 */
export abstract class GatewayError extends Error {
  abstract readonly statusCode: number;
  /** Machine-readable code for the front end (`BadRequest`, `OverBudget`, …). */
  abstract readonly code: string;
  /** Seconds after which a retry may succeed (sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
  /** Extra structured detail for the caller (e.g. validation issues). */
  readonly details?: unknown;

  constructor(message: string, options?: { retryAfterSeconds?: number; details?: unknown; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.details = options?.details;
  }
}

export class BadRequestError extends GatewayError {
  readonly statusCode = 400;
  readonly code = 'BadRequest';
}
export class UnauthorizedError extends GatewayError {
  readonly statusCode = 401;
  readonly code = 'Unauthorized';
}
export class ForbiddenError extends GatewayError {
  readonly statusCode = 403;
  readonly code = 'Forbidden';
}
export class NotFoundError extends GatewayError {
  readonly statusCode = 404;
  readonly code = 'NotFound';
}
export class MethodNotAllowedError extends GatewayError {
  readonly statusCode = 405;
  readonly code = 'MethodNotAllowed';
}
/** The request (its headers or its body) did not arrive in the time the server allows. */
export class RequestTimeoutError extends GatewayError {
  readonly statusCode = 408;
  readonly code = 'RequestTimeout';
}
export class PayloadTooLargeError extends GatewayError {
  readonly statusCode = 413;
  readonly code = 'PayloadTooLarge';
}
export class UnsupportedMediaTypeError extends GatewayError {
  readonly statusCode = 415;
  readonly code = 'UnsupportedMediaType';
}
/** The request line and headers together are larger than the server accepts. */
export class RequestHeaderFieldsTooLargeError extends GatewayError {
  readonly statusCode = 431;
  readonly code = 'RequestHeaderFieldsTooLarge';
}
/** Same idempotency key, different body. */
export class IdempotencyConflictError extends GatewayError {
  readonly statusCode = 422;
  readonly code = 'IdempotencyKeyReused';
}
/** The first request with this idempotency key is still running; retry after `Retry-After`. */
export class IdempotencyInProgressError extends GatewayError {
  readonly statusCode = 409;
  readonly code = 'IdempotencyRequestInProgress';
}
/**
 * The task's PHI policy is `block`, the request holds patient identifiers, and every provider of
 * the task is outside the BAA boundary. The message names the kinds found, never an identifier.
 */
export class PhiNotAllowedError extends GatewayError {
  readonly statusCode = 422;
  readonly code = 'PhiNotAllowed';
}
/** The task's daily token budget or tokens-per-minute ceiling would be exceeded. */
export class OverBudgetError extends GatewayError {
  readonly statusCode = 429;
  readonly code = 'OverBudget';
}
/**
 * The task still has room, but the calling practice has used its share of it (its daily tokens,
 * its tokens per minute or its concurrent requests): another practice's requests are unaffected.
 * `details` names the share, the practice's use and which limit it was.
 */
export class PracticeOverShareError extends GatewayError {
  readonly statusCode = 429;
  readonly code = 'PracticeOverShare';
}
/** The practice's imaging jobs in flight (queued or running) already hold its pixel budget. */
export class ImagingPracticeBusyError extends GatewayError {
  readonly statusCode = 429;
  readonly code = 'ImagingPracticeBusy';
}
/** Every provider in the chain was rate-limited. */
export class ProviderThrottledError extends GatewayError {
  readonly statusCode = 429;
  readonly code = 'ProviderThrottled';
}
/** The model answered, but not with output that fits the task's schema, even after one repair. */
export class InvalidModelOutputError extends GatewayError {
  readonly statusCode = 502;
  readonly code = 'InvalidModelOutput';
}
/** Every provider in the chain failed (5xx, timeout, circuit open). */
export class ProviderUnavailableError extends GatewayError {
  readonly statusCode = 503;
  readonly code = 'ProviderUnavailable';
}
/** A dependency of ours (DynamoDB, Secrets Manager, the queue) failed. */
export class DependencyUnavailableError extends GatewayError {
  readonly statusCode = 503;
  readonly code = 'ServiceUnavailable';
}

export interface HttpErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface HttpError {
  statusCode: number;
  headers: Record<string, string>;
  body: HttpErrorBody;
}

/**
 * Maps anything thrown to the HTTP answer. Unknown errors become a 500 with a generic message:
 * their text may hold internals, so it goes to the log, never to the caller.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof GatewayError) {
    const headers: Record<string, string> = {};
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
    const body: HttpErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { statusCode: error.statusCode, headers, body };
  }
  return {
    statusCode: 500,
    headers: {},
    body: { error: { code: 'InternalError', message: 'Internal error; the request id in the response headers identifies it in the logs' } },
  };
}
