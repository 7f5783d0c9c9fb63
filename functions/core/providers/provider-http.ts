/**
 * The one HTTP call both provider APIs need: a JSON POST through Node's global `fetch` (undici,
 * whose global dispatcher keeps connections alive across warm invocations), cancelled by the
 * attempt's signal. What goes wrong is thrown as one of two small errors that carry only what
 * {@link classifyProviderError} needs (status, headers, the provider's error type), never the
 * provider's message, which can quote part of the key.
 */

/** The provider answered with a status outside 2xx. */
export class ProviderHttpError extends Error {
  override name = 'ProviderHttpError';
  constructor(
    readonly status: number,
    readonly headers: Headers,
    /** The provider's error type from the body (`rate_limit_error`, `server_error`), when it sent one. */
    readonly type: string | undefined,
  ) {
    super(`answered HTTP ${status}`);
  }
}

/** No response at all: the connection was refused, reset before any header, or timed out connecting. */
export class ProviderConnectionError extends Error {
  override name = 'ProviderConnectionError';
  constructor(readonly timedOut: boolean) {
    super(timedOut ? 'the connection timed out' : 'the connection failed');
  }
}

export async function postJson(url: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body), signal });
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name === 'AbortError') throw error;
    // undici: `TypeError: fetch failed`, the reason in `cause` (ECONNREFUSED, SocketError, ConnectTimeoutError).
    const cause = (error as { cause?: unknown } | null)?.cause;
    throw new ProviderConnectionError(/timed? ?out/i.test(`${String(error)} ${String(cause)}`));
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw new ProviderHttpError(response.status, response.headers, errorTypeIn(text));
  }
  return response;
}

/** The body as JSON; a body that is not JSON throws a SyntaxError (classified `malformed`). */
export async function jsonOf(response: Response): Promise<unknown> {
  return JSON.parse(await response.text()) as unknown;
}

/** Both APIs answer errors as `{ "error": { "type": … } }` (Anthropic wraps it in `{ "type": "error" }`). */
function errorTypeIn(text: string): string | undefined {
  try {
    const type = (JSON.parse(text) as { error?: { type?: unknown } } | null)?.error?.type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/** A token count as the provider must send it: a non-negative integer. */
export function isTokenCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
