/**
 * Picks the provider key for each attempt. A task's secret can hold several keys per entry; they
 * are used round-robin, and a key that got a 429 sits out its cool-down (the provider's
 * `retry-after`, or a default) while the others carry on. Outside this module a key is known by
 * its fingerprint only.
 *
 * Create one pool per function instance at module scope: cool-downs are what a warm function has
 * learnt about its keys.
 */
import { keyFingerprint } from './key-fingerprint';
import { ProviderCallError } from './model-call';
import type { ProviderKey, SecretStore } from './ports';
import type { ProviderTarget } from './task-config';

export interface KeyPoolOptions {
  /** Cool-down after a 429 that came without `retry-after`. @default 10000 */
  defaultCoolDownMs?: number;
  now?: () => number;
}

/**
 * What a keyless self-hosted server is sent as its key: vLLM, Ollama and llama.cpp started without
 * an API key ignore the Authorization header, and the OpenAI client refuses to run without one.
 */
export const KEYLESS_API_KEY = 'no-key';

/**
 * What a Bedrock target is "keyed" with: nothing, the SDK signs with the function's execution role.
 * The ledger still records per key, under a fingerprint of the model id (`bedrock:<model>`), so a
 * 429 cools that model down and the usage report shows what each Bedrock model consumed.
 */
export const BEDROCK_IAM_CREDENTIAL = 'aws-iam-role';

export function bedrockKeyOf(model: string): ProviderKey {
  return { name: 'bedrock', apiKey: BEDROCK_IAM_CREDENTIAL, fingerprint: keyFingerprint(`bedrock:${model}`) };
}

/** The secret entry a target's keys live in. */
export function keyEntryOf(target: ProviderTarget): string {
  return target.keyName ?? target.provider;
}

export class KeyPool {
  private readonly cursors = new Map<string, number>();
  /** Fingerprint → epoch ms when the key may be used again. */
  private readonly coolingUntil = new Map<string, number>();
  private readonly defaultCoolDownMs: number;
  private readonly now: () => number;

  constructor(
    private readonly secrets: SecretStore,
    options: KeyPoolOptions = {},
  ) {
    this.defaultCoolDownMs = options.defaultCoolDownMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The next key of the target's entry that is not cooling down. Throws `ProviderCallError`
   * `throttled` (with the shortest remaining cool-down) when every key is cooling, and `rejected`
   * when the secret has no key for the entry (a configuration fault the next provider may not have),
   * except for an `openai-compatible` target without a `keyName`, which is called keyless, and a
   * `bedrock` target, which has no key at all (see {@link bedrockKeyOf}).
   */
  async acquire(target: ProviderTarget): Promise<ProviderKey> {
    const keys = await this.keysOf(target);
    const entry = keyEntryOf(target);
    const now = this.now();
    const start = this.cursors.get(entry) ?? 0;
    for (let offset = 0; offset < keys.length; offset++) {
      const index = (start + offset) % keys.length;
      const key = keys[index]!;
      if ((this.coolingUntil.get(key.fingerprint) ?? 0) <= now) {
        this.cursors.set(entry, (index + 1) % keys.length);
        return key;
      }
    }
    const waitMs = this.shortestCoolDownMs(keys, now);
    throw new ProviderCallError(
      'throttled',
      target.provider,
      target.model,
      `every ${entry} key of the task is cooling down after a provider 429`,
      429,
      Math.max(waitMs, 1) / 1000,
    );
  }

  /** Takes a key out of rotation after a 429, for `retryAfterSeconds` or the default cool-down. */
  coolDown(keyFingerprint: string, retryAfterSeconds?: number): void {
    const ms = retryAfterSeconds !== undefined ? Math.ceil(retryAfterSeconds * 1000) : this.defaultCoolDownMs;
    const until = this.now() + ms;
    // Two concurrent 429s on one key: keep the later end.
    this.coolingUntil.set(keyFingerprint, Math.max(until, this.coolingUntil.get(keyFingerprint) ?? 0));
  }

  /** Milliseconds until some key of the target is usable: 0 when one is free now. */
  async waitMs(target: ProviderTarget): Promise<number> {
    const keys = await this.keysOf(target);
    return this.shortestCoolDownMs(keys, this.now());
  }

  /** Fingerprints of the keys that are cooling down now (for metrics and the operations page). */
  coolingKeys(): string[] {
    const now = this.now();
    return [...this.coolingUntil].filter(([, until]) => until > now).map(([fingerprint]) => fingerprint);
  }

  private async keysOf(target: ProviderTarget): Promise<ProviderKey[]> {
    // No secret to read: Bedrock's credential is the role, so the hot path makes no Secrets Manager call for it.
    if (target.provider === 'bedrock') return [bedrockKeyOf(target.model)];
    const entry = keyEntryOf(target);
    const keys = (await this.secrets.getKeys())[entry] ?? [];
    // A self-hosted server may want no key at all: without an entry of its own (no keyName), it is
    // called keyless, and the ledger knows it by a fingerprint of its address.
    if (keys.length === 0 && target.provider === 'openai-compatible' && target.keyName === undefined && target.baseUrl) {
      return [{ name: entry, apiKey: KEYLESS_API_KEY, fingerprint: keyFingerprint(`keyless:${target.baseUrl}`) }];
    }
    if (keys.length === 0) {
      throw new ProviderCallError('rejected', target.provider, target.model, `the task's secret has no key in its '${entry}' entry`);
    }
    return keys;
  }

  private shortestCoolDownMs(keys: ProviderKey[], now: number): number {
    return Math.max(0, Math.min(...keys.map((k) => (this.coolingUntil.get(k.fingerprint) ?? 0) - now)));
  }
}
