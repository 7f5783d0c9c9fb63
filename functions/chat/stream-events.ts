/**
 * The server-sent events of a streamed chat answer, as schemas: what the handler writes and what
 * the OpenAPI document tells a front end to expect. A stream is `delta`* then exactly one of
 * `done` or `error`; it never just stops.
 */
import * as z from '#core/zod';
import { errorBodySchema } from '#core/error-body';

export const chatStreamDeltaSchema = z.strictObject({ text: z.string().check(z.describe('The next piece of the reply, to append')) }).check(z.meta({ id: 'ChatStreamDelta', description: 'event: delta — part of the reply as the model writes it' }));

export const chatStreamDoneSchema = z.strictObject({
  escalate: z.boolean().check(z.describe('true when the message was escalated in code (then no model was asked)')),
  escalationReason: z.optional(z.string()),
  advice: z.optional(z.string()),
  usage: z.optional(z.strictObject({ inputTokens: z.number().check(z.int(), z.gte(0)), outputTokens: z.number().check(z.int(), z.gte(0)) })),
}).check(z.meta({ id: 'ChatStreamDone', description: 'event: done — the reply is complete; the last event of a stream that succeeded' }));

/** event name → the schema of its `data` line. */
export const CHAT_STREAM_EVENTS = {
  delta: chatStreamDeltaSchema,
  done: chatStreamDoneSchema,
  error: errorBodySchema,
} as const;
