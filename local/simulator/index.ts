/**
 * Provider simulator: an HTTP server on 127.0.0.1 that speaks enough of the OpenAI Chat
 * Completions, Anthropic Messages and Amazon Bedrock Converse APIs for the official SDKs to work
 * against it unchanged through `baseURL` (Bedrock: the client's `endpoint`, or
 * `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`; the SigV4 access key id is the simulated key). It is the stand-in for tests, the benchmark and `npm start` without keys:
 * answers come from `./answers` (picked by the `[smartdental:<kind>]` marker on the system
 * prompt's first line), usage is derived from lengths, per-key RPM/TPM limits answer 429 like a
 * provider, and faults can be injected by rate. Every response says it is simulated.
 *
 * Admin API for out-of-process users: `GET /_sim/stats`, `POST /_sim/reset-stats`,
 * `GET /_sim/config`, `POST /_sim/config` (a {@link SimulatorConfigPatch}), and
 * `GET /_sim/received` (the last request bodies, so a test can prove what a provider was sent).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { anthropicDialect } from './anthropic-dialect';
import { bedrockDialect, bedrockRouteOf } from './bedrock-dialect';
import { SIMULATED_ANSWERS } from './answers';
import { applyConfigPatch, DEFAULT_SIMULATOR_CONFIG, drawFault, type SimulatorConfig, type SimulatorConfigPatch } from './config';
import { ERROR_STATUS, InvalidSimulatedRequest, type Dialect, type SimulatedCall, type SimulatedErrorKind, type SimulatedRoute } from './dialect';
import { openAiDialect } from './openai-dialect';
import { KeyRateLimiter } from './rate-limiter';
import { promptTokens, textTokens } from './tokens';
import { closeServer, listenOnLoopback } from '../loopback-server';

export type { SimulatorConfig, SimulatorConfigPatch, SimulatorFaultRates, SimulatorKeyLimits, DisabledModelBehaviour } from './config';
export { IMAGE_BASE_TOKENS, IMAGE_BYTES_PER_TOKEN, imageTokens, textTokens } from './tokens';

export interface ProviderSimulatorOptions extends SimulatorConfigPatch {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Source of randomness for fault rates and latency jitter (tests may pin it). */
  random?: () => number;
  /** Clock for the rate-limit windows. */
  now?: () => number;
  /** How many of the last request bodies {@link ProviderSimulator.received} keeps. @default 32 */
  receivedLimit?: number;
}

/** One request body as the simulator received it (cut at {@link MAX_RECEIVED_BODY_CHARS}). */
export interface ReceivedRequest {
  dialect: Dialect['name'];
  path: string;
  body: string;
  truncated: boolean;
}

const MAX_RECEIVED_BODY_CHARS = 256 * 1024;

export interface SimulatorCounters {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** 429s, from the key's limits or injected. */
  throttled: number;
  /** Injected faults and switched-off models (everything that was not an answer or a 429). */
  failures: number;
}

export interface SimulatorStats {
  /** `streamsCutOff`: streamed answers whose client hung up before the last frame. */
  totals: SimulatorCounters & { unauthorized: number; streamsCutOff: number };
  /** Per simulated API key, with the fingerprint the gateway's ledger uses for it. */
  keys: Record<string, SimulatorCounters & { fingerprint: string }>;
  models: Record<string, SimulatorCounters>;
}

export interface ProviderSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Base URL for the `openai` SDK (`<url>/v1`). */
  openaiBaseUrl: string;
  /** Base URL for `@anthropic-ai/sdk` (`<url>`; the SDK adds `/v1/messages`). */
  anthropicBaseUrl: string;
  /** Endpoint for `@aws-sdk/client-bedrock-runtime` (`<url>`; the SDK adds `/model/{id}/converse`). */
  bedrockEndpoint: string;
  port: number;
  configure(patch: SimulatorConfigPatch): SimulatorConfig;
  config(): SimulatorConfig;
  stats(): SimulatorStats;
  /** The last request bodies received, oldest first (a bounded ring; reset with the stats). */
  received(): ReceivedRequest[];
  resetStats(): void;
  close(): Promise<void>;
}

