import { BadRequestError } from '#core/errors';
import { categoryOf, estimateCoverage, percentOfCents, resolveCategory } from '../../../functions/billing/estimate';
import {
  CATEGORIES,
  estimateRequestSchema,
  estimateResponseSchema,
  type CategoryOverride,
  type Coverage,
  type EstimateRequest,
} from '../../../functions/billing/schemas';

const coverage: Coverage = {
  preventivePct: 100,
  basicPct: 80,
  majorPct: 50,
  orthoPct: 0,
  deductibleRemainingCents: 5000,
  annualMaxRemainingCents: 150000,
};

function estimate(procedures: EstimateRequest['procedures'], overrides: Partial<Coverage> = {}, categoryOverrides?: CategoryOverride[]) {
  const request = estimateRequestSchema.parse({ procedures, coverage: { ...coverage, ...overrides }, ...(categoryOverrides ? { categoryOverrides } : {}) });
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
    ['D2140', 'basic'],
    ['D2391', 'basic'],
    ['D2399', 'basic'],
    ['D2400', 'major'],
    // Inlays and onlays, metallic, porcelain/ceramic and resin: major.
    ['D2510', 'major'],
    ['D2544', 'major'],
    ['D2610', 'major'],
    ['D2664', 'major'],
    ['D2700', 'major'],
    ['D2740', 'major'],
    ['D2799', 'major'],
    ['D2909', 'major'],
    // Recementation and re-bonding, fragment reattachment: basic.
    ['D2910', 'basic'],
    ['D2915', 'basic'],
    ['D2920', 'basic'],
    ['D2921', 'basic'],
    ['D2922', 'major'],
    // Prefabricated crowns: basic.
    ['D2927', 'major'],
    ['D2928', 'basic'],
    ['D2929', 'basic'],
    ['D2930', 'basic'],
    ['D2934', 'basic'],
    ['D2935', 'major'],
    // Protective and interim therapeutic restorations: basic.
    ['D2940', 'basic'],
    ['D2941', 'basic'],
    // Build-ups, posts and cores: major; pin retention: basic.
    ['D2949', 'major'],
    ['D2950', 'major'],
    ['D2951', 'basic'],
    ['D2952', 'major'],
    ['D2953', 'major'],
    ['D2954', 'major'],
    ['D2957', 'major'],
    ['D2962', 'major'],
    ['D2989', 'major'],
    ['D2990', 'basic'],
    ['D2991', 'major'],
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

  it('gives every code from D0100 to D9999 a category', () => {
    const uncategorised: string[] = [];
    for (let n = 100; n <= 9999; n++) {
      const code = `D${String(n).padStart(4, '0')}`;
      if (!CATEGORIES.includes(categoryOf(code))) uncategorised.push(code);
    }
    expect(uncategorised).toEqual([]);
  });
});

