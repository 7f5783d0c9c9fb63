import { coveredLength } from '../../bench/dynamo-calls';

describe('coveredLength', () => {
  it('counts overlapping calls once and gaps not at all', () => {
    expect(coveredLength([[0, 10], [5, 12], [20, 25]])).toBe(17);
  });

  it('ignores a call inside another and accepts any order', () => {
    expect(coveredLength([[20, 30], [0, 100], [40, 50]])).toBe(100);
  });

  it('is 0 for no calls', () => {
    expect(coveredLength([])).toBe(0);
  });
});
