/**
 * Amazon Bedrock Runtime's Converse API, as far as `@aws-sdk/client-bedrock-runtime` needs it:
 * `POST /model/{modelId}/converse` answers JSON, `POST /model/{modelId}/converse-stream` answers
 * the AWS event-stream binary framing (encoded with the SDK's own codec, so the client decodes it
 * as it decodes Bedrock's). Errors are Bedrock's shapes: the exception name in `x-amzn-ErrorType`
 * and `{ "message" }` in the body, with Bedrock's status codes
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html, Errors).
 */
import { EventStreamCodec, type MessageHeaders } from '@smithy/core/event-streams';
import { InvalidSimulatedRequest, isRecord, streamPieces, type Dialect, type SimulatedCall, type SimulatedErrorKind } from './dialect';
import type { PromptParts } from './tokens';

/** The exception Bedrock answers for each kind of simulated failure, and its HTTP status. */
const EXCEPTIONS: Record<SimulatedErrorKind, { type: string; status: number }> = {
  invalid_request: { type: 'ValidationException', status: 400 },
  // An access key the service does not know (SigV4 verification fails before IAM is asked).
  authentication: { type: 'UnrecognizedClientException', status: 403 },
  not_found: { type: 'ResourceNotFoundException', status: 404 },
  rate_limit: { type: 'ThrottlingException', status: 429 },
  server: { type: 'InternalServerException', status: 500 },
  unavailable: { type: 'ServiceUnavailableException', status: 503 },
  // Bedrock has no 529: under load it answers ServiceUnavailableException.
  overloaded: { type: 'ServiceUnavailableException', status: 503 },
};

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

const stringHeader = (value: string) => ({ type: 'string' as const, value });

/** One event of a ConverseStream answer, framed as Bedrock frames it. */
export function bedrockEventFrame(eventType: string, payload: unknown): Uint8Array {
  const headers: MessageHeaders = {
    ':message-type': stringHeader('event'),
    ':event-type': stringHeader(eventType),
    ':content-type': stringHeader('application/json'),
  };
  return codec.encode({ headers, body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')) });
}

/** `/model/{modelId}/converse` or `/converse-stream`, with the model id decoded; undefined for other paths. */
export function bedrockRouteOf(path: string): { model: string; stream: boolean } | undefined {
  const match = /^\/model\/([^/]+)\/(converse|converse-stream)$/.exec(path);
  if (!match) return undefined;
  let model: string;
  try {
    model = decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
  return { model, stream: match[2] === 'converse-stream' };
}

export const bedrockDialect: Dialect = {
  name: 'bedrock',

  readCall(body, _headers, route): SimulatedCall {
    if (!route) throw new InvalidSimulatedRequest('the model id belongs in the path: /model/{modelId}/converse');
    if (!isRecord(body)) throw new InvalidSimulatedRequest('1 validation error detected: the request body must be a JSON object');
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw new InvalidSimulatedRequest("1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must not be null");
    const prompt: PromptParts = { system: readSystem(body.system), texts: [], images: [], lastUserText: '' };
    for (const [index, message] of body.messages.entries()) {
      if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) throw new InvalidSimulatedRequest(`messages.${index}.role must be 'user' or 'assistant'`);
      const { text, images } = readContent(message.content, index);
      prompt.texts.push(text);
      prompt.images.push(...images);
      if (message.role === 'user') prompt.lastUserText = text;
    }
    if (body.inferenceConfig !== undefined && !isRecord(body.inferenceConfig)) throw new InvalidSimulatedRequest('inferenceConfig must be an object');
    // Converse has no JSON mode every model honours; callers ask for JSON in the system prompt.
    const json = /\bJSON\b/.test(prompt.system) || body.outputConfig !== undefined;
    return { model: route.model, prompt, stream: route.stream, includeUsage: true, json };
  },

  errorBody(_kind, message) {
    return { message };
  },

  errorHeaders(kind) {
    return { 'x-amzn-errortype': `${EXCEPTIONS[kind].type}:http://internal.amazon.com/coral/com.amazon.bedrock/` };
  },

  errorStatus: (kind) => EXCEPTIONS[kind].status,

  // Bedrock sends no rate-limit headers; its quotas are per account, Region and model.
  rateLimitHeaders: () => ({}),
  // ThrottlingException's only member is its message: no retry-after to honour.
  // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html (Errors)
  sendsRetryAfter: false,

  // A Converse document cut off, or a ConverseStream whose framing is intact but whose second
  // event's payload is not JSON: the SDK's event-stream decoder then fails as on a damaged answer.
  malformedBody(call) {
    if (!call.stream) return '{"output": {"message": {"role": "assistant", "content": [{"text": ';
    const broken = codec.encode({
      headers: { ':message-type': stringHeader('event'), ':event-type': stringHeader('contentBlockDelta'), ':content-type': stringHeader('application/json') },
      body: new Uint8Array(Buffer.from('{"contentBlockIndex": 0, "delta": {"text": ', 'utf8')),
    });
    return Buffer.concat([bedrockEventFrame('messageStart', { role: 'assistant' }), broken]);
  },

  streamContentType: 'application/vnd.amazon.eventstream',

  completion(_call, text, usage) {
    return {
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason: 'end_turn',
      usage: usageOf(usage),
      metrics: { latencyMs: 1 },
    };
  },

  streamFrames(_call, text, usage) {
    return [
      bedrockEventFrame('messageStart', { role: 'assistant' }),
      ...streamPieces(text).map((piece) => bedrockEventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: piece } })),
      bedrockEventFrame('contentBlockStop', { contentBlockIndex: 0 }),
      bedrockEventFrame('messageStop', { stopReason: 'end_turn' }),
      bedrockEventFrame('metadata', {
        usage: usageOf(usage),
        metrics: { latencyMs: 1 },
      }),
    ];
  },
};

