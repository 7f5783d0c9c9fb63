/**
 * A TCP proxy on 127.0.0.1 that holds every chunk a client sends for a fixed delay before passing
 * it on, in order, to the upstream (dynalite): each DynamoDB call then takes that much longer, as
 * one in AWS does over the network (~3–5 ms at the median from Lambda in the same Region). The
 * answer flows back undelayed, so the delay is added once per call, whatever its size. The delay
 * can be changed while connections are open, so configurations interleave over one endpoint.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface DelayProxy {
  /** `http://127.0.0.1:<port>`: what the SDK's endpoint points at. */
  endpoint: string;
  port: number;
  setDelayMs(ms: number): void;
  delayMs(): number;
  close(): Promise<void>;
}

/**
 * When each chunk may be forwarded: its arrival plus the delay, and never before the chunk ahead
 * of it (a shorter delay set meanwhile must not reorder the byte stream).
 */
export function forwardAt(arrivedAt: number, delayMs: number, previousForwardAt: number): number {
  return Math.max(arrivedAt + delayMs, previousForwardAt);
}

export async function startDelayProxy(upstream: string, initialDelayMs = 0): Promise<DelayProxy> {
  const target = new URL(upstream);
  let delay = initialDelayMs;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const server = createConnection({ host: target.hostname, port: Number(target.port) });
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.setNoDelay(true);
    server.setNoDelay(true);
    let last = 0;
    client.on('data', (chunk) => {
      if (delay <= 0 && last <= performance.now()) return void server.write(chunk);
      last = forwardAt(performance.now(), delay, last);
      setTimeout(() => server.write(chunk), Math.max(0, last - performance.now()));
    });
    client.on('end', () => setTimeout(() => server.end(), Math.max(0, last - performance.now())));
    server.pipe(client);
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    setDelayMs(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`the delay must be a non-negative number of milliseconds, got ${ms}`);
      delay = ms;
    },
    delayMs: () => delay,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