/** Header that names the output kind when the system prompt carries no marker. */
export const OUTPUT_KIND_HEADER = 'x-smartdental-output-kind';
const OUTPUT_KIND_MARKER = /\[smartdental:([A-Za-z0-9._-]+)\]/;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** What the `schema` fault answers: valid JSON that fits no task's schema. */
export const WRONG_SHAPE_ANSWER = { simulated: true, unexpected: 'this answer does not have the shape the task asked for' };

export async function startProviderSimulator(options: ProviderSimulatorOptions = {}): Promise<ProviderSimulator> {
  const { port = 0, random = Math.random, now = Date.now, receivedLimit = 32, ...patch } = options;
  let config = applyConfigPatch(DEFAULT_SIMULATOR_CONFIG, patch);
  const limiter = new KeyRateLimiter(
    () => config.rateLimitWindow,
    () => config.rateLimitWindowMs,
  );
  let stats = emptyStats();
  let received: ReceivedRequest[] = [];
  const remember = (dialect: Dialect, path: string, raw: string) => {
    received.push({ dialect: dialect.name, path, body: raw.slice(0, MAX_RECEIVED_BODY_CHARS), truncated: raw.length > MAX_RECEIVED_BODY_CHARS });
    if (received.length > receivedLimit) received.shift();
  };

  const counters = (apiKey: string, model: string): SimulatorCounters[] => {
    stats.keys[apiKey] ??= { fingerprint: fingerprintOf(apiKey), ...zeroCounters() };
    stats.models[model] ??= zeroCounters();
    return [stats.totals, stats.keys[apiKey], stats.models[model]];
  };
  const count = (targets: SimulatorCounters[], field: keyof SimulatorCounters, by = 1) => {
    for (const t of targets) t[field] += by;
  };

  async function handleCall(dialect: Dialect, req: IncomingMessage, res: ServerResponse, path: string, route?: SimulatedRoute): Promise<void> {
    const body = await readJson(req, (raw) => remember(dialect, path, raw));
    if (body === INVALID_JSON) return sendError(res, dialect, 'invalid_request', 'the request body is not valid JSON');

    const apiKey = apiKeyOf(req);
    const limits = apiKey === undefined ? undefined : (config.keys[apiKey] ?? (config.acceptAnyKey ? {} : undefined));
    if (apiKey === undefined || limits === undefined) {
      stats.totals.unauthorized += 1;
      return sendError(res, dialect, 'authentication', apiKey === undefined ? 'no API key was sent (simulated)' : 'invalid x-api-key: this key is not known to the provider simulator');
    }

    let call: SimulatedCall;
    try {
      call = dialect.readCall(body, req.headers, route);
    } catch (error) {
      if (error instanceof InvalidSimulatedRequest) return sendError(res, dialect, 'invalid_request', error.message);
      throw error;
    }
    const targets = counters(apiKey, call.model);
    count(targets, 'requests');

    const disabled = config.disabledModels[call.model];
    if (disabled !== undefined) {
      count(targets, 'failures');
      if (disabled === 'reset') return void req.socket.destroy();
      return sendError(res, dialect, 'unavailable', `the model ${call.model} is switched off in the provider simulator`);
    }

    const inputTokens = promptTokens(call.prompt);
    const at = now();
    const admission = limiter.admit(apiKey, limits, inputTokens, at);
    const limitHeaders = dialect.rateLimitHeaders(admission.state, at);
    if (!admission.admitted) {
      count(targets, 'throttled');
      const what = admission.limit === 'requests' ? `requests per minute (limit ${limits.rpm})` : `tokens per minute (limit ${limits.tpm})`;
      return sendError(res, dialect, 'rate_limit', `Rate limit reached for ${what} on this key (simulated). Please try again in ${admission.retryAfterSeconds}s.`, {
        ...limitHeaders,
        ...retryAfterHeader(dialect, admission.retryAfterSeconds),
      });
    }

    await delay(config.latency.fixedMs + random() * config.latency.jitterMs);
    if (res.destroyed) return;

    const streamType = dialect.streamContentType ?? 'text/event-stream';
    const fault = drawFault(config, call.model, random);
    switch (fault) {
      case 'throttle':
        count(targets, 'throttled');
        return sendError(res, dialect, 'rate_limit', 'Rate limit reached (simulated fault).', { ...limitHeaders, ...retryAfterHeader(dialect, config.throttleRetryAfterSeconds) });
      case 'serverError':
        count(targets, 'failures');
        return sendError(res, dialect, 'server', 'The server had an error while processing your request (simulated fault).');
      case 'overloaded':
        count(targets, 'failures');
        return sendError(res, dialect, 'overloaded', 'Overloaded (simulated fault).');
      case 'timeout':
        // Hang until the client gives up; close() destroys what is left.
        count(targets, 'failures');
        return;
      case 'malformed':
        count(targets, 'failures');
        res.writeHead(200, { ...SIMULATED_HEADERS, 'content-type': call.stream ? streamType : 'application/json' });
        return void res.end(dialect.malformedBody?.(call) ?? (call.stream ? 'data: {"id": "chatcmpl-sim", "choices": [\n\n' : '{"id": "simulated", "choices": [{"message": '));
      default:
        break;
    }

    const text = fault === 'schema' ? JSON.stringify(WRONG_SHAPE_ANSWER) : answerFor(call, req);
    const usage = { inputTokens, outputTokens: textTokens(text), cachedTokens: Math.min(config.cachedPromptTokens, inputTokens) };
    const id = randomUUID().replaceAll('-', '').slice(0, 24);
    const headers = { ...SIMULATED_HEADERS, ...limitHeaders, 'request-id': `req_sim_${id}`, 'x-request-id': `req_sim_${id}`, 'x-amzn-requestid': `req_sim_${id}` };

    if (fault === 'cutStream') {
      count(targets, 'failures');
      const payload = call.stream ? Buffer.concat(dialect.streamFrames(call, text, usage, id).map((frame) => Buffer.from(frame))) : Buffer.from(JSON.stringify(dialect.completion(call, text, usage, id)));
      res.writeHead(200, { ...headers, 'content-type': call.stream ? streamType : 'application/json' });
      // Half the answer, flushed, then the connection dies as if the provider's host fell over.
      res.write(payload.slice(0, Math.floor(payload.length / 2)), () => res.destroy());
      return;
    }

    admission.addTokens(usage.outputTokens);
    count(targets, 'inputTokens', usage.inputTokens);
    count(targets, 'outputTokens', usage.outputTokens);
    if (!call.stream) {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      return void res.end(JSON.stringify(dialect.completion(call, text, usage, id)));
    }
    res.writeHead(200, { ...headers, 'content-type': streamType, 'cache-control': 'no-cache', connection: 'keep-alive' });
    const frames = dialect.streamFrames(call, text, usage, id);
    for (const [index, frame] of frames.entries()) {
      if (config.streamFrameDelayMs > 0 && index > 0) await delay(config.streamFrameDelayMs);
      // The client went away (a gateway that aborted its call): count it, as a provider's logs would show it.
      if (res.destroyed) return void (stats.totals.streamsCutOff += 1);
      res.write(frame);
    }
    res.end();
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/_sim/stats') return sendJson(res, 200, stats);
    if (req.method === 'GET' && path === '/_sim/received') return sendJson(res, 200, received);
    if (req.method === 'POST' && path === '/_sim/reset-stats') {
      stats = emptyStats();
      received = [];
      limiter.reset();
      return sendJson(res, 200, stats);
    }
    if (req.method === 'GET' && path === '/_sim/config') return sendJson(res, 200, config);
    if (req.method === 'POST' && path === '/_sim/config') {
      const body = await readJson(req);
      try {
        if (body === INVALID_JSON || typeof body !== 'object' || body === null) throw new Error('the body must be a JSON object of settings');
        config = applyConfigPatch(config, body as SimulatorConfigPatch);
      } catch (error) {
        return sendJson(res, 400, { error: { message: (error as Error).message } });
      }
      return sendJson(res, 200, config);
    }
    return sendJson(res, 404, { error: { message: `no simulator admin route ${req.method} ${path}` } });
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = (): Promise<void> => {
      if (path.startsWith('/_sim/')) return handleAdmin(req, res, path);
      if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) return handleCall(openAiDialect, req, res, path);
      if (req.method === 'POST' && path === '/v1/messages') return handleCall(anthropicDialect, req, res, path);
      const bedrockRoute = bedrockRouteOf(path);
      if (req.method === 'POST' && bedrockRoute) return handleCall(bedrockDialect, req, res, path, bedrockRoute);
      const dialect = path.startsWith('/v1/messages') ? anthropicDialect : path.startsWith('/model/') ? bedrockDialect : openAiDialect;
      sendError(res, dialect, 'not_found', `no simulated route ${req.method} ${path}`);
      return Promise.resolve();
    };
    route().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: `simulator failure: ${(error as Error).message}` } });
      else res.destroy();
    });
  });

  const actualPort = await listenOnLoopback(server, port);
  const url = `http://127.0.0.1:${actualPort}`;

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: url,
    bedrockEndpoint: url,
    port: actualPort,
    configure(next) {
      config = applyConfigPatch(config, next);
      return config;
    },
    config: () => config,
    stats: () => structuredClone(stats),
    received: () => structuredClone(received),
    resetStats() {
      stats = emptyStats();
      received = [];
      limiter.reset();
    },
    close: () => closeServer(server),
  };
}

