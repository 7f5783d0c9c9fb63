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

const shortText = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));

export const URGENCIES = ['routine', 'soon', 'urgent', 'emergency'] as const;
export const urgencySchema = z.enum(URGENCIES).check(z.describe('routine: next regular visit; soon: within weeks; urgent: within days; emergency: today'));

export const medicalHistorySchema = z.strictObject({
  allergies: z.optional(z.array(shortText(200)).check(z.maxLength(50))).check(z.describe('e.g. "penicillin", "latex"')),
  conditions: z.optional(z.array(shortText(200)).check(z.maxLength(50))).check(z.describe('e.g. "type 2 diabetes", "anticoagulated (atrial fibrillation)"')),
  medications: z.optional(z.array(shortText(200)).check(z.maxLength(50))).check(z.describe('e.g. "warfarin 5 mg daily"')),
}).check(z.meta({ id: 'MedicalHistory', description: 'Relevant medical history. ' + NO_IDENTIFIERS }));

export const toothFindingSchema = z.strictObject({
  toothNumber: toothNumberSchema,
  finding: shortText(1000).check(z.describe('Clinical or radiographic finding on this tooth, e.g. "deep distal caries, tender to percussion"')),
});

// ---------------------------------------------------------------- POST /v1/clinical/diagnoses

export const diagnosesRequestSchema = z.strictObject({
  chiefComplaint: shortText(2000).check(z.describe("The patient's main complaint in clinical terms")),
  symptoms: z.optional(z.array(shortText(500)).check(z.maxLength(50))),
  toothFindings: z.optional(z.array(toothFindingSchema).check(z.maxLength(64))),
  medicalHistory: z.optional(medicalHistorySchema),
  ageYears: z.optional(z.number().check(z.int(), z.gte(0), z.lte(90))).check(z.describe('Age in whole years; send 90 for anyone older (ages above 89 are identifiers under HIPAA Safe Harbor)')),
}).check(z.meta({ id: 'DiagnosesRequest', description: 'Findings for a differential diagnosis. ' + NO_IDENTIFIERS }));

const differentialFields = {
  condition: shortText(200),
  confidence: z.number().check(z.gte(0), z.lte(1), z.describe('0–1')),
  rationale: shortText(2000),
};

export const differentialDiagnosisSchema = z.strictObject({ ...differentialFields, toothNumbers: z.array(toothNumberSchema).check(z.maxLength(32)) }).check(z.meta({ id: 'DifferentialDiagnosis' }));

export const warningsSchema = z.array(z.string().check(z.maxLength(500))).check(z.maxLength(100), z.describe('What the gateway changed in the model answer (e.g. an item dropped for an invalid CDT code or tooth number)'));

export const diagnosesResponseSchema = z.strictObject({
  differentialDiagnoses: z.array(differentialDiagnosisSchema).check(z.maxLength(10), z.describe('Most likely first')),
  recommendedTests: z.array(shortText(300)).check(z.maxLength(20), z.describe('e.g. "cold test on #19", "periapical radiograph of #19"')),
  urgency: urgencySchema,
  warnings: warningsSchema,
}).check(z.meta({ id: 'DiagnosesResponse', description: 'Decision support for the dentist, not a diagnosis' }));

/** What the model must return for `clinical.diagnoses` (tooth numbers checked afterwards). */
export const diagnosesModelOutputSchema = z.strictObject({
  differentialDiagnoses: z.array(
      z.strictObject({ ...differentialFields, toothNumbers: z.array(z.union([z.string().check(z.maxLength(12)), z.number()])).check(z.maxLength(32)) }),
    ).check(z.minLength(1), z.maxLength(10)),
  recommendedTests: z.array(shortText(300)).check(z.maxLength(20)),
  urgency: urgencySchema,
}).check(z.meta({ id: 'ClinicalDiagnosesModelOutput', description: 'Model output for clinical.diagnoses' }));

