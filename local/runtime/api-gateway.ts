/**
 * The local API Gateway (REST, Lambda proxy integration): matches a request to a route of the
 * catalog, authorizes it with the dev tokens (the Cognito authorizer's stand-in), builds the
 * `APIGatewayProxyEvent` the function would get in AWS, invokes the function and writes its
 * answer back, relaying a streamed response chunk by chunk. What the gateway itself answers
 * (401, 404, 413, a function at its concurrency 429, a failed function 502) comes from the same
 * table as the stack's gateway responses (lib/gateway-responses.ts), so status, body and
 * Retry-After are what API Gateway would send; what Node's HTTP parser refuses before a request
 * exists (400, 408, 431) gets the same `{ error: { code, message, requestId } }` body, with the
 * request id in `x-amzn-RequestId`.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { claimsOf, identityFor, type DevIdentity } from './dev-tokens';
import { FunctionInvocationError, FunctionThrottledError, FunctionTimeoutError, type LocalLambdaFunction, type ResponseStreamSink } from './lambda-function';
import { closeServer, listenOnLoopback } from '../loopback-server';
import { GATEWAY_ANSWERS, gatewayResponseBody, gatewayResponseHeaders, type GatewayAnswer, type GatewayAnswerName } from '../../lib/gateway-responses';
import { BadRequestError, RequestHeaderFieldsTooLargeError, RequestTimeoutError, toHttpError, type GatewayError } from '../../functions/core/errors';

/** API Gateway's payload limit. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;
/**
 * Request line plus headers: API Gateway caps a regional REST API's URL at 10,240 characters
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html)
 * and an HTTP API's request line and headers together at 10,240 bytes
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html); the local
 * server takes the same figure for the whole head.
 */
export const DEFAULT_MAX_HEADER_BYTES = 10_240;
/** Time for the request line and headers to arrive (Node's own default is 60 s). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** Time, from the end of the headers, for the whole body to arrive. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

export interface ApiRoute {
  method: 'GET' | 'POST';
  /** Resource path with `{param}` placeholders, as in the catalog. */
  path: string;
  /** Id of the function that serves it. */
  functionId: string;
  /** No token needed (`/health`, `/openapi.json`). */
  public: boolean;
}

/** A route the local server answers itself (the operations page, runtime stats). */
export interface LocalRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface ApiGatewayOptions {
  routes: ApiRoute[];
  functions: ReadonlyMap<string, LocalLambdaFunction>;
  identities: DevIdentity[];
  /** @default 3000 */
  port?: number;
  host?: string;
  /** @default 'local' */
  stage?: string;
  /** CORS origin for the gateway's own answers and preflights. @default '*' */
  allowedOrigin?: string;
  localRoutes?: LocalRoute[];
  /** Largest request line plus headers, in bytes; beyond it a JSON 431. @default DEFAULT_MAX_HEADER_BYTES */
  maxHeaderBytes?: number;
  /** Request line and headers must arrive within this; else a JSON 408. @default DEFAULT_HEADERS_TIMEOUT_MS */
  headersTimeoutMs?: number;
  /**
   * The body must arrive within this after the headers, or the request is cut off with a JSON
   * 408 (a body shorter than its Content-Length, or one that trickles in). API Gateway has limits
   * of its own in front of Lambda; this one keeps a half-sent request from holding the server.
   * @default DEFAULT_BODY_TIMEOUT_MS
   */
  bodyTimeoutMs?: number;
}

export interface LocalApiGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface CompiledRoute extends ApiRoute {
  pattern: RegExp;
  params: string[];
}

