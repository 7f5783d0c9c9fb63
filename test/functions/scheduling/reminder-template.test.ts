import { buildTemplateReminder, characterCount, fitsChannel, formatAppointmentTime } from '../../../functions/scheduling/reminder-template';
import { reminderRequestSchema, reminderResponseSchema, type ReminderRequest } from '../../../functions/scheduling/schemas';

const base: ReminderRequest = {
  appointment: {
    start: '2026-11-24T14:00:00Z',
    timeZone: 'America/New_York',
    procedureDescription: 'cleaning and check-up',
    practiceName: 'Bright Smiles Dental',
    practicePhone: '(555) 010-2000',
    patientFirstName: 'Ana',
  },
  channel: 'sms',
};

describe('buildTemplateReminder', () => {
  it('words an SMS in the practice time zone, within 160 characters', () => {
    const reminder = buildTemplateReminder(base);
    expect(reminder.source).toBe('template');
    expect(reminder.text).toContain('Tue, Nov 24 at 9:00 AM');
    expect(reminder.text).toContain('Bright Smiles Dental');
    expect(reminder.text).toContain('Hi Ana');
    expect(characterCount(reminder.text)).toBeLessThanOrEqual(160);
    expect(reminderResponseSchema.safeParse(reminder).success).toBe(true);
  });

  it('shortens long free text until the SMS fits', () => {
    const long = reminderRequestSchema.parse({
      ...base,
      appointment: { ...base.appointment, procedureDescription: 'x'.repeat(200), practiceName: 'Very Long Practice Name '.repeat(4).trim(), patientFirstName: 'Bartholomew-Maximilian' },
    });
    const reminder = buildTemplateReminder(long);
    expect(characterCount(reminder.text)).toBeLessThanOrEqual(160);
    expect(reminder.text).toContain('Nov 24 at 9:00 AM');
    expect(reminderResponseSchema.safeParse(reminder).success).toBe(true);
  });

  it('writes an email with a subject and no length cap', () => {
    const reminder = buildTemplateReminder({ ...base, channel: 'email' });
    expect(reminder.subject).toBe('Appointment reminder: Tue, Nov 24 at 9:00 AM');
    expect(reminder.text).toContain('cleaning and check-up');
    expect(reminder.text).toContain('(555) 010-2000');
  });

  it('works without a first name or phone', () => {
    const { patientFirstName: _n, practicePhone: _p, ...appointment } = base.appointment;
    const reminder = buildTemplateReminder({ channel: 'sms', appointment });
    expect(reminder.text).toMatch(/^Reminder: cleaning and check-up/);
    expect(reminder.text).toContain('call us');
  });
});

describe('channel limits', () => {
  it('counts code points and enforces 160 for SMS only', () => {
    expect(characterCount('🦷🦷')).toBe(2);
    expect(fitsChannel('sms', 'a'.repeat(160))).toBe(true);
    expect(fitsChannel('sms', 'a'.repeat(161))).toBe(false);
    expect(fitsChannel('email', 'a'.repeat(1000))).toBe(true);
    expect(reminderResponseSchema.safeParse({ channel: 'sms', text: 'a'.repeat(161), source: 'model' }).success).toBe(false);
  });

  it('formats across a DST change in local time', () => {
    expect(formatAppointmentTime('2026-11-02T14:00:00Z', 'America/New_York')).toBe('Mon, Nov 2 at 9:00 AM');
    expect(formatAppointmentTime('2026-10-30T13:00:00Z', 'America/New_York')).toBe('Fri, Oct 30 at 9:00 AM');
  });
});
