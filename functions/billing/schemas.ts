/**
 * Request, response and model-output schemas of the billing task. All money is integer cents.
 */
import * as z from '#core/zod';
import { cdtCodeSchema, toothNumberSchema } from '../clinical/dental-codes';

/** Ceiling per fee: $1,000,000 keeps every product of cents and percent far inside 2^53. */
export const MAX_FEE_CENTS = 100_000_000;
export const MAX_PROCEDURES = 100;

const cents = (description: string) =>
  z.number().int('must be whole cents').min(0, 'must not be negative').max(MAX_FEE_CENTS).describe(description);
const percent = (description: string) => z.number().int('must be a whole percentage').min(0).max(100).describe(description);

export const CATEGORIES = ['preventive', 'basic', 'major', 'ortho'] as const;
export const procedureCategorySchema = z
  .enum(CATEGORIES)
  .describe('D0100–D1999 preventive; D2000–D2699, D3000–D4999, D7000–D7999, D9000–D9999 basic; D2700–D2999, D5000–D6999 major; D8000–D8999 ortho');

export const coverageSchema = z
  .object({
    preventivePct: percent('Share the plan pays on preventive lines, 0–100'),
    basicPct: percent('Share the plan pays on basic lines, 0–100'),
    majorPct: percent('Share the plan pays on major lines, 0–100'),
    orthoPct: percent('Share the plan pays on orthodontic lines, 0–100'),
    deductibleRemainingCents: cents('Deductible still to be met this benefit year'),
    annualMaxRemainingCents: cents('Annual maximum the plan will still pay this benefit year'),
  })
  .strict()
  .meta({ id: 'Coverage', description: "The patient's plan as the practice knows it; no member id or name" });

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
      .describe('Processed in the order given: the deductible and the annual maximum are used up line by line'),
    coverage: coverageSchema,
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
    estimate: estimateResponseSchema.nullable().describe('null when a procedure still has no valid code'),
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
export type EstimateRequest = z.infer<typeof estimateRequestSchema>;
export type EstimateLine = z.infer<typeof estimateLineSchema>;
export type EstimateResponse = z.infer<typeof estimateResponseSchema>;
export type ClaimRequest = z.infer<typeof claimRequestSchema>;
export type ClaimResponse = z.infer<typeof claimResponseSchema>;
export type ClaimModelOutput = z.infer<typeof claimModelOutputSchema>;
