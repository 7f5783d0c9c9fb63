/**
 * An HTTP proxy in front of a local stand-in (dynalite, Secrets Manager) that can take it away:
 * `down` refuses every request by destroying the connection, as a stopped service would; `hang`
 * accepts requests and never answers, as a black-holed endpoint does; `throttle` answers DynamoDB's
 * ProvisionedThroughputExceededException. Tests point the SDK's endpoint at the proxy.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyMode = 'pass' | 'down' | 'throttle' | 'hang';

export interface FaultProxy {
  endpoint: string;
  setMode(mode: ProxyMode): void;
  /** Requests seen while not passing them through. */
  refused(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let mode: ProxyMode = 'pass';
  let refused = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
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
    const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
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
      // Kept-alive connections would otherwise outlive the outage.
      if (next !== 'pass') for (const socket of sockets) socket.destroy();
    },
    refused: () => refused,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
