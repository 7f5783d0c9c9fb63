/**
 * Prompt of the reminder route. The patient's first name never goes to the provider: the model
 * writes the placeholder {firstName}, and {@link personalizeReminder} fills it in afterwards.
 */
import { formatAppointmentTime } from './reminder-template';
import { SMS_MAX_CHARS, SMS_MAX_SEGMENTS, type ReminderRequest } from './schemas';
import { isGsm7, smsCapacity, smsLength } from './sms';

export const REMINDER_OUTPUT_KIND = 'scheduling.reminder';
export const FIRST_NAME_PLACEHOLDER = '{firstName}';

export const REMINDER_SYSTEM_PROMPT = `[smartdental:${REMINDER_OUTPUT_KIND}]
You write short, warm appointment reminders for a dental practice. Use only the facts given; do not add advice, prices or medical statements.
Answer with exactly one JSON object and nothing else: {"text":"the message"} for SMS, or {"subject":"...","text":"the message"} for email.
When told to greet the patient, write the placeholder ${FIRST_NAME_PLACEHOLDER} where the first name goes; never invent a name.`;

/**
 * The SMS length the model may use, leaving room for the name that replaces the placeholder. When
 * a fact that goes into the text is outside GSM-7 (a name like "Zoë", a practice "Clínica …"), the
 * whole SMS goes as UCS-2, where {@link SMS_MAX_SEGMENTS} segments hold fewer characters.
 */
export function smsBudget(request: ReminderRequest): number {
  const { patientFirstName: name, practiceName, procedureDescription, practicePhone } = request.appointment;
  const encoding = [name ?? '', practiceName, procedureDescription, practicePhone ?? ''].every(isGsm7) ? 'GSM-7' : 'UCS-2';
  const total = Math.min(SMS_MAX_CHARS, smsCapacity(encoding, SMS_MAX_SEGMENTS));
  if (name === undefined) return total;
  const nameUnits = encoding === 'GSM-7' ? smsLength(name).units : name.length;
  return total - Math.max(0, nameUnits - FIRST_NAME_PLACEHOLDER.length);
}

export function buildReminderUserPrompt(request: ReminderRequest): string {
  const { appointment, channel } = request;
  const lines = [
    `Channel: ${channel}${channel === 'sms' ? ` (at most ${smsBudget(request)} characters in total, no subject, no emoji)` : ' (include a subject)'}`,
    `Practice: ${appointment.practiceName}`,
    `Appointment: ${appointment.procedureDescription}, ${formatAppointmentTime(appointment.start, appointment.timeZone)} (practice local time)`,
    appointment.practicePhone ? `Practice phone for rescheduling: ${appointment.practicePhone}` : 'Ask the patient to call the practice to reschedule.',
    appointment.patientFirstName ? `Greet the patient with ${FIRST_NAME_PLACEHOLDER}.` : 'Do not greet the patient by name.',
  ];
  return lines.join('\n');
}

/** Puts the first name in place of the placeholder (or removes the placeholder when there is none). */
export function personalizeReminder(text: string, request: ReminderRequest): string {
  const name = request.appointment.patientFirstName;
  // A replacer function, not a replacement string: in a string `$&`, `$'`, `` $` `` and `$$` are patterns, and a name is only text.
  if (name !== undefined) return text.replaceAll(FIRST_NAME_PLACEHOLDER, () => name);
  return text.replaceAll(` ${FIRST_NAME_PLACEHOLDER}`, '').replaceAll(FIRST_NAME_PLACEHOLDER, '');
}
