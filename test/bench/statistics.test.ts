import { median, percentile, ratio, round, summarize } from '../../bench/statistics';

describe('percentile', () => {
  it('interpolates between the closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50], 95)).toBeCloseTo(48);
    expect(percentile([5], 95)).toBe(5);
  });

  it('does not depend on input order and leaves the input alone', () => {
    const values = [9, 1, 5, 3, 7];
    expect(percentile(values, 50)).toBe(5);
    expect(values).toEqual([9, 1, 5, 3, 7]);
  });

  it('takes the extremes at 0 and 100', () => {
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(percentile([3, 1, 2], 100)).toBe(3);
  });

  it('is NaN for no samples and refuses a percentile outside 0–100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(/0 to 100/);
  });
});

describe('summarize', () => {
  it('reports count, extremes, mean and the usual percentiles', () => {
    const values = Array.from({ length: 101 }, (_, i) => i);
    expect(summarize(values)).toEqual({ count: 101, min: 0, p50: 50, p95: 95, p99: 99, max: 100, mean: 50 });
    expect(median([4, 2, 8])).toBe(4);
  });

  it('is all NaN with a zero count for no samples', () => {
    const empty = summarize([]);
    expect(empty.count).toBe(0);
    expect(empty.p95).toBeNaN();
  });
});

describe('round and ratio', () => {
  it('round keeps the requested decimals and leaves non-finite values', () => {
    expect(round(1.2345, 2)).toBe(1.23);
    expect(round(7)).toBe(7);
    expect(round(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('ratio to zero is NaN, not Infinity', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
  });
});
