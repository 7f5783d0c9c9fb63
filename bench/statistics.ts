/**
 * Order statistics for latency samples. Linear interpolation between closest ranks (the method
 * spreadsheets and NumPy use by default), so a p95 of 20 samples is not simply the largest one.
 */

export interface LatencySummary {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** The p-th percentile (0–100) of `values`; NaN for no values. Does not modify `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be from 0 to 100, got ${p}`);
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const low = sorted[lower]!;
  const high = sorted[upper]!;
  return low + (high - low) * (rank - lower);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function summarize(values: readonly number[]): LatencySummary {
  if (values.length === 0) return { count: 0, min: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { count: values.length, min, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max, mean: sum / values.length };
}

/** Rounds for a results file: whole numbers stay whole, the rest keep `digits` decimals. */
export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `a / b`, or NaN when `b` is 0 (a ratio to nothing is no figure). */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}
