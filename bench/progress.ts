/**
 * Progress lines while the benchmark runs, on stderr so results piped from stdout stay clean.
 * One line per event, prefixed with the elapsed time; `tick` lines are rate-limited so a busy
 * load loop cannot flood the terminal.
 */
export interface Progress {
  /** A line now. */
  say(message: string): void;
  /** A line at most every `intervalMs` per `key`. */
  tick(key: string, message: string): void;
}

export function consoleProgress(options: { write?: (line: string) => void; now?: () => number; intervalMs?: number } = {}): Progress {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? 2_000;
  const started = now();
  const lastTick = new Map<string, number>();
  const stamp = () => `[${((now() - started) / 1000).toFixed(1).padStart(6)} s]`;
  return {
    say: (message) => write(`${stamp()} ${message}`),
    tick: (key, message) => {
      const at = now();
      if (at - (lastTick.get(key) ?? -Infinity) < intervalMs) return;
      lastTick.set(key, at);
      write(`${stamp()} ${message}`);
    },
  };
}
