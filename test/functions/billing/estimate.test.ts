import { BadRequestError } from '#core/errors';
import { categoryOf, estimateCoverage, percentOfCents } from '../../../functions/billing/estimate';
import { estimateRequestSchema, estimateResponseSchema, type Coverage, type EstimateRequest } from '../../../functions/billing/schemas';

const coverage: Coverage = {
  preventivePct: 100,
  basicPct: 80,
  majorPct: 50,
  orthoPct: 0,
  deductibleRemainingCents: 5000,
  annualMaxRemainingCents: 150000,
};

function estimate(procedures: EstimateRequest['procedures'], overrides: Partial<Coverage> = {}) {
  const request = estimateRequestSchema.parse({ procedures, coverage: { ...coverage, ...overrides } });
  const response = estimateCoverage(request);
  // Every answer must also be a valid response body.
  estimateResponseSchema.parse(response);
  return response;
}

describe('categoryOf', () => {
  it.each([
    ['D0100', 'preventive'],
    ['D1999', 'preventive'],
    ['D2000', 'basic'],
    ['D2399', 'basic'],
    ['D2400', 'major'],
    ['D2700', 'major'],
    ['D2999', 'major'],
    ['D3000', 'basic'],
    ['D4999', 'basic'],
    ['D5000', 'major'],
    ['D6999', 'major'],
    ['D7000', 'basic'],
    ['D7999', 'basic'],
    ['D8000', 'ortho'],
    ['D8999', 'ortho'],
    ['D9000', 'basic'],
    ['D9999', 'basic'],
  ])('%s is %s', (code, category) => {
    expect(categoryOf(code)).toBe(category);
  });

  it.each(['D0099', 'D0000', 'X1234', 'D12345'])('%s is a 400 naming the code', (code) => {
    expect(() => categoryOf(code)).toThrow(BadRequestError);
    expect(() => categoryOf(code)).toThrow(code);
  });
});

describe('percentOfCents', () => {
  it('rounds half up using integers only', () => {
    expect(percentOfCents(1, 50)).toBe(1); // 0.5 → 1
    expect(percentOfCents(3, 50)).toBe(2); // 1.5 → 2
    expect(percentOfCents(101, 50)).toBe(51); // 50.5 → 51
    expect(percentOfCents(149, 1)).toBe(1); // 1.49 → 1
    expect(percentOfCents(150, 1)).toBe(2); // 1.50 → 2
    expect(percentOfCents(12345, 80)).toBe(9876);
    expect(percentOfCents(0, 80)).toBe(0);
    expect(percentOfCents(100_000_000, 100)).toBe(100_000_000);
  });
});

