/**
 * Request, response and model-output schemas of the scheduling task.
 */
import * as z from '#core/zod';
import { canonicalTimeZone } from './time-zones';

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export const TIMES_OF_DAY = ['morning', 'afternoon', 'evening'] as const;
export const REMINDER_CHANNELS = ['sms', 'email'] as const;
/** Most characters (code points) in an SMS reminder: one GSM-7 segment's worth, to keep reminders short. */
export const SMS_MAX_CHARS = 160;
/**
 * Most segments an SMS reminder may cost. A GSM-7 reminder within {@link SMS_MAX_CHARS} is one
 * segment (two when `€`, `[` and friends push it past 160 septets); one with a character outside
 * GSM-7 (`á`, an emoji) goes as UCS-2 and must fit two segments, 134 UTF-16 units.
 */
export const SMS_MAX_SEGMENTS = 2;


export const timeZoneSchema = z.string().check(z.minLength(1), z.maxLength(64), z.refine((value) => canonicalTimeZone(value) !== undefined, 'unknown time zone: must be an IANA name, e.g. America/New_York'), z.describe('IANA time zone of the practice, e.g. America/New_York'));

const clockTime = z.string().check(z.regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, "must be 'HH:MM' (24-hour)"));
const isoInstant = z.iso.datetime({ offset: true }).check(z.describe('ISO-8601 with Z or an offset, e.g. 2026-11-26T14:00:00Z'));
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export const weekdaySchema = z.enum(WEEKDAYS);
export const timeOfDaySchema = z.enum(TIMES_OF_DAY).check(z.describe('morning: before 12:00; afternoon: 12:00–17:00; evening: from 17:00 (local time)'));

export const workingHoursSchema = z.strictObject({ day: weekdaySchema, start: clockTime, end: clockTime }).check(z.refine((w) => minutesOf(w.start) < minutesOf(w.end), { message: 'end must be after start', path: ['end'] }), z.describe("A provider's working window on one weekday, local time; several per day for split shifts"));

export const appointmentSchema = z.strictObject({ start: isoInstant, end: isoInstant }).check(z.refine((a) => Date.parse(a.end) > Date.parse(a.start), { message: 'end must be after start', path: ['end'] }));

// ---------------------------------------------------------------- POST /v1/scheduling/slots

export const slotsRequestSchema = z.strictObject({
  timeZone: timeZoneSchema,
  workingHours: z.array(workingHoursSchema).check(z.minLength(1), z.maxLength(28)),
  appointments: z.array(appointmentSchema).check(z.maxLength(2000), z.describe('Existing appointments of the provider (busy times)')),
  durationMinutes: z.number().check(z.int(), z.gte(5), z.lte(480)),
  preferences: z.optional(z.strictObject({
    days: z.optional(z.array(weekdaySchema).check(z.maxLength(7))),
    timesOfDay: z.optional(z.array(timeOfDaySchema).check(z.maxLength(3))),
  })).check(z.describe('Slots matching the preferred days and times of day rank first; others still follow')),
  horizonDays: z.number().check(z.int(), z.gte(1), z.lte(90), z.describe('How many days ahead to search')),
  from: z.optional(isoInstant).check(z.describe('Search from this instant (default: now); never earlier than now')),
  stepMinutes: z.optional(z.number().check(z.int(), z.gte(5), z.lte(120))).check(z.describe('Granularity of slot start times (default 15)')),
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(100))).check(z.describe('How many slots to return (default 10)')),
}).check(z.meta({ id: 'SlotsRequest', description: 'Find free appointment slots (plain code, no AI)' }));

export const slotSchema = z.strictObject({
  start: z.iso.datetime().check(z.describe('UTC')),
  end: z.iso.datetime().check(z.describe('UTC')),
  localStart: z.string().check(z.describe("Local wall time with the zone's offset, e.g. 2026-11-26T09:00:00-05:00")),
  day: weekdaySchema,
  timeOfDay: timeOfDaySchema,
  matchesPreferences: z.boolean(),
}).check(z.meta({ id: 'Slot' }));

