/**
 * The server-sent-events reader the provider adapters stream through, fed the byte splits a
 * network makes: an event across chunks, a CRLF cut between its CR and LF, a UTF-8 character cut
 * in two, multi-line data, comments, and an unfinished last event (a cut stream) that must not
 * come out half.
 */
import fc from 'fast-check';
import { serverSentEvents, type ServerSentEvent } from '#core/providers/server-sent-events';

async function* chunks(parts: Array<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? new TextEncoder().encode(part) : part;
}
async function read(parts: Array<string | Uint8Array>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of serverSentEvents(chunks(parts))) events.push(event);
  return events;
}

describe('serverSentEvents', () => {
  it('reads named and unnamed events, joins data lines, skips comments and unknown fields', async () => {
    const stream = ': keep-alive\n\nevent: message_start\ndata: {"a":1}\n\ndata: line one\ndata:line two\nid: 7\nretry: 10\n\ndata: [DONE]\n\n';
    expect(await read([stream])).toEqual([
      { event: 'message_start', data: '{"a":1}' },
      { event: null, data: 'line one\nline two' },
      { event: null, data: '[DONE]' },
    ]);
  });

  it('treats CRLF, CR and LF alike, even with a CRLF split between two chunks', async () => {
    expect(await read(['event: a\r', '\ndata: 1\r', '\n\r', '\nevent: b\rdata: 2\r\r'])).toEqual([
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ]);
  });

  it('drops an event the stream never finished with its blank line', async () => {
    expect(await read(['data: {"done":true}\n\ndata: {"id": "cut', ' half-way"'])).toEqual([{ event: null, data: '{"done":true}' }]);
  });

  it('gives the same events however the bytes are split, multi-byte characters included', async () => {
    const stream = new TextEncoder().encode('event: delta\ndata: {"text":"dent\u00e9 \u{1F9B7} caries"}\r\n\r\ndata: second\n\n');
    const whole = await read([stream]);
    expect(whole).toEqual([
      { event: 'delta', data: '{"text":"dent\u00e9 \u{1F9B7} caries"}' },
      { event: null, data: 'second' },
    ]);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), async (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const parts = at.slice(1).map((end, i) => stream.slice(at[i], end));
        expect(await read(parts)).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });
});
