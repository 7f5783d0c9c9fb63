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
  z.number().int('must be whole cents').min(0, 'must not be negative').max(MAX_FEE_CENTS).describe(description);
const percent = (description: string) => z.number().int('must be a whole percentage').min(0).max(100).describe(description);

export const CATEGORIES = ['preventive', 'basic', 'major', 'ortho'] as const;
export const procedureCategorySchema = z
  .enum(CATEGORIES, { error: `must be one of ${CATEGORIES.join(', ')}` })
  .describe(
    'By default D0100–D1999 preventive; D2000–D2399, D2910–D2921, D2928–D2934, D2940–D2941, D2951, D2990, D3000–D4999, D7000–D7999, D9000–D9999 basic; the rest of D2400–D2999 (inlays, onlays, crowns, build-ups, posts and cores) and D5000–D6999 major; D8000–D8999 ortho. categoryOverrides change this per request',
  );

export const coverageSchema = z
  .object({
    preventivePct: percent('Share the plan pays on preventive lines, 0–100'),
    basicPct: percent('Share the plan pays on basic lines, 0–100'),
    majorPct: percent('Share the plan pays on major lines, 0–100'),
    orthoPct: percent('Share the plan pays on orthodontic lines, 0–100'),
    deductibleRemainingCents: cents('Deductible still to be met this benefit year'),
    annualMaxRemainingCents: cents('Annual maximum the plan will still pay this benefit year (on every line except orthodontic ones)'),
    orthoLifetimeMaxRemainingCents: cents(
      'Orthodontic lifetime maximum the plan will still pay; orthodontic lines draw on this instead of the annual maximum. Required when orthoPct > 0 and a line is orthodontic (the estimate does not guess it)',
    ).optional(),
    orthoDeductibleApplies: z
      .boolean()
      .optional()
      .describe('Whether orthodontic lines take the deductible; default false, as on most plans'),
  })
  .strict()
  .meta({ id: 'Coverage', description: "The patient's plan as the practice knows it; no member id or name" });

// A malformed code already fails cdtCodeSchema's own message; this one is only about the range.
const priceable = (code: string) => {
  const number = codeNumber(code);
  return number === undefined || (number >= FIRST_CODE && number <= LAST_CODE);
};
const overrideCode = (description: string) =>
  cdtCodeSchema.refine(priceable, 'must be within D0100–D9999, the codes an estimate can price').describe(description);

export const categoryOverrideSchema = z
  .object({
    cdtCode: overrideCode('One code to put in another category').optional(),
    from: overrideCode('First code of a range (inclusive), with to').optional(),
    to: overrideCode('Last code of a range (inclusive), with from').optional(),
    category: procedureCategorySchema.describe('The category these codes get instead of their default'),
  })
  .strict()
  .superRefine(({ cdtCode, from, to }, ctx) => {
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
  })
  .meta({ id: 'CategoryOverride', description: 'Puts one CDT code (cdtCode) or an inclusive range (from, to) in another benefit category for this request' });

/** At most one override per code and no overlapping ranges, so which override applies never depends on their order. */
export const categoryOverridesSchema = z
  .array(categoryOverrideSchema)
  .max(MAX_OVERRIDES)
  .superRefine((overrides, ctx) => {
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
  })
  .describe('Optional per-plan categories: a cdtCode entry beats a range containing that code; ranges must not overlap; other codes keep the default category');

// ---------------------------------------------------------------- POST /v1/billing/estimates

export const estimateRequestSchema = z
  .object({
    procedures: z
      .array(
        z
          .object({
            cdtCode: cdtCodeSchema,
            toothNumber: toothNumberSchema.optional(),
            feeCents: cents("The practice's fee for this procedure"),
          })
          .strict(),
      )
      .min(1, 'at least one procedure is needed')
      .max(MAX_PROCEDURES)
      .describe('Processed in the order given: the deductible and the maximums are used up line by line'),
    coverage: coverageSchema,
    categoryOverrides: categoryOverridesSchema.optional(),
  })
  .strict()
  .meta({ id: 'EstimateRequest', description: 'Procedures and coverage for an insurance estimate (plain arithmetic, no AI)' });