export const slotsResponseSchema = z.strictObject({ timeZone: z.string(), slots: z.array(slotSchema).check(z.describe('Best first: preference matches, then earliest')) }).check(z.meta({ id: 'SlotsResponse' }));

// ---------------------------------------------------------------- POST /v1/scheduling/reminders

export const reminderRequestSchema = z.strictObject({
  appointment: z.strictObject({
    start: isoInstant,
    timeZone: timeZoneSchema,
    procedureDescription: z.string().check(z.trim(), z.minLength(1), z.maxLength(200), z.describe('Plain words, e.g. "cleaning and check-up"')),
    practiceName: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
    practicePhone: z.optional(z.string().check(z.regex(/^[0-9+() .-]{3,32}$/))).check(z.describe("The practice's phone number, for rescheduling")),
    patientFirstName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(50))).check(z.describe('Optional greeting name. Patient data: it is used in the message only and never logged')),
  }),
  channel: z.enum(REMINDER_CHANNELS),
}).check(z.meta({ id: 'ReminderRequest', description: 'Word an appointment reminder. No last name, date of birth or contact details of the patient' }));

export const smsLengthSchema = z.strictObject({
  encoding: z.enum(['GSM-7', 'UCS-2']).check(z.describe('UCS-2 as soon as one character is outside the GSM-7 alphabet (e.g. á, ç, an emoji)')),
  characters: z.number().check(z.int(), z.gte(0), z.describe('Characters as written (Unicode code points)')),
  units: z.number().check(z.int(), z.gte(0), z.describe('What segments are counted in: GSM-7 septets (€ [ ] { } | ^ ~ \\ count 2) or UCS-2 UTF-16 units (an emoji counts 2)')),
  segments: z.number().check(z.int(), z.gte(1), z.lte(SMS_MAX_SEGMENTS), z.describe('Messages the carrier sends and bills: GSM-7 160 septets in one, 153 per part beyond; UCS-2 70 units in one, 67 per part')),
}).check(z.meta({ id: 'SmsLength', description: `How an SMS reminder is encoded and how many segments it costs (at most ${SMS_MAX_SEGMENTS})` }));

export const reminderResponseSchema = z.strictObject({
  channel: z.enum(REMINDER_CHANNELS),
  text: z.string().check(z.minLength(1), z.maxLength(2000)),
  subject: z.optional(z.string().check(z.maxLength(200))).check(z.describe('Email only')),
  sms: z.optional(smsLengthSchema).check(z.describe('SMS only')),
  source: z.enum(['model', 'template']).check(z.describe('template when the model was unavailable or over budget')),
}).check(z.refine((r) => r.channel !== 'sms' || [...r.text].length <= SMS_MAX_CHARS, { message: `an SMS must be at most ${SMS_MAX_CHARS} characters`, path: ['text'] }), z.refine((r) => (r.channel === 'sms') === (r.sms !== undefined), { message: 'sms is present exactly when the channel is sms', path: ['sms'] }), z.meta({ id: 'ReminderResponse' }));

/** What the model must return for `scheduling.reminder` (the handler also enforces the SMS length). */
export const reminderModelOutputSchema = z.strictObject({
  text: z.string().check(z.minLength(1), z.maxLength(2000)),
  subject: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
}).check(z.meta({ id: 'SchedulingReminderModelOutput', description: 'Model output for scheduling.reminder' }));

export type Weekday = z.infer<typeof weekdaySchema>;
export type TimeOfDay = z.infer<typeof timeOfDaySchema>;
export type SlotsRequest = z.infer<typeof slotsRequestSchema>;
export type Slot = z.infer<typeof slotSchema>;
export type SlotsResponse = z.infer<typeof slotsResponseSchema>;
export type ReminderRequest = z.infer<typeof reminderRequestSchema>;
export type ReminderResponse = z.infer<typeof reminderResponseSchema>;
export type ReminderModelOutput = z.infer<typeof reminderModelOutputSchema>;