const SIMULATED_HEADERS = { 'x-simulated': 'true' };

function retryAfterHeader(dialect: Dialect, seconds: number): Record<string, string> {
  return dialect.sendsRetryAfter === false ? {} : { 'retry-after': String(seconds) };
}

function sendError(res: ServerResponse, dialect: Dialect, kind: SimulatedErrorKind, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, dialect.errorStatus?.(kind) ?? ERROR_STATUS[kind], dialect.errorBody(kind, message), { ...dialect.errorHeaders?.(kind), ...headers });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...SIMULATED_HEADERS, ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Picks the answer for the call's output kind and renders it as the request asked. */
function answerFor(call: SimulatedCall, req: IncomingMessage): string {
  const firstLine = call.prompt.system.split('\n', 1)[0] ?? '';
  const header = req.headers[OUTPUT_KIND_HEADER];
  const outputKind = OUTPUT_KIND_MARKER.exec(firstLine)?.[1] ?? (typeof header === 'string' ? header : undefined);
  const answer = outputKind === undefined ? undefined : SIMULATED_ANSWERS[outputKind];
  const value = answer ? answer({ outputKind: outputKind!, userText: call.prompt.lastUserText, imageCount: call.prompt.images.length }) : { simulated: true };
  if (call.json) return JSON.stringify(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const { reply, text } = value as { reply?: unknown; text?: unknown };
    if (typeof reply === 'string') return reply;
    if (typeof text === 'string') return text;
  }
  return JSON.stringify(value);
}

