import { buildTemplateReminder, channelProblems, characterCount, fitsChannel, formatAppointmentTime } from '../../../functions/scheduling/reminder-template';
import { smsLength } from '../../../functions/scheduling/sms';
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
    expect(reminder.sms).toEqual({ encoding: 'GSM-7', characters: characterCount(reminder.text), units: characterCount(reminder.text), segments: 1 });
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
    // Cuts are marked with "...", which GSM-7 carries ("…" would make it a three-segment UCS-2 SMS).
    expect(reminder.text).toContain('...');
    expect(reminder.sms).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  it('fits a UCS-2 reminder (á, í, an emoji) into two segments', () => {
    const spanish = reminderRequestSchema.parse({
      ...base,
      appointment: { ...base.appointment, practiceName: 'Clínica Dental Sonrisa de Guadalajara 🦷', procedureDescription: 'limpieza y revisión completa con radiografías de aleta de mordida', patientFirstName: 'Begoña' },
    });
    const reminder = buildTemplateReminder(spanish);
    expect(reminder.sms).toEqual(smsLength(reminder.text));
    expect(reminder.sms).toMatchObject({ encoding: 'UCS-2', segments: 2 });
    expect(reminder.text.length).toBeLessThanOrEqual(134);
    expect(reminder.text).toContain('Nov 24 at 9:00 AM');
    expect(reminder.text).toContain('(555) 010-2000');
    expect(reminderResponseSchema.safeParse(reminder).success).toBe(true);
  });

  it('writes an email with a subject and no length cap', () => {
    const reminder = buildTemplateReminder({ ...base, channel: 'email' });
    expect(reminder.subject).toBe('Appointment reminder: Tue, Nov 24 at 9:00 AM');
    expect(reminder.text).toContain('cleaning and check-up');
    expect(reminder.text).toContain('(555) 010-2000');
    expect(reminder.sms).toBeUndefined();
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
    expect(reminderResponseSchema.safeParse({ channel: 'sms', text: 'a'.repeat(161), sms: smsLength('a'.repeat(161)), source: 'model' }).success).toBe(false);
  });

  it('caps an SMS at two segments and says why in words a model can act on', () => {
    expect(channelProblems('sms', 'a'.repeat(160))).toEqual([]);
    expect(channelProblems('sms', 'a'.repeat(161))).toEqual(['the SMS is 161 characters; at most 160 are allowed']);
    // 135 UTF-16 units: three UCS-2 segments, though only 135 characters.
    expect(channelProblems('sms', `á${'a'.repeat(134)}`)).toEqual([
      'the SMS takes 3 UCS-2 segments (135 units) because a character outside GSM-7 (an emoji, á, ç, …) makes it UCS-2; at most 2 are allowed',
    ]);
    expect(fitsChannel('sms', `á${'a'.repeat(133)}`)).toBe(true);
    // A 67-unit part holds 33 emoji, never half of one: 66 emoji fit two segments, 67 need three.
    expect(fitsChannel('sms', '🦷'.repeat(66))).toBe(true);
    expect(fitsChannel('sms', '🦷'.repeat(67))).toBe(false);
    expect(channelProblems('email', '🦷'.repeat(1000))).toEqual([]);
  });

  it('has the response state the SMS encoding and segments, for SMS only', () => {
    const text = 'Hi Ana, see you Tue at 9:00 AM.';
    expect(reminderResponseSchema.safeParse({ channel: 'sms', text, sms: smsLength(text), source: 'model' }).success).toBe(true);
    expect(reminderResponseSchema.safeParse({ channel: 'sms', text, source: 'model' }).success).toBe(false);
    expect(reminderResponseSchema.safeParse({ channel: 'email', text, sms: smsLength(text), source: 'model' }).success).toBe(false);
    expect(reminderResponseSchema.safeParse({ channel: 'sms', text, sms: { ...smsLength(text), segments: 3 }, source: 'model' }).success).toBe(false);
  });

  it('formats across a DST change in local time', () => {
    expect(formatAppointmentTime('2026-11-02T14:00:00Z', 'America/New_York')).toBe('Mon, Nov 2 at 9:00 AM');
    expect(formatAppointmentTime('2026-10-30T13:00:00Z', 'America/New_York')).toBe('Fri, Oct 30 at 9:00 AM');
  });
});