export const estimateLineSchema = z
  .object({
    cdtCode: cdtCodeSchema,
    toothNumber: toothNumberSchema.optional(),
    category: procedureCategorySchema,
    feeCents: z.number().int(),
    deductibleAppliedCents: z.number().int(),
    insurancePaysCents: z.number().int(),
    patientPaysCents: z.number().int(),
  })
  .strict()
  .meta({ id: 'EstimateLine' });

export const estimateResponseSchema = z
  .object({
    lines: z.array(estimateLineSchema),
    totals: z
      .object({
        feeCents: z.number().int(),
        deductibleAppliedCents: z.number().int(),
        insurancePaysCents: z.number().int(),
        patientPaysCents: z.number().int(),
      })
      .strict(),
    remaining: z
      .object({
        deductibleCents: z.number().int().describe('Deductible still to be met after these procedures'),
        annualMaxCents: z.number().int().describe('Annual maximum left after these procedures'),
        orthoLifetimeMaxCents: z.number().int().optional().describe('Orthodontic lifetime maximum left after these procedures; present when the coverage gave it'),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'EstimateResponse', description: 'Per-line and total shares, exact to the cent' });

// ---------------------------------------------------------------- POST /v1/billing/claims

export const claimRequestSchema = z
  .object({
    clinicalNotes: z
      .string()
      .trim()
      .min(1)
      .max(8000)
      .describe('Clinical notes supporting the claim. Leave out patient identifiers (name, date of birth, member id): the narrative does not need them'),
    procedures: z
      .array(
        z
          .object({
            cdtCode: cdtCodeSchema.optional().describe('Leave out to have a code suggested'),
            toothNumber: toothNumberSchema.optional(),
            description: z.string().trim().min(1).max(300),
            feeCents: cents("The practice's fee for this procedure"),
          })
          .strict(),
      )
      .min(1)
      .max(50),
    coverage: coverageSchema,
    categoryOverrides: categoryOverridesSchema.optional(),
  })
  .strict()
  .meta({ id: 'ClaimRequest', description: 'Notes and procedures for a claim: code suggestions, a narrative and an estimate' });

const suggestionFields = {
  procedureIndex: z.number().int().min(0).max(49).describe('Index into the request procedures'),
  rationale: z.string().trim().min(1).max(1000),
};

export const claimResponseSchema = z
  .object({
    suggestedCodes: z.array(z.object({ ...suggestionFields, cdtCode: cdtCodeSchema }).strict()).max(50),
    narrative: z
      .string()
      .max(4000)
      .nullable()
      .describe('Claim narrative when a procedure usually needs one (crowns D27xx, scaling and root planing D4341/D4342, extractions D7xxx); null otherwise'),
    estimate: estimateResponseSchema
      .nullable()
      .describe('null when a procedure still has no valid code, or a suggested orthodontic code needs coverage.orthoLifetimeMaxRemainingCents (see warnings)'),
    warnings: z.array(z.string().max(500)).max(100),
  })
  .strict()
  .meta({ id: 'ClaimResponse' });

/** What the model must return for `billing.claim` (codes checked afterwards with dental-codes.ts). */
export const claimModelOutputSchema = z
  .object({
    suggestedCodes: z.array(z.object({ ...suggestionFields, cdtCode: z.string().max(12) }).strict()).max(50),
    narrative: z.string().max(4000).nullable(),
  })
  .strict()
  .meta({ id: 'BillingClaimModelOutput', description: 'Model output for billing.claim' });

export type ProcedureCategory = z.infer<typeof procedureCategorySchema>;
export type Coverage = z.infer<typeof coverageSchema>;
export type CategoryOverride = z.infer<typeof categoryOverrideSchema>;
export type EstimateRequest = z.infer<typeof estimateRequestSchema>;
export type EstimateLine = z.infer<typeof estimateLineSchema>;
export type EstimateResponse = z.infer<typeof estimateResponseSchema>;
export type ClaimRequest = z.infer<typeof claimRequestSchema>;
export type ClaimResponse = z.infer<typeof claimResponseSchema>;
export type ClaimModelOutput = z.infer<typeof claimModelOutputSchema>;