/**
 * Bedrock's TokenUsage with prompt-cache reads as `cacheReadInputTokens` (sent only when there are
 * some), left out of `inputTokens` as the gateway's adapter reads them (Anthropic's convention);
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_TokenUsage.html
 */
function usageOf(usage: { inputTokens: number; outputTokens: number; cachedTokens?: number }) {
  const cached = usage.cachedTokens ?? 0;
  return {
    inputTokens: usage.inputTokens - cached,
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens,
    ...(cached > 0 ? { cacheReadInputTokens: cached } : {}),
  };
}

function readSystem(system: unknown): string {
  if (system === undefined || system === null) return '';
  if (!Array.isArray(system)) throw new InvalidSimulatedRequest('system must be a list of content blocks');
  return system.map((block) => (isRecord(block) && typeof block.text === 'string' ? block.text : '')).join('\n');
}

function readContent(content: unknown, index: number): { text: string; images: string[] } {
  if (!Array.isArray(content)) throw new InvalidSimulatedRequest(`messages.${index}.content must be a list of content blocks`);
  const texts: string[] = [];
  const images: string[] = [];
  for (const block of content) {
    if (!isRecord(block)) throw new InvalidSimulatedRequest(`messages.${index}.content: every block must be an object`);
    if (typeof block.text === 'string') texts.push(block.text);
    else if (isRecord(block.image)) {
      const { format, source } = block.image;
      if (format !== 'jpeg' && format !== 'png' && format !== 'gif' && format !== 'webp') throw new InvalidSimulatedRequest(`messages.${index}.content: image format must be jpeg, png, gif or webp`);
      // Blobs travel base64-encoded in the JSON body (restJson1).
      if (!isRecord(source) || typeof source.bytes !== 'string') throw new InvalidSimulatedRequest(`messages.${index}.content: image source must carry bytes`);
      images.push(source.bytes);
    } else throw new InvalidSimulatedRequest(`messages.${index}.content: unsupported content block (${Object.keys(block).join(', ') || 'empty'})`);
  }
  return { text: texts.join('\n'), images };
}
