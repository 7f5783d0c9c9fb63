/**
 * The HTTP pipeline every API function runs: middy with Powertools logging and metrics, header
 * normalisation, CORS and security headers, around one dispatcher that finds the route, checks
 * the caller, parses and validates the JSON body with zod, runs the route and maps every error to
 * its status code in one place ({@link toHttpError}). Bad input never reaches a route's code.
 */
import { Readable } from 'node:stream';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpSecurityHeaders from '@middy/http-security-headers';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type * as z from './zod';
import { ENV } from './env';
import { BadRequestError, ForbiddenError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, toHttpError } from './errors';
import { callerIdentity, type CallerIdentity } from './identity';
import { redactForLog, type Observability } from './observability';
import { DEFAULT_MAX_BODY_BYTES, type RouteAuth } from './route-declaration';

/** Time kept back from the Lambda timeout so a slow provider still leaves room to answer. */
export const DEADLINE_MARGIN_MS = 1_500;

export interface RouteContext<TBody> {
  body: TBody;
  identity: CallerIdentity;
  pathParameters: Record<string, string>;
  /** Query string parameters (`?since=24h`); empty when there are none. */
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  requestId: string;
  /** Epoch ms by which the route must have answered (the Lambda deadline minus a margin). */
  deadline: number;
  /** Adds PHI-free fields (key fingerprint, tokens, cache hit) to the request's log line. */
  annotate(fields: Record<string, string | number | boolean | undefined>): void;
  lambdaContext: Context;
}

export interface RouteResult {
  statusCode?: number;
  headers?: Record<string, string>;
  /** A JSON value, or a readable stream of server-sent events (streaming functions only). */
  body: unknown;
}

export interface HttpRoute<TSchema extends z.ZodType | undefined = z.ZodType | undefined> {
  method: 'GET' | 'POST';
  /** API Gateway resource path, e.g. `/v1/imaging/analyses/{jobId}`. */
  path: string;
  /** Request body schema; routes without one take no body. */
  body?: TSchema;
  /** `user` (default): any authenticated user; `admin`: the admin group; `none`: public. */
  auth?: RouteAuth;
  /** Largest accepted body in bytes (before base64 decoding of the JSON text). @default 256 KiB */
  maxBodyBytes?: number;
  handle(context: RouteContext<TSchema extends z.ZodType ? z.output<TSchema> : undefined>): Promise<RouteResult>;
}

/** Identity helper for declaring a route with its body type inferred from the schema. */
export function route<TSchema extends z.ZodType | undefined>(definition: HttpRoute<TSchema>): HttpRoute<TSchema> {
  return definition;
}

export interface HttpHandlerOptions {
  routes: HttpRoute<any>[];
  observability: Observability;
  /** Build the handler with `awslambda.streamifyResponse` (API Gateway response streaming). */
  streaming?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Readable;
}

export function createHttpHandler(options: HttpHandlerOptions) {
  const { observability } = options;
  const env = options.env ?? process.env;
  const dispatch = createDispatcher(options.routes, observability);
  const handler = middy<APIGatewayProxyEvent, HttpResponse>({ streamifyResponse: options.streaming === true })
    .use(injectLambdaContext(observability.logger, { resetKeys: true }))
    .use(logMetrics(observability.metrics))
    .use(httpHeaderNormalizer())
    .use(httpSecurityHeaders())
    .use(
      httpCors({
        origins: [env[ENV.allowedOrigin] ?? 'http://localhost:5173'],
        headers: 'authorization,content-type,idempotency-key,accept',
        // Without these a browser hides Retry-After and how an answer was produced from the front end.
        exposeHeaders: 'retry-after,x-request-id,idempotent-replayed,x-smartdental-cache,x-smartdental-provider,x-smartdental-model,x-smartdental-fallback,x-smartdental-tokens,x-smartdental-source',
        methods: 'GET,POST,OPTIONS',
        maxAge: 600,
      }),
    )
    .handler(dispatch);
  return handler;
}

