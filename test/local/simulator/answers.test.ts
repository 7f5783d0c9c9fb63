import { SIMULATED_ANSWERS } from '../../../local/simulator/answers';
import { findingsModelOutputSchema } from '../../../functions/imaging/schemas';
import { IMAGING_SYSTEM_PROMPT, buildImagingUserPrompt } from '../../../functions/imaging/prompts';
import { diagnosesModelOutputSchema, treatmentPlanModelOutputSchema } from '../../../functions/clinical/schemas';
import { buildDiagnosesUserPrompt, buildTreatmentPlanUserPrompt } from '../../../functions/clinical/prompts';
import { checkDiagnoses, checkTreatmentPlan, checkSuggestedCodes } from '../../../functions/domain/dental-codes';
import { claimModelOutputSchema } from '../../../functions/billing/schemas';
import { buildClaimUserPrompt } from '../../../functions/billing/prompts';
import { reminderModelOutputSchema, reminderRequestSchema, SMS_MAX_CHARS } from '../../../functions/scheduling/schemas';
import { buildReminderUserPrompt, personalizeReminder } from '../../../functions/scheduling/prompts';
import { chatReplyModelOutputSchema } from '../../../functions/chat/schemas';

const answer = (kind: string, userText: string, imageCount = 0) => SIMULATED_ANSWERS[kind]!({ outputKind: kind, userText, imageCount });

describe('SIMULATED_ANSWERS', () => {
  it('covers every output kind the prompts declare', () => {
    expect(Object.keys(SIMULATED_ANSWERS).sort()).toEqual(
      ['billing.claim', 'chat.reply', 'clinical.diagnoses', 'clinical.treatment-plan', 'imaging.findings', 'scheduling.reminder'].sort(),
    );
    expect(IMAGING_SYSTEM_PROMPT.split('\n')[0]).toBe('[smartdental:imaging.findings]');
  });

  it('imaging.findings fits the schema and is deterministic', () => {
    const text = buildImagingUserPrompt({ modality: 'bitewing' });
    const value = findingsModelOutputSchema.parse(answer('imaging.findings', text, 1));
    expect(value.summary).toMatch(/simulat/i);
    expect(answer('imaging.findings', text, 1)).toEqual(value);
  });

  it('clinical.diagnoses fits the schema, passes the code checks and takes its teeth from the case', () => {
    const text = buildDiagnosesUserPrompt({ chiefComplaint: 'pain on biting', toothFindings: [{ toothNumber: '19', finding: 'deep caries' }] });
    const value = diagnosesModelOutputSchema.parse(answer('clinical.diagnoses', text));
    expect(value.differentialDiagnoses[0]!.toothNumbers).toEqual(['19']);
    expect(checkDiagnoses(value).invalid).toEqual([]);
  });

  it('clinical.treatment-plan fits the schema and passes the code checks', () => {
    const text = buildTreatmentPlanUserPrompt({ diagnoses: [{ condition: 'irreversible pulpitis', toothNumbers: ['30', '31'] }] });
    const value = treatmentPlanModelOutputSchema.parse(answer('clinical.treatment-plan', text));
    expect(value.phases[0]!.procedures[0]!.toothNumber).toBe('30');
    expect(checkTreatmentPlan(value).invalid).toEqual([]);
    // Without teeth in the case it still fits.
    expect(treatmentPlanModelOutputSchema.safeParse(answer('clinical.treatment-plan', 'nothing')).success).toBe(true);
  });

  it('billing.claim suggests codes for uncoded procedures and writes a narrative for a crown', () => {
    const text = buildClaimUserPrompt({
      clinicalNotes: 'Fractured cusp, #3',
      procedures: [
        { description: 'porcelain crown', toothNumber: '3', feeCents: 120000 },
        { cdtCode: 'D0120', description: 'periodic exam', feeCents: 6000 },
      ],
      coverage: { preventivePct: 100, basicPct: 80, majorPct: 50, orthoPct: 0, deductibleRemainingCents: 0, annualMaxRemainingCents: 100000 },
    });
    const value = claimModelOutputSchema.parse(answer('billing.claim', text));
    expect(value.suggestedCodes).toEqual([expect.objectContaining({ procedureIndex: 0, cdtCode: 'D2740' })]);
    expect(value.narrative).toMatch(/simulated/i);
    expect(checkSuggestedCodes(value).invalid).toEqual([]);
    expect(claimModelOutputSchema.parse(answer('billing.claim', 'no procedures')).narrative).toBeNull();
  });

  it('scheduling.reminder fits the schema and one SMS after personalisation', () => {
    const request = reminderRequestSchema.parse({
      appointment: {
        start: '2026-11-24T14:00:00Z',
        timeZone: 'America/New_York',
        procedureDescription: 'cleaning',
        practiceName: 'A Practice With A Rather Long Name For Testing The Budget Of The Simulated Reminder Text',
        patientFirstName: 'Maximiliana',
      },
      channel: 'sms',
    });
    const value = reminderModelOutputSchema.parse(answer('scheduling.reminder', buildReminderUserPrompt(request)));
    const text = personalizeReminder(value.text, request);
    expect(text).toContain('Maximiliana');
    expect([...text].length).toBeLessThanOrEqual(SMS_MAX_CHARS);
    const email = reminderModelOutputSchema.parse(answer('scheduling.reminder', buildReminderUserPrompt({ ...request, channel: 'email' })));
    expect(email.subject).toBeTruthy();
  });

  it('chat.reply is text that says it is simulated and states no diagnosis', () => {
    const reply = chatReplyModelOutputSchema.parse(answer('chat.reply', 'I have a toothache'));
    expect(reply).toMatch(/simulated/i);
    expect(reply).not.toMatch(/\byou have\b|\bdiagnos(?:is|ed) (?:is|with)\b/i);
  });
});
