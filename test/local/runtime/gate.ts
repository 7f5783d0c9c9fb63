/**
 * A loopback gate for tests: a request to it is held open until the test releases the gate, so
 * a probe handler can occupy a concurrency slot (or pause a stream) for exactly as long as needed.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Gate {
  url: string;
  /** Resolves once `count` requests have arrived. */
  arrived(count: number): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

export async function startGate(): Promise<Gate> {
  const held: ServerResponse[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let arrivals = 0;
  let open = false;
  const server = createServer((_req, res) => {
    arrivals += 1;
    for (const w of waiters.filter((w) => arrivals >= w.count)) w.resolve();
    if (open) res.end('open');
    else held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    arrived: (count) => (arrivals >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    release() {
      open = true;
      for (const res of held.splice(0)) res.end('open');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
