/**
 * Request, response and model-output schemas of the clinical task.
 *
 * The requests carry clinical facts only. There is deliberately no field for a patient's name,
 * date of birth, address, phone, email or record number: the model needs none of them, and what
 * is not sent cannot leak into a prompt, a cache key or a log.
 *
 * The model output schemas accept CDT codes and tooth numbers as loose strings on purpose:
 * `functions/domain/dental-codes.ts` then checks them item by item, so one bad code costs one repair or one
 * dropped item with a warning instead of failing the whole answer.
 */
import * as z from '#core/zod';
import { cdtCodeSchema, toothNumberSchema } from '../domain/dental-codes';

const NO_IDENTIFIERS =
  'Do not send patient identifiers (name, date of birth, address, phone, email, record or insurance member numbers): the request has no field for them, and free-text fields must not contain them.';

const shortText = (max: number) => z.string().trim().min(1).max(max);

export const URGENCIES = ['routine', 'soon', 'urgent', 'emergency'] as const;
export const urgencySchema = z
  .enum(URGENCIES)
  .describe('routine: next regular visit; soon: within weeks; urgent: within days; emergency: today');

export const medicalHistorySchema = z
  .object({
    allergies: z.array(shortText(200)).max(50).optional().describe('e.g. "penicillin", "latex"'),
    conditions: z.array(shortText(200)).max(50).optional().describe('e.g. "type 2 diabetes", "anticoagulated (atrial fibrillation)"'),
    medications: z.array(shortText(200)).max(50).optional().describe('e.g. "warfarin 5 mg daily"'),
  })
  .strict()
  .meta({ id: 'MedicalHistory', description: 'Relevant medical history. ' + NO_IDENTIFIERS });

export const toothFindingSchema = z
  .object({
    toothNumber: toothNumberSchema,
    finding: shortText(1000).describe('Clinical or radiographic finding on this tooth, e.g. "deep distal caries, tender to percussion"'),
  })
  .strict();

// ---------------------------------------------------------------- POST /v1/clinical/diagnoses

export const diagnosesRequestSchema = z
  .object({
    chiefComplaint: shortText(2000).describe("The patient's main complaint in clinical terms"),
    symptoms: z.array(shortText(500)).max(50).optional(),
    toothFindings: z.array(toothFindingSchema).max(64).optional(),
    medicalHistory: medicalHistorySchema.optional(),
    ageYears: z
      .number()
      .int()
      .min(0)
      .max(90)
      .optional()
      .describe('Age in whole years; send 90 for anyone older (ages above 89 are identifiers under HIPAA Safe Harbor)'),
  })
  .strict()
  .meta({ id: 'DiagnosesRequest', description: 'Findings for a differential diagnosis. ' + NO_IDENTIFIERS });

const differentialFields = {
  condition: shortText(200),
  confidence: z.number().min(0).max(1).describe('0–1'),
  rationale: shortText(2000),
};

export const differentialDiagnosisSchema = z
  .object({ ...differentialFields, toothNumbers: z.array(toothNumberSchema).max(32) })
  .strict()
  .meta({ id: 'DifferentialDiagnosis' });

export const warningsSchema = z
  .array(z.string().max(500))
  .max(100)
  .describe('What the gateway changed in the model answer (e.g. an item dropped for an invalid CDT code or tooth number)');

export const diagnosesResponseSchema = z
  .object({
    differentialDiagnoses: z.array(differentialDiagnosisSchema).max(10).describe('Most likely first'),
    recommendedTests: z.array(shortText(300)).max(20).describe('e.g. "cold test on #19", "periapical radiograph of #19"'),
    urgency: urgencySchema,
    warnings: warningsSchema,
  })
  .strict()
  .meta({ id: 'DiagnosesResponse', description: 'Decision support for the dentist, not a diagnosis' });

