/**
 * Prompts of the clinical task. The first line of every system prompt names its output kind.
 * User prompts carry the clinical facts of the request and nothing else.
 */
import type { DiagnosesRequest, TreatmentPlanRequest } from './schemas';

export const DIAGNOSES_OUTPUT_KIND = 'clinical.diagnoses';
export const TREATMENT_PLAN_OUTPUT_KIND = 'clinical.treatment-plan';

const CODES = 'Tooth numbers use Universal notation as strings: "1"-"32" for permanent teeth, "A"-"T" for primary teeth. CDT codes are "D" followed by four digits, e.g. "D2740".';

export const DIAGNOSES_SYSTEM_PROMPT = `[smartdental:${DIAGNOSES_OUTPUT_KIND}]
You assist a licensed dentist with a differential diagnosis. Your answer is decision support the dentist reviews, not a diagnosis given to a patient.
Weigh the chief complaint, symptoms, per-tooth findings and medical history (allergies, conditions, medications). Put the most likely condition first.
${CODES}
Answer with exactly one JSON object and nothing else, of this shape:
{"differentialDiagnoses":[{"condition":"...","confidence":0-1,"rationale":"why, citing the findings","toothNumbers":["19"]}],"recommendedTests":["e.g. cold test on #19"],"urgency":"routine"|"soon"|"urgent"|"emergency"}
Between 1 and 10 differential diagnoses; at most 20 recommended tests.`;

export const TREATMENT_PLAN_SYSTEM_PROMPT = `[smartdental:${TREATMENT_PLAN_OUTPUT_KIND}]
You assist a licensed dentist with a phased treatment plan for the given diagnoses. The dentist reviews and adapts it.
Sequence the phases: urgent care and disease control first, then restorative and prosthetic work, then maintenance. Respect the medical history (e.g. allergies, anticoagulants) and stated preferences.
${CODES}
Answer with exactly one JSON object and nothing else, of this shape:
{"phases":[{"phase":1,"title":"Urgent care","procedures":[{"cdtCode":"D3330","toothNumber":"19" or null when not tooth-specific,"description":"...","rationale":"...","urgency":"routine"|"soon"|"urgent"|"emergency"}]}],"alternatives":[{"description":"e.g. extraction and implant instead of root canal and crown","cdtCodes":["D7140","D6010"]}]}
Between 1 and 10 phases, each with at least one procedure; at most 10 alternatives.`;

export function buildDiagnosesUserPrompt(request: DiagnosesRequest): string {
  return `Case (JSON):\n${JSON.stringify({
    chiefComplaint: request.chiefComplaint,
    symptoms: request.symptoms ?? [],
    toothFindings: request.toothFindings ?? [],
    medicalHistory: request.medicalHistory ?? {},
    ...(request.ageYears === undefined ? {} : { ageYears: request.ageYears }),
  })}`;
}

export function buildTreatmentPlanUserPrompt(request: TreatmentPlanRequest): string {
  return `Diagnoses to plan for (JSON):\n${JSON.stringify({
    diagnoses: request.diagnoses,
    medicalHistory: request.medicalHistory ?? {},
    ...(request.ageYears === undefined ? {} : { ageYears: request.ageYears }),
    ...(request.preferences === undefined ? {} : { preferences: request.preferences }),
  })}`;
}
