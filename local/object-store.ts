/**
 * A local object store that speaks enough path-style S3 (PUT, GET, HEAD, DELETE object, and the
 * browser POST upload to the bucket) on loopback for the S3 adapter
 * (`functions/core/object-store.ts`) and its presigned POSTs to work unchanged through
 * `AWS_ENDPOINT_URL_S3`. Objects live in memory, or in a folder when given one.
 *
 * It checks what S3 checks (`./s3-auth`): every request's SigV4 signature with the local
 * credentials (the ones the local runtime and the tests give the functions), a presigned URL's
 * expiry, and a POST's policy: signature, expiry, key, Content-Type and content-length-range.
 * An unsigned request is refused, as the private images bucket refuses it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { closeServer, listenOnLoopback } from './loopback-server';
import { localArn, type LocalAccessPolicy } from './access-policy';
import { S3Failure, sha256Hex, verifyPostPolicy, verifyRequestSignature, type LocalCredentials } from './s3-auth';

/** What the local runtime and the tests give the functions as AWS credentials. */
export const LOCAL_CREDENTIALS: LocalCredentials = { local: 'local' };

/** S3 allows up to 20 KB of form fields and boundaries around a POST's file. */
const POST_FORM_OVERHEAD_BYTES = 20 * 1024;

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
  /** Access key id → secret the signatures are checked with. @default {@link LOCAL_CREDENTIALS} */
  credentials?: LocalCredentials;
  /** The store's clock for expiries (epoch ms). @default Date.now */
  now?: () => number;
  /** Who may do what to which bucket's objects, by access key id (see access-policy.ts). @default no checks */
  access?: LocalAccessPolicy;
}

/** The S3 action a request needs (HEAD is authorized as GetObject). */
const OBJECT_ACTIONS: Record<string, string> = { GET: 's3:GetObject', HEAD: 's3:GetObject', PUT: 's3:PutObject', DELETE: 's3:DeleteObject', POST: 's3:PutObject' };

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

