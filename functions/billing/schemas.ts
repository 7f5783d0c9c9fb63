/**
 * Request, response and model-output schemas of the billing task. All money is integer cents.
 */
import * as z from '#core/zod';
import { cdtCodeSchema, toothNumberSchema } from '../domain/dental-codes';
import { FIRST_CODE, LAST_CODE, codeNumber, overrideRange } from './categories';

/** Ceiling per fee: $1,000,000 keeps every product of cents and percent far inside 2^53. */
export const MAX_FEE_CENTS = 100_000_000;
export const MAX_PROCEDURES = 100;
export const MAX_OVERRIDES = 100;

const cents = (description: string) =>
  z.number().check(z.int('must be whole cents'), z.gte(0, 'must not be negative'), z.lte(MAX_FEE_CENTS), z.describe(description));
const percent = (description: string) => z.number().check(z.int('must be a whole percentage'), z.gte(0), z.lte(100), z.describe(description));

export const CATEGORIES = ['preventive', 'basic', 'major', 'ortho'] as const;
export const procedureCategorySchema = z.enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` }).check(z.describe('By default D0100–D1999 preventive; D2000–D2399, D2910–D2921, D2928–D2934, D2940–D2941, D2951, D2990, D3000–D4999, D7000–D7999, D9000–D9999 basic; the rest of D2400–D2999 (inlays, onlays, crowns, build-ups, posts and cores) and D5000–D6999 major; D8000–D8999 ortho. categoryOverrides change this per request'));

export const coverageSchema = z.strictObject({
  preventivePct: percent('Share the plan pays on preventive lines, 0–100'),
  basicPct: percent('Share the plan pays on basic lines, 0–100'),
  majorPct: percent('Share the plan pays on major lines, 0–100'),
  orthoPct: percent('Share the plan pays on orthodontic lines, 0–100'),
  deductibleRemainingCents: cents('Deductible still to be met this benefit year'),
  annualMaxRemainingCents: cents('Annual maximum the plan will still pay this benefit year (on every line except orthodontic ones)'),
  orthoLifetimeMaxRemainingCents: z.optional(cents(
    'Orthodontic lifetime maximum the plan will still pay; orthodontic lines draw on this instead of the annual maximum. Required when orthoPct > 0 and a line is orthodontic (the estimate does not guess it)',
  )),
  orthoDeductibleApplies: z.optional(z.boolean()).check(z.describe('Whether orthodontic lines take the deductible; default false, as on most plans')),
}).check(z.meta({ id: 'Coverage', description: "The patient's plan as the practice knows it; no member id or name" }));

// A malformed code already fails cdtCodeSchema's own message; this one is only about the range.
const priceable = (code: string) => {
  const number = codeNumber(code);
  return number === undefined || (number >= FIRST_CODE && number <= LAST_CODE);
};
const overrideCode = (description: string) =>
  cdtCodeSchema.check(z.refine(priceable, 'must be within D0100–D9999, the codes an estimate can price'), z.describe(description));

export const categoryOverrideSchema = z.strictObject({
  cdtCode: z.optional(overrideCode('One code to put in another category')),
  from: z.optional(overrideCode('First code of a range (inclusive), with to')),
  to: z.optional(overrideCode('Last code of a range (inclusive), with from')),
  category: procedureCategorySchema.check(z.describe('The category these codes get instead of their default')),
}).check(z.superRefine(({ cdtCode, from, to }, ctx) => {
  const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const hasRange = from !== undefined || to !== undefined;
  if (cdtCode !== undefined) {
    if (hasRange) problem('cdtCode', 'give either cdtCode or from and to, not both');
  } else if (from === undefined && to === undefined) problem('cdtCode', 'give cdtCode, or from and to');
  else if (from === undefined) problem('from', 'a range needs from as well as to');
  else if (to === undefined) problem('to', 'a range needs to as well as from');
  else {
    // A malformed end already carries cdtCodeSchema's message.
    const [first, last] = [codeNumber(from), codeNumber(to)];
    if (first !== undefined && last !== undefined && first > last) problem('from', `from ${from} is after to ${to}`);
  }
}), z.meta({ id: 'CategoryOverride', description: 'Puts one CDT code (cdtCode) or an inclusive range (from, to) in another benefit category for this request' }));

/** At most one override per code and no overlapping ranges, so which override applies never depends on their order. */
export const categoryOverridesSchema = z.array(categoryOverrideSchema).check(z.maxLength(MAX_OVERRIDES), z.superRefine((overrides, ctx) => {
    overrides.forEach((override, index) => {
      const earlier = overrides.slice(0, index);
      const range = overrideRange(override);
      if (override.cdtCode !== undefined) {
        const twin = earlier.findIndex((o) => o.cdtCode === override.cdtCode);
        if (twin >= 0) ctx.addIssue({ code: 'custom', path: [index, 'cdtCode'], message: `${override.cdtCode} is already overridden at categoryOverrides.${twin}` });
      } else if (range !== undefined) {
        const overlap = earlier.findIndex((o) => {
          const other = overrideRange(o);
          return other !== undefined && other[0] <= range[1] && range[0] <= other[1];
        });
        if (overlap >= 0) {
          const other = overrides[overlap]!;
          ctx.addIssue({ code: 'custom', path: [index, 'from'], message: `${override.from}–${override.to} overlaps ${other.from}–${other.to} at categoryOverrides.${overlap}` });
        }
      }
    });
  }), z.describe('Optional per-plan categories: a cdtCode entry beats a range containing that code; ranges must not overlap; other codes keep the default category'));

// ---------------------------------------------------------------- POST /v1/billing/estimates

export const estimateRequestSchema = z.strictObject({
  procedures: z.array(
      z.strictObject({
        cdtCode: cdtCodeSchema,
        toothNumber: z.optional(toothNumberSchema),
        feeCents: cents("The practice's fee for this procedure"),
      }),
    ).check(z.minLength(1, 'at least one procedure is needed'), z.maxLength(MAX_PROCEDURES), z.describe('Processed in the order given: the deductible and the maximums are used up line by line')),
  coverage: coverageSchema,
  categoryOverrides: z.optional(categoryOverridesSchema),
}).check(z.meta({ id: 'EstimateRequest', description: 'Procedures and coverage for an insurance estimate (plain arithmetic, no AI)' }));

export const estimateLineSchema = z.strictObject({
  cdtCode: cdtCodeSchema,
  toothNumber: z.optional(toothNumberSchema),
  category: procedureCategorySchema,
  feeCents: z.number().check(z.int()),
  deductibleAppliedCents: z.number().check(z.int()),
  insurancePaysCents: z.number().check(z.int()),
  patientPaysCents: z.number().check(z.int()),
}).check(z.meta({ id: 'EstimateLine' }));

export const estimateResponseSchema = z.strictObject({
  lines: z.array(estimateLineSchema),
  totals: z.strictObject({
    feeCents: z.number().check(z.int()),
    deductibleAppliedCents: z.number().check(z.int()),
    insurancePaysCents: z.number().check(z.int()),
    patientPaysCents: z.number().check(z.int()),
  }),
  remaining: z.strictObject({
    deductibleCents: z.number().check(z.int(), z.describe('Deductible still to be met after these procedures')),
    annualMaxCents: z.number().check(z.int(), z.describe('Annual maximum left after these procedures')),
    orthoLifetimeMaxCents: z.optional(z.number().check(z.int())).check(z.describe('Orthodontic lifetime maximum left after these procedures; present when the coverage gave it')),
  }),
}).check(z.meta({ id: 'EstimateResponse', description: 'Per-line and total shares, exact to the cent' }));

// ---------------------------------------------------------------- POST /v1/billing/claims

export const claimRequestSchema = z.strictObject({
  clinicalNotes: z.string().check(z.trim(), z.minLength(1), z.maxLength(8000), z.describe('Clinical notes supporting the claim. Leave out patient identifiers (name, date of birth, member id): the narrative does not need them')),
  procedures: z.array(
      z.strictObject({
        cdtCode: z.optional(cdtCodeSchema).check(z.describe('Leave out to have a code suggested')),
        toothNumber: z.optional(toothNumberSchema),
        description: z.string().check(z.trim(), z.minLength(1), z.maxLength(300)),
        feeCents: cents("The practice's fee for this procedure"),
      }),
    ).check(z.minLength(1), z.maxLength(50)),
  coverage: coverageSchema,
  categoryOverrides: z.optional(categoryOverridesSchema),
}).check(z.meta({ id: 'ClaimRequest', description: 'Notes and procedures for a claim: code suggestions, a narrative and an estimate' }));

const suggestionFields = {
  procedureIndex: z.number().check(z.int(), z.gte(0), z.lte(49), z.describe('Index into the request procedures')),
  rationale: z.string().check(z.trim(), z.minLength(1), z.maxLength(1000)),
};

export const claimResponseSchema = z.strictObject({
  suggestedCodes: z.array(z.strictObject({ ...suggestionFields, cdtCode: cdtCodeSchema })).check(z.maxLength(50)),
  narrative: z.nullable(z.string().check(z.maxLength(4000))).check(z.describe('Claim narrative when a procedure usually needs one (crowns D27xx, scaling and root planing D4341/D4342, extractions D7xxx); null otherwise')),
  estimate: z.nullable(estimateResponseSchema).check(z.describe('null when a procedure still has no valid code, or a suggested orthodontic code needs coverage.orthoLifetimeMaxRemainingCents (see warnings)')),
  warnings: z.array(z.string().check(z.maxLength(500))).check(z.maxLength(100)),
}).check(z.meta({ id: 'ClaimResponse' }));

/** What the model must return for `billing.claim` (codes checked afterwards with dental-codes.ts). */
export const claimModelOutputSchema = z.strictObject({
  suggestedCodes: z.array(z.strictObject({ ...suggestionFields, cdtCode: z.string().check(z.maxLength(12)) })).check(z.maxLength(50)),
  narrative: z.nullable(z.string().check(z.maxLength(4000))),
}).check(z.meta({ id: 'BillingClaimModelOutput', description: 'Model output for billing.claim' }));

export type ProcedureCategory = z.infer<typeof procedureCategorySchema>;
export type Coverage = z.infer<typeof coverageSchema>;
export type CategoryOverride = z.infer<typeof categoryOverrideSchema>;
export type EstimateRequest = z.infer<typeof estimateRequestSchema>;
export type EstimateLine = z.infer<typeof estimateLineSchema>;
export type EstimateResponse = z.infer<typeof estimateResponseSchema>;
export type ClaimRequest = z.infer<typeof claimRequestSchema>;
export type ClaimResponse = z.infer<typeof claimResponseSchema>;
export type ClaimModelOutput = z.infer<typeof claimModelOutputSchema>;