describe('resolveCategory', () => {
  const overrides: CategoryOverride[] = [
    { from: 'D2510', to: 'D2664', category: 'basic' },
    { cdtCode: 'D2610', category: 'major' },
    { cdtCode: 'D2740', category: 'basic' },
  ];
  it.each([
    ['D2510', 'basic'], // first code of the range
    ['D2664', 'basic'], // last code of the range
    ['D2610', 'major'], // a code override beats the range containing it, whatever the order
    ['D2740', 'basic'], // a code override on its own
    ['D2509', 'major'], // just outside the range: the default
    ['D2665', 'major'],
    ['D2391', 'basic'],
    ['D0120', 'preventive'],
  ])('%s is %s under the overrides', (code, category) => {
    expect(resolveCategory(code, overrides)).toBe(category);
  });

  it('uses the default table without overrides', () => {
    expect(resolveCategory('D2610')).toBe('major');
    expect(resolveCategory('D2610', [])).toBe('major');
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

type Row = [category: string, deductible: number, insurance: number, patient: number];
const rows = (result: ReturnType<typeof estimateCoverage>): Row[] =>
  result.lines.map((l) => [l.category, l.deductibleAppliedCents, l.insurancePaysCents, l.patientPaysCents]);

// One worked example per rule, in the order the README lists them, each to the cent.
describe('rule 1: category resolution', () => {
  it('prices an inlay as major by default', () => {
    // D2610 porcelain inlay: 5,000 deductible, then (95,000 − 5,000) × 50 % = 45,000.
    expect(rows(estimate([{ cdtCode: 'D2610', feeCents: 95000 }]))).toEqual([['major', 5000, 45000, 50000]]);
  });

  it('prices build-ups and crowns as major and recementation as basic', () => {
    const result = estimate(
      [
        { cdtCode: 'D2950', toothNumber: '3', feeCents: 30000 },
        { cdtCode: 'D2740', toothNumber: '3', feeCents: 120000 },
        { cdtCode: 'D2920', toothNumber: '14', feeCents: 12000 },
      ],
      { deductibleRemainingCents: 0 },
    );
    // 30,000 × 50 % = 15,000; 120,000 × 50 % = 60,000; 12,000 × 80 % = 9,600.
    expect(rows(result)).toEqual([
      ['major', 0, 15000, 15000],
      ['major', 0, 60000, 60000],
      ['basic', 0, 9600, 2400],
    ]);
  });

  it('applies a range override: inlays paid as basic', () => {
    const result = estimate([{ cdtCode: 'D2610', feeCents: 95000 }], {}, [{ from: 'D2510', to: 'D2664', category: 'basic' }]);
    // (95,000 − 5,000) × 80 % = 72,000.
    expect(rows(result)).toEqual([['basic', 5000, 72000, 23000]]);
    expect(result.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 78000 });
  });

  it('applies a code override, which beats a range containing the code', () => {
    const result = estimate(
      [
        { cdtCode: 'D2740', feeCents: 120000 },
        { cdtCode: 'D2750', feeCents: 110000 },
      ],
      { deductibleRemainingCents: 0 },
      [
        { from: 'D2700', to: 'D2799', category: 'basic' },
        { cdtCode: 'D2750', category: 'major' },
      ],
    );
    // 120,000 × 80 % = 96,000; 110,000 × 50 % = 55,000 (capped by 150,000 − 96,000 = 54,000).
    expect(rows(result)).toEqual([
      ['basic', 0, 96000, 24000],
      ['major', 0, 54000, 56000],
    ]);
  });

  it('takes every following rule from the overridden category: ortho paid as basic', () => {
    const result = estimate([{ cdtCode: 'D8080', feeCents: 100000 }], {}, [{ cdtCode: 'D8080', category: 'basic' }]);
    // Basic lines take the deductible and draw on the annual maximum: (100,000 − 5,000) × 80 % = 76,000.
    expect(rows(result)).toEqual([['basic', 5000, 76000, 24000]]);
    expect(result.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 74000 });
  });
});

describe('rule 2: coverage percentage of the category', () => {
  it('pays each category its own percentage', () => {
    const result = estimate(
      [
        { cdtCode: 'D1110', feeCents: 9500 },
        { cdtCode: 'D2391', feeCents: 18000 },
        { cdtCode: 'D2740', feeCents: 120000 },
        { cdtCode: 'D8080', feeCents: 500000 },
      ],
      { deductibleRemainingCents: 0, orthoPct: 40, orthoLifetimeMaxRemainingCents: 1_000_000 },
    );
    expect(rows(result)).toEqual([
      ['preventive', 0, 9500, 0], // 100 %
      ['basic', 0, 14400, 3600], // 80 %
      ['major', 0, 60000, 60000], // 50 %
      ['ortho', 0, 200000, 300000], // 40 %
    ]);
  });
});

describe('rule 3: deductible', () => {
  it('is not consumed by a line the plan covers at 0 %; the next covered line takes it', () => {
    const result = estimate(
      [
        { cdtCode: 'D2740', feeCents: 120000 },
        { cdtCode: 'D2391', feeCents: 18000 },
      ],
      { majorPct: 0 },
    );
    // Crown at 0 %: patient pays all, deductible untouched. Filling: 5,000, then 13,000 × 80 % = 10,400.
    expect(rows(result)).toEqual([
      ['major', 0, 0, 120000],
      ['basic', 5000, 10400, 7600],
    ]);
    expect(result.remaining.deductibleCents).toBe(0);
  });

  it('is not taken on ortho lines by default', () => {
    const result = estimate(
      [
        { cdtCode: 'D8080', feeCents: 200000 },
        { cdtCode: 'D2391', feeCents: 18000 },
      ],
      { orthoPct: 50, orthoLifetimeMaxRemainingCents: 150000 },
    );
    // Ortho: 200,000 × 50 % = 100,000, no deductible. Filling: 5,000, then 13,000 × 80 % = 10,400.
    expect(rows(result)).toEqual([
      ['ortho', 0, 100000, 100000],
      ['basic', 5000, 10400, 7600],
    ]);
    expect(result.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 139600, orthoLifetimeMaxCents: 50000 });
  });

  it('is taken on ortho lines when orthoDeductibleApplies', () => {
    const result = estimate([{ cdtCode: 'D8080', feeCents: 200000 }], { orthoPct: 50, orthoLifetimeMaxRemainingCents: 150000, orthoDeductibleApplies: true });
    // 5,000, then (200,000 − 5,000) × 50 % = 97,500.
    expect(rows(result)).toEqual([['ortho', 5000, 97500, 102500]]);
    expect(result.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 150000, orthoLifetimeMaxCents: 52500 });
  });

  it('is not taken on an ortho line at 0 % even when orthoDeductibleApplies', () => {
    const result = estimate([{ cdtCode: 'D8080', feeCents: 200000 }], { orthoPct: 0, orthoDeductibleApplies: true });
    expect(rows(result)).toEqual([['ortho', 0, 0, 200000]]);
    expect(result.remaining).toEqual({ deductibleCents: 5000, annualMaxCents: 150000 });
  });
});

