import { insideBaaBoundary } from '../../../../functions/core/phi/boundary';
import { phiGuardedClient } from '../../../../functions/core/phi/guarded-client';
import { detectPhiInRequest, scrubModelRequest } from '../../../../functions/core/phi/model-request';
import type { ModelRequest, ModelStreamEvent, ProviderClient } from '../../../../functions/core/model-call';
import type { ProviderTarget } from '../../../../functions/core/task-config';

const PATIENT = 'I am Maria Gonzalez, DOB 04/12/1961, MRN 4471902; call (512) 555-0142 or maria.gonzalez@example.com.';
const ORIGINALS = ['Maria', 'Gonzalez', '04/12/1961', '4471902', '555-0142', 'maria.gonzalez@example.com'];

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    task: 'chat',
    system: '[smartdental:chat.reply]\nYou help the patients of Dr. Hughes.',
    messages: [
      { role: 'user', content: PATIENT },
      { role: 'assistant', content: 'Thanks, Maria Gonzalez.' },
      { role: 'user', content: 'Is my crown ready?' },
    ],
    responseFormat: 'text',
    maxOutputTokens: 100,
    ...overrides,
  };
}

describe('insideBaaBoundary', () => {
  it.each([
    [{ provider: 'bedrock' }, true],
    [{ provider: 'openai-compatible', baseUrl: 'http://10.0.0.5:8000/v1' }, true],
    [{ provider: 'openai-compatible', baseUrl: 'http://127.0.0.1:8000/v1' }, true],
    [{ provider: 'openai-compatible', baseUrl: 'http://llm.internal:8000/v1' }, true],
    [{ provider: 'openai-compatible', baseUrl: 'https://api.together.xyz/v1' }, false],
    [{ provider: 'openai-compatible', baseUrl: 'https://8.8.8.8/v1' }, false],
    [{ provider: 'openai' }, false],
    [{ provider: 'anthropic' }, false],
    // The address decides for self-hosted servers only: OpenAI behind a private proxy is still OpenAI.
    [{ provider: 'openai', baseUrl: 'http://10.0.0.5/v1' }, false],
  ])('%j inside: %s', (target, inside) => {
    expect(insideBaaBoundary(target)).toBe(inside);
  });
});

describe('scrubModelRequest', () => {
  it('scrubs the system prompt and every turn with one placeholder per person across the request', () => {
    const scrubbed = scrubModelRequest(request());
    const sent = JSON.stringify(scrubbed.request);
    for (const original of [...ORIGINALS, 'Hughes']) expect(sent).not.toContain(original);
    expect(scrubbed.request.messages[1]!.content).toBe(`Thanks, ${/\[NAME_\d+\]/.exec(scrubbed.request.messages[0]!.content)![0]}.`);
    expect(scrubbed.request.system.startsWith('[smartdental:chat.reply]\n')).toBe(true);
    expect(scrubbed.request.messages[2]!.content).toBe('Is my crown ready?');
    expect(scrubbed.counts).toMatchObject({ date: 1, mrn: 1, phone: 1, email: 1 });
    expect(scrubbed.counts.name).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(scrubbed.counts)).not.toMatch(/Maria|Gonzalez/);
  });

  it('leaves images and a request without identifiers as they are', () => {
    const images = [{ mediaType: 'image/png' as const, dataBase64: 'iVBORw0KGgo=' }];
    const plain = request({ system: 'Answer briefly.', messages: [{ role: 'user', content: 'How long does a filling take?' }], images });
    const scrubbed = scrubModelRequest(plain);
    expect(scrubbed.request).toEqual(plain);
    expect(scrubbed.counts).toEqual({});
    expect(scrubbed.restore('[NAME_1] stays', 'text')).toBe('[NAME_1] stays');
  });

  it('restores text answers, and JSON answers escaped so they still parse', () => {
    const scrubbed = scrubModelRequest(request({ messages: [{ role: 'user', content: 'Patient "Bo" Maria Gonzalez, 123 Main St, Apt 4\\B' }], responseFormat: 'json' }));
    const placeholders = scrubbed.request.messages[0]!.content.match(/\[[A-Z_]+_\d+\]/g)!;
    expect(placeholders.length).toBeGreaterThan(0);
    const answer = JSON.stringify({ note: `For ${placeholders.join(' and ')}.` });
    const restored = JSON.parse(scrubbed.restore(answer, 'json')) as { note: string };
    expect(restored.note).toContain('Maria Gonzalez');
    expect(scrubbed.restore(`Hello ${placeholders[0]}`, 'text')).toMatch(/^Hello (?!\[)/);
  });

  it('restores a streamed answer whatever way the deltas split a placeholder', () => {
    const scrubbed = scrubModelRequest(request());
    const name = /\[NAME_\d+\]/.exec(scrubbed.request.messages[0]!.content)![0];
    const phone = /\[PHONE_\d+\]/.exec(scrubbed.request.messages[0]!.content)![0];
    const answer = `Hi ${name}, we will call ${phone} [soon]. Bye [`;
    const expected = scrubbed.restore(answer, 'text');
    expect(expected).toBe('Hi Maria Gonzalez, we will call (512) 555-0142 [soon]. Bye [');
    for (let a = 0; a <= answer.length; a++) {
      for (let b = a; b <= answer.length; b += 3) {
        const restorer = scrubbed.streamRestorer();
        const shown = [answer.slice(0, a), answer.slice(a, b), answer.slice(b)].map((d) => restorer.push(d)).join('') + restorer.flush();
        expect(shown).toBe(expected);
      }
    }
  });

  it('detects the kinds for the block policy without returning an identifier', () => {
    const kinds = detectPhiInRequest(request());
    expect(kinds).toEqual(expect.arrayContaining(['name', 'date', 'mrn', 'phone', 'email']));
    expect(detectPhiInRequest(request({ system: 'Answer briefly.', messages: [{ role: 'user', content: 'Does whitening hurt?' }] }))).toEqual([]);
  });
});