function compile(route: ApiRoute): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      params.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}$`), params };
}

/** Content types API Gateway would pass base64-encoded (the stack's binary media types). */
function isBinary(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type.startsWith('image/') || type === 'application/dicom' || type === 'application/octet-stream' || type.startsWith('multipart/');
}

class PayloadTooLarge extends Error {}
class BodyTimeout extends Error {}
/** The client hung up, or its connection broke, before the body was complete: nobody to answer. */
class ClientGone extends Error {}

/**
 * The body deadline of one request, armed when its headers are in. When it passes with the body
 * still incomplete, a waiting {@link readBody} fails with {@link BodyTimeout} (the handler answers
 * 408); if the gateway has answered already (a 401 or 404 while the body trickles on), the
 * connection is closed instead, so a body that never ends cannot hold it open.
 */
class BodyDeadline {
  private timer: NodeJS.Timeout | undefined;
  private waiter: (() => void) | undefined;
  private readonly clearOnce = () => this.clear();

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    ms: number,
  ) {
    this.timer = setTimeout(() => this.expire(), ms);
    this.timer.unref();
    req.once('end', this.clearOnce);
    // Kept-alive connections carry many requests: each one's listener comes off again in clear().
    req.socket.once('close', this.clearOnce);
    res.once('finish', () => {
      if (req.complete) this.clear();
    });
  }

  /** Calls `onExpire` instead of closing the connection when the deadline passes. */
  wait(onExpire: () => void): () => void {
    this.waiter = onExpire;
    return () => {
      this.waiter = undefined;
    };
  }

  private expire(): void {
    this.timer = undefined;
    if (this.req.complete) return;
    if (this.waiter) this.waiter();
    else if (this.res.headersSent) this.req.socket.destroy();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.req.off('end', this.clearOnce);
    this.req.socket.off('close', this.clearOnce);
  }
}

function readBody(req: IncomingMessage, limit: number, deadline: BodyDeadline): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLarge());
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (outcome: () => void) => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onClose);
      stopWaiting();
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle(() => reject(new PayloadTooLarge()));
      else chunks.push(chunk);
    };
    const onEnd = () => settle(() => resolve(Buffer.concat(chunks)));
    const onGone = () => settle(() => reject(new ClientGone()));
    const onClose = () => {
      if (!req.complete) onGone();
    };
    const stopWaiting = deadline.wait(() => settle(() => reject(new BodyTimeout())));
    req.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onClose);
  });
}

/** Why a request target is refused, or the URL it names. */
type ParsedTarget = { url: URL } | { problem: string };

/**
 * The request target, which must be origin-form: a path starting with `/` and an optional query.
 * Absolute-form (`http://host/path`) and `*` are for proxies and OPTIONS of a server, not for an
 * API endpoint; a `%` in the path must start a `%XY` escape. The target is parsed against a fixed
 * origin so that `//host/path` stays a path and cannot name another host.
 */
export function parseRequestTarget(target: string | undefined): ParsedTarget {
  const raw = target ?? '';
  if (!raw.startsWith('/')) return { problem: 'The request target must be a path starting with / (absolute-form and * are not accepted)' };
  const query = raw.indexOf('?');
  const path = query < 0 ? raw : raw.slice(0, query);
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return { problem: 'The request path holds a % that does not start a percent-escape (%XY with two hex digits)' };
  try {
    return { url: new URL(`http://local${raw}`) };
  } catch {
    return { problem: 'The request target is not a valid URL path' };
  }
}

/** The JSON answer for what Node's HTTP parser refused (no request object exists yet). */
function clientErrorAnswer(code: string | undefined): GatewayError {
  if (code === 'HPE_HEADER_OVERFLOW') return new RequestHeaderFieldsTooLargeError('The request line and headers are larger than the server accepts');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new RequestTimeoutError('The request line and headers did not arrive in time');
  return new BadRequestError('The request is not valid HTTP/1.1 (the request line, a header or the body framing could not be parsed)');
}

