import { FIRST_NAME_PLACEHOLDER, REMINDER_SYSTEM_PROMPT, buildReminderUserPrompt, personalizeReminder, smsBudget } from '../../../functions/scheduling/prompts';
import { IMAGING_SYSTEM_PROMPT, buildImagingUserPrompt } from '../../../functions/imaging/prompts';
import type { ReminderRequest } from '../../../functions/scheduling/schemas';

const request: ReminderRequest = {
  appointment: { start: '2026-11-24T14:00:00Z', timeZone: 'America/New_York', procedureDescription: 'cleaning', practiceName: 'Bright Smiles', patientFirstName: 'Josephine' },
  channel: 'sms',
};

describe('reminder prompts', () => {
  it('start with the marker', () => {
    expect(REMINDER_SYSTEM_PROMPT.split('\n')[0]).toBe('[smartdental:scheduling.reminder]');
  });

  it('never send the first name to the model, only the placeholder', () => {
    const prompt = buildReminderUserPrompt(request);
    expect(prompt).not.toContain('Josephine');
    expect(prompt).toContain(FIRST_NAME_PLACEHOLDER);
    expect(prompt).toContain('Tue, Nov 24 at 9:00 AM');
    expect(prompt).toContain(`at most ${smsBudget(request)} characters`);
    // A name shorter than the placeholder leaves the full SMS; a longer one shrinks the budget.
    expect(smsBudget(request)).toBe(160);
    const longName = { ...request, appointment: { ...request.appointment, patientFirstName: 'Maximilianna-Jo' } };
    expect(smsBudget(longName)).toBe(160 - ('Maximilianna-Jo'.length - FIRST_NAME_PLACEHOLDER.length));
  });

  it('shrink the SMS budget to two UCS-2 segments when a fact is outside GSM-7', () => {
    const withName = (patientFirstName: string) => ({ ...request, appointment: { ...request.appointment, patientFirstName } });
    expect(smsBudget(withName('Begoña'))).toBe(160); // ñ is GSM-7
    expect(smsBudget(withName('Zoë'))).toBe(134); // ë is not: 2 × 67 UTF-16 units
    expect(smsBudget({ ...request, appointment: { ...request.appointment, practiceName: 'Clínica Sonrisa' } })).toBe(134);
    expect(smsBudget(withName('Zoë-Maximiliana'))).toBe(134 - ('Zoë-Maximiliana'.length - FIRST_NAME_PLACEHOLDER.length));
    expect(buildReminderUserPrompt(withName('Zoë'))).toContain('at most 134 characters in total, no subject, no emoji');
  });

  it('fill in or remove the placeholder afterwards', () => {
    expect(personalizeReminder('Hi {firstName}, see you soon', request)).toBe('Hi Josephine, see you soon');
    const { patientFirstName: _n, ...anonymous } = request.appointment;
    expect(personalizeReminder('Hi {firstName}, see you soon', { ...request, appointment: anonymous })).toBe('Hi, see you soon');
    expect(buildReminderUserPrompt({ ...request, appointment: anonymous })).toContain('Do not greet the patient by name');
  });

  it.each(['$&', "$'", '$`', '$$', 'Jo$&$$$`'])('insert a first name containing %s literally', (name) => {
    const named = { ...request, appointment: { ...request.appointment, patientFirstName: name } };
    expect(personalizeReminder('Hi {firstName}, see you soon. Bye {firstName}!', named)).toBe(`Hi ${name}, see you soon. Bye ${name}!`);
  });
});

describe('imaging prompts', () => {
  it('start with the marker and send only the modality', () => {
    expect(IMAGING_SYSTEM_PROMPT.split('\n')[0]).toBe('[smartdental:imaging.findings]');
    expect(buildImagingUserPrompt({ modality: 'periapical' })).toBe('Modality: periapical radiograph. List the findings you can see on the attached image.');
  });
});