function createDispatcher(routes: HttpRoute<any>[], { logger, metrics }: Observability) {
  return async (event: APIGatewayProxyEvent, lambdaContext: Context): Promise<HttpResponse> => {
    const started = Date.now();
    const requestId = event.requestContext?.requestId ?? lambdaContext.awsRequestId;
    const fields: Record<string, string | number | boolean | undefined> = {};
    let response: HttpResponse;
    try {
      response = await runRoute(routes, event, lambdaContext, requestId, fields);
    } catch (error) {
      const mapped = toHttpError(error);
      if (mapped.statusCode >= 500) logger.error('request failed', { ...redactForLog(error), ...fields });
      response = { statusCode: mapped.statusCode, headers: { 'content-type': 'application/json', ...mapped.headers }, body: JSON.stringify(mapped.body) };
    }
    response.headers['x-request-id'] = requestId;
    const logRequest = () => logger.info('request', { method: event.httpMethod, resource: event.resource, status: response.statusCode, latencyMs: Date.now() - started, ...fields });
    if (response.body instanceof Readable) {
      // A streamed answer is still being written when the handler returns, and middy's logMetrics
      // publishes at that moment; the tokens, latency and fallbacks the stream records come later.
      // They are published, with the request's log line, when the stream ends: synchronously and
      // still inside this invocation, because middy awaits the pipe into Lambda's response stream
      // before the handler returns. On Node.js 24 nothing may be left for later: "Lambda no longer
      // waits for unresolved promises to complete after your handler returns or the response
      // stream ends" (https://docs.aws.amazon.com/lambda/latest/dg/config-rs-write-functions.html).
      atStreamEnd(response.body, () => {
        logRequest();
        metrics.publishStoredMetrics();
      });
    } else {
      logRequest();
    }
    return response;
  };
}

async function runRoute(
  routes: HttpRoute<any>[],
  event: APIGatewayProxyEvent,
  lambdaContext: Context,
  requestId: string,
  fields: Record<string, string | number | boolean | undefined>,
): Promise<HttpResponse> {
  const candidates = routes.filter((r) => r.path === event.resource);
  if (candidates.length === 0) throw new NotFoundError(`No route ${event.resource ?? event.path}`);
  const matched = candidates.find((r) => r.method === event.httpMethod);
  if (!matched) throw new MethodNotAllowedError(`${event.httpMethod} is not allowed on ${event.resource}; use ${candidates.map((r) => r.method).join(' or ')}`);

  const auth = matched.auth ?? 'user';
  const identity = auth === 'none' ? anonymous : callerIdentity(event);
  if (auth === 'admin' && !identity.isAdmin) throw new ForbiddenError('This route is for administrators only');

  const pathParameters = decodePathParameters(matched.path, event.pathParameters);
  const headers = lowerCaseHeaders(event.headers);
  const body = matched.body ? parseBody(event, headers, matched.body, matched.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES) : undefined;
  const remaining = typeof lambdaContext.getRemainingTimeInMillis === 'function' ? lambdaContext.getRemainingTimeInMillis() : 30_000;

  const result = await matched.handle({
    body,
    identity,
    pathParameters,
    query: (event.queryStringParameters ?? {}) as Record<string, string>,
    headers,
    requestId,
    deadline: Date.now() + Math.max(1_000, remaining - DEADLINE_MARGIN_MS),
    annotate: (more) => Object.assign(fields, more),
    lambdaContext,
  });
  const statusCode = result.statusCode ?? 200;
  if (result.body instanceof Readable) {
    return { statusCode, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...result.headers }, body: result.body };
  }
  return { statusCode, headers: { 'content-type': 'application/json', ...result.headers }, body: JSON.stringify(result.body) };
}

/** Runs `fn` once when the stream has been read to its end, or was torn down (a client that hung up). */
function atStreamEnd(stream: Readable, fn: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    fn();
  };
  stream.once('end', once);
  stream.once('close', once);
}

const anonymous: CallerIdentity = { userId: 'anonymous', practiceId: 'none', groups: [], isAdmin: false };

function lowerCaseHeaders(headers: APIGatewayProxyEvent['headers'] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (typeof value === 'string') out[name.toLowerCase()] = value;
  return out;
}