export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApiGateway> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const allowedOrigin = options.allowedOrigin ?? '*';
  const routes = options.routes.map(compile);
  const localRoutes = options.localRoutes ?? [];
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  for (const [name, value] of Object.entries({ maxHeaderBytes, headersTimeoutMs, bodyTimeoutMs })) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer (got ${value})`);
  }
  for (const route of options.routes) {
    if (!options.functions.has(route.functionId)) throw new Error(`route ${route.method} ${route.path} names an unknown function '${route.functionId}'`);
  }

  const corsHeaders = {
    'access-control-allow-origin': allowedOrigin,
    'access-control-allow-headers': 'Authorization, Content-Type, Accept, Idempotency-Key, X-Request-Id',
    'access-control-expose-headers': 'x-amzn-RequestId, x-amzn-ErrorType, Retry-After',
  };

  /**
   * What API Gateway answers itself, exactly as the stack's gateway responses shape it
   * (lib/gateway-responses.ts): status, the `{ error: { code, message, requestId } }` body and
   * Retry-After. `x-amzn-ErrorType` marks it as the gateway's, as AWS does.
   */
  function gatewayAnswer(res: ServerResponse, name: GatewayAnswerName, context: { statusCode?: number; gatewayMessage?: string; headers?: Record<string, string> } = {}): void {
    const gateway: GatewayAnswer = GATEWAY_ANSWERS[name];
    const statusCode = gateway.statusCode ?? context.statusCode ?? 500;
    const requestId = String(res.getHeader('x-amzn-RequestId') ?? '');
    writeGatewayBody(res, statusCode, gatewayResponseBody(gateway, requestId, context.gatewayMessage ?? STATUS_CODES[statusCode]), {
      ...gatewayResponseHeaders(gateway),
      'x-amzn-ErrorType': `${gateway.code}Exception`,
      ...context.headers,
    });
  }

  /**
   * The answer to input no function may see (a malformed target, a body that never arrives): in
   * AWS the edge refuses it before any gateway response applies; here it gets the same body shape,
   * with the status and code of the typed error.
   */
  function typedGatewayError(res: ServerResponse, error: GatewayError, headers: Record<string, string> = {}): void {
    const { statusCode, body } = toHttpError(error);
    const requestId = String(res.getHeader('x-amzn-RequestId') ?? '');
    writeGatewayBody(res, statusCode, JSON.stringify({ error: { code: body.error.code, message: body.error.message, requestId } }), { 'x-amzn-ErrorType': `${body.error.code}Exception`, ...headers });
  }

  function writeGatewayBody(res: ServerResponse, statusCode: number, body: string, headers: Record<string, string>): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(statusCode, { 'content-type': 'application/json', ...corsHeaders, ...headers });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    const deadline = new BodyDeadline(req, res, bodyTimeoutMs);
    const target = parseRequestTarget(req.url);
    if ('problem' in target) {
      req.resume();
      typedGatewayError(res, new BadRequestError(target.problem), { connection: 'close' });
      return;
    }
    const { url } = target;
    const method = (req.method ?? 'GET').toUpperCase();

    const local = localRoutes.find((r) => r.path === url.pathname && r.method === method);
    if (local) {
      await local.handle(req, res);
      return;
    }

    const candidates = routes.filter((r) => r.pattern.test(url.pathname));
    if (candidates.length === 0) {
      req.resume();
      gatewayAnswer(res, 'noRoute');
      return;
    }
    if (method === 'OPTIONS') {
      req.resume();
      res.writeHead(204, { ...corsHeaders, 'access-control-allow-methods': [...new Set(candidates.map((r) => r.method)), 'OPTIONS'].join(', '), 'access-control-max-age': '600' });
      res.end();
      return;
    }
    const route = candidates.find((r) => r.method === method);
    if (!route) {
      // REST API answers a method a resource does not have like an unknown path (Missing
      // Authentication Token), so the front end gets the same 404 here.
      req.resume();
      gatewayAnswer(res, 'noRoute');
      return;
    }

    let identity: DevIdentity | undefined;
    if (!route.public) {
      identity = identityFor(req.headers.authorization, options.identities);
      if (!identity) {
        req.resume();
        gatewayAnswer(res, 'unauthorized');
        return;
      }
    }

    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BODY_BYTES, deadline);
    } catch (error) {
      if (error instanceof ClientGone) return;
      if (error instanceof BodyTimeout) {
        // Nothing was invoked, so nothing was charged; the rest of the body is not waited for.
        const received = req.headers['content-length'] === undefined ? '' : ` (Content-Length ${Number(req.headers['content-length'])})`;
        typedGatewayError(res, new RequestTimeoutError(`The request body did not arrive within ${bodyTimeoutMs} ms${received}`), { connection: 'close' });
        return;
      }
      if (!(error instanceof PayloadTooLarge)) throw error;
      req.resume();
      gatewayAnswer(res, 'requestTooLarge', { headers: { connection: 'close' } });
      return;
    }

    const event = buildEvent({ req, url, route, body, identity, requestId, stage });
    const fn = options.functions.get(route.functionId)!;
    const sink: ResponseStreamSink = {
      head(statusCode, headers, cookies) {
        // A handler may leave a header undefined; Node refuses those, Lambda drops them.
        const all: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(headers)) if (value !== undefined && value !== null) all[name] = String(value);
        if (cookies?.length) all['set-cookie'] = cookies;
        res.writeHead(statusCode, all);
        res.flushHeaders();
      },
      chunk(chunk) {
        res.write(chunk);
      },
      // A client that goes away mid-stream closes the response before it ended.
      onHangUp(hangUp) {
        res.once('close', () => {
          if (!res.writableFinished) hangUp();
        });
      },
    };

    try {
      const outcome = await fn.invoke(event, { sink, requestId });
      if (outcome.kind === 'stream') {
        res.end();
        return;
      }
      writeProxyResult(res, outcome.result, () => gatewayAnswer(res, 'default5xx', { statusCode: 502, gatewayMessage: 'Internal server error' }));
    } catch (error) {
      if (error instanceof FunctionThrottledError) {
        // Lambda refuses the invoke (reserved concurrency in use); API Gateway answers INTEGRATION_FAILURE.
        gatewayAnswer(res, 'functionAtCapacity');
      } else if (error instanceof FunctionTimeoutError || error instanceof FunctionInvocationError) {
        // "If the function runs but returns an error ... API Gateway returns a 502"; a function
        // that times out returns Lambda's "Task timed out" error, which is the same case
        // (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html). As in AWS,
        // the handler's error text goes to the function's log, not to the caller.
        if (!res.headersSent) process.stderr.write(`[${fn.spec.functionName}] ${requestId} ${error instanceof FunctionInvocationError ? error.errorType : 'Sandbox.Timedout'}: ${error.message}\n${error instanceof FunctionInvocationError ? (error.handlerStack ?? '') : ''}\n`);
        gatewayAnswer(res, 'default5xx', { statusCode: 502, gatewayMessage: 'Internal server error' });
      } else {
        throw error;
      }
    }
  }

  // The request in progress on each connection: a parser error in its body may still be answered,
  // but not once its body is complete (the function has it) or its answer has begun.
  const inFlight = new WeakMap<Duplex, { req: IncomingMessage; res: ServerResponse }>();
  const server: Server = createServer(
    {
      maxHeaderSize: maxHeaderBytes,
      // How often Node checks headersTimeout; its 30 s default would let a small timeout run long.
      connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(headersTimeoutMs / 4))),
    },
    (req, res) => {
      inFlight.set(req.socket, { req, res });
      res.once('finish', () => inFlight.delete(req.socket));
      handle(req, res).catch((error: unknown) => {
        process.stderr.write(`local API: ${(error as Error).stack ?? String(error)}\n`);
        gatewayAnswer(res, 'default5xx', { statusCode: 500, gatewayMessage: 'Internal server error' });
      });
    },
  );
  server.headersTimeout = headersTimeoutMs;
  // Node's requestTimeout would cut a body off with a bare 408; BodyDeadline answers in JSON instead.
  server.requestTimeout = 0;
  // Node answers what its parser refuses with a bare 400 or 431; the gateway's answers are JSON.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const current = inFlight.get(socket);
    if (!socket.writable || (current && (current.req.complete || current.res.headersSent)) || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const { statusCode, body } = toHttpError(clientErrorAnswer(error.code));
    const requestId = randomUUID();
    const text = JSON.stringify({ error: { code: body.error.code, message: body.error.message, requestId } });
    const code = body.error.code;
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      connection: 'close',
      'x-amzn-RequestId': requestId,
      'x-amzn-ErrorType': code.endsWith('Exception') ? code : `${code}Exception`,
      ...corsHeaders,
    };
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.once('finish', () => socket.destroy());
    socket.end(`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode]}\r\n${head}\r\n${text}`);
  });

  const port = await listenOnLoopback(server, options.port ?? 3000, host);

  return {
    url: `http://${host}:${port}`,
    port,
    close: () => closeServer(server),
  };
}

