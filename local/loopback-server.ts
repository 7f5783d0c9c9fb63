/**
 * Listening and stopping for the local stand-ins' HTTP servers (DynamoDB, Secrets Manager, SQS,
 * S3, the provider simulator, the API emulation): loopback only, and a stop that does not wait
 * for kept-alive SDK connections to time out.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Node closes a kept-alive connection after 5 s idle; the SDKs reuse such a socket at the moment
 * the server drops it and see `read ECONNRESET`, which on a loaded machine can happen on every
 * retry of a burst. AWS endpoints keep idle connections far longer, so the stand-ins keep them
 * a minute.
 */
const IDLE_KEEP_ALIVE_MS = 60_000;

/** Listens on `host:port` (0 picks a free port) and resolves with the port, or rejects (e.g. EADDRINUSE). */
export function listenOnLoopback(server: Server, port = 0, host = '127.0.0.1'): Promise<number> {
  server.keepAliveTimeout = IDLE_KEEP_ALIVE_MS;
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const closing = new WeakMap<Server, Promise<void>>();

/** Stops the server; calling it again returns the same promise. */
export function closeServer(server: Server): Promise<void> {
  let done = closing.get(server);
  if (!done) {
    done = new Promise<void>((resolve, reject) => {
      server.close((error) => (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(error) : resolve()));
      // SDK clients keep sockets alive, and a hanging (timeout-fault) request never ends by itself.
      server.closeAllConnections();
    });
    closing.set(server, done);
  }
  return done;
}
