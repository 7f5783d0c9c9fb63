/**
 * A server-sent-events reader for the provider streams (OpenAI's `data:` chunks, Anthropic's named
 * events), after the WHATWG event-stream rules the SDKs follow: lines end in CRLF, LF or CR, a
 * blank line dispatches the event, `data:` lines join with LF, `:` starts a comment, and an event
 * the stream never finished with its blank line is dropped (a cut stream yields nothing partial).
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

export interface ServerSentEvent {
  /** The `event:` field; null when the event named none (every OpenAI chunk). */
  event: string | null;
  data: string;
}

export async function* serverSentEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | null = null;
  let data: string[] = [];
  let seen = false;

  function* lines(final: boolean): Generator<string> {
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      // A CR at the end of what has arrived may be the first half of a CRLF: wait for the next chunk.
      if (c === 13 && i === buffer.length - 1 && !final) break;
      yield buffer.slice(start, i);
      if (c === 13 && buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    buffer = buffer.slice(start);
  }

  function take(line: string): ServerSentEvent | undefined {
    if (line === '') {
      if (!seen) return undefined;
      const dispatched = { event, data: data.join('\n') };
      event = null;
      data = [];
      seen = false;
      return dispatched;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') {
      event = value;
      seen = true;
    } else if (field === 'data') {
      data.push(value);
      seen = true;
    }
    return undefined;
  }

  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (const line of lines(false)) {
      const dispatched = take(line);
      if (dispatched) yield dispatched;
    }
  }
  buffer += decoder.decode();
  for (const line of lines(true)) {
    const dispatched = take(line);
    if (dispatched) yield dispatched;
  }
}
