/**
 * Waiting in tests for the event itself, never for a time guessed to be long enough: with both
 * cores busy everything takes longer, so a wait ends when what it waits for has happened (a job's
 * state, a message in a queue, a ledger write landing), or when the clock has passed a moment
 * (a cache age, a lease) for waits whose event is the clock. The time limit only turns a hang into
 * a clear failure that says what never happened; it is no speed goal, so keep it generous and below
 * the test's own timeout.
 */

/** How long a wait may take before it fails: a hang detector, far above any speed under load. */
export const DEFAULT_WAIT_LIMIT_MS = 45_000;

export interface WaitOptions {
  /** @default DEFAULT_WAIT_LIMIT_MS */
  limitMs?: number;
  /** How often the state is read again. @default 25 */
  intervalMs?: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads `probe` until it returns something other than `undefined`, `null` or `false`, and returns
 * that. Fails after the limit with `what` and the last value seen (or the probe's last error).
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, options: WaitOptions = {}): Promise<T> {
  const limitMs = options.limitMs ?? DEFAULT_WAIT_LIMIT_MS;
  const intervalMs = options.intervalMs ?? 25;
  const giveUpAt = Date.now() + limitMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= giveUpAt) {
      const seen = last instanceof Error ? `the last read failed: ${last.message}` : `the last read gave ${JSON.stringify(last)}`;
      throw new Error(`waited ${limitMs} ms for ${what}, and it did not happen (${seen})`);
    }
    await pause(intervalMs);
  }
}

/**
 * Resolves once the clock has passed `epochMs`: for waits whose event is time itself (a cache
 * entry's age, a lease running out). Load can only make this later, never too early.
 */
export async function clockPast(epochMs: number): Promise<void> {
  // Timers may fire a millisecond early; loop until the clock really is past.
  while (Date.now() <= epochMs) await pause(epochMs - Date.now() + 1);
}
