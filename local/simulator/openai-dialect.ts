/** OpenAI Chat Completions, as far as the official `openai` SDK needs it. */
import { InvalidSimulatedRequest, isRecord, streamPieces, type Dialect, type SimulatedCall, type SimulatedErrorKind, type SimulatedUsage } from './dialect';
import { openAiRateLimitHeaders } from './rate-limiter';
import type { PromptParts } from './tokens';

export const SIMULATOR_FINGERPRINT = 'smartdental-simulator';

const ERROR_TYPES: Record<SimulatedErrorKind, { type: string; code: string | null }> = {
  invalid_request: { type: 'invalid_request_error', code: null },
  authentication: { type: 'invalid_request_error', code: 'invalid_api_key' },
  not_found: { type: 'invalid_request_error', code: 'not_found' },
  rate_limit: { type: 'requests', code: 'rate_limit_exceeded' },
  server: { type: 'server_error', code: null },
  unavailable: { type: 'server_error', code: 'model_unavailable' },
  overloaded: { type: 'server_error', code: 'overloaded' },
};

export const openAiDialect: Dialect = {
  name: 'openai',

  readCall(body): SimulatedCall {
    if (!isRecord(body)) throw new InvalidSimulatedRequest('request body must be a JSON object');
    if (typeof body.model !== 'string' || body.model === '') throw new InvalidSimulatedRequest("'model' is required");
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw new InvalidSimulatedRequest("'messages' must be a non-empty array");
    const prompt: PromptParts = { system: '', texts: [], images: [], lastUserText: '' };
    const systems: string[] = [];
    for (const [index, message] of body.messages.entries()) {
      if (!isRecord(message) || typeof message.role !== 'string') throw new InvalidSimulatedRequest(`messages[${index}] needs a role`);
      const { text, images } = readContent(message.content, index);
      if (message.role === 'system' || message.role === 'developer') systems.push(text);
      else prompt.texts.push(text);
      prompt.images.push(...images);
      if (message.role === 'user') prompt.lastUserText = text;
    }
    prompt.system = systems.join('\n');
    const format = isRecord(body.response_format) ? body.response_format.type : undefined;
    return {
      model: body.model,
      prompt,
      stream: body.stream === true,
      includeUsage: isRecord(body.stream_options) && body.stream_options.include_usage === true,
      json: format === 'json_object' || format === 'json_schema',
    };
  },

  errorBody(kind, message) {
    const { type, code } = ERROR_TYPES[kind];
    return { error: { message, type, param: null, code } };
  },

  rateLimitHeaders: (state) => openAiRateLimitHeaders(state),

  completion(call, text, usage, id) {
    return {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.model,
      system_fingerprint: SIMULATOR_FINGERPRINT,
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: usageBody(usage),
    };
  },

  streamFrames(call, text, usage, id) {
    const base = { id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: call.model, system_fingerprint: SIMULATOR_FINGERPRINT };
    const frames = [
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
      ...streamPieces(text).map((piece) => ({ ...base, choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }] })),
      { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] },
    ];
    if (call.includeUsage) frames.push({ ...base, choices: [], usage: usageBody(usage) } as never);
    return [...frames.map((f) => `data: ${JSON.stringify(f)}\n\n`), 'data: [DONE]\n\n'];
  },
};

function usageBody(usage: SimulatedUsage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function readContent(content: unknown, index: number): { text: string; images: string[] } {
  if (typeof content === 'string') return { text: content, images: [] };
  if (content === null || content === undefined) return { text: '', images: [] };
  if (!Array.isArray(content)) throw new InvalidSimulatedRequest(`messages[${index}].content must be a string or an array of parts`);
  const texts: string[] = [];
  const images: string[] = [];
  for (const part of content) {
    if (!isRecord(part)) throw new InvalidSimulatedRequest(`messages[${index}].content has a part that is not an object`);
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'image_url' && isRecord(part.image_url) && typeof part.image_url.url === 'string') {
      const url = part.image_url.url;
      const match = /^data:image\/[a-z+.-]+;base64,(.*)$/s.exec(url);
      // A remote URL is counted like an empty image: the simulator never fetches it.
      images.push(match?.[1] ?? '');
    } else throw new InvalidSimulatedRequest(`messages[${index}].content has an unsupported part type '${String(part.type)}'`);
  }
  return { text: texts.join('\n'), images };
}
