/**
 * The reminder sent when the model is unavailable or over budget: a fixed wording that always
 * fits its channel, so a reminder never fails because a provider did.
 */
import { SMS_MAX_CHARS, type ReminderRequest, type ReminderResponse } from './schemas';

/** Characters in the sense carriers count them (code points, not UTF-16 units). */
export function characterCount(text: string): number {
  return [...text].length;
}

/** Whether a text may be sent on the channel (SMS: one 160-character segment). */
export function fitsChannel(channel: ReminderRequest['channel'], text: string): boolean {
  return channel !== 'sms' || characterCount(text) <= SMS_MAX_CHARS;
}

/** "Tue, Nov 26 at 9:00 AM" in the appointment's own time zone. */
export function formatAppointmentTime(startIso: string, timeZone: string): string {
  const instant = Date.parse(startIso);
  const date = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', month: 'short', day: 'numeric' }).format(instant);
  const time = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: '2-digit', hour12: true }).format(instant);
  // Newer ICU data puts a narrow no-break space before AM/PM; SMS gateways may not carry it.
  return `${date} at ${time}`.replace(/[\u202f\u00a0]/g, ' ');
}

export function buildTemplateReminder(request: ReminderRequest): ReminderResponse {
  const { appointment, channel } = request;
  const when = formatAppointmentTime(appointment.start, appointment.timeZone);
  const greeting = appointment.patientFirstName ? `Hi ${appointment.patientFirstName}, ` : '';
  const callUs = appointment.practicePhone ? `call ${appointment.practicePhone}` : 'call us';

  if (channel === 'email') {
    const text = [
      `${greeting ? `Hi ${appointment.patientFirstName},` : 'Hello,'}`,
      '',
      `This is a reminder of your ${appointment.procedureDescription} appointment at ${appointment.practiceName} on ${when}.`,
      `If you need to reschedule, please ${callUs} at least 24 hours ahead.`,
      '',
      `See you soon,`,
      appointment.practiceName,
    ].join('\n');
    return { channel, subject: `Appointment reminder: ${when}`, text, source: 'template' };
  }

  // Shorten the free-text parts, longest first, until the message fits one SMS.
  let procedure = appointment.procedureDescription;
  let practice = appointment.practiceName;
  let name = greeting;
  const compose = () => `${name}reminder: ${procedure} at ${practice} on ${when}. To reschedule, ${callUs}.`;
  let text = compose();
  while (characterCount(text) > SMS_MAX_CHARS) {
    if (name) name = '';
    else if (characterCount(procedure) > 20 && characterCount(procedure) >= characterCount(practice)) procedure = shorten(procedure, characterCount(procedure) - 10);
    else if (characterCount(practice) > 20) practice = shorten(practice, characterCount(practice) - 10);
    else if (characterCount(procedure) > 10) procedure = shorten(procedure, characterCount(procedure) - 5);
    else {
      text = shorten(text, SMS_MAX_CHARS);
      break;
    }
    text = compose();
  }
  if (!name) text = text.charAt(0).toUpperCase() + text.slice(1);
  return { channel, text, source: 'template' };
}

function shorten(text: string, maxChars: number): string {
  const chars = [...text];
  return chars.length <= maxChars ? text : `${chars.slice(0, maxChars - 1).join('').trimEnd()}…`;
}
