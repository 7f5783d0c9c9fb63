import { isThrottleFailure, sustainedFraction } from '../../../bench/scenarios/imaging';

describe('sustainedFraction', () => {
  it('is R per window when the second R complete one window after the first', () => {
    // R = 4 per 10 s window: 4 at once, then 4 spread over the next window.
    const completed = [1_000, 1_100, 1_200, 1_300, 4_000, 6_500, 9_000, 11_300];
    expect(sustainedFraction(completed, 4, 10_000)).toBeCloseTo(1, 5);
  });

  it('falls below 1 when the jobs after the allowance wait longer than the window', () => {
    expect(sustainedFraction([0, 0, 0, 0, 10_000, 15_000, 18_000, 20_000], 4, 10_000)).toBeCloseTo(0.5, 5);
  });

  it('does not depend on the order of the completion times', () => {
    expect(sustainedFraction([11_300, 1_000, 9_000, 1_100, 6_500, 1_200, 4_000, 1_300], 4, 10_000)).toBeCloseTo(1, 5);
  });

  it('cannot be measured with no job beyond the allowance', () => {
    expect(sustainedFraction([1, 2, 3, 4], 4, 10_000)).toBeNaN();
  });
});

describe('isThrottleFailure', () => {
  it('recognises a job that failed because of a provider rate limit', () => {
    expect(isThrottleFailure({ code: 'ProviderThrottled', message: 'rate-limited' })).toBe(true);
    expect(isThrottleFailure({ code: 'Failed', message: 'provider answered 429' })).toBe(true);
    expect(isThrottleFailure({ code: 'InvalidImage', message: 'the PNG is truncated' })).toBe(false);
    expect(isThrottleFailure(undefined)).toBe(false);
  });
});