// ---------------------------------------------------------------- POST /v1/clinical/treatment-plans

export const treatmentPlanRequestSchema = z.strictObject({
  diagnoses: z.array(
      z.strictObject({
        condition: shortText(200),
        toothNumbers: z.optional(z.array(toothNumberSchema).check(z.maxLength(32))),
        notes: z.optional(shortText(1000)),
      }),
    ).check(z.minLength(1), z.maxLength(20)),
  medicalHistory: z.optional(medicalHistorySchema),
  ageYears: z.optional(z.number().check(z.int(), z.gte(0), z.lte(90))).check(z.describe('Age in whole years; 90 for anyone older')),
  preferences: z.optional(shortText(1000)).check(z.describe('Constraints to respect, e.g. "prefers to keep natural teeth", "limited budget"')),
}).check(z.meta({ id: 'TreatmentPlanRequest', description: 'Diagnoses to plan treatment for. ' + NO_IDENTIFIERS }));

const procedureFields = {
  description: shortText(300),
  rationale: shortText(1000),
  urgency: urgencySchema,
};

export const plannedProcedureSchema = z.strictObject({ cdtCode: cdtCodeSchema, toothNumber: z.nullable(toothNumberSchema).check(z.describe('null when not tooth-specific')), ...procedureFields }).check(z.meta({ id: 'PlannedProcedure' }));

const phaseFields = {
  phase: z.number().check(z.int(), z.gte(1), z.lte(10), z.describe('1 = first; urgent and disease-control work comes first')),
  title: shortText(200).check(z.describe('e.g. "Urgent care", "Disease control", "Restorative", "Maintenance"')),
};

const alternativeFields = {
  description: shortText(1000),
};

export const treatmentPlanResponseSchema = z.strictObject({
  phases: z.array(z.strictObject({ ...phaseFields, procedures: z.array(plannedProcedureSchema).check(z.minLength(1), z.maxLength(40)) })).check(z.maxLength(10)),
  alternatives: z.array(z.strictObject({ ...alternativeFields, cdtCodes: z.array(cdtCodeSchema).check(z.maxLength(20)) })).check(z.maxLength(10)),
  warnings: warningsSchema,
}).check(z.meta({ id: 'TreatmentPlanResponse', description: 'Phased plan for the dentist to review' }));

/** What the model must return for `clinical.treatment-plan` (codes and teeth checked afterwards). */
export const treatmentPlanModelOutputSchema = z.strictObject({
  phases: z.array(
      z.strictObject({
        ...phaseFields,
        procedures: z.array(
            z.strictObject({
              cdtCode: z.string().check(z.maxLength(12)),
              toothNumber: z.nullable(z.union([z.string().check(z.maxLength(12)), z.number()])),
              ...procedureFields,
            }),
          ).check(z.minLength(1), z.maxLength(40)),
      }),
    ).check(z.minLength(1), z.maxLength(10)),
  alternatives: z.array(z.strictObject({ ...alternativeFields, cdtCodes: z.array(z.string().check(z.maxLength(12))).check(z.maxLength(20)) })).check(z.maxLength(10)),
}).check(z.meta({ id: 'ClinicalTreatmentPlanModelOutput', description: 'Model output for clinical.treatment-plan' }));

export type Urgency = z.infer<typeof urgencySchema>;
export type DiagnosesRequest = z.infer<typeof diagnosesRequestSchema>;
export type DiagnosesResponse = z.infer<typeof diagnosesResponseSchema>;
export type DiagnosesModelOutput = z.infer<typeof diagnosesModelOutputSchema>;
export type TreatmentPlanRequest = z.infer<typeof treatmentPlanRequestSchema>;
export type TreatmentPlanResponse = z.infer<typeof treatmentPlanResponseSchema>;
export type TreatmentPlanModelOutput = z.infer<typeof treatmentPlanModelOutputSchema>;
