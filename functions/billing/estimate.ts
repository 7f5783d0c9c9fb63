/**
 * Insurance estimates: plain integer arithmetic in cents, no AI and no floating point, so the
 * same request always gives the same cents and the lines always add up to the totals.
 */
import { BadRequestError } from '#core/errors';
import type { EstimateLine, EstimateRequest, EstimateResponse, ProcedureCategory } from './schemas';

/** Code ranges (inclusive, on the four digits) of each category; anything else is rejected. */
const CATEGORY_RANGES: ReadonlyArray<readonly [number, number, ProcedureCategory]> = [
  [100, 1999, 'preventive'],
  [2000, 2699, 'basic'],
  [2700, 2999, 'major'],
  [3000, 4999, 'basic'],
  [5000, 6999, 'major'],
  [7000, 7999, 'basic'],
  [8000, 8999, 'ortho'],
  [9000, 9999, 'basic'],
];

/** The benefit category of a CDT code; a code outside every range is a 400 that names it. */
export function categoryOf(cdtCode: string): ProcedureCategory {
  const match = /^D(\d{4})$/.exec(cdtCode);
  if (match) {
    const number = Number(match[1]);
    for (const [from, to, category] of CATEGORY_RANGES) {
      if (number >= from && number <= to) return category;
    }
  }
  throw new BadRequestError(`CDT code ${JSON.stringify(cdtCode)} has no benefit category: estimates cover D0100–D9999`);
}

/** round-half-up(amount × pct / 100) for non-negative integers, in integer arithmetic only. */
export function percentOfCents(amountCents: number, pct: number): number {
  const product = amountCents * pct;
  const whole = Math.floor(product / 100);
  return product % 100 >= 50 ? whole + 1 : whole;
}

/**
 * Splits each procedure's fee between the plan and the patient, in the order given:
 * the deductible is taken first on non-preventive lines (up to what remains), the plan pays its
 * percentage of the rest (rounded half up), capped by the annual maximum still remaining, and
 * the patient pays the difference. Expects a request that passed `estimateRequestSchema`.
 */
export function estimateCoverage(request: EstimateRequest): EstimateResponse {
  const { coverage } = request;
  const pctByCategory: Record<ProcedureCategory, number> = {
    preventive: coverage.preventivePct,
    basic: coverage.basicPct,
    major: coverage.majorPct,
    ortho: coverage.orthoPct,
  };
  let deductibleLeft = coverage.deductibleRemainingCents;
  let annualMaxLeft = coverage.annualMaxRemainingCents;

  const lines: EstimateLine[] = request.procedures.map((procedure) => {
    const category = categoryOf(procedure.cdtCode);
    const deductibleAppliedCents = category === 'preventive' ? 0 : Math.min(deductibleLeft, procedure.feeCents);
    deductibleLeft -= deductibleAppliedCents;
    const insurancePaysCents = Math.min(percentOfCents(procedure.feeCents - deductibleAppliedCents, pctByCategory[category]), annualMaxLeft);
    annualMaxLeft -= insurancePaysCents;
    return {
      cdtCode: procedure.cdtCode,
      ...(procedure.toothNumber === undefined ? {} : { toothNumber: procedure.toothNumber }),
      category,
      feeCents: procedure.feeCents,
      deductibleAppliedCents,
      insurancePaysCents,
      patientPaysCents: procedure.feeCents - insurancePaysCents,
    };
  });

  const sum = (pick: (line: EstimateLine) => number) => lines.reduce((total, line) => total + pick(line), 0);
  return {
    lines,
    totals: {
      feeCents: sum((l) => l.feeCents),
      deductibleAppliedCents: sum((l) => l.deductibleAppliedCents),
      insurancePaysCents: sum((l) => l.insurancePaysCents),
      patientPaysCents: sum((l) => l.patientPaysCents),
    },
    remaining: { deductibleCents: deductibleLeft, annualMaxCents: annualMaxLeft },
  };
}
