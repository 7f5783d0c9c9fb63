/**
 * Request, response and model-output schemas of the patient chat.
 */
import * as z from '#core/zod';

export const MAX_CHAT_MESSAGES = 50;
export const MAX_MESSAGE_CHARS = 4000;

export const chatMessageSchema = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_MESSAGE_CHARS)),
});

export const chatRequestSchema = z.strictObject({
  messages: z.array(chatMessageSchema).check(z.minLength(1), z.maxLength(MAX_CHAT_MESSAGES), z.refine((messages) => messages[messages.length - 1]?.role === 'user', 'the last message must be from the user')),
  practiceName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))).check(z.describe('Shown to the patient as who they are talking to')),
}).check(z.meta({
  id: 'ChatRequest',
  description: 'The conversation so far, oldest first. Send Accept: text/event-stream for a streamed answer. Ask patients not to type identifiers; none are needed.',
}));

export const chatUsageSchema = z.strictObject({ inputTokens: z.number().check(z.int()), outputTokens: z.number().check(z.int()) }).check(z.meta({ id: 'ChatUsage' }));

export const chatResponseSchema = z.strictObject({
  reply: z.string(),
  escalate: z.boolean().check(z.describe('true when the messages describe a possible emergency')),
  escalationReason: z.optional(z.string()),
  advice: z.optional(z.string()).check(z.describe('What to do now (call the practice or emergency services); present when escalate is true')),
  usage: z.optional(chatUsageSchema),
}).check(z.meta({ id: 'ChatResponse', description: 'Patient-facing reply; never a diagnosis' }));

/** `chat.reply` is plain text, not JSON: the reply itself. */
export const chatReplyModelOutputSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(6000), z.meta({ id: 'ChatReplyModelOutput', description: 'Model output for chat.reply (text)' }));

export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatResponse = z.infer<typeof chatResponseSchema>;
