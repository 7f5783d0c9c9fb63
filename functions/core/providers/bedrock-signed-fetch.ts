/**
 * One SigV4-signed POST to Bedrock Runtime through Node's global `fetch`, signed by the AWS SDK's
 * own signer (`@smithy/signature-v4`). No client, no middleware stack: the provider chain does the
 * retrying, and the attempt's signal is the only timeout.
 *
 * Credentials: in Lambda the execution role's temporary credentials are in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the Region in AWS_REGION
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 * They are read at every call, as the SDK's environment provider reads them. Without them (a
 * laptop with `SMARTDENTAL_BEDROCK=real` and an AWS_PROFILE) the SDK's default chain is loaded on
 * first use; `@aws-sdk/*` is external in the Lambda bundle, so it costs a function nothing there.
 *
 * Endpoint: the target's own (a VPC interface endpoint), else AWS_ENDPOINT_URL_BEDROCK_RUNTIME or
 * AWS_ENDPOINT_URL as the SDK honours them (how the local runtime points Bedrock at the provider
 * simulator; https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), else the
 * Region's runtime endpoint `bedrock-runtime.<region>.amazonaws.com` (the runtime table of
 * https://docs.aws.amazon.com/general/latest/gr/bedrock.html; no FIPS or dual-stack variant is
 * chosen here, a target's `baseUrl` can name one).
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';
import { ProviderConnectionError } from './provider-http';

export interface BedrockCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Client settings beyond the endpoint; tests hand in a Region and credentials of their own. */
export interface BedrockClientOptions {
  region?: string;
  credentials?: BedrockCredentials;
}

/**
 * Bedrock answered with a status outside 2xx, or an exception inside a ConverseStream. `name` is
 * the exception type (`ThrottlingException`), as the SDK names its errors; the service's message
 * is not kept (it can quote the request).
 */
export class BedrockServiceError extends Error {
  constructor(
    /** The exception type, or `BedrockServiceError` when the answer named none. */
    name: string | undefined,
    /** The HTTP status; undefined for an exception inside a stream. */
    readonly status: number | undefined,
  ) {
    super(`answered ${status === undefined ? '' : `HTTP ${status} `}(${name ?? 'no exception type'})`);
    this.name = name ?? 'BedrockServiceError';
  }
}

/** The SDK's checksum interface over node:crypto (the signer takes a constructor). */
class Sha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key = typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret instanceof ArrayBuffer ? new Uint8Array(this.secret) : new Uint8Array(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength));
    return createHmac('sha256', key);
  }
}

let defaultChain: Promise<() => Promise<AwsCredentialIdentity>> | undefined;

async function credentialsFromEnvironment(): Promise<AwsCredentialIdentity> {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  // Empty counts as unset, as in the SDK's environment provider (the local runtime blanks them for a profile).
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey, ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}) };
  defaultChain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
  return (await defaultChain)();
}

const signers = new Map<string, SignatureV4>();

function signerFor(region: string, credentials: BedrockCredentials | undefined): SignatureV4 {
  const cacheKey = `${region}\n${credentials?.accessKeyId ?? ''}`;
  let signer = signers.get(cacheKey);
  if (!signer) {
    // `bedrock` is the signing name of the bedrock-runtime endpoint (the SDK's client signs with it too).
    signer = new SignatureV4({ service: 'bedrock', region, credentials: credentials ?? credentialsFromEnvironment, sha256: Sha256 });
    signers.set(cacheKey, signer);
  }
  return signer;
}

/** The Region to sign for; undefined when the environment names none (a deployment bug). */
export function regionOf(options: BedrockClientOptions): string | undefined {
  return options.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined);
}

export function endpointOf(region: string, endpoint: string | undefined): string {
  const configured = endpoint ?? (process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME || process.env.AWS_ENDPOINT_URL || undefined);
  return (configured ?? `https://bedrock-runtime.${region}.amazonaws.com`).replace(/\/+$/, '');
}

/**
 * POSTs `body` as JSON to `<endpoint>/model/<modelId>/<operation>`, signed. Throws a
 * {@link BedrockServiceError} for a status outside 2xx, {@link ProviderConnectionError} when no
 * response came, and the fetch's AbortError when the signal fired.
 */
export async function postSigned(
  endpoint: string,
  region: string,
  credentials: BedrockCredentials | undefined,
  modelId: string,
  operation: 'converse' | 'converse-stream',
  body: unknown,
  accept: string,
  signal: AbortSignal,
): Promise<Response> {
  const url = new URL(endpoint);
  // The model id is one path label: its ':' and an ARN's '/' are percent-encoded, as the SDK encodes them.
  const path = `${url.pathname.replace(/\/+$/, '')}/model/${encodeURIComponent(modelId)}/${operation}`;
  const payload = JSON.stringify(body);
  signal.throwIfAborted();
  const signed = await signerFor(region, credentials).sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path,
    query: {},
    // `host` is signed and fetch sends the same value from the URL.
    headers: { host: url.host, 'content-type': 'application/json', accept },
    body: payload,
  });
  const { host: _host, ...headers } = signed.headers;
  let response: Response;
  try {
    response = await fetch(`${url.origin}${path}`, { method: 'POST', headers, body: payload, signal });
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name === 'AbortError') throw error;
    const cause = (error as { cause?: unknown } | null)?.cause;
    throw new ProviderConnectionError(/timed? ?out/i.test(`${String(error)} ${String(cause)}`));
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw new BedrockServiceError(errorTypeOf(response.headers, text), response.status);
  }
  return response;
}

/**
 * The exception type as the SDK finds it (restJson1): the `x-amzn-ErrorType` header, else the
 * body's `code` or `__type`, cut at ':' and after '#' (`ThrottlingException:http://…`,
 * `com.amazon.coral#ThrottlingException`). Only a plain identifier is kept.
 */
function errorTypeOf(headers: Headers, text: string): string | undefined {
  let raw: unknown = headers.get('x-amzn-errortype') ?? undefined;
  if (raw === undefined) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown> | null;
      const codeKey = parsed && typeof parsed === 'object' ? Object.keys(parsed).find((k) => k.toLowerCase() === 'code') : undefined;
      raw = codeKey ? parsed![codeKey] : parsed?.__type;
    } catch {
      raw = undefined;
    }
  }
  if (typeof raw !== 'string') return undefined;
  let type = raw.split(',')[0]!.split(':')[0]!;
  if (type.includes('#')) type = type.split('#')[1] ?? '';
  return /^[A-Za-z]{1,64}$/.test(type) ? type : undefined;
}