describe('estimateCoverage', () => {
  it("answers the issue's worked example: a crown on #3 after a $50 deductible", () => {
    const result = estimate([{ cdtCode: 'D2740', toothNumber: '3', feeCents: 120000 }]);
    expect(result.lines).toEqual([
      { cdtCode: 'D2740', toothNumber: '3', category: 'major', feeCents: 120000, deductibleAppliedCents: 5000, insurancePaysCents: 57500, patientPaysCents: 62500 },
    ]);
    expect(result.totals).toEqual({ feeCents: 120000, deductibleAppliedCents: 5000, insurancePaysCents: 57500, patientPaysCents: 62500 });
    expect(result.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 92500 });
  });

  it('does not take the deductible on preventive lines, and takes it first on the next other line', () => {
    const result = estimate([
      { cdtCode: 'D0120', feeCents: 6000 },
      { cdtCode: 'D1110', feeCents: 9500 },
      { cdtCode: 'D2391', toothNumber: '30', feeCents: 18000 },
    ]);
    expect(result.lines.map((l) => [l.category, l.deductibleAppliedCents, l.insurancePaysCents, l.patientPaysCents])).toEqual([
      ['preventive', 0, 6000, 0],
      ['preventive', 0, 9500, 0],
      ['basic', 5000, 10400, 7600], // (18000 − 5000) × 80 % = 10400
    ]);
    expect(result.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 150000 - 6000 - 9500 - 10400 });
  });

  it('spreads a deductible larger than one fee over the following lines, in order', () => {
    const result = estimate(
      [
        { cdtCode: 'D2140', feeCents: 3000 },
        { cdtCode: 'D2150', feeCents: 10000 },
      ],
      { deductibleRemainingCents: 5000 },
    );
    expect(result.lines.map((l) => l.deductibleAppliedCents)).toEqual([3000, 2000]);
    expect(result.lines.map((l) => l.insurancePaysCents)).toEqual([0, 6400]);
    expect(result.lines.map((l) => l.patientPaysCents)).toEqual([3000, 3600]);
    expect(result.remaining.deductibleCents).toBe(0);
  });

  it('leaves the deductible partly unmet when the fees are smaller', () => {
    const result = estimate([{ cdtCode: 'D2140', feeCents: 1200 }], { deductibleRemainingCents: 5000 });
    expect(result.lines[0]).toMatchObject({ deductibleAppliedCents: 1200, insurancePaysCents: 0, patientPaysCents: 1200 });
    expect(result.remaining.deductibleCents).toBe(3800);
  });

  it('caps the insurance share by the annual maximum still remaining, line by line', () => {
    const result = estimate(
      [
        { cdtCode: 'D2740', feeCents: 120000 },
        { cdtCode: 'D2750', feeCents: 110000 },
        { cdtCode: 'D1110', feeCents: 9500 },
      ],
      { deductibleRemainingCents: 0, annualMaxRemainingCents: 80000 },
    );
    expect(result.lines.map((l) => l.insurancePaysCents)).toEqual([60000, 20000, 0]);
    expect(result.lines.map((l) => l.patientPaysCents)).toEqual([60000, 90000, 9500]);
    expect(result.remaining.annualMaxCents).toBe(0);
  });

  it('pays exactly the remaining annual maximum when it equals the share', () => {
    const result = estimate([{ cdtCode: 'D2740', feeCents: 100000 }], { deductibleRemainingCents: 0, annualMaxRemainingCents: 50000 });
    expect(result.lines[0]!.insurancePaysCents).toBe(50000);
    expect(result.remaining.annualMaxCents).toBe(0);
  });

  it('rounds a half cent up', () => {
    // (1001 − 0) × 50 % = 500.5 → 501
    const result = estimate([{ cdtCode: 'D2740', feeCents: 1001 }], { deductibleRemainingCents: 0 });
    expect(result.lines[0]).toMatchObject({ insurancePaysCents: 501, patientPaysCents: 500 });
    // (1234 − 0) × 80 % = 987.2 → 987
    const down = estimate([{ cdtCode: 'D2391', feeCents: 1234 }], { deductibleRemainingCents: 0 });
    expect(down.lines[0]).toMatchObject({ insurancePaysCents: 987, patientPaysCents: 247 });
  });

  it('handles 0 % and 100 % coverage', () => {
    const result = estimate(
      [
        { cdtCode: 'D8080', feeCents: 500000 },
        { cdtCode: 'D0150', feeCents: 9999 },
      ],
      { orthoPct: 0, preventivePct: 100 },
    );
    // A line the plan covers at 0 % leaves the deductible alone (this test used to pin 5,000 taken here).
    expect(result.lines[0]).toMatchObject({ category: 'ortho', deductibleAppliedCents: 0, insurancePaysCents: 0, patientPaysCents: 500000 });
    expect(result.lines[1]).toMatchObject({ category: 'preventive', deductibleAppliedCents: 0, insurancePaysCents: 9999, patientPaysCents: 0 });
  });

  it('handles a zero fee', () => {
    const result = estimate([{ cdtCode: 'D2740', feeCents: 0 }]);
    expect(result.lines[0]).toMatchObject({ deductibleAppliedCents: 0, insurancePaysCents: 0, patientPaysCents: 0 });
    expect(result.remaining).toEqual({ deductibleCents: 5000, annualMaxCents: 150000 });
  });

  it('keeps totals equal to the sum of the lines and fee = insurance + patient on every line', () => {
    const fees = [1, 99, 12345, 67890, 250000, 3333];
    const codes = ['D0120', 'D2391', 'D2740', 'D4341', 'D6010', 'D7140'];
    const result = estimate(codes.map((cdtCode, i) => ({ cdtCode, feeCents: fees[i]! })), { annualMaxRemainingCents: 100000 });
    for (const line of result.lines) expect(line.insurancePaysCents + line.patientPaysCents).toBe(line.feeCents);
    expect(result.totals.insurancePaysCents).toBe(result.lines.reduce((s, l) => s + l.insurancePaysCents, 0));
    expect(result.totals.feeCents).toBe(fees.reduce((a, b) => a + b, 0));
    expect(result.remaining.annualMaxCents).toBe(100000 - result.totals.insurancePaysCents);
  });

  it('rejects a well-formed code outside every category with a 400 naming it', () => {
    expect(() => estimateCoverage({ procedures: [{ cdtCode: 'D0050', feeCents: 100 }], coverage })).toThrow(/D0050/);
  });
});

describe('estimateRequestSchema', () => {
  const valid = { procedures: [{ cdtCode: 'D2740', toothNumber: '3', feeCents: 120000 }], coverage };
  it.each([
    ['an empty list', { ...valid, procedures: [] }, 'procedures'],
    ['negative cents', { ...valid, procedures: [{ cdtCode: 'D2740', feeCents: -1 }] }, 'procedures.0.feeCents'],
    ['fractional cents', { ...valid, procedures: [{ cdtCode: 'D2740', feeCents: 10.5 }] }, 'procedures.0.feeCents'],
    ['a percentage above 100', { ...valid, coverage: { ...coverage, basicPct: 101 } }, 'coverage.basicPct'],
    ['a negative percentage', { ...valid, coverage: { ...coverage, majorPct: -5 } }, 'coverage.majorPct'],
    ['an invalid CDT code', { ...valid, procedures: [{ cdtCode: 'D274', feeCents: 1 }] }, 'procedures.0.cdtCode'],
    ['an invalid tooth', { ...valid, procedures: [{ cdtCode: 'D2740', toothNumber: '33', feeCents: 1 }] }, 'procedures.0.toothNumber'],
    ['an extra field', { ...valid, patientName: 'x' }, ''],
    ['a missing coverage', { procedures: valid.procedures }, 'coverage'],
    ['a string fee', { ...valid, procedures: [{ cdtCode: 'D2740', feeCents: '100' }] }, 'procedures.0.feeCents'],
  ])('rejects %s', (_name, body, path) => {
    const result = estimateRequestSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('accepts the issue example', () => {
    expect(estimateRequestSchema.safeParse(valid).success).toBe(true);
  });
});
