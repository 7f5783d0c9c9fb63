/**
 * A task's provider keys, read from its own Secrets Manager secret through Powertools Parameters.
 *
 * Secret format: a JSON object mapping an entry name to one key or a list of keys. The entry
 * names are the provider kinds (`openai`, `anthropic`, `openai-compatible`) or a custom `keyName`
 * from the catalog. Several keys in one entry are used round-robin by the key pool.
 *
 *   {"openai": ["sk-proj-…a", "sk-proj-…b"], "anthropic": "sk-ant-…"}
 *
 *   aws secretsmanager put-secret-value --secret-id smartdental/prod/chat \
 *     --secret-string '{"openai":["sk-…","sk-…"],"anthropic":"sk-ant-…"}'
 *
 * The value is cached for `maxAgeSeconds` (default 300), so a warm function makes no Secrets
 * Manager call per request and a rotated key takes effect within that age without a redeploy.
 * Past that age a request never waits for the read: it is answered with the keys the function
 * has while the read runs beside it, for up to `graceSeconds` more (default 60); only a function
 * whose keys are older than both, or a cold one, waits for Secrets Manager. When Secrets Manager
 * cannot be reached, a warm function keeps serving the last keys it read; a cold one answers 503
 * with Retry-After. A malformed secret is a configuration error whose
 * message names the secret and the entry, never a key.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { ENV, requireEnv } from './env';
import { DependencyUnavailableError } from './errors';
import { keyFingerprint } from './key-fingerprint';
import type { ProviderKey, SecretStore, TaskKeys } from './ports';

export const DEFAULT_SECRET_MAX_AGE_SECONDS = 300;
/** After a failed read, a warm function serves its last keys this long before asking again. */
export const OUTAGE_RETRY_INTERVAL_MS = 5_000;
/** How long past their max age a warm function serves its keys while it refreshes them beside requests. */
export const DEFAULT_SECRET_GRACE_SECONDS = 60;

/** The secret exists but does not hold keys in the documented format (a deployment fault). */
export class SecretFormatError extends Error {
  override name = 'SecretFormatError';
}

/** Only the methods of Powertools' SecretsProvider this store uses (tests hand in their own). */
export type SecretsReader = Pick<SecretsProvider, 'get'>;

export interface PowertoolsSecretStoreOptions {
  /** Name or ARN of the task's secret. */
  secretId: string;
  /** @default 300 */
  maxAgeSeconds?: number;
  /** @default one SecretsProvider per function instance, created on first use */
  provider?: SecretsReader;
  /** After a failed read, how long a warm function serves its last keys before asking again. @default 5000 */
  outageRetryIntervalMs?: number;
  /** Past the max age, how long the keys are still served while a refresh runs beside the request. @default 60 */
  graceSeconds?: number;
  /** Epoch ms; tests move it. @default Date.now */
  now?: () => number;
}

let sharedProvider: SecretsProvider | undefined;

