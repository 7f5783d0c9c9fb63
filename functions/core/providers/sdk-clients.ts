/**
 * SDK clients per base URL and key, kept across warm invocations: each holds a connection pool,
 * and the SDK's own retries are off because the provider chain does the retrying.
 */
export interface SdkClientOptions {
  apiKey: string;
  baseURL: string | undefined;
  maxRetries: 0;
}

export function sdkClientCache<T>(create: (options: SdkClientOptions) => T): (baseURL: string | undefined, apiKey: string) => T {
  const clients = new Map<string, T>();
  return (baseURL, apiKey) => {
    const cacheKey = `${baseURL ?? ''}\n${apiKey}`;
    let client = clients.get(cacheKey);
    if (!client) {
      client = create({ apiKey, baseURL, maxRetries: 0 });
      clients.set(cacheKey, client);
    }
    return client;
  };
}
