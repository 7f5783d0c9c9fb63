/**
 * The operations page of the local server: `GET /` serves a static page (no build step) whose
 * script polls `GET /_local/ops.json` every 2 s and redraws the task rows and the token chart.
 *
 * The page and its JSON carry no keys and no patient data, only counters; still, they answer
 * only callers on this machine, since the local server is meant for the developer at it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalRoute } from '../runtime/api-gateway';
import { DEFAULT_OPS_WINDOW, isOpsWindow, type OpsSnapshotReader } from './snapshot';

export { createOpsSnapshotReader, type OpsPracticeRow, type OpsSnapshot, type OpsSnapshotReader, type OpsTaskRow } from './snapshot';

export const OPS_PAGE_PATH = '/';
export const OPS_JSON_PATH = '/_local/ops.json';

const ASSETS = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/_local/ops.css': { file: 'ops.css', type: 'text/css; charset=utf-8' },
  '/_local/ops.js': { file: 'ops.js', type: 'text/javascript; charset=utf-8' },
} as const;

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  // Scripts and styles come from files of this server only; nothing inline, nothing remote.
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function isLoopback(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

function refuseRemote(req: IncomingMessage, res: ServerResponse): boolean {
  if (isLoopback(req)) return false;
  req.resume();
  res.writeHead(403, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'Forbidden', message: 'The operations page answers only on this machine (loopback)' } }));
  return true;
}

/** The page, its two assets and its JSON, for the local API's `localRoutes`. */
export function opsPageRoutes(reader: OpsSnapshotReader): LocalRoute[] {
  // Read once: the files ship with the runtime and do not change while it runs.
  const assets = Object.entries(ASSETS).map(([path, asset]): LocalRoute => {
    const body = readFileSync(join(__dirname, asset.file));
    return {
      method: 'GET',
      path,
      handle(req, res) {
        if (refuseRemote(req, res)) return;
        req.resume();
        res.writeHead(200, { 'content-type': asset.type, 'content-length': String(body.length), ...PAGE_HEADERS });
        res.end(body);
      },
    };
  });

  const snapshot: LocalRoute = {
    method: 'GET',
    path: OPS_JSON_PATH,
    async handle(req, res) {
      if (refuseRemote(req, res)) return;
      req.resume();
      const window = new URL(req.url ?? '/', 'http://local').searchParams.get('window') ?? DEFAULT_OPS_WINDOW;
      if (!isOpsWindow(window)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'BadRequest', message: `window must be one of 15m, 1h, 6h, 24h; got '${window}'` } }));
        return;
      }
      try {
        const body = JSON.stringify(await reader.read(window));
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(body);
      } catch (error) {
        // The ledger (dynalite) may be stopping; the page shows this and tries again.
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
        res.end(JSON.stringify({ error: { code: 'LedgerUnavailable', message: `The usage ledger could not be read: ${(error as Error).message}` } }));
      }
    },
  };
  return [...assets, snapshot];
}
