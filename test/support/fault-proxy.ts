/**
 * An HTTP proxy in front of a local stand-in (dynalite, Secrets Manager, the provider simulator)
 * that can take it away: `down` refuses every request by destroying the connection, as a stopped
 * service would; `hang` accepts requests and never answers, as a black-holed endpoint does;
 * `throttle` answers DynamoDB's ProvisionedThroughputExceededException; `hold` keeps each request
 * waiting until the mode goes back to `pass`, which forwards them, so a test can act while a call
 * is surely in progress (`held(n)` says when it is) instead of guessing how long it takes.
 * Tests point the SDK's endpoint at the proxy.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyMode = 'pass' | 'down' | 'throttle' | 'hang' | 'hold';

export interface FaultProxy {
  endpoint: string;
  setMode(mode: ProxyMode): void;
  /** Requests seen while not passing them through. */
  refused(): number;
  /** Resolves once `count` requests have been held in `hold` mode since the proxy started. */
  held(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let mode: ProxyMode = 'pass';
  let refused = 0;
  let heldCount = 0;
  const holding: Array<() => void> = [];
  const heldWaiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<Socket>();
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const upstreamRequest = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstreamRequest.on('error', () => res.destroy());
    req.pipe(upstreamRequest);
  };
  const server: Server = createServer((req, res) => {
    if (mode === 'hold') {
      heldCount += 1;
      holding.push(() => forward(req, res));
      for (const waiter of heldWaiters.filter((w) => heldCount >= w.count)) {
        heldWaiters.splice(heldWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return;
    }
    if (mode === 'down') {
      refused += 1;
      req.socket.destroy();
      return;
    }
    if (mode === 'hang') {
      refused += 1;
      req.resume();
      return;
    }
    if (mode === 'throttle') {
      refused += 1;
      req.resume();
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'throttled' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'The level of configured provisioned throughput for the table was exceeded.' }));
      return;
    }
    forward(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setMode(next) {
      mode = next;
      // Kept-alive connections would otherwise outlive the outage (a held request waits on its own).
      if (next !== 'pass' && next !== 'hold') for (const socket of sockets) socket.destroy();
      if (next === 'pass') for (const release of holding.splice(0)) release();
    },
    refused: () => refused,
    held: (count) => (heldCount >= count ? Promise.resolve() : new Promise((resolve) => heldWaiters.push({ count, resolve }))),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
