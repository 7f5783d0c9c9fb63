/**
 * What S3 checks before it stores or serves anything, for the local object store: the SigV4
 * signature of a request (Authorization header from the SDK, or a presigned URL's query), and a
 * browser POST's policy document (its signature, expiry and every condition).
 *
 * Signing, as the SDK does it and S3 verifies it (header, and presigned query):
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-auth-using-authorization-header.html
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 * POST policy, its conditions and content-length-range:
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
 * The POST form's signature is over the base64 policy itself:
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-authentication-HTTPPOST.html
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** An S3 error answer: status, S3's error code, message, and any extra elements S3 adds. */
export class S3Failure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

/** Access key id → secret access key. */
export type LocalCredentials = Readonly<Record<string, string>>;

const ALGORITHM = 'AWS4-HMAC-SHA256';

const signatureMismatch = () =>
  new S3Failure(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request` */
  scope: string;
}

function parseCredential(credential: string): CredentialScope {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1]!)) {
    throw new S3Failure(400, 'AuthorizationHeaderMalformed', `The credential '${credential}' is malformed; expected "<AccessKeyId>/<YYYYMMDD>/<region>/s3/aws4_request".`);
  }
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  return { accessKeyId, date, region, service, scope: parts.slice(1).join('/') };
}

function secretFor(credentials: LocalCredentials, accessKeyId: string): string {
  const secret = Object.hasOwn(credentials, accessKeyId) ? credentials[accessKeyId] : undefined;
  if (secret === undefined) throw new S3Failure(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  return secret;
}

function signingKey(secret: string, scope: CredentialScope): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, scope.date), scope.region), scope.service), 'aws4_request');
}

function sameSignature(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** yyyyMMddTHHmmssZ → epoch ms. */
function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) throw new S3Failure(400, 'AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 basic format (yyyyMMddTHHmmssZ).');
  const [, y, mo, d, h, mi, s] = match;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
}

/** RFC 3986 encoding, as SigV4's canonical query string requires. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(rawQuery: string, without?: string): string {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    if (name === without) continue;
    pairs.push([uriEncode(name), uriEncode(value)]);
  }
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

export interface SignedRequest {
  method: string;
  /** The request target as sent (`/bucket/key?query`): S3 signs the path without normalising it. */
  target: string;
  headers: IncomingHttpHeaders;
}

export interface VerifiedRequest {
  /** The payload hash the signature covers: a hex SHA-256, `UNSIGNED-PAYLOAD` or `STREAMING-…`. */
  payloadHash: string;
  /** Who signed it. */
  accessKeyId: string;
}

/**
 * Verifies a SigV4-signed request (Authorization header, or a presigned URL's X-Amz-* query) and
 * a presigned URL's expiry. An unsigned request is anonymous, which a private bucket refuses.
 * Not checked: clock skew of header-signed requests, and the per-chunk signatures of a
 * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body (the seed signature is).
 */
export function verifyRequestSignature(request: SignedRequest, credentials: LocalCredentials, now: number): VerifiedRequest {
  const queryStart = request.target.indexOf('?');
  const path = queryStart < 0 ? request.target : request.target.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? '' : request.target.slice(queryStart + 1);
  const query = new URLSearchParams(rawQuery);
  const authorization = headerValue(request.headers, 'authorization');

  let scope: CredentialScope;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  let canonicalQueryString: string;
  if (query.has('X-Amz-Signature')) {
    if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw new S3Failure(400, 'AuthorizationQueryParametersError', `X-Amz-Algorithm must be ${ALGORITHM}.`);
    scope = parseCredential(query.get('X-Amz-Credential') ?? '');
    signedHeaders = (query.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
    signature = query.get('X-Amz-Signature')!;
    amzDate = query.get('X-Amz-Date') ?? '';
    const expires = Number(query.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
      throw new S3Failure(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be a whole number of seconds from 1 to 604800.');
    }
    if (now > parseAmzDate(amzDate) + expires * 1000) throw new S3Failure(403, 'AccessDenied', 'Request has expired');
    payloadHash = query.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
    canonicalQueryString = canonicalQuery(rawQuery, 'X-Amz-Signature');
  } else if (authorization) {
    const match = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$/.exec(authorization.trim());
    if (!match) throw new S3Failure(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    scope = parseCredential(match[1]!);
    signedHeaders = match[2]!.split(';');
    signature = match[3]!;
    amzDate = headerValue(request.headers, 'x-amz-date') ?? '';
    parseAmzDate(amzDate);
    payloadHash = headerValue(request.headers, 'x-amz-content-sha256') ?? '';
    if (!payloadHash) throw new S3Failure(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    canonicalQueryString = canonicalQuery(rawQuery);
  } else {
    throw new S3Failure(403, 'AccessDenied', 'Access Denied');
  }

  if (!signedHeaders.includes('host')) throw signatureMismatch();
  const secret = secretFor(credentials, scope.accessKeyId);
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = headerValue(request.headers, name);
      if (value === undefined) throw signatureMismatch();
      return `${name}:${value.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [request.method, path, canonicalQueryString, canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
  const stringToSign = [ALGORITHM, amzDate, scope.scope, sha256Hex(canonicalRequest)].join('\n');
  if (!sameSignature(createHmac('sha256', signingKey(secret, scope)).update(stringToSign).digest('hex'), signature)) throw signatureMismatch();
  return { payloadHash, accessKeyId: scope.accessKeyId };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

// ---------------------------------------------------------------- POST policy

export interface PostUpload {
  /** The bucket from the request path. */
  bucket: string;
  /** Form fields before the file, in order (S3 ignores fields after it). */
  fields: ReadonlyArray<readonly [string, string]>;
  /** Size of the file field, in bytes. */
  fileSize: number;
}

/** Fields S3 does not require a policy condition for. */
const UNCONDITIONED_FIELDS = new Set(['policy', 'x-amz-signature', 'file']);

/**
 * Checks a browser POST as S3 does: the policy's signature with the form's credential, its
 * expiry, every condition against the form (every field but the exempt ones must be named by a
 * condition), then the file size against `content-length-range`. Field names match without case.
 */
export function verifyPostPolicy(upload: PostUpload, credentials: LocalCredentials, now: number): { accessKeyId: string } {
  const form = new Map<string, string>();
  for (const [name, value] of upload.fields) form.set(name.toLowerCase(), value);
  const policyBase64 = form.get('policy');
  if (policyBase64 === undefined) throw new S3Failure(403, 'AccessDenied', 'Access Denied');
  if (form.get('x-amz-algorithm') !== ALGORITHM) throw new S3Failure(400, 'InvalidArgument', `x-amz-algorithm must be ${ALGORITHM}`);
  const scope = parseCredential(form.get('x-amz-credential') ?? '');
  const secret = secretFor(credentials, scope.accessKeyId);
  const signature = form.get('x-amz-signature') ?? '';
  if (!sameSignature(createHmac('sha256', signingKey(secret, scope)).update(policyBase64).digest('hex'), signature)) throw signatureMismatch();

  const policy = decodePolicy(policyBase64);
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : Number.NaN;
  if (!Number.isFinite(expiration)) throw invalidPolicy('the policy needs an ISO-8601 expiration');
  if (now > expiration) throw new S3Failure(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  if (!Array.isArray(policy.conditions)) throw invalidPolicy('the policy needs a conditions array');

  const valueOf = (name: string) => (name === 'bucket' ? upload.bucket : form.get(name));
  const conditioned = new Set<string>();
  let lengthRange: { min: number; max: number } | undefined;
  for (const condition of policy.conditions as unknown[]) {
    if (Array.isArray(condition) && condition[0] === 'content-length-range') {
      const [, min, max] = condition as [string, unknown, unknown];
      if (!Number.isInteger(min) || !Number.isInteger(max) || (min as number) < 0 || (max as number) < (min as number)) throw invalidPolicy('content-length-range needs two integers, min <= max');
      lengthRange = { min: min as number, max: max as number };
      continue;
    }
    let name: string;
    let matches: (value: string | undefined) => boolean;
    let op: string;
    let expected: string;
    if (Array.isArray(condition) && condition.length === 3 && (condition[0] === 'eq' || condition[0] === 'starts-with')) {
      const [operator, field, value] = condition as [string, unknown, unknown];
      if (typeof field !== 'string' || !field.startsWith('$') || typeof value !== 'string') throw invalidPolicy(`cannot read the condition ${JSON.stringify(condition)}`);
      [op, name, expected] = [operator, field.slice(1), value];
      matches = op === 'eq' ? (v) => v === value : (v) => v !== undefined && v.startsWith(value);
    } else if (condition !== null && typeof condition === 'object' && !Array.isArray(condition) && Object.keys(condition).length === 1) {
      const [[field, value]] = Object.entries(condition) as [[string, unknown]];
      if (typeof value !== 'string') throw invalidPolicy(`cannot read the condition ${JSON.stringify(condition)}`);
      [op, name, expected] = ['eq', field, value];
      matches = (v) => v === value;
    } else {
      throw invalidPolicy(`cannot read the condition ${JSON.stringify(condition)}`);
    }
    conditioned.add(name.toLowerCase());
    if (!matches(valueOf(name.toLowerCase()))) {
      // S3's wording: Policy Condition failed: ["eq", "$key", "uploads/…"]
      throw new S3Failure(403, 'AccessDenied', `Invalid according to Policy: Policy Condition failed: ["${op}", "$${name}", ${JSON.stringify(expected)}]`);
    }
  }
  const extra = [...form.keys()].filter((name) => !UNCONDITIONED_FIELDS.has(name) && !name.startsWith('x-ignore-') && !conditioned.has(name));
  if (extra.length > 0) throw new S3Failure(403, 'AccessDenied', `Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);

  if (lengthRange && upload.fileSize > lengthRange.max) {
    throw new S3Failure(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: upload.fileSize, MaxSizeAllowed: lengthRange.max });
  }
  if (lengthRange && upload.fileSize < lengthRange.min) {
    throw new S3Failure(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: upload.fileSize, MinSizeAllowed: lengthRange.min });
  }
  return { accessKeyId: scope.accessKeyId };
}

function decodePolicy(policyBase64: string): { expiration?: unknown; conditions?: unknown } {
  try {
    const policy: unknown = JSON.parse(Buffer.from(policyBase64, 'base64').toString('utf8'));
    if (policy !== null && typeof policy === 'object' && !Array.isArray(policy)) return policy as { expiration?: unknown; conditions?: unknown };
  } catch {
    // answered below
  }
  throw invalidPolicy('Invalid JSON.');
}

function invalidPolicy(reason: string): S3Failure {
  return new S3Failure(400, 'InvalidPolicyDocument', `Invalid Policy: ${reason}`);
}