describe('phiGuardedClient', () => {
  /** Records what it was sent and answers with what it was sent, as an echoing model would. */
  function echoClient(sent: ModelRequest[]): ProviderClient {
    return {
      provider: 'openai',
      model: 'echo',
      async complete(req) {
        sent.push(req);
        return { text: req.messages[0]!.content, usage: { inputTokens: 1, outputTokens: 1, cachedTokens: 0 }, provider: 'openai', model: 'echo' };
      },
      async *stream(req): AsyncIterable<ModelStreamEvent> {
        sent.push(req);
        const text = req.messages[0]!.content;
        for (let i = 0; i < text.length; i += 5) yield { type: 'delta', text: text.slice(i, i + 5) };
        yield { type: 'done', usage: { inputTokens: 1, outputTokens: 1, cachedTokens: 0 }, provider: 'openai', model: 'echo' };
      },
    };
  }
  const options = { apiKey: 'k', timeoutMs: 1000 };
  const outside: ProviderTarget = { provider: 'openai', model: 'echo' };
  const inside: ProviderTarget = { provider: 'openai-compatible', model: 'echo', baseUrl: 'http://10.1.2.3:8000/v1' };

  it('scrubs for an outside target and hands the caller the originals back, complete and streamed', async () => {
    const sent: ModelRequest[] = [];
    const counts: unknown[] = [];
    const client = phiGuardedClient(echoClient(sent), outside, 'scrub', (e) => counts.push(e.counts));
    const answer = await client.complete(request(), options);
    expect(answer.text).toBe(PATIENT);
    let streamed = '';
    for await (const event of client.stream(request(), options)) if (event.type === 'delta') streamed += event.text;
    expect(streamed).toBe(PATIENT);
    for (const original of ORIGINALS) expect(JSON.stringify(sent)).not.toContain(original);
    expect(counts).toHaveLength(2);
    expect(JSON.stringify(counts)).not.toMatch(/Maria|4471902/);
  });

  it('sends the text as it is to an inside target and under the allow policy', async () => {
    for (const [target, policy] of [[inside, 'scrub'], [outside, 'allow'], [{ provider: 'bedrock', model: 'echo' }, 'block']] as const) {
      const sent: ModelRequest[] = [];
      await phiGuardedClient(echoClient(sent), target as ProviderTarget, policy).complete(request(), options);
      expect(sent[0]!.messages[0]!.content).toBe(PATIENT);
    }
  });

  it('never sends identifiers to an outside target under the block policy', async () => {
    const sent: ModelRequest[] = [];
    const client = phiGuardedClient(echoClient(sent), outside, 'block');
    await expect(client.complete(request(), options)).rejects.toMatchObject({ kind: 'rejected' });
    expect(sent).toHaveLength(0);
    const plain = request({ system: 'Answer briefly.', messages: [{ role: 'user', content: 'Does whitening hurt?' }] });
    await expect(client.complete(plain, options)).resolves.toMatchObject({ text: 'Does whitening hurt?' });
  });
});