/**
 * `Authorization: Bearer` (OpenAI, and the Anthropic SDK 1.x), `x-api-key` (Anthropic), or a SigV4
 * `Authorization: AWS4-HMAC-SHA256 Credential=<access key id>/…` (Bedrock: the access key id is the
 * key; the signature is not checked, there being no secret key to check it with).
 */
function apiKeyOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const sigV4 = /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\//i.exec(req.headers.authorization ?? '');
  if (sigV4) return sigV4[1];
  if (/^AWS4-HMAC-SHA256\b/i.test(req.headers.authorization ?? '')) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  return bearer === '' ? undefined : bearer;
}

const INVALID_JSON = Symbol('invalid JSON');

async function readJson(req: IncomingMessage, onBody?: (raw: string) => void): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return INVALID_JSON;
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const raw = Buffer.concat(chunks).toString('utf8');
  onBody?.(raw);
  try {
    return JSON.parse(raw);
  } catch {
    return INVALID_JSON;
  }
}

function delay(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

function zeroCounters(): SimulatorCounters {
  return { requests: 0, inputTokens: 0, outputTokens: 0, throttled: 0, failures: 0 };
}

function emptyStats(): SimulatorStats {
  return { totals: { ...zeroCounters(), unauthorized: 0, streamsCutOff: 0 }, keys: {}, models: {} };
}

/** The same fingerprint the gateway uses (`k_` + 12 hex of SHA-256), so stats line up with the ledger. */
export function fingerprintOf(apiKey: string): string {
  return `k_${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}`;
}