/**
 * Path parameters, percent-decoded once, here and nowhere else. API Gateway REST's documentation
 * does not say whether `pathParameters` arrive decoded
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format);
 * captured REST events show them as the client sent them, still encoded
 * (https://github.com/aws/aws-sam-cli/issues/3524), and the local gateway passes them the same way.
 * Decoding an already-decoded value changes nothing unless it holds a `%`, which no id of ours
 * may hold, so the answer is a 4xx either way: a malformed escape (`%ZZ`) or escapes that are not
 * UTF-8 (`%C3%28`) make decodeURIComponent throw, and that is the caller's 400, not a 500.
 * Only the parameters the route's path declares are taken; API Gateway sends no others.
 */
function decodePathParameters(path: string, raw: APIGatewayProxyEvent['pathParameters'] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, name = ''] of path.matchAll(/\{(\w+)\}/g)) {
    const value = raw && Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (typeof value !== 'string') continue;
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      // The value itself is not echoed: a path segment can be anything a caller typed.
      throw new BadRequestError(`The path parameter ${name.slice(0, 40)} is not valid percent-encoded UTF-8`);
    }
  }
  return out;
}

function parseBody(event: APIGatewayProxyEvent, headers: Record<string, string>, schema: z.ZodType, maxBytes: number): unknown {
  const raw = event.body;
  if (raw === null || raw === undefined || raw === '') throw new BadRequestError('The request needs a JSON body');
  const contentType = headers['content-type'] ?? '';
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError(`Send the body as application/json (got ${contentType === '' ? 'no content-type' : JSON.stringify(contentType.slice(0, 80))})`);
  }
  const charset = declaredCharset(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeError(`JSON bodies must be UTF-8 (RFC 8259); the Content-Type declares charset=${JSON.stringify(charset.slice(0, 40))}`);
  }
  const text = event.isBase64Encoded ? strictUtf8(raw) : textBody(raw);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) throw new PayloadTooLargeError(`The request body is ${size} bytes; this route accepts at most ${maxBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the start of the body ("Unexpected token 'M', "Margarethe"..."); keep only the position.
    throw new BadRequestError(`The request body is not valid JSON${/ at position \d+/.exec((error as Error).message)?.[0] ?? ''}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    // Clipped: zod quotes unknown keys, and a caller's 200 KB key name must not come back twice over.
    const issues = parsed.error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String).join('.').slice(0, 200) || '(body)', message: issue.message.slice(0, 300) }));
    const summary = issues
      .slice(0, 3)
      .map((i) => `${i.path}: ${i.message}`)
      .join('; ');
    throw new BadRequestError(`Invalid request body: ${summary}`, { details: { issues } });
  }
  return parsed.data;
}

// JSON must be UTF-8 (RFC 8259); a lenient decode would turn bad bytes into U+FFFD and pass them on to a model.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const NOT_UTF8 = 'The request body is not valid UTF-8';

/** The `charset` parameter of a Content-Type, lower-cased and unquoted; undefined when there is none. */
function declaredCharset(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const eq = parameter.indexOf('=');
    if (eq < 0 || parameter.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    return parameter
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

/**
 * A body API Gateway passed as text. Without a matching binary media type a REST API treats the
 * payload as text, a UTF-8 string, and hands the function that string rather than the bytes
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-payload-encodings.html).
 * AWS does not say what becomes of invalid byte sequences on the way; a string cannot hold them,
 * and the trace a lenient UTF-8 decoder leaves is U+FFFD, the replacement character (the local
 * gateway decodes text bodies exactly so). Clinical text never holds U+FFFD on purpose; passing it
 * on would hand a model text that silently lost characters, so it is the caller's 400.
 */
function textBody(raw: string): string {
  if (raw.includes('\uFFFD')) throw new BadRequestError(`${NOT_UTF8}: it holds U+FFFD, the character invalid byte sequences are replaced with; send the text as UTF-8`);
  return raw;
}

function strictUtf8(base64: string): string {
  try {
    return UTF8.decode(Buffer.from(base64, 'base64'));
  } catch {
    throw new BadRequestError(NOT_UTF8);
  }
}
