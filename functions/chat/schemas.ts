/**
 * Request, response and model-output schemas of the patient chat.
 */
import * as z from '#core/zod';

export const MAX_CHAT_MESSAGES = 50;
export const MAX_MESSAGE_CHARS = 4000;

export const chatMessageSchema = z
  .object({
    role: z.enum(['user', 'assistant']),
    content: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
  })
  .strict();

export const chatRequestSchema = z
  .object({
    messages: z
      .array(chatMessageSchema)
      .min(1)
      .max(MAX_CHAT_MESSAGES)
      .refine((messages) => messages[messages.length - 1]?.role === 'user', 'the last message must be from the user'),
    practiceName: z.string().trim().min(1).max(100).optional().describe('Shown to the patient as who they are talking to'),
  })
  .strict()
  .meta({
    id: 'ChatRequest',
    description: 'The conversation so far, oldest first. Send Accept: text/event-stream for a streamed answer. Ask patients not to type identifiers; none are needed.',
  });

export const chatUsageSchema = z
  .object({ inputTokens: z.number().int(), outputTokens: z.number().int() })
  .strict()
  .meta({ id: 'ChatUsage' });

export const chatResponseSchema = z
  .object({
    reply: z.string(),
    escalate: z.boolean().describe('true when the messages describe a possible emergency'),
    escalationReason: z.string().optional(),
    advice: z.string().optional().describe('What to do now (call the practice or emergency services); present when escalate is true'),
    usage: chatUsageSchema.optional(),
  })
  .strict()
  .meta({ id: 'ChatResponse', description: 'Patient-facing reply; never a diagnosis' });

/** `chat.reply` is plain text, not JSON: the reply itself. */
export const chatReplyModelOutputSchema = z.string().trim().min(1).max(6000).meta({ id: 'ChatReplyModelOutput', description: 'Model output for chat.reply (text)' });

export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatResponse = z.infer<typeof chatResponseSchema>;