/** The function instance's SecretsProvider; its SDK client honours `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
export function sharedSecretsProvider(): SecretsProvider {
  // Bounded so an unreachable Secrets Manager becomes a prompt 503 with Retry-After, not a hang
  // until the Lambda or API Gateway times out (the SDK's defaults have no request timeout).
  sharedProvider ??= new SecretsProvider({ clientConfig: { maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true } } });
  return sharedProvider;
}

export class PowertoolsSecretStore implements SecretStore {
  private readonly secretId: string;
  private readonly maxAgeSeconds: number;
  private readonly provider: SecretsReader;
  private readonly outageRetryIntervalMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;
  /** The keys this instance read last, and when: they are served past their age and through an outage. */
  private lastGood?: { raw: string; keys: TaskKeys; readAt: number };
  /** Epoch ms before which a warm function does not call a failing Secrets Manager again. */
  private quietUntil = 0;
  /** The read under way, shared by every request that needs it. */
  private reading?: Promise<TaskKeys>;

  constructor(options: PowertoolsSecretStoreOptions) {
    this.secretId = options.secretId;
    this.maxAgeSeconds = options.maxAgeSeconds ?? DEFAULT_SECRET_MAX_AGE_SECONDS;
    this.provider = options.provider ?? sharedSecretsProvider();
    this.outageRetryIntervalMs = options.outageRetryIntervalMs ?? OUTAGE_RETRY_INTERVAL_MS;
    this.graceMs = (options.graceSeconds ?? DEFAULT_SECRET_GRACE_SECONDS) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** The store the stack configures: `SECRET_ID`, and `SECRET_MAX_AGE_SECONDS` when set. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env, provider?: SecretsReader): PowertoolsSecretStore {
    const maxAge = env[ENV.secretMaxAgeSeconds];
    return new PowertoolsSecretStore({
      secretId: requireEnv(ENV.secretId, env),
      maxAgeSeconds: maxAge === undefined || maxAge === '' ? undefined : Number(maxAge),
      provider,
    });
  }

  async getKeys(): Promise<TaskKeys> {
    const last = this.lastGood;
    if (last) {
      const now = this.now();
      const age = now - last.readAt;
      // During an outage, every request paying the SDK's retries would turn it into a slowdown.
      if (age < this.maxAgeSeconds * 1000 || now < this.quietUntil) return last.keys;
      if (age < this.maxAgeSeconds * 1000 + this.graceMs) {
        // Stale but within grace: answer now, refresh beside this request (its failure is an outage, handled in read()).
        this.refresh().catch(() => undefined);
        return last.keys;
      }
    }
    return this.refresh();
  }

  private refresh(): Promise<TaskKeys> {
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<TaskKeys> {
    let value: string | Uint8Array | undefined;
    try {
      // The age is kept here, beside the last good keys; Powertools' own cache would hide a rotation.
      value = await this.provider.get(this.secretId, { forceFetch: true, throwOnMissing: true });
    } catch (error) {
      if (error instanceof ParameterNotFoundError) {
        throw new SecretFormatError(`secret ${this.secretId} does not exist or has no value yet; put the task's keys into it (JSON, see secret-store.ts)`);
      }
      if (this.lastGood) {
        this.quietUntil = this.now() + this.outageRetryIntervalMs;
        return this.lastGood.keys;
      }
      throw new DependencyUnavailableError("The task's provider keys cannot be read right now; retry shortly", { retryAfterSeconds: 5, cause: error });
    }
    const raw = typeof value === 'string' ? value : new TextDecoder().decode(value);
    const readAt = this.now();
    // An unchanged secret keeps its parsed keys (and so the key pool's view of them).
    if (this.lastGood?.raw === raw) {
      this.lastGood = { ...this.lastGood, readAt };
      return this.lastGood.keys;
    }
    const keys = parseTaskSecret(raw, this.secretId);
    this.lastGood = { raw, keys, readAt };
    return keys;
  }
}

const ENTRY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Parses a task's secret string into its keys. Messages name the secret and the entry; they never
 * quote the value (not even JSON.parse's message, which would).
 */
export function parseTaskSecret(raw: string, secretId: string): TaskKeys {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SecretFormatError(`secret ${secretId} is not JSON; expected an object such as {"openai": ["<key>", "<key>"], "anthropic": "<key>"}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SecretFormatError(`secret ${secretId} must be a JSON object mapping a provider entry (openai, anthropic, openai-compatible, or a custom keyName) to keys`);
  }
  const keys: TaskKeys = {};
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (!ENTRY_NAME.test(name)) throw new SecretFormatError(`secret ${secretId} has an entry whose name is not a provider name (letters, digits, '-', '_', '.')`);
    const list = Array.isArray(entry) ? entry : [entry];
    if (list.length === 0 || !list.every((k): k is string => typeof k === 'string' && k.trim() !== '')) {
      throw new SecretFormatError(`secret ${secretId}, entry '${name}': must be a key string or a non-empty list of key strings`);
    }
    // Keys pasted with a trailing newline are common; duplicates would skew the round-robin.
    const distinct = [...new Set(list.map((k) => k.trim()))];
    keys[name] = distinct.map((apiKey): ProviderKey => ({ name, apiKey, fingerprint: keyFingerprint(apiKey) }));
  }
  if (Object.keys(keys).length === 0) throw new SecretFormatError(`secret ${secretId} holds no keys`);
  return keys;
}