export async function startObjectStore(options: ObjectStoreOptions = {}): Promise<LocalObjectStore> {
  const host = options.host ?? '127.0.0.1';
  const maxObjectBytes = options.maxObjectBytes ?? 50 * 1024 * 1024;
  const backend = options.dataDir ? folderBackend(options.dataDir) : memoryBackend();
  const credentials = options.credentials ?? LOCAL_CREDENTIALS;
  const now = options.now ?? Date.now;
  /** A request the signer's function was not granted: S3's 403 AccessDenied. */
  const authorize = (accessKeyId: string, method: string, bucket: string, key: string): void => {
    const denial = options.access?.check(accessKeyId, OBJECT_ACTIONS[method] ?? `s3:${method}`, localArn.object(bucket, key));
    if (denial) throw new S3Failure(403, 'AccessDenied', denial.message);
  };

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      const failure = error instanceof S3Failure ? error : new S3Failure(500, 'InternalError', 'The local object store failed');
      if (!res.headersSent) sendError(res, req.method === 'HEAD', failure);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Browsers upload straight to the bucket from the front end's origin.
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'ETag, Location');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, PUT, POST, HEAD, DELETE', 'access-control-allow-headers': '*', 'access-control-max-age': '600' });
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://local');
    const [bucketPart, ...keyParts] = url.pathname.slice(1).split('/');
    const bucket = decodeURIComponent(bucketPart ?? '');
    const key = keyParts.map(decodeURIComponent).join('/');
    if (req.method === 'POST' && bucket && !key) {
      await postObject(req, res, bucket);
      return;
    }
    if (!bucket || !key) {
      req.resume();
      throw new S3Failure(400, 'InvalidRequest', 'Only path-style object requests (/<bucket>/<key>) and POST uploads to /<bucket> are supported locally');
    }
    let signed;
    try {
      signed = verifyRequestSignature({ method: req.method ?? 'GET', target: req.url ?? '/', headers: req.headers }, credentials, now());
      authorize(signed.accessKeyId, req.method ?? 'GET', bucket, key);
    } catch (error) {
      req.resume();
      throw error;
    }

    switch (req.method) {
      case 'PUT': {
        const limit = maxObjectBytes;
        const declared = Number(req.headers['x-amz-decoded-content-length'] ?? req.headers['content-length']);
        if (Number.isFinite(declared) && declared > limit) {
          req.resume();
          throw new S3Failure(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: declared, MaxSizeAllowed: limit });
        }
        const raw = await readBody(req, limit + 64 * 1024);
        if (/^[0-9a-f]{64}$/.test(signed.payloadHash) && sha256Hex(raw) !== signed.payloadHash) {
          throw new S3Failure(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
        const body = isAwsChunked(req) ? decodeAwsChunked(raw) : raw;
        if (body.length > limit) throw new S3Failure(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: body.length, MaxSizeAllowed: limit });
        const etag = `"${createHash('md5').update(body).digest('hex')}"`;
        const contentType = String(req.headers['content-type'] ?? 'binary/octet-stream');
        await backend.put(bucket, key, { body, contentType, etag, lastModified: now() });
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
        req.resume();
        throw new S3Failure(405, 'MethodNotAllowed', `The local object store does not support ${req.method}`);
    }
  }

  /**
   * A browser form upload (S3's POST Object): multipart/form-data with the policy's fields, then
   * the file. Nothing is stored unless the policy holds; S3 answers 204 unless the form asks
   * for 200 or 201 with `success_action_status`.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
   */
  async function postObject(req: IncomingMessage, res: ServerResponse, bucket: string): Promise<void> {
    const type = String(req.headers['content-type'] ?? '');
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      req.resume();
      throw new S3Failure(412, 'PreconditionFailed', 'Bucket POST must be of the enclosure-type multipart/form-data');
    }
    const raw = await readBody(req, maxObjectBytes + POST_FORM_OVERHEAD_BYTES);
    let form: FormData;
    try {
      form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    } catch {
      throw new S3Failure(400, 'MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
    }
    const fields: Array<[string, string]> = [];
    let file: File | undefined;
    for (const [name, value] of form.entries()) {
      if (name.toLowerCase() === 'file') {
        if (typeof value === 'string') throw new S3Failure(400, 'InvalidArgument', 'The file field must be a file upload');
        file = value;
        break; // S3 ignores every field after the file.
      }
      if (typeof value === 'string') fields.push([name, value]);
    }
    if (!file) throw new S3Failure(400, 'InvalidArgument', 'POST requires exactly one file upload per request.');
    const body = Buffer.from(await file.arrayBuffer());
    const { accessKeyId } = verifyPostPolicy({ bucket, fields, fileSize: body.length }, credentials, now());

    const field = (name: string) => fields.find(([n]) => n.toLowerCase() === name)?.[1];
    const keyTemplate = field('key');
    if (!keyTemplate) throw new S3Failure(400, 'InvalidArgument', "Bucket POST must contain a field named 'key'.");
    const key = keyTemplate.replace('${filename}', file.name);
    // A presigned POST carries the signer's authority: the function that signed it must hold PutObject.
    authorize(accessKeyId, 'POST', bucket, key);
    if (body.length > maxObjectBytes) throw new S3Failure(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: body.length, MaxSizeAllowed: maxObjectBytes });
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    await backend.put(bucket, key, { body, contentType: field('content-type') ?? 'binary/octet-stream', etag, lastModified: now() });

    const location = `http://${req.headers.host ?? host}/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    const headers = { etag, location, 'x-amz-request-id': randomUUID() };
    const status = field('success_action_status');
    if (status === '201') {
      res.writeHead(201, { ...headers, 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${escapeXml(location)}</Location><Bucket>${escapeXml(bucket)}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(etag)}</ETag></PostResponse>`,
      );
      return;
    }
    res.writeHead(status === '200' ? 200 : 204, headers);
    res.end();
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

/** Reads at most `ceiling` bytes (the object limit plus framing: aws-chunked, or a form's fields). */
async function readBody(req: IncomingMessage, ceiling: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > ceiling) {
      req.resume();
      throw new S3Failure(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
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
  const details = Object.entries(failure.details)
    .map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`)
    .join('');
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.code}</Code><Message>${escapeXml(failure.message)}</Message>${details}<RequestId>${requestId}</RequestId></Error>`,
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
