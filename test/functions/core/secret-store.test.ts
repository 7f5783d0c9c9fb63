import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DependencyUnavailableError } from '../../../functions/core/errors';
import { keyFingerprint } from '../../../functions/core/key-fingerprint';
import type { TaskKeys } from '../../../functions/core/ports';
import { parseTaskSecret, PowertoolsSecretStore, SecretFormatError } from '../../../functions/core/secret-store';
import { startSecretsManager, type SecretsManagerStandIn } from '../../../local/secrets-manager';

const SECRET = 'smartdental/test/clinical';

/** A SecretsReader whose first read answers at once and whose later reads wait until released. */
function secondReadWaits() {
  let count = 0;
  let resolveRead!: (value: string) => void;
  const provider = {
    get: async () => {
      count += 1;
      return count === 1 ? '{"anthropic": "sk-ant-first"}' : new Promise<string>((resolve) => (resolveRead = resolve));
    },
  };
  return { provider, reads: () => count, release: (value: string) => resolveRead(value) };
}

/** Waits for a condition the code under test makes true (a read reaching the stand-in). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** Asks the store until it serves the keys a refresh beside the requests brought in. */
async function waitForKeys(store: PowertoolsSecretStore, done: (keys: TaskKeys) => boolean): Promise<TaskKeys> {
  for (;;) {
    const keys = await store.getKeys();
    if (done(keys)) return keys;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('parseTaskSecret', () => {
  it('reads one key or a list per entry, with fingerprints, trimmed and without duplicates', () => {
    const keys = parseTaskSecret('{"openai": ["sk-a", " sk-b\\n", "sk-a"], "anthropic": "sk-ant-c", "local-llm": "token-d"}', SECRET);
    expect(Object.keys(keys)).toEqual(['openai', 'anthropic', 'local-llm']);
    expect(keys.openai).toEqual([
      { name: 'openai', apiKey: 'sk-a', fingerprint: keyFingerprint('sk-a') },
      { name: 'openai', apiKey: 'sk-b', fingerprint: keyFingerprint('sk-b') },
    ]);
    expect(keys.anthropic?.[0]?.fingerprint).toMatch(/^k_[0-9a-f]{12}$/);
  });

  it.each([
    ['sk-proj-SECRETVALUE', /is not JSON/],
    ['["sk-proj-SECRETVALUE"]', /must be a JSON object/],
    ['{}', /holds no keys/],
    ['{"openai": 42}', /entry 'openai': must be a key string/],
    ['{"openai": []}', /entry 'openai': must be a key string/],
    ['{"anthropic": ["sk-proj-SECRETVALUE", ""]}', /entry 'anthropic'/],
  ])('refuses %s with a message that names the secret but not the value', (raw, message) => {
    let error: unknown;
    try {
      parseTaskSecret(raw, SECRET);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(SECRET);
    expect((error as Error).message).not.toContain('SECRETVALUE');
    expect((error as Error).cause).toBeUndefined();
  });
});

describe('PowertoolsSecretStore against the Secrets Manager stand-in', () => {
  let standIn: SecretsManagerStandIn;
  const providers: SecretsProvider[] = [];
  /** A fresh provider is a cold start: Powertools' cache lives in the provider. */
  const coldProvider = () => {
    const provider = new SecretsProvider({ clientConfig: { endpoint: standIn.endpoint, region: 'us-east-1', maxAttempts: 1 } });
    providers.push(provider);
    return provider;
  };

  beforeEach(async () => {
    standIn = await startSecretsManager({ secrets: { [SECRET]: '{"anthropic": "sk-ant-first"}' } });
  });
  afterEach(async () => {
    for (const provider of providers.splice(0)) provider.client.destroy();
    await standIn.close();
  });

  it('makes one Secrets Manager call for many requests of a warm function', async () => {
    const store = new PowertoolsSecretStore({ secretId: SECRET, provider: coldProvider() });
    for (let i = 0; i < 10; i++) expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-first');
    expect(standIn.calls()).toBe(1);
  });

  it('picks up a rotated key after the cache age, without a restart, and no request waits for the read', async () => {
    let now = 1_000_000;
    const store = new PowertoolsSecretStore({ secretId: SECRET, maxAgeSeconds: 1, graceSeconds: 60, provider: coldProvider(), now: () => now });
    expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-first');
    standIn.setSecret(SECRET, '{"anthropic": ["sk-ant-second", "sk-ant-third"]}');
    expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-first');
    expect(standIn.calls()).toBe(1);
    now += 1_100;
    // Past its age: this request is answered with the keys the function has; the read runs beside it.
    expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-first');
    await waitFor(() => standIn.calls() === 2);
    const rotated = await waitForKeys(store, (keys) => keys.anthropic?.[0]?.apiKey === 'sk-ant-second');
    expect(rotated.anthropic?.map((k) => k.apiKey)).toEqual(['sk-ant-second', 'sk-ant-third']);
    expect(rotated.anthropic?.[0]?.fingerprint).toBe(keyFingerprint('sk-ant-second'));
    expect(standIn.calls()).toBe(2);
  });

  it('a refresh beside requests never blocks one: a black-holed read leaves every request answered at once', async () => {
    let now = 1_000_000;
    const { provider, reads, release } = secondReadWaits();
    const store = new PowertoolsSecretStore({ secretId: SECRET, maxAgeSeconds: 300, graceSeconds: 60, provider: provider as never, now: () => now });
    await store.getKeys();
    now += 301_000;
    // The read hangs; ten requests within the grace period are all answered from the keys in hand, and share one read.
    for (let i = 0; i < 10; i++) expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-first');
    expect(reads()).toBe(2);
    release('{"anthropic": "sk-ant-rotated"}');
    expect((await waitForKeys(store, (keys) => keys.anthropic?.[0]?.apiKey === 'sk-ant-rotated')).anthropic?.[0]?.apiKey).toBe('sk-ant-rotated');
  });

  it('past the grace period a request waits for the read (bounded), rather than serve keys of unknown age for ever', async () => {
    let now = 1_000_000;
    const { provider, reads, release } = secondReadWaits();
    const store = new PowertoolsSecretStore({ secretId: SECRET, maxAgeSeconds: 300, graceSeconds: 60, provider: provider as never, now: () => now });
    await store.getKeys();
    now += 361_000;
    let answered = false;
    const waiting = store.getKeys().then((keys) => ((answered = true), keys));
    await waitFor(() => reads() === 2);
    expect(answered).toBe(false);
    release('{"anthropic": "sk-ant-fresh"}');
    expect((await waiting).anthropic?.[0]?.apiKey).toBe('sk-ant-fresh');
  });

  it('keeps serving its last keys when Secrets Manager goes down, and recovers when it returns', async () => {
    let now = 1_000_000;
    const store = new PowertoolsSecretStore({ secretId: SECRET, maxAgeSeconds: 1, graceSeconds: 0, provider: coldProvider(), outageRetryIntervalMs: 0, now: () => now });
    await store.getKeys();
    standIn.setAvailable(false);
    now += 1_100;
    const callsBefore = standIn.calls();
    expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-first');
    expect(standIn.calls()).toBeGreaterThan(callsBefore);

    standIn.setSecret(SECRET, '{"anthropic": "sk-ant-after-outage"}');
    standIn.setAvailable(true);
    expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-after-outage');
  });

  it('does not call a failing Secrets Manager on every request of a warm function', async () => {
    let now = 1_000_000;
    const store = new PowertoolsSecretStore({ secretId: SECRET, maxAgeSeconds: 1, graceSeconds: 0, provider: coldProvider(), now: () => now });
    await store.getKeys();
    standIn.setAvailable(false);
    now += 1_100;
    await store.getKeys();
    const callsAfterFirstFailure = standIn.calls();
    for (let i = 0; i < 5; i++) expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-first');
    expect(standIn.calls()).toBe(callsAfterFirstFailure);
  });

  it('answers 503 with Retry-After at a cold start while Secrets Manager is down', async () => {
    standIn.setAvailable(false);
    const store = new PowertoolsSecretStore({ secretId: SECRET, provider: coldProvider() });
    const error = await store.getKeys().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).statusCode).toBe(503);
    expect((error as DependencyUnavailableError).retryAfterSeconds).toBe(5);
    expect((error as Error).message).not.toContain('sk-');
  });

  it('reports a missing secret as a configuration error, not an outage', async () => {
    const store = new PowertoolsSecretStore({ secretId: 'smartdental/test/missing', provider: coldProvider() });
    await expect(store.getKeys()).rejects.toThrow(SecretFormatError);
    await expect(store.getKeys()).rejects.toThrow(/smartdental\/test\/missing does not exist/);
  });

  it('reports a malformed secret naming the entry', async () => {
    standIn.setSecret(SECRET, '{"openai": {"key": "sk-proj-hidden"}}');
    const store = new PowertoolsSecretStore({ secretId: SECRET, provider: coldProvider() });
    const error = await store.getKeys().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as Error).message).toContain("entry 'openai'");
    expect((error as Error).message).not.toContain('sk-proj-hidden');
  });

  it('finds Secrets Manager through AWS_ENDPOINT_URL_SECRETS_MANAGER with the default provider', async () => {
    const previous = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = standIn.endpoint;
    try {
      const store = PowertoolsSecretStore.fromEnvironment({ SECRET_ID: SECRET, SECRET_MAX_AGE_SECONDS: '60' });
      expect((await store.getKeys()).anthropic?.[0]?.apiKey).toBe('sk-ant-first');
      expect(standIn.calls()).toBe(1);
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = previous;
    }
  });
});
