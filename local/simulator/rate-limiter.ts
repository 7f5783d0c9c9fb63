/**
 * Per-key request and token limits, enforced the way providers do: a request is admitted when
 * the key is under its requests-per-minute and tokens-per-minute limits, otherwise it gets a 429
 * with the seconds until enough of the minute has passed.
 */
import type { SimulatorKeyLimits } from './config';

/** A provider's minute; the benchmark may compress it (see `rateLimitWindowMs`). */
export const DEFAULT_WINDOW_MS = 60_000;

interface Usage {
  at: number;
  tokens: number;
}

interface KeyWindow {
  /** Fixed window: start of the current minute. */
  start: number;
  requests: number;
  tokens: number;
  /** Sliding window: one entry per admitted request. */
  events: Usage[];
}

export interface RateLimitState {
  limits: SimulatorKeyLimits;
  remainingRequests?: number;
  remainingTokens?: number;
  /** Milliseconds until the request and token counters are back at their limits. */
  resetRequestsMs: number;
  resetTokensMs: number;
}

export type Admission =
  | { admitted: true; state: RateLimitState; /** Adds the output tokens to the admitted request. */ addTokens: (tokens: number) => void }
  | { admitted: false; state: RateLimitState; limit: 'requests' | 'tokens'; retryAfterSeconds: number };

export class KeyRateLimiter {
  private readonly windows = new Map<string, KeyWindow>();

  constructor(
    private readonly mode: () => 'fixed' | 'sliding',
    private readonly windowMs: () => number = () => DEFAULT_WINDOW_MS,
  ) {}

  admit(apiKey: string, limits: SimulatorKeyLimits, inputTokens: number, now: number): Admission {
    const WINDOW_MS = this.windowMs();
    const window = this.windowFor(apiKey, now);
    const sliding = this.mode() === 'sliding';
    const used = sliding ? this.slidingTotals(window, now) : { requests: window.requests, tokens: window.tokens };
    const fixedResetMs = window.start + WINDOW_MS - now;

    if (limits.rpm !== undefined && used.requests + 1 > limits.rpm) {
      const waitMs = sliding ? (window.events[0]?.at ?? now) + WINDOW_MS - now : fixedResetMs;
      return { admitted: false, limit: 'requests', retryAfterSeconds: toSeconds(waitMs), state: this.state(limits, used, waitMs, fixedResetMs) };
    }
    // A request bigger than the whole minute's allowance is still refused, as providers do.
    if (limits.tpm !== undefined && used.tokens + inputTokens > limits.tpm) {
      const waitMs = sliding ? this.slidingWaitForTokens(window, now, used.tokens + inputTokens - limits.tpm) : fixedResetMs;
      return { admitted: false, limit: 'tokens', retryAfterSeconds: toSeconds(waitMs), state: this.state(limits, used, fixedResetMs, waitMs) };
    }

    const event: Usage = { at: now, tokens: inputTokens };
    const admittedIn = window.start;
    if (sliding) window.events.push(event);
    window.requests += 1;
    window.tokens += inputTokens;
    const after = { requests: used.requests + 1, tokens: used.tokens + inputTokens };
    return {
      admitted: true,
      state: this.state(limits, after, sliding ? WINDOW_MS : fixedResetMs, sliding ? WINDOW_MS : fixedResetMs),
      addTokens: (tokens) => {
        event.tokens += tokens;
        // Output tokens count in the fixed window the request was admitted in, not a later one.
        if (!sliding && window.start === admittedIn) window.tokens += tokens;
      },
    };
  }

  reset(): void {
    this.windows.clear();
  }

  private windowFor(apiKey: string, now: number): KeyWindow {
    const WINDOW_MS = this.windowMs();
    const start = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    let window = this.windows.get(apiKey);
    if (!window) {
      window = { start, requests: 0, tokens: 0, events: [] };
      this.windows.set(apiKey, window);
    } else if (window.start !== start) {
      window.start = start;
      window.requests = 0;
      window.tokens = 0;
    }
    window.events = window.events.filter((e) => e.at > now - WINDOW_MS);
    return window;
  }

  private slidingTotals(window: KeyWindow, now: number): { requests: number; tokens: number } {
    const WINDOW_MS = this.windowMs();
    const live = window.events.filter((e) => e.at > now - WINDOW_MS);
    return { requests: live.length, tokens: live.reduce((sum, e) => sum + e.tokens, 0) };
  }

  /** Time until the oldest requests have left the window and freed at least `excess` tokens. */
  private slidingWaitForTokens(window: KeyWindow, now: number, excess: number): number {
    const WINDOW_MS = this.windowMs();
    let freed = 0;
    for (const e of window.events) {
      freed += e.tokens;
      if (freed >= excess) return e.at + WINDOW_MS - now;
    }
    return WINDOW_MS;
  }

  private state(limits: SimulatorKeyLimits, used: { requests: number; tokens: number }, resetRequestsMs: number, resetTokensMs: number): RateLimitState {
    return {
      limits,
      remainingRequests: limits.rpm === undefined ? undefined : Math.max(0, limits.rpm - used.requests),
      remainingTokens: limits.tpm === undefined ? undefined : Math.max(0, limits.tpm - used.tokens),
      resetRequestsMs: Math.max(0, resetRequestsMs),
      resetTokensMs: Math.max(0, resetTokensMs),
    };
  }
}

function toSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** OpenAI's `x-ratelimit-*` headers (reset as a duration such as `6m0s` or `1.5s`). */
export function openAiRateLimitHeaders(state: RateLimitState): Record<string, string> {
  const headers: Record<string, string> = {};
  if (state.limits.rpm !== undefined) {
    headers['x-ratelimit-limit-requests'] = String(state.limits.rpm);
    headers['x-ratelimit-remaining-requests'] = String(state.remainingRequests ?? 0);
    headers['x-ratelimit-reset-requests'] = `${(state.resetRequestsMs / 1000).toFixed(3)}s`;
  }
  if (state.limits.tpm !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(state.limits.tpm);
    headers['x-ratelimit-remaining-tokens'] = String(state.remainingTokens ?? 0);
    headers['x-ratelimit-reset-tokens'] = `${(state.resetTokensMs / 1000).toFixed(3)}s`;
  }
  return headers;
}

/** Anthropic's `anthropic-ratelimit-*` headers (reset as an RFC 3339 time). */
export function anthropicRateLimitHeaders(state: RateLimitState, now: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (state.limits.rpm !== undefined) {
    headers['anthropic-ratelimit-requests-limit'] = String(state.limits.rpm);
    headers['anthropic-ratelimit-requests-remaining'] = String(state.remainingRequests ?? 0);
    headers['anthropic-ratelimit-requests-reset'] = new Date(now + state.resetRequestsMs).toISOString();
  }
  if (state.limits.tpm !== undefined) {
    headers['anthropic-ratelimit-tokens-limit'] = String(state.limits.tpm);
    headers['anthropic-ratelimit-tokens-remaining'] = String(state.remainingTokens ?? 0);
    headers['anthropic-ratelimit-tokens-reset'] = new Date(now + state.resetTokensMs).toISOString();
  }
  return headers;
}
