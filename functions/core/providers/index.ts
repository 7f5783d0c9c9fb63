/**
 * The provider adapters behind one factory. A client per target is created once and reused across
 * warm invocations; their connections are kept alive by fetch's (and the Bedrock client's) pool.
 */
import { ENV } from '../env';
import type { ProviderClient } from '../model-call';
import { PROVIDER_KINDS, type ProviderKind, type ProviderTarget } from '../task-config';
import { AnthropicProviderClient } from './anthropic';
import { BedrockProviderClient } from './bedrock';
import { OpenAiProviderClient } from './openai';

export { AnthropicProviderClient } from './anthropic';
export { BedrockProviderClient } from './bedrock';
export { OpenAiProviderClient } from './openai';
export { classifyBedrockError, classifyProviderError, retryAfterSecondsOf } from './provider-errors';

/** Base URL per provider kind, overriding the provider's public endpoint and the catalog's `baseUrl`. */
export type ProviderBaseUrls = Partial<Record<ProviderKind, string>>;

const clients = new Map<string, ProviderClient>();

/**
 * The client for one target of a task's chain. An override (the local runtime pointing every
 * provider at the simulator) wins over the target's own `baseUrl`, because it is the deployment's
 * explicit choice for this environment.
 */
export function providerClientFor(target: ProviderTarget, baseUrlOverrides: ProviderBaseUrls = {}): ProviderClient {
  const baseUrl = baseUrlOverrides[target.provider] ?? target.baseUrl;
  const cacheKey = `${target.provider}\n${target.model}\n${baseUrl ?? ''}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client =
      target.provider === 'anthropic'
        ? new AnthropicProviderClient(target.model, baseUrl)
        : target.provider === 'bedrock'
          ? new BedrockProviderClient(target.model, baseUrl)
          : new OpenAiProviderClient(target.provider, target.model, baseUrl);
    clients.set(cacheKey, client);
  }
  return client;
}

/** Reads `PROVIDER_BASE_URLS` (JSON map of provider kind to base URL); a bad value is a deployment bug. */
export function providerBaseUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): ProviderBaseUrls {
  const raw = env[ENV.providerBaseUrls];
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${ENV.providerBaseUrls} must be a JSON object mapping a provider kind to a base URL`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${ENV.providerBaseUrls} must be a JSON object`);
  const urls: ProviderBaseUrls = {};
  for (const [kind, url] of Object.entries(parsed)) {
    if (!(PROVIDER_KINDS as readonly string[]).includes(kind)) throw new Error(`${ENV.providerBaseUrls}: unknown provider kind '${kind}' (known: ${PROVIDER_KINDS.join(', ')})`);
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new Error(`${ENV.providerBaseUrls}.${kind} must be an http(s) URL`);
    urls[kind as ProviderKind] = url;
  }
  return urls;
}
