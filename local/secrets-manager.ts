/**
 * A loopback stand-in for AWS Secrets Manager that speaks its JSON wire protocol
 * (`POST /`, `X-Amz-Target: secretsmanager.<Operation>`, `application/x-amz-json-1.1`), so the
 * official client and Powertools' SecretsProvider work against it unchanged through
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` or `clientConfig.endpoint`. Requests are not signature-checked.
 *
 * It can simulate an outage (`setAvailable(false)`, `failNext(n)`) to prove that a warm function
 * keeps its cached keys and a cold one answers 503.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { accessKeyIdOf, localArn, type LocalAccessPolicy } from './access-policy';
import { closeServer, listenOnLoopback } from './loopback-server';

export interface SecretsManagerStandIn {
  endpoint: string;
  /** Creates the secret or stores a new current version of it (what a key rotation does). */
  setSecret(name: string, value: string): void;
  /** The next `count` requests fail with a 500 InternalServiceError. */
  failNext(count: number): void;
  /** false: every request fails with a 500 until set back to true. */
  setAvailable(available: boolean): void;
  /** GetSecretValue requests received so far, failed ones included. */
  calls(): number;
  close(): Promise<void>;
}

export interface StartSecretsManagerOptions {
  /** Secret name → secret string. */
  secrets?: Record<string, string>;
  /** @default 0 (a free port) */
  port?: number;
  /** @default 'us-east-1' */
  region?: string;
  /** Who may read which secret, by access key id (see access-policy.ts). @default no checks */
  access?: LocalAccessPolicy;
}

interface StoredSecret {
  name: string;
  arn: string;
  value: string;
  versionId: string;
  createdAt: number;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startSecretsManager(options: StartSecretsManagerOptions = {}): Promise<SecretsManagerStandIn> {
  const region = options.region ?? 'us-east-1';
  const secrets = new Map<string, StoredSecret>();
  let available = true;
  let failures = 0;
  let getCalls = 0;

  const setSecret = (name: string, value: string): StoredSecret => {
    const existing = secrets.get(name);
    const secret: StoredSecret = {
      name,
      // Real ARNs end in a random 6-character suffix; callers must not rely on the name alone.
      arn: existing?.arn ?? `arn:aws:secretsmanager:${region}:000000000000:secret:${name}-${randomUUID().slice(0, 6)}`,
      value,
      versionId: randomUUID(),
      createdAt: existing?.createdAt ?? Date.now(),
    };
    secrets.set(name, secret);
    return secret;
  };
  for (const [name, value] of Object.entries(options.secrets ?? {})) setSecret(name, value);

  const find = (secretId: unknown): StoredSecret => {
    if (typeof secretId !== 'string' || secretId === '') throw new ServiceError('InvalidParameterException', 'SecretId is required');
    const secret = secrets.get(secretId) ?? [...secrets.values()].find((s) => s.arn === secretId);
    if (!secret) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  };

  /**
   * A secret the caller's function was not granted: Secrets Manager's AccessDeniedException (400).
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html
   */
  const authorize = (accessKeyId: string | undefined, operation: string, secret: StoredSecret): void => {
    const denial = options.access?.check(accessKeyId, `secretsmanager:${operation}`, localArn.secret(secret.name));
    if (denial) throw new ServiceError('AccessDeniedException', denial.message);
  };

  const operations: Record<string, (input: Record<string, unknown>, accessKeyId: string | undefined) => unknown> = {
    GetSecretValue(input, accessKeyId) {
      const secret = find(input.SecretId);
      authorize(accessKeyId, 'GetSecretValue', secret);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: secret.versionId,
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: secret.createdAt / 1000,
      };
    },
    PutSecretValue(input, accessKeyId) {
      const secret = find(input.SecretId);
      authorize(accessKeyId, 'PutSecretValue', secret);
      if (typeof input.SecretString !== 'string') throw new ServiceError('InvalidParameterException', 'SecretString is required');
      const updated = setSecret(secret.name, input.SecretString);
      return { ARN: updated.arn, Name: updated.name, VersionId: updated.versionId, VersionStages: ['AWSCURRENT'] };
    },
    CreateSecret(input, accessKeyId) {
      const denial = options.access?.check(accessKeyId, 'secretsmanager:CreateSecret', localArn.secret(String(input.Name)));
      if (denial) throw new ServiceError('AccessDeniedException', denial.message);
      if (typeof input.Name !== 'string' || input.Name === '') throw new ServiceError('InvalidParameterException', 'Name is required');
      if (secrets.has(input.Name)) throw new ServiceError('ResourceExistsException', `The operation failed because the secret ${input.Name} already exists.`);
      const created = setSecret(input.Name, typeof input.SecretString === 'string' ? input.SecretString : '');
      return { ARN: created.arn, Name: created.name, VersionId: created.versionId };
    },
    DescribeSecret(input, accessKeyId) {
      const secret = find(input.SecretId);
      authorize(accessKeyId, 'DescribeSecret', secret);
      return { ARN: secret.arn, Name: secret.name, CreatedDate: secret.createdAt / 1000, VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] } };
    },
  };

  const server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('secretsmanager.') ? target.slice('secretsmanager.'.length) : '';
    try {
      if (operation === 'GetSecretValue') getCalls += 1;
      if (!available || failures > 0) {
        failures = Math.max(0, failures - 1);
        throw new ServiceError('InternalServiceError', 'Simulated Secrets Manager outage', 500);
      }
      const run = operations[operation];
      if (request.method !== 'POST' || !run) throw new ServiceError('UnknownOperationException', `Unsupported operation: ${target || '(none)'}`);
      let input: Record<string, unknown>;
      try {
        input = chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      } catch {
        throw new ServiceError('SerializationException', 'The request body is not valid JSON');
      }
      send(response, 200, run(input, accessKeyIdOf(request.headers.authorization)));
    } catch (error) {
      const failure = error instanceof ServiceError ? error : new ServiceError('InternalServiceError', 'Internal error', 500);
      response.setHeader('x-amzn-errortype', failure.type);
      send(response, failure.status, { __type: failure.type, message: failure.message });
    }
  }

  const port = await listenOnLoopback(server, options.port);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    setSecret(name, value) {
      setSecret(name, value);
    },
    failNext(count) {
      failures = count;
    },
    setAvailable(value) {
      available = value;
    },
    calls: () => getCalls,
    close: () => closeServer(server),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
  response.end(text);
}
