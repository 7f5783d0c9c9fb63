import { DIAGNOSES_SYSTEM_PROMPT, TREATMENT_PLAN_SYSTEM_PROMPT, buildDiagnosesUserPrompt, buildTreatmentPlanUserPrompt } from '../../../functions/clinical/prompts';
import { diagnosesRequestSchema } from '../../../functions/clinical/schemas';

describe('clinical prompts', () => {
  it('start with their output-kind markers and give the JSON shape', () => {
    expect(DIAGNOSES_SYSTEM_PROMPT.split('\n')[0]).toBe('[smartdental:clinical.diagnoses]');
    expect(TREATMENT_PLAN_SYSTEM_PROMPT.split('\n')[0]).toBe('[smartdental:clinical.treatment-plan]');
    expect(DIAGNOSES_SYSTEM_PROMPT).toContain('"differentialDiagnoses"');
    expect(TREATMENT_PLAN_SYSTEM_PROMPT).toContain('"cdtCode"');
  });

  it('send the clinical facts and nothing else', () => {
    const request = diagnosesRequestSchema.parse({
      chiefComplaint: 'Throbbing pain lower left',
      symptoms: ['lingering cold sensitivity'],
      toothFindings: [{ toothNumber: '19', finding: 'deep distal caries' }],
      medicalHistory: { allergies: ['penicillin'] },
      ageYears: 42,
    });
    const prompt = buildDiagnosesUserPrompt(request);
    expect(prompt).toContain('Throbbing pain lower left');
    expect(prompt).toContain('penicillin');
    expect(prompt).toContain('"ageYears":42');
    expect(buildTreatmentPlanUserPrompt({ diagnoses: [{ condition: 'pulpitis', toothNumbers: ['19'] }] })).toContain('"toothNumbers":["19"]');
  });

  it('a request cannot carry a patient name or date of birth', () => {
    expect(diagnosesRequestSchema.safeParse({ chiefComplaint: 'pain', patientName: 'Jane Doe' }).success).toBe(false);
    expect(diagnosesRequestSchema.safeParse({ chiefComplaint: 'pain', dateOfBirth: '1980-01-01' }).success).toBe(false);
    expect(diagnosesRequestSchema.safeParse({ chiefComplaint: 'pain', ageYears: 95 }).success).toBe(false);
  });
});
