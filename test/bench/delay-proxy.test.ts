import { createServer, type Server } from 'node:net';
import { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { forwardAt, startDelayProxy, type DelayProxy } from '../../bench/delay-proxy';

describe('forwardAt', () => {
  it('holds a chunk for the delay after it arrived', () => {
    expect(forwardAt(100, 4, 0)).toBe(104);
  });

  it('never forwards a chunk before the one ahead of it, even after the delay was shortened', () => {
    expect(forwardAt(101, 0, 104)).toBe(104);
  });
});

describe('startDelayProxy', () => {
  let upstream: Server;
  let proxy: DelayProxy;
  const received: Buffer[] = [];
  beforeAll(async () => {
    // An echo server that also keeps what it got.
    upstream = createServer((socket) =>
      socket.on('data', (chunk) => {
        received.push(chunk);
        socket.write(chunk);
      }),
    );
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    proxy = await startDelayProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  /** Sends the chunks one by one and resolves with the echo once it is complete, and when each leg happened. */
  async function roundTrip(chunks: string[]): Promise<{ echo: string; sentAt: number; doneAt: number }> {
    const socket = new Socket();
    await new Promise<void>((resolve) => socket.connect(proxy.port, '127.0.0.1', resolve));
    const expected = chunks.join('');
    let echo = '';
    const sentAt = performance.now();
    const done = new Promise<number>((resolve) =>
      socket.on('data', (chunk) => {
        echo += chunk.toString('utf8');
        if (echo.length >= expected.length) resolve(performance.now());
      }),
    );
    for (const chunk of chunks) socket.write(chunk);
    const doneAt = await done;
    socket.destroy();
    return { echo, sentAt, doneAt };
  }

  it('passes the bytes through intact and in order, with or without a delay', async () => {
    const chunks = Array.from({ length: 20 }, (_, i) => `chunk-${i};`);
    proxy.setDelayMs(0);
    expect((await roundTrip(chunks)).echo).toBe(chunks.join(''));
    proxy.setDelayMs(3);
    expect((await roundTrip(chunks)).echo).toBe(chunks.join(''));
  });

  it('holds what the client sends for at least the delay', async () => {
    proxy.setDelayMs(40);
    const { sentAt, doneAt } = await roundTrip(['ping']);
    // A lower bound only: load can make it later, never sooner.
    expect(doneAt - sentAt).toBeGreaterThanOrEqual(39);
    expect(proxy.delayMs()).toBe(40);
  });

  it('refuses a negative delay', () => {
    expect(() => proxy.setDelayMs(-1)).toThrow(/non-negative/);
  });
});
