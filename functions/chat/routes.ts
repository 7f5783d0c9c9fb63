/**
 * The chat task's route, declared once: the catalog, the handler's dispatch, the OpenAPI document
 * and the fuzzer all read it from here.
 */
import { declareRoute } from '#core/route-declaration';
import { chatRequestSchema, chatResponseSchema } from './schemas';
import { CHAT_STREAM_EVENTS } from './stream-events';

export const ROUTES = {
  messages: declareRoute({
    method: 'POST',
    path: '/v1/chat/messages',
    ai: true,
    streaming: true,
    request: chatRequestSchema,
    maxBodyBytes: 512 * 1024,
    response: chatResponseSchema,
    operationId: 'sendChatMessage',
    summary: 'Patient chat reply',
    description:
      'Never states a diagnosis. Messages describing an emergency get escalate: true and advice to call the practice or emergency services, decided before any model is asked. ' +
      'Send Accept: text/event-stream to receive the reply as server-sent events.',
    eventStream:
      'Server-sent events (Accept: text/event-stream). `event: delta` with data {"text"} as the model writes; then `event: done` with data ' +
      '{"escalate", "escalationReason"?, "advice"?, "usage"?: {"inputTokens", "outputTokens"}}. A failure after the stream has started ends it with ' +
      '`event: error` carrying the ErrorBody; failures before it starts are ordinary JSON error answers.',
    events: CHAT_STREAM_EVENTS,
  }),
};