interface EventInput {
  req: IncomingMessage;
  url: URL;
  route: CompiledRoute;
  body: Buffer;
  identity?: DevIdentity;
  requestId: string;
  stage: string;
}

export function buildEvent({ req, url, route, body, identity, requestId, stage }: EventInput): APIGatewayProxyEvent {
  // rawHeaders keeps the caller's spelling, as API Gateway does.
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const match = route.pattern.exec(url.pathname)!;
  // As the client sent them, still percent-encoded, as REST APIs pass them; the function's HTTP
  // pipeline decodes them (and answers 400 for a malformed escape) in one place.
  const pathParameters = route.params.length ? Object.fromEntries(route.params.map((name, i) => [name, match[i + 1]!])) : null;
  const binary = isBinary(req.headers['content-type']);
  const now = Date.now();
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: url.searchParams.size ? query : null,
    multiValueQueryStringParameters: url.searchParams.size ? multiQuery : null,
    pathParameters,
    stageVariables: null,
    // A text body is handed over as a string, decoded leniently: invalid bytes become U+FFFD,
    // which the function's pipeline refuses (functions/core/http.ts says why).
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: body.length > 0 && binary,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: identity ? { claims: claimsOf(identity) } : null,
      domainName: req.headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      extendedRequestId: requestId,
      httpMethod: route.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTime: new Date(now).toISOString(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: route.path,
      stage,
    },
  };
}

/** Writes a Lambda proxy result; a malformed one is what API Gateway answers 502 for. */
function writeProxyResult(res: ServerResponse, result: unknown, malformed: (status: number, code: string, message: string) => void): void {
  const proxy = result as Partial<APIGatewayProxyResult> | null;
  if (!proxy || typeof proxy !== 'object' || typeof proxy.statusCode !== 'number') {
    malformed(502, 'MalformedProxyResponse', 'The function returned no statusCode; a Lambda proxy integration needs { statusCode, headers, body }');
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(proxy.multiValueHeaders ?? {})) if (Array.isArray(value)) headers[name.toLowerCase()] = value.map(String);
  for (const [name, value] of Object.entries(proxy.headers ?? {})) if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
  const body = proxy.body === undefined || proxy.body === null ? Buffer.alloc(0) : Buffer.from(String(proxy.body), proxy.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(proxy.statusCode, headers);
  res.end(body);
}
