/**
 * The local API Gateway (REST, Lambda proxy integration): matches a request to a route of the
 * catalog, authorizes it with the dev tokens (the Cognito authorizer's stand-in), builds the
 * `APIGatewayProxyEvent` the function would get in AWS, invokes the function and writes its
 * answer back, relaying a streamed response chunk by chunk. What the gateway itself answers
 * (401, 404, 405, 413, 429, 502) is JSON, with the request id in `x-amzn-RequestId`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { claimsOf, identityFor, type DevIdentity } from './dev-tokens';
import { FunctionInvocationError, FunctionThrottledError, FunctionTimeoutError, type LocalLambdaFunction, type ResponseStreamSink } from './lambda-function';
import { closeServer, listenOnLoopback } from '../loopback-server';

/** API Gateway's payload limit. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

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

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApiGateway> {
  const host = options.host ?? '127.0.0.1';
  const stage = options.stage ?? 'local';
  const allowedOrigin = options.allowedOrigin ?? '*';
  const routes = options.routes.map(compile);
  const localRoutes = options.localRoutes ?? [];
  for (const route of options.routes) {
    if (!options.functions.has(route.functionId)) throw new Error(`route ${route.method} ${route.path} names an unknown function '${route.functionId}'`);
  }

  const corsHeaders = {
    'access-control-allow-origin': allowedOrigin,
    'access-control-allow-headers': 'Authorization, Content-Type, Accept, Idempotency-Key, X-Request-Id',
    'access-control-expose-headers': 'x-amzn-RequestId, x-amzn-ErrorType, Retry-After',
  };

  function answer(res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.writeHead(statusCode, { 'content-type': 'application/json', ...corsHeaders, ...headers });
    res.end(JSON.stringify(body));
  }

  /** API Gateway's own error shape (`message`) plus the gateway's `error` object for the front end. */
  /** API Gateway marks its own answers with `x-amzn-ErrorType`; so does this one, so callers can tell them from the function's. */
  function gatewayError(res: ServerResponse, statusCode: number, code: string, message: string, gatewayMessage: string, headers: Record<string, string> = {}): void {
    const errorType = code.endsWith('Exception') ? code : `${code}Exception`;
    answer(res, statusCode, { message: gatewayMessage, error: { code, message } }, { 'x-amzn-ErrorType': errorType, ...headers });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    res.setHeader('x-amzn-RequestId', requestId);
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();

    const local = localRoutes.find((r) => r.path === url.pathname && r.method === method);
    if (local) {
      await local.handle(req, res);
      return;
    }

    const candidates = routes.filter((r) => r.pattern.test(url.pathname));
    if (candidates.length === 0) {
      req.resume();
      gatewayError(res, 404, 'NotFound', `No route for ${method} ${url.pathname}`, 'Not Found');
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
      req.resume();
      const allow = candidates.map((r) => r.method).join(', ');
      gatewayError(res, 405, 'MethodNotAllowed', `${url.pathname} accepts ${allow}, not ${method}`, 'Method Not Allowed', { allow });
      return;
    }

    let identity: DevIdentity | undefined;
    if (!route.public) {
      identity = identityFor(req.headers.authorization, options.identities);
      if (!identity) {
        req.resume();
        const message = req.headers.authorization ? 'The bearer token is not valid' : 'Missing Authorization header; send Authorization: Bearer <token>';
        gatewayError(res, 401, 'Unauthorized', message, 'Unauthorized');
        return;
      }
    }

    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof PayloadTooLarge)) throw error;
      req.resume();
      gatewayError(res, 413, 'PayloadTooLarge', `The request body exceeds API Gateway's limit of ${MAX_REQUEST_BODY_BYTES} bytes`, 'Request Too Long', { connection: 'close' });
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
      writeProxyResult(res, outcome.result, (status, code, message) => gatewayError(res, status, code, message, 'Internal server error'));
    } catch (error) {
      if (error instanceof FunctionThrottledError) {
        gatewayError(res, 429, 'TooManyRequestsException', `The ${route.functionId} function is at its concurrency limit of ${fn.spec.concurrencyLimit}; retry shortly`, 'Rate Exceeded.', {
          'retry-after': '1',
        });
      } else if (error instanceof FunctionTimeoutError) {
        gatewayError(res, 504, 'FunctionTimeout', `The ${route.functionId} function timed out after ${fn.spec.timeoutSeconds} s`, 'Endpoint request timed out');
      } else if (error instanceof FunctionInvocationError) {
        // As in AWS, the handler's error text goes to the function's log, not to the caller.
        if (!res.headersSent) process.stderr.write(`[${fn.spec.functionName}] ${requestId} ${error.errorType}: ${error.message}\n${error.handlerStack ?? ''}\n`);
        gatewayError(res, 502, 'FunctionError', `The ${route.functionId} function failed; see the local server's output for request ${requestId}`, 'Internal server error');
      } else {
        throw error;
      }
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`local API: ${(error as Error).stack ?? String(error)}\n`);
      gatewayError(res, 500, 'InternalError', 'The local API failed; see its output', 'Internal server error');
    });
  });
  server.requestTimeout = 0; // functions carry their own timeouts

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
  const pathParameters = route.params.length ? Object.fromEntries(route.params.map((name, i) => [name, decodeURIComponent(match[i + 1]!)])) : null;
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