describe('rule 4: annual maximum and ortho lifetime maximum', () => {
  it('keeps ortho off the annual maximum: a filling after an ortho line is still paid', () => {
    const result = estimate(
      [
        { cdtCode: 'D8080', feeCents: 500000 },
        { cdtCode: 'D2391', feeCents: 18000 },
      ],
      { orthoPct: 50, annualMaxRemainingCents: 20000, orthoLifetimeMaxRemainingCents: 150000 },
    );
    // Ortho: 500,000 × 50 % = 250,000, capped by the lifetime maximum at 150,000. Filling: 5,000, then 10,400.
    expect(rows(result)).toEqual([
      ['ortho', 0, 150000, 350000],
      ['basic', 5000, 10400, 7600],
    ]);
    expect(result.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 9600, orthoLifetimeMaxCents: 0 });
  });

  it('lets an ortho line pay more than the annual maximum remaining', () => {
    const result = estimate([{ cdtCode: 'D8080', feeCents: 300000 }], { orthoPct: 50, annualMaxRemainingCents: 10000, orthoLifetimeMaxRemainingCents: 200000 });
    expect(rows(result)).toEqual([['ortho', 0, 150000, 150000]]);
    expect(result.remaining).toEqual({ deductibleCents: 5000, annualMaxCents: 10000, orthoLifetimeMaxCents: 50000 });
  });

  it('pays nothing on ortho once the lifetime maximum is used up, and still pays other lines', () => {
    const result = estimate(
      [
        { cdtCode: 'D8670', feeCents: 30000 },
        { cdtCode: 'D1110', feeCents: 9500 },
      ],
      { orthoPct: 50, orthoLifetimeMaxRemainingCents: 0 },
    );
    expect(rows(result)).toEqual([
      ['ortho', 0, 0, 30000],
      ['preventive', 0, 9500, 0],
    ]);
    expect(result.remaining).toEqual({ deductibleCents: 5000, annualMaxCents: 140500, orthoLifetimeMaxCents: 0 });
  });

  it('refuses with a 400 to guess a missing ortho lifetime maximum when ortho is covered', () => {
    const request = estimateRequestSchema.parse({
      procedures: [
        { cdtCode: 'D0120', feeCents: 6000 },
        { cdtCode: 'D8080', feeCents: 500000 },
      ],
      coverage: { ...coverage, orthoPct: 50 },
    });
    expect(() => estimateCoverage(request)).toThrow(BadRequestError);
    expect(() => estimateCoverage(request)).toThrow(/coverage\.orthoLifetimeMaxRemainingCents is required to price orthodontic procedure 1 at orthoPct 50/);
  });

  it('asks for the ortho maximum when an override makes a line ortho', () => {
    const request = estimateRequestSchema.parse({
      procedures: [{ cdtCode: 'D2740', feeCents: 1000 }],
      coverage: { ...coverage, orthoPct: 50 },
      categoryOverrides: [{ cdtCode: 'D2740', category: 'ortho' }],
    });
    expect(() => estimateCoverage(request)).toThrow(/orthoLifetimeMaxRemainingCents/);
  });

  it('needs no ortho maximum when ortho is not covered or no line is ortho', () => {
    const uncovered = estimate([{ cdtCode: 'D8080', feeCents: 500000 }], { orthoPct: 0 });
    expect(rows(uncovered)).toEqual([['ortho', 0, 0, 500000]]);
    expect(uncovered.remaining).toEqual({ deductibleCents: 5000, annualMaxCents: 150000 });
    const noOrtho = estimate([{ cdtCode: 'D2391', feeCents: 18000 }], { orthoPct: 50 });
    expect(rows(noOrtho)).toEqual([['basic', 5000, 10400, 7600]]);
  });
});

