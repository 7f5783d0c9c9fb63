/**
 * Reads an `application/vnd.amazon.eventstream` body (Bedrock's ConverseStream) into messages.
 * Each message is decoded by the AWS SDK's own codec (`EventStreamCodec` of `@smithy/core`, which
 * checks both CRC32s); this file only cuts the byte stream at message boundaries. Unlike the SDK's
 * chunker it checks the prelude's checksum before trusting the length it announces, so a body that
 * is not an event stream at all is rejected at once instead of being taken as a 1.6 GB message.
 */
import { crc32 } from 'node:zlib';
import { EventStreamCodec } from '@smithy/core/event-streams';
import type { Message } from '@smithy/types';

/** Total length, headers length, prelude CRC. */
const PRELUDE_BYTES = 12;
/** A message with no headers and no payload: the prelude and the message CRC. */
const MIN_MESSAGE_BYTES = 16;
/** Far above any ConverseStream event (a text delta is a few hundred bytes). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** The body is not a well-formed event stream (classified `malformed`). */
export class EventStreamFormatError extends Error {
  override name = 'EventStreamFormatError';
}

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

export async function* eventStreamMessages(body: AsyncIterable<Uint8Array>): AsyncGenerator<Message> {
  let buffer: Uint8Array = new Uint8Array(0);
  for await (const chunk of body) {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    while (buffer.length >= PRELUDE_BYTES) {
      const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      const length = view.getUint32(0, false);
      if (crc32(buffer.subarray(0, 8)) !== view.getUint32(8, false) || length < MIN_MESSAGE_BYTES || length > MAX_MESSAGE_BYTES) {
        throw new EventStreamFormatError('the body is not an AWS event stream (bad message prelude)');
      }
      if (buffer.length < length) break;
      // A copy of its own: the codec reads the message through its ArrayBuffer.
      yield decode(buffer.slice(0, length));
      buffer = buffer.subarray(length);
    }
  }
  // A clean end of body in the middle of a message: the sender stopped, the socket did not fail.
  if (buffer.length > 0) throw new EventStreamFormatError('the event stream ended inside a message');
}

function decode(bytes: Uint8Array): Message {
  try {
    return codec.decode(bytes);
  } catch {
    throw new EventStreamFormatError('an event stream message failed its checksum');
  }
}

/** A string header of a message (`:message-type`, `:event-type`, `:exception-type`), if it has one. */
export function stringHeader(message: Message, name: string): string | undefined {
  const header = message.headers[name];
  return header?.type === 'string' ? header.value : undefined;
}
