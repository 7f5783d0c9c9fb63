/**
 * What API Gateway itself answers, before or instead of a function: one table that the stack
 * turns into gateway responses and the local runtime answers from, so a caller gets the same
 * status, headers and body on the laptop as in AWS. Pure data: the local runtime loads it without
 * aws-cdk-lib.
 *
 * Every answer has the project's error body, `{ "error": { "code", "message", "requestId" } }`,
 * with API Gateway's own `x-amzn-RequestId` header, and `Retry-After` where retrying helps.
 * Gateway response templates are not run through VTL, only `$context` variables are filled in:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.gatewayResponse.html
 * Types and default status codes:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 */

/** The gateway response types this API customises (API Gateway's names). */
export type GatewayResponseType =
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'THROTTLED'
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'BAD_REQUEST_BODY'
  | 'BAD_REQUEST_PARAMETERS'
  | 'REQUEST_TOO_LARGE'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'WAF_FILTERED'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX';

export interface GatewayAnswer {
  readonly type: GatewayResponseType;
  /**
   * Undefined for the DEFAULT_* fallbacks: setting theirs would change the status of every other
   * 4xx or 5xx answer; they keep the status of the error they stand in for.
   */
  readonly statusCode?: number;
  /** The `error.code` a front end branches on. */
  readonly code: string;
  /** The `error.message`; undefined: API Gateway's own message (`$context.error.message`). */
  readonly message?: string;
  /** Seconds in `Retry-After`, for answers a retry can cure. */
  readonly retryAfterSeconds?: number;
}

/**
 * When a function is at its reserved concurrency, Lambda rejects the invoke (429
 * TooManyRequestsException) and API Gateway answers the INTEGRATION_FAILURE response, by default
 * 500 `{"message": "Internal server error"}`: "If the Lambda API rejects the invocation request, API
 * Gateway returns a 500 error code" (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
 * With reserved concurrency per task that is the ordinary way a task says "busy", so it is
 * answered as a 429 the front end can retry, and the API's 5xx alarm stays for real failures.
 * An invoke refused for another reason (a broken permission after a bad deploy) gets the same
 * answer; the function's Throttles alarm tells the two apart.
 */
export const GATEWAY_ANSWERS = {
  functionAtCapacity: {
    type: 'INTEGRATION_FAILURE',
    statusCode: 429,
    code: 'TaskAtCapacity',
    message: 'This AI task is running at its concurrency limit; retry after Retry-After seconds',
    retryAfterSeconds: 1,
  },
  functionTimeout: { type: 'INTEGRATION_TIMEOUT', statusCode: 504, code: 'GatewayTimeout', message: 'The task did not answer before the API stopped waiting; it may still finish' },
  apiThrottled: { type: 'THROTTLED', statusCode: 429, code: 'ApiThrottled', message: "Too many requests for the API's rate limit; retry after Retry-After seconds", retryAfterSeconds: 1 },
  unauthorized: { type: 'UNAUTHORIZED', statusCode: 401, code: 'Unauthorized', message: 'Missing or invalid bearer token; send Authorization: <ID token>' },
  accessDenied: { type: 'ACCESS_DENIED', statusCode: 403, code: 'AccessDenied', message: 'The token does not allow this request' },
  badRequestBody: { type: 'BAD_REQUEST_BODY', statusCode: 400, code: 'BadRequest', message: 'The request body must be one JSON object' },
  badRequestParameters: { type: 'BAD_REQUEST_PARAMETERS', statusCode: 400, code: 'BadRequest', message: 'A required path parameter is missing' },
  requestTooLarge: { type: 'REQUEST_TOO_LARGE', statusCode: 413, code: 'PayloadTooLarge', message: "The request exceeds API Gateway's 10 MB payload limit" },
  // REST answers an unknown path or method with 403 "Missing Authentication Token"; it is a 404.
  noRoute: { type: 'MISSING_AUTHENTICATION_TOKEN', statusCode: 404, code: 'NotFound', message: 'No route for this method and path; see /openapi.json' },
  firewall: { type: 'WAF_FILTERED', statusCode: 403, code: 'Forbidden', message: 'The request was blocked by the web application firewall' },
  default4xx: { type: 'DEFAULT_4XX', code: 'ClientError' },
  default5xx: { type: 'DEFAULT_5XX', code: 'GatewayError', retryAfterSeconds: 1 },
} as const satisfies Record<string, GatewayAnswer>;

export type GatewayAnswerName = keyof typeof GATEWAY_ANSWERS;

/** The body template API Gateway fills in (`$context` variables only). */
export function gatewayResponseTemplate(answer: GatewayAnswer): string {
  const message = answer.message === undefined ? '$context.error.messageString' : JSON.stringify(answer.message);
  return `{"error":{"code":${JSON.stringify(answer.code)},"message":${message},"requestId":"$context.requestId"}}`;
}

/** The body the local runtime answers: the template, filled in as API Gateway would. */
export function gatewayResponseBody(answer: GatewayAnswer, requestId: string, gatewayMessage = 'Request failed'): string {
  return JSON.stringify({ error: { code: answer.code, message: answer.message ?? gatewayMessage, requestId } });
}

/** Headers of a gateway answer besides CORS and `x-amzn-RequestId`. */
export function gatewayResponseHeaders(answer: GatewayAnswer): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (answer.retryAfterSeconds !== undefined) headers['retry-after'] = String(answer.retryAfterSeconds);
  return headers;
}
