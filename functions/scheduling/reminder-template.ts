/**
 * The reminder sent when the model is unavailable or over budget: a fixed wording that always
 * fits its channel, so a reminder never fails because a provider did.
 */
import { SMS_MAX_CHARS, SMS_MAX_SEGMENTS, type ReminderRequest, type ReminderResponse } from './schemas';
import { zonedParts } from './time-zones';
import { smsLength } from './sms';

/** Characters as a reader counts them (code points, not UTF-16 units). */
export function characterCount(text: string): number {
  return [...text].length;
}

/**
 * What keeps a text from going out on a channel, in words a model can act on (and with no patient
 * data: lengths only). SMS: at most {@link SMS_MAX_CHARS} characters and {@link SMS_MAX_SEGMENTS} segments.
 */
export function channelProblems(channel: ReminderRequest['channel'], text: string): string[] {
  if (channel !== 'sms') return [];
  const problems: string[] = [];
  const chars = characterCount(text);
  if (chars > SMS_MAX_CHARS) problems.push(`the SMS is ${chars} characters; at most ${SMS_MAX_CHARS} are allowed`);
  const { encoding, units, segments } = smsLength(text);
  if (segments > SMS_MAX_SEGMENTS) {
    const why = encoding === 'UCS-2' ? ' because a character outside GSM-7 (an emoji, á, ç, …) makes it UCS-2' : '';
    problems.push(`the SMS takes ${segments} ${encoding} segments (${units} units)${why}; at most ${SMS_MAX_SEGMENTS} are allowed`);
  }
  return problems;
}

/** Whether a text may be sent on the channel. */
export function fitsChannel(channel: ReminderRequest['channel'], text: string): boolean {
  return channelProblems(channel, text).length === 0;
}

/** The response body of a reminder: an SMS states its encoding and the segments it costs. */
export function reminderResponse(channel: ReminderRequest['channel'], text: string, source: ReminderResponse['source'], subject?: string): ReminderResponse {
  return channel === 'sms' ? { channel, text, sms: smsLength(text), source } : { channel, text, subject, source };
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
    return reminderResponse(channel, text, 'template', `Appointment reminder: ${when}`);
  }

  // Shorten the free-text parts, longest first, until the message fits the SMS limits.
  let procedure = appointment.procedureDescription;
  let practice = appointment.practiceName;
  let name = greeting;
  const compose = () => `${name}reminder: ${procedure} at ${practice} on ${when}. To reschedule, ${callUs}.`;
  let text = compose();
  while (!fitsChannel('sms', text)) {
    if (name) name = '';
    else if (characterCount(procedure) > 20 && characterCount(procedure) >= characterCount(practice)) procedure = shorten(procedure, characterCount(procedure) - 10);
    else if (characterCount(practice) > 20) practice = shorten(practice, characterCount(practice) - 10);
    else if (characterCount(procedure) > 10) procedure = shorten(procedure, characterCount(procedure) - 5);
    else {
      text = shortenToFit(text);
      break;
    }
    text = compose();
  }
  if (!name) text = text.charAt(0).toUpperCase() + text.slice(1);
  return reminderResponse(channel, text, 'template');
}

/**
 * Cuts a text to `maxChars` characters, marking the cut. The mark is `...`, not `…`: an ellipsis is
 * outside GSM-7 and would turn a one-segment SMS into a three-segment UCS-2 one.
 */
function shorten(text: string, maxChars: number): string {
  const chars = [...text];
  return chars.length <= maxChars ? text : `${chars.slice(0, maxChars - 3).join('').trimEnd()}...`;
}

/** The longest cut of a text that fits an SMS. */
function shortenToFit(text: string): string {
  for (let maxChars = Math.min(characterCount(text), SMS_MAX_CHARS); maxChars > 3; maxChars--) {
    const cut = shorten(text, maxChars);
    if (fitsChannel('sms', cut)) return cut;
  }
  return shorten(text, 4);
}
