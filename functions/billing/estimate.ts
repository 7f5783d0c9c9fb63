/**
 * Insurance estimates: plain integer arithmetic in cents, no AI and no floating point, so the
 * same request always gives the same cents and the lines always add up to the totals.
 * The rules, in the order they apply, are listed in the README (Billing estimates).
 */
import { BadRequestError } from '#core/errors';
import { resolveCategory } from './categories';
import type { Coverage, EstimateLine, EstimateRequest, EstimateResponse, ProcedureCategory } from './schemas';

export { categoryOf, resolveCategory } from './categories';

/** round-half-up(amount × pct / 100) for non-negative integers, in integer arithmetic only. */
export function percentOfCents(amountCents: number, pct: number): number {
  const product = amountCents * pct;
  const whole = Math.floor(product / 100);
  return product % 100 >= 50 ? whole + 1 : whole;
}

/**
 * Why these lines cannot be priced with this coverage, or undefined when they can: a covered
 * orthodontic line needs the ortho lifetime maximum, which the estimate will not guess (any
 * guess would overstate or understate the plan's share).
 */
export function unpriceableReason(categories: ReadonlyArray<ProcedureCategory | undefined>, coverage: Coverage): string | undefined {
  if (coverage.orthoPct === 0 || coverage.orthoLifetimeMaxRemainingCents !== undefined) return undefined;
  const ortho = categories.flatMap((category, index) => (category === 'ortho' ? [index] : []));
  if (ortho.length === 0) return undefined;
  return `coverage.orthoLifetimeMaxRemainingCents is required to price orthodontic procedure ${ortho.join(', ')} at orthoPct ${coverage.orthoPct}: orthodontics has its own lifetime maximum and does not draw on the annual maximum`;
}

/**
 * Splits each procedure's fee between the plan and the patient, line by line in the order given:
 * category (overrides, then the default table) → coverage % of that category → deductible, taken
 * only on a line the plan covers above 0 %, never on preventive lines and on ortho lines only when
 * the plan says so → the plan's percentage of the rest, rounded half up → capped by the ortho
 * lifetime maximum (ortho lines) or the annual maximum (every other line) still remaining → the
 * patient pays the difference. Expects a request that passed `estimateRequestSchema`.
 */
export function estimateCoverage(request: EstimateRequest): EstimateResponse {
  const { coverage } = request;
  const pctByCategory: Record<ProcedureCategory, number> = {
    preventive: coverage.preventivePct,
    basic: coverage.basicPct,
    major: coverage.majorPct,
    ortho: coverage.orthoPct,
  };
  const categories = request.procedures.map((p) => resolveCategory(p.cdtCode, request.categoryOverrides));
  const reason = unpriceableReason(categories, coverage);
  if (reason !== undefined) throw new BadRequestError(reason);

  let deductibleLeft = coverage.deductibleRemainingCents;
  let annualMaxLeft = coverage.annualMaxRemainingCents;
  // Without a given ortho maximum, orthoPct is 0 or no line is ortho, so nothing draws on it.
  let orthoMaxLeft = coverage.orthoLifetimeMaxRemainingCents ?? 0;

  const lines: EstimateLine[] = request.procedures.map((procedure, index) => {
    const category = categories[index]!;
    const pct = pctByCategory[category];
    const takesDeductible = pct > 0 && category !== 'preventive' && (category !== 'ortho' || coverage.orthoDeductibleApplies === true);
    const deductibleAppliedCents = takesDeductible ? Math.min(deductibleLeft, procedure.feeCents) : 0;
    deductibleLeft -= deductibleAppliedCents;
    const share = percentOfCents(procedure.feeCents - deductibleAppliedCents, pct);
    let insurancePaysCents: number;
    if (category === 'ortho') {
      insurancePaysCents = Math.min(share, orthoMaxLeft);
      orthoMaxLeft -= insurancePaysCents;
    } else {
      insurancePaysCents = Math.min(share, annualMaxLeft);
      annualMaxLeft -= insurancePaysCents;
    }
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
    remaining: {
      deductibleCents: deductibleLeft,
      annualMaxCents: annualMaxLeft,
      ...(coverage.orthoLifetimeMaxRemainingCents === undefined ? {} : { orthoLifetimeMaxCents: orthoMaxLeft }),
    },
  };
}