describe('rule 5: patient share and rounding', () => {
  it('rounds the plan share half up and gives the patient the rest, on ortho lines too', () => {
    // 100,001 × 50 % = 50,000.5 → 50,001; the patient pays 100,001 − 50,001 = 50,000.
    const result = estimate([{ cdtCode: 'D8080', feeCents: 100001 }], { orthoPct: 50, orthoLifetimeMaxRemainingCents: 1_000_000 });
    expect(rows(result)).toEqual([['ortho', 0, 50001, 50000]]);
  });
});

describe('the README worked example', () => {
  it('prices an exam, a crown in a major waiting period, braces, a build-up paid as basic and a filling, to the cent', () => {
    const request = estimateRequestSchema.parse({
      procedures: [
        { cdtCode: 'D0120', feeCents: 6000 },
        { cdtCode: 'D2740', toothNumber: '3', feeCents: 120000 },
        { cdtCode: 'D8080', feeCents: 500000 },
        { cdtCode: 'D2950', toothNumber: '3', feeCents: 25001 },
        { cdtCode: 'D2391', toothNumber: '30', feeCents: 18003 },
      ],
      coverage: {
        preventivePct: 100,
        basicPct: 80,
        majorPct: 0,
        orthoPct: 50,
        deductibleRemainingCents: 5000,
        annualMaxRemainingCents: 30000,
        orthoLifetimeMaxRemainingCents: 150000,
      },
      categoryOverrides: [{ cdtCode: 'D2950', category: 'basic' }],
    });
    const result = estimateCoverage(request);
    expect(rows(result)).toEqual([
      ['preventive', 0, 6000, 0],
      ['major', 0, 0, 120000],
      ['ortho', 0, 150000, 350000],
      ['basic', 5000, 16001, 9000],
      ['basic', 0, 7999, 10004],
    ]);
    expect(result.totals).toEqual({ feeCents: 669004, deductibleAppliedCents: 5000, insurancePaysCents: 180000, patientPaysCents: 489004 });
    expect(result.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 0, orthoLifetimeMaxCents: 0 });
  });
});

