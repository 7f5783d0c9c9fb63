/**
 * Prompt of the reminder route. The patient's first name never goes to the provider: the model
 * writes the placeholder {firstName}, and {@link personalizeReminder} fills it in afterwards.
 */
import { formatAppointmentTime } from './reminder-template';
import { SMS_MAX_CHARS, type ReminderRequest } from './schemas';

export const REMINDER_OUTPUT_KIND = 'scheduling.reminder';
export const FIRST_NAME_PLACEHOLDER = '{firstName}';

export const REMINDER_SYSTEM_PROMPT = `[smartdental:${REMINDER_OUTPUT_KIND}]
You write short, warm appointment reminders for a dental practice. Use only the facts given; do not add advice, prices or medical statements.
Answer with exactly one JSON object and nothing else: {"text":"the message"} for SMS, or {"subject":"...","text":"the message"} for email.
When told to greet the patient, write the placeholder ${FIRST_NAME_PLACEHOLDER} where the first name goes; never invent a name.`;

/** The SMS length the model may use, leaving room for the name that replaces the placeholder. */
export function smsBudget(request: ReminderRequest): number {
  const name = request.appointment.patientFirstName;
  return name === undefined ? SMS_MAX_CHARS : SMS_MAX_CHARS - Math.max(0, [...name].length - FIRST_NAME_PLACEHOLDER.length);
}

export function buildReminderUserPrompt(request: ReminderRequest): string {
  const { appointment, channel } = request;
  const lines = [
    `Channel: ${channel}${channel === 'sms' ? ` (at most ${smsBudget(request)} characters in total, no subject)` : ' (include a subject)'}`,
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
