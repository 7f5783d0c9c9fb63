/**
 * The reminder sent when the model is unavailable or over budget: a fixed wording that always
 * fits its channel, so a reminder never fails because a provider did.
 */
import { SMS_MAX_CHARS, type ReminderRequest, type ReminderResponse } from './schemas';
import { zonedParts } from './slots';

/** Characters in the sense carriers count them (code points, not UTF-16 units). */
export function characterCount(text: string): number {
  return [...text].length;
}

/** Whether a text may be sent on the channel (SMS: one 160-character segment). */
export function fitsChannel(channel: ReminderRequest['channel'], text: string): boolean {
  return channel !== 'sms' || characterCount(text) <= SMS_MAX_CHARS;
}

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "Tue, Nov 26 at 9:00 AM" in the appointment's own time zone, built from the zone's one shared
 * formatter (see ./time-zones) rather than two more per zone. Plain spaces throughout: newer ICU
 * data puts a narrow no-break space before AM/PM, which SMS gateways may not carry.
 */
export function formatAppointmentTime(startIso: string, timeZone: string): string {
  const { year, month, day, hour, minute } = zonedParts(Date.parse(startIso), timeZone);
  const weekday = WEEKDAY_NAMES[new Date(Date.UTC(year, month - 1, day)).getUTCDay()];
  const clock = `${hour % 12 === 0 ? 12 : hour % 12}:${String(minute).padStart(2, '0')} ${hour < 12 ? 'AM' : 'PM'}`;
  return `${weekday}, ${MONTH_NAMES[month - 1]} ${day} at ${clock}`;
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
