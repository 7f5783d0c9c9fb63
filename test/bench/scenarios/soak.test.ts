import { isDesigned429, isUnexpected } from '../../../bench/scenarios/soak';

describe('soak outcome classes', () => {
  it('counts a 429 as designed and never as unexpected', () => {
    expect(isDesigned429({ status: 429 })).toBe(true);
    expect(isUnexpected({ status: 429 })).toBe(false);
  });

  it('counts 2xx as served, and 5xx, other 4xx and no answer as unexpected', () => {
    expect(isUnexpected({ status: 200 })).toBe(false);
    expect(isUnexpected({ status: 202 })).toBe(false);
    expect(isUnexpected({ status: 503 })).toBe(true);
    expect(isUnexpected({ status: 400 })).toBe(true);
    expect(isUnexpected({ status: 0 })).toBe(true);
  });
});
