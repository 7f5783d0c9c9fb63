/** Anthropic Messages, as far as the official `@anthropic-ai/sdk` needs it. */
import { InvalidSimulatedRequest, isRecord, streamPieces, type Dialect, type SimulatedCall, type SimulatedErrorKind, type SimulatedUsage } from './dialect';
import { anthropicRateLimitHeaders } from './rate-limiter';
import type { PromptParts } from './tokens';

const ERROR_TYPES: Record<SimulatedErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  not_found: 'not_found_error',
  rate_limit: 'rate_limit_error',
  server: 'api_error',
  unavailable: 'api_error',
  overloaded: 'overloaded_error',
};

export const anthropicDialect: Dialect = {
  name: 'anthropic',

  readCall(body): SimulatedCall {
    if (!isRecord(body)) throw new InvalidSimulatedRequest('request body must be a JSON object');
    if (typeof body.model !== 'string' || body.model === '') throw new InvalidSimulatedRequest('model: Field required');
    if (typeof body.max_tokens !== 'number') throw new InvalidSimulatedRequest('max_tokens: Field required');
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw new InvalidSimulatedRequest('messages: at least one message is required');
    const prompt: PromptParts = { system: readSystem(body.system), texts: [], images: [], lastUserText: '' };
    for (const [index, message] of body.messages.entries()) {
      if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) throw new InvalidSimulatedRequest(`messages.${index}.role: must be 'user' or 'assistant'`);
      const { text, images } = readContent(message.content, index);
      prompt.texts.push(text);
      prompt.images.push(...images);
      if (message.role === 'user') prompt.lastUserText = text;
    }
    // Anthropic has no JSON mode; callers ask for JSON in the system prompt (or a structured output format).
    const json = /\bJSON\b/.test(prompt.system) || body.output_format !== undefined || (isRecord(body.output_config) && body.output_config.format !== undefined);
    return { model: body.model, prompt, stream: body.stream === true, includeUsage: true, json };
  },

  errorBody(kind, message) {
    return { type: 'error', error: { type: ERROR_TYPES[kind], message } };
  },

  rateLimitHeaders: (state, now) => anthropicRateLimitHeaders(state, now),

  completion(call, text, usage, id) {
    return { ...message(call, id, usage, usage.outputTokens), content: [{ type: 'text', text }], stop_reason: 'end_turn' };
  },

  streamFrames(call, text, usage, id) {
    const events: Array<[string, unknown]> = [
      ['message_start', { type: 'message_start', message: { ...message(call, id, usage, 1), content: [], stop_reason: null } }],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['ping', { type: 'ping' }],
      ...streamPieces(text).map((piece): [string, unknown] => ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }]),
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.outputTokens } }],
      ['message_stop', { type: 'message_stop' }],
    ];
    return events.map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  },
};

/** Anthropic's `input_tokens` leaves out the tokens read from the prompt cache. */
function message(call: SimulatedCall, id: string, usage: SimulatedUsage, outputTokens: number) {
  const cached = usage.cachedTokens ?? 0;
  return {
    id: `msg_sim_${id}`,
    type: 'message',
    role: 'assistant',
    model: call.model,
    stop_sequence: null,
    usage: { input_tokens: usage.inputTokens - cached, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: cached, service_tier: 'standard' },
  };
}

function readSystem(system: unknown): string {
  if (system === undefined || system === null) return '';
  if (typeof system === 'string') return system;
  if (Array.isArray(system)) return system.map((b) => (isRecord(b) && typeof b.text === 'string' ? b.text : '')).join('\n');
  throw new InvalidSimulatedRequest('system: must be a string or a list of text blocks');
}

function readContent(content: unknown, index: number): { text: string; images: string[] } {
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw new InvalidSimulatedRequest(`messages.${index}.content: must be a string or a list of blocks`);
  const texts: string[] = [];
  const images: string[] = [];
  for (const block of content) {
    if (!isRecord(block)) throw new InvalidSimulatedRequest(`messages.${index}.content: every block must be an object`);
    if (block.type === 'text' && typeof block.text === 'string') texts.push(block.text);
    else if (block.type === 'image' && isRecord(block.source)) {
      if (block.source.type === 'base64' && typeof block.source.data === 'string') images.push(block.source.data);
      else if (block.source.type === 'url') images.push('');
      else throw new InvalidSimulatedRequest(`messages.${index}.content: image source must be base64 or url`);
    } else throw new InvalidSimulatedRequest(`messages.${index}.content: unsupported block type '${String(block.type)}'`);
  }
  return { text: texts.join('\n'), images };
}
