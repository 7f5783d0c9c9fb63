/**
 * A local object store that speaks enough path-style S3 (PUT, GET, HEAD, DELETE object) on
 * loopback for the S3 adapter (`functions/core/object-store.ts`) and presigned PUT URLs to work
 * unchanged through `AWS_ENDPOINT_URL_S3`. Objects live in memory, or in a folder when given one.
 *
 * Signatures are accepted as they come (there are no real credentials locally), but a presigned
 * URL's expiry is honoured, and so is an upload limit: `x-smartdental-max-bytes` in the URL's
 * query (which the adapter signs into every presigned PUT) or the store's configured maximum.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { closeServer, listenOnLoopback } from './loopback-server';

/** Query parameter the S3 adapter adds to presigned PUT URLs; S3 ignores `x-` parameters. */
export const MAX_BYTES_QUERY = 'x-smartdental-max-bytes';

export interface StoredObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: number;
}

export interface ObjectStoreOptions {
  /** Keep objects in this folder (one sub-folder per bucket); in memory when omitted. */
  dataDir?: string;
  /** @default 0 (a random free port) */
  port?: number;
  host?: string;
  /** Largest object accepted, in bytes. @default 50 MiB */
  maxObjectBytes?: number;
}

export interface LocalObjectStore {
  /** Base URL for `AWS_ENDPOINT_URL_S3` (path-style). */
  endpoint: string;
  getObject(bucket: string, key: string): Promise<StoredObject | undefined>;
  listKeys(bucket: string): Promise<string[]>;
  deleteObject(bucket: string, key: string): Promise<void>;
  close(): Promise<void>;
}

interface ObjectBackend {
  put(bucket: string, key: string, object: StoredObject): Promise<void>;
  get(bucket: string, key: string): Promise<StoredObject | undefined>;
  delete(bucket: string, key: string): Promise<void>;
  list(bucket: string): Promise<string[]>;
}

function memoryBackend(): ObjectBackend {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const bucket = (name: string) => {
    let objects = buckets.get(name);
    if (!objects) buckets.set(name, (objects = new Map()));
    return objects;
  };
  return {
    put: async (b, k, o) => void bucket(b).set(k, o),
    get: async (b, k) => bucket(b).get(k),
    delete: async (b, k) => void bucket(b).delete(k),
    list: async (b) => [...bucket(b).keys()].sort(),
  };
}

