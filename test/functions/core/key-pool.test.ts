/** The key pool over a real in-memory secret store: rotation, cool-downs and the all-cooling error. */
import { createHash } from 'node:crypto';
import { FINGERPRINT_PATTERN, keyFingerprint } from '#core/key-fingerprint';
import { KEYLESS_API_KEY, KeyPool, keyEntryOf } from '#core/key-pool';
import { ProviderCallError } from '#core/model-call';
import type { ProviderKey, SecretStore, TaskKeys } from '#core/ports';

const providerKey = (name: string, apiKey: string): ProviderKey => ({ name, apiKey, fingerprint: `k_${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}` });

class InMemorySecretStore implements SecretStore {
  constructor(public keys: TaskKeys) {}
  async getKeys(): Promise<TaskKeys> {
    return this.keys;
  }
}

const openai = { provider: 'openai' as const, model: 'gpt-5.4' };
const [a, b, c] = [providerKey('openai', 'sk-a'), providerKey('openai', 'sk-b'), providerKey('openai', 'sk-c')];

describe('KeyPool', () => {
  let clock: number;
  let pool: KeyPool;
  let store: InMemorySecretStore;
  beforeEach(() => {
    clock = 1_000_000;
    store = new InMemorySecretStore({ openai: [a!, b!, c!], anthropic: [providerKey('anthropic', 'sk-ant')] });
    pool = new KeyPool(store, { now: () => clock, defaultCoolDownMs: 5_000 });
  });

  it('uses the keys of one entry round-robin', async () => {
    const picked = [];
    for (let i = 0; i < 4; i++) picked.push((await pool.acquire(openai)).apiKey);
    expect(picked).toEqual(['sk-a', 'sk-b', 'sk-c', 'sk-a']);
  });

  it('skips a key that is cooling down after a 429, and takes it back when the cool-down ends', async () => {
    pool.coolDown(b!.fingerprint, 2);
    expect((await pool.acquire(openai)).apiKey).toBe('sk-a');
    expect((await pool.acquire(openai)).apiKey).toBe('sk-c');
    expect((await pool.acquire(openai)).apiKey).toBe('sk-a');
    expect(pool.coolingKeys()).toEqual([b!.fingerprint]);
    clock += 2_000;
    expect((await pool.acquire(openai)).apiKey).toBe('sk-b');
  });

  it('throws throttled with the shortest remaining cool-down when every key is cooling', async () => {
    pool.coolDown(a!.fingerprint, 30);
    pool.coolDown(b!.fingerprint, 3);
    pool.coolDown(c!.fingerprint); // default 5 s
    const error = await pool.acquire(openai).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderCallError);
    expect(error).toMatchObject({ kind: 'throttled', retryAfterSeconds: 3 });
    expect((error as Error).message).not.toMatch(/sk-/);
    expect(await pool.waitMs(openai)).toBe(3_000);
  });

  it('reads the entry named by keyName, and rejects a target whose entry has no key', async () => {
    store.keys = { ...store.keys, 'self-hosted': [providerKey('self-hosted', 'local-key')] };
    const target = { provider: 'openai-compatible' as const, model: 'llama', baseUrl: 'http://127.0.0.1:8000/v1', keyName: 'self-hosted' };
    expect(keyEntryOf(target)).toBe('self-hosted');
    expect((await pool.acquire(target)).apiKey).toBe('local-key');
    await expect(pool.acquire({ ...target, keyName: 'missing-entry' })).rejects.toMatchObject({ kind: 'rejected' });
    await expect(pool.acquire({ provider: 'openai', model: 'gpt', keyName: 'missing-entry' })).rejects.toMatchObject({ kind: 'rejected' });
  });

  it('calls a self-hosted server with no entry in the secret keyless, known by a fingerprint of its address', async () => {
    const keyless = { provider: 'openai-compatible' as const, model: 'llama', baseUrl: 'http://10.0.0.5:8000/v1' };
    const key = await pool.acquire(keyless);
    expect(key.apiKey).toBe(KEYLESS_API_KEY);
    expect(key.fingerprint).toMatch(FINGERPRINT_PATTERN);
    expect(key.fingerprint).toBe(keyFingerprint('keyless:http://10.0.0.5:8000/v1'));
    expect((await pool.acquire({ ...keyless, baseUrl: 'http://10.0.0.6:8000/v1' })).fingerprint).not.toBe(key.fingerprint);
    // A hosted provider still needs its key.
    store.keys = { openai: [a!] };
    await expect(pool.acquire({ provider: 'anthropic', model: 'claude' })).rejects.toMatchObject({ kind: 'rejected' });
  });

  it('keeps rotating after the secret is rotated to a different set of keys', async () => {
    await pool.acquire(openai);
    store.keys = { openai: [providerKey('openai', 'sk-new')] };
    expect((await pool.acquire(openai)).apiKey).toBe('sk-new');
  });
});
