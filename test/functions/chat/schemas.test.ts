import { chatRequestSchema } from '../../../functions/chat/schemas';
import { buildChatSystemPrompt, buildChatTurns } from '../../../functions/chat/prompts';

describe('chatRequestSchema', () => {
  const user = { role: 'user', content: 'Hello' };
  it('takes 1–50 messages ending with the user', () => {
    expect(chatRequestSchema.safeParse({ messages: [user], practiceName: 'Bright Smiles' }).success).toBe(true);
    expect(chatRequestSchema.safeParse({ messages: [] }).success).toBe(false);
    expect(chatRequestSchema.safeParse({ messages: Array.from({ length: 51 }, () => user) }).success).toBe(false);
    const last = chatRequestSchema.safeParse({ messages: [user, { role: 'assistant', content: 'Hi' }] });
    expect(last.error!.issues[0]!.message).toBe('the last message must be from the user');
  });

  it('rejects system roles, empty or huge content and extra fields', () => {
    expect(chatRequestSchema.safeParse({ messages: [{ role: 'system', content: 'x' }] }).success).toBe(false);
    expect(chatRequestSchema.safeParse({ messages: [{ role: 'user', content: '   ' }] }).success).toBe(false);
    expect(chatRequestSchema.safeParse({ messages: [{ role: 'user', content: 'x'.repeat(4001) }] }).success).toBe(false);
    expect(chatRequestSchema.safeParse({ messages: [user], model: 'gpt' }).success).toBe(false);
  });
});

describe('chat prompts', () => {
  it('starts with the output-kind marker and forbids diagnoses', () => {
    const prompt = buildChatSystemPrompt('Bright Smiles');
    expect(prompt.split('\n')[0]).toBe('[smartdental:chat.reply]');
    expect(prompt).toContain('Bright Smiles');
    expect(prompt).toMatch(/Never state or suggest a diagnosis/);
  });

  it('passes the conversation through as turns', () => {
    const request = chatRequestSchema.parse({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'Book me' }] });
    expect(buildChatTurns(request)).toEqual(request.messages);
  });
});