/** What the model must return for `clinical.diagnoses` (tooth numbers checked afterwards). */
export const diagnosesModelOutputSchema = z
  .object({
    differentialDiagnoses: z
      .array(
        z
          .object({ ...differentialFields, toothNumbers: z.array(z.union([z.string().max(12), z.number()])).max(32) })
          .strict(),
      )
      .min(1)
      .max(10),
    recommendedTests: z.array(shortText(300)).max(20),
    urgency: urgencySchema,
  })
  .strict()
  .meta({ id: 'ClinicalDiagnosesModelOutput', description: 'Model output for clinical.diagnoses' });

// ---------------------------------------------------------------- POST /v1/clinical/treatment-plans

export const treatmentPlanRequestSchema = z
  .object({
    diagnoses: z
      .array(
        z
          .object({
            condition: shortText(200),
            toothNumbers: z.array(toothNumberSchema).max(32).optional(),
            notes: shortText(1000).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(20),
    medicalHistory: medicalHistorySchema.optional(),
    ageYears: z.number().int().min(0).max(90).optional().describe('Age in whole years; 90 for anyone older'),
    preferences: shortText(1000).optional().describe('Constraints to respect, e.g. "prefers to keep natural teeth", "limited budget"'),
  })
  .strict()
  .meta({ id: 'TreatmentPlanRequest', description: 'Diagnoses to plan treatment for. ' + NO_IDENTIFIERS });

const procedureFields = {
  description: shortText(300),
  rationale: shortText(1000),
  urgency: urgencySchema,
};

export const plannedProcedureSchema = z
  .object({ cdtCode: cdtCodeSchema, toothNumber: toothNumberSchema.nullable().describe('null when not tooth-specific'), ...procedureFields })
  .strict()
  .meta({ id: 'PlannedProcedure' });

const phaseFields = {
  phase: z.number().int().min(1).max(10).describe('1 = first; urgent and disease-control work comes first'),
  title: shortText(200).describe('e.g. "Urgent care", "Disease control", "Restorative", "Maintenance"'),
};

const alternativeFields = {
  description: shortText(1000),
};

export const treatmentPlanResponseSchema = z
  .object({
    phases: z.array(z.object({ ...phaseFields, procedures: z.array(plannedProcedureSchema).min(1).max(40) }).strict()).max(10),
    alternatives: z.array(z.object({ ...alternativeFields, cdtCodes: z.array(cdtCodeSchema).max(20) }).strict()).max(10),
    warnings: warningsSchema,
  })
  .strict()
  .meta({ id: 'TreatmentPlanResponse', description: 'Phased plan for the dentist to review' });

/** What the model must return for `clinical.treatment-plan` (codes and teeth checked afterwards). */
export const treatmentPlanModelOutputSchema = z
  .object({
    phases: z
      .array(
        z
          .object({
            ...phaseFields,
            procedures: z
              .array(
                z
                  .object({
                    cdtCode: z.string().max(12),
                    toothNumber: z.union([z.string().max(12), z.number()]).nullable(),
                    ...procedureFields,
                  })
                  .strict(),
              )
              .min(1)
              .max(40),
          })
          .strict(),
      )
      .min(1)
      .max(10),
    alternatives: z.array(z.object({ ...alternativeFields, cdtCodes: z.array(z.string().max(12)).max(20) }).strict()).max(10),
  })
  .strict()
  .meta({ id: 'ClinicalTreatmentPlanModelOutput', description: 'Model output for clinical.treatment-plan' });

export type Urgency = z.infer<typeof urgencySchema>;
export type DiagnosesRequest = z.infer<typeof diagnosesRequestSchema>;
export type DiagnosesResponse = z.infer<typeof diagnosesResponseSchema>;
export type DiagnosesModelOutput = z.infer<typeof diagnosesModelOutputSchema>;
export type TreatmentPlanRequest = z.infer<typeof treatmentPlanRequestSchema>;
export type TreatmentPlanResponse = z.infer<typeof treatmentPlanResponseSchema>;
export type TreatmentPlanModelOutput = z.infer<typeof treatmentPlanModelOutputSchema>;