describe('categoryOverrides validation', () => {
  const valid = { procedures: [{ cdtCode: 'D2740', feeCents: 120000 }], coverage };
  it.each([
    ['a bad code', [{ cdtCode: 'D27', category: 'basic' }], 'categoryOverrides.0.cdtCode', 'must be a CDT code: D and four digits, e.g. D2740'],
    ['a code below D0100', [{ cdtCode: 'D0050', category: 'basic' }], 'categoryOverrides.0.cdtCode', 'must be within D0100–D9999, the codes an estimate can price'],
    ['from after to', [{ from: 'D2664', to: 'D2510', category: 'basic' }], 'categoryOverrides.0.from', 'from D2664 is after to D2510'],
    ['an unknown category', [{ cdtCode: 'D2740', category: 'cosmetic' }], 'categoryOverrides.0.category', 'must be one of preventive, basic, major, ortho'],
    ['a range without to', [{ from: 'D2510', category: 'basic' }], 'categoryOverrides.0.to', 'a range needs to as well as from'],
    ['a range without from', [{ to: 'D2510', category: 'basic' }], 'categoryOverrides.0.from', 'a range needs from as well as to'],
    ['neither code nor range', [{ category: 'basic' }], 'categoryOverrides.0.cdtCode', 'give cdtCode, or from and to'],
    ['both code and range', [{ cdtCode: 'D2740', from: 'D2510', to: 'D2664', category: 'basic' }], 'categoryOverrides.0.cdtCode', 'give either cdtCode or from and to, not both'],
    [
      'the same code twice',
      [
        { cdtCode: 'D2740', category: 'basic' },
        { cdtCode: 'D2740', category: 'major' },
      ],
      'categoryOverrides.1.cdtCode',
      'D2740 is already overridden at categoryOverrides.0',
    ],
    [
      'overlapping ranges',
      [
        { from: 'D2510', to: 'D2664', category: 'basic' },
        { from: 'D2600', to: 'D2700', category: 'major' },
      ],
      'categoryOverrides.1.from',
      'D2600–D2700 overlaps D2510–D2664 at categoryOverrides.0',
    ],
    ['an extra field', [{ cdtCode: 'D2740', category: 'basic', pct: 80 }], 'categoryOverrides.0', 'Unrecognized key: "pct"'],
  ])('rejects %s', (_name, categoryOverrides, path, message) => {
    const result = estimateRequestSchema.safeParse({ ...valid, categoryOverrides });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))).toEqual([{ path, message }]);
  });

  it('accepts the task example: one code and one range', () => {
    const categoryOverrides = [
      { cdtCode: 'D2740', category: 'basic' },
      { from: 'D2510', to: 'D2664', category: 'basic' },
    ];
    expect(estimateRequestSchema.safeParse({ ...valid, categoryOverrides }).success).toBe(true);
  });

  it('accepts a code override inside a range, and adjacent ranges', () => {
    const categoryOverrides = [
      { from: 'D2510', to: 'D2664', category: 'basic' },
      { from: 'D2665', to: 'D2699', category: 'major' },
      { cdtCode: 'D2610', category: 'major' },
    ];
    expect(estimateRequestSchema.safeParse({ ...valid, categoryOverrides }).success).toBe(true);
  });

  it('rejects more than 100 overrides', () => {
    const categoryOverrides = Array.from({ length: 101 }, (_, i) => ({ cdtCode: `D${3000 + i}`, category: 'basic' }));
    expect(estimateRequestSchema.safeParse({ ...valid, categoryOverrides }).error!.issues[0]!.path).toEqual(['categoryOverrides']);
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