/** One file per object plus a JSON sidecar; keys are URI-encoded so `/` cannot escape the folder. */
function folderBackend(root: string): ObjectBackend {
  const paths = (bucket: string, key: string) => {
    const dir = join(root, encodeURIComponent(bucket));
    const file = join(dir, encodeURIComponent(key));
    return { dir, file, meta: `${file}.meta.json` };
  };
  return {
    async put(bucket, key, object) {
      const p = paths(bucket, key);
      await mkdir(p.dir, { recursive: true });
      await writeFile(p.file, object.body);
      await writeFile(p.meta, JSON.stringify({ contentType: object.contentType, etag: object.etag, lastModified: object.lastModified }));
    },
    async get(bucket, key) {
      const p = paths(bucket, key);
      try {
        const [body, meta] = await Promise.all([readFile(p.file), readFile(p.meta, 'utf8')]);
        return { body, ...(JSON.parse(meta) as Omit<StoredObject, 'body'>) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async delete(bucket, key) {
      const p = paths(bucket, key);
      await rm(p.file, { force: true });
      await rm(p.meta, { force: true });
    },
    async list(bucket) {
      try {
        const names = await readdir(join(root, encodeURIComponent(bucket)));
        return names.filter((n) => !n.endsWith('.meta.json')).map(decodeURIComponent).sort();
      } catch {
        return [];
      }
    },
  };
}

class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startObjectStore(options: ObjectStoreOptions = {}): Promise<LocalObjectStore> {
  const host = options.host ?? '127.0.0.1';
  const maxObjectBytes = options.maxObjectBytes ?? 50 * 1024 * 1024;
  const backend = options.dataDir ? folderBackend(options.dataDir) : memoryBackend();

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      const failure = error instanceof S3Failure ? error : new S3Failure(500, 'InternalError', 'The local object store failed');
      if (!res.headersSent) sendError(res, req.method === 'HEAD', failure);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Browsers upload straight to the presigned URL from the front end's origin.
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'ETag');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, PUT, HEAD, DELETE', 'access-control-allow-headers': '*', 'access-control-max-age': '600' });
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://local');
    const [bucketPart, ...keyParts] = url.pathname.slice(1).split('/');
    const bucket = decodeURIComponent(bucketPart ?? '');
    const key = keyParts.map(decodeURIComponent).join('/');
    if (!bucket || !key) throw new S3Failure(400, 'InvalidRequest', 'Only path-style object requests (/<bucket>/<key>) are supported locally');
    checkExpiry(url);

    switch (req.method) {
      case 'PUT': {
        const limit = Math.min(maxObjectBytes, limitFromQuery(url) ?? Number.POSITIVE_INFINITY);
        const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) {
          req.resume();
          throw new S3Failure(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${limit} bytes`);
        }
        const raw = await readBody(req, limit);
        const body = isAwsChunked(req) ? decodeAwsChunked(raw) : raw;
        if (body.length > limit) throw new S3Failure(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${limit} bytes`);
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        const contentType = String(req.headers['content-type'] ?? 'binary/octet-stream');
        await backend.put(bucket, key, { body, contentType, etag, lastModified: Date.now() });
        res.writeHead(200, { etag, 'x-amz-request-id': randomUUID() });
        res.end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        const object = await backend.get(bucket, key);
        if (!object) throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.');
        res.writeHead(200, {
          'content-type': object.contentType,
          'content-length': String(object.body.length),
          etag: object.etag,
          'last-modified': new Date(object.lastModified).toUTCString(),
          'x-amz-request-id': randomUUID(),
        });
        res.end(req.method === 'GET' ? object.body : undefined);
        return;
      }
      case 'DELETE':
        await backend.delete(bucket, key);
        res.writeHead(204, { 'x-amz-request-id': randomUUID() });
        res.end();
        return;
      default:
        throw new S3Failure(405, 'MethodNotAllowed', `The local object store does not support ${req.method}`);
    }
  }

  const endpoint = `http://${host}:${await listenOnLoopback(server, options.port, host)}`;

  return {
    endpoint,
    getObject: (bucket, key) => backend.get(bucket, key),
    listKeys: (bucket) => backend.list(bucket),
    deleteObject: (bucket, key) => backend.delete(bucket, key),
    close: () => closeServer(server),
  };
}

function limitFromQuery(url: URL): number | undefined {
  const value = url.searchParams.get(MAX_BYTES_QUERY);
  if (value === null) return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 0) throw new S3Failure(400, 'InvalidArgument', `${MAX_BYTES_QUERY} must be a non-negative integer`);
  return limit;
}

/** A presigned URL carries X-Amz-Date (yyyyMMddTHHmmssZ) and X-Amz-Expires (seconds). */
function checkExpiry(url: URL): void {
  const date = url.searchParams.get('X-Amz-Date');
  const expires = url.searchParams.get('X-Amz-Expires');
  if (!date || !expires) return;
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!match) throw new S3Failure(400, 'AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 basic format');
  const [, y, mo, d, h, mi, s] = match;
  const signedAt = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Date.now() > signedAt + Number(expires) * 1000) throw new S3Failure(403, 'AccessDenied', 'Request has expired');
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  // aws-chunked framing adds a little per chunk; allow for it before decoding.
  const ceiling = Number.isFinite(limit) ? limit + 64 * 1024 : Number.POSITIVE_INFINITY;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > ceiling) {
      req.resume();
      throw new S3Failure(400, 'EntityTooLarge', `Your proposed upload exceeds the maximum allowed size of ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function isAwsChunked(req: IncomingMessage): boolean {
  const encoding = String(req.headers['content-encoding'] ?? '');
  const sha = String(req.headers['x-amz-content-sha256'] ?? '');
  return encoding.split(',').map((e) => e.trim()).includes('aws-chunked') || sha.startsWith('STREAMING-');
}

/** Decodes the SDK's `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n<trailers>`. */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < raw.length) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(offset, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) throw new S3Failure(400, 'IncompleteBody', 'Malformed aws-chunked body');
    if (size === 0) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function sendError(res: ServerResponse, head: boolean, failure: S3Failure): void {
  const requestId = randomUUID();
  res.writeHead(failure.status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
  if (head) {
    res.end();
    return;
  }
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.code}</Code><Message>${escapeXml(failure.message)}</Message><RequestId>${requestId}</RequestId></Error>`,
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
