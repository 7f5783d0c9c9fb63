/**
 * Free-slot search: plain code, no AI. Working hours are local wall times in the practice's IANA
 * time zone, so each day's windows are converted to instants on their own date; that keeps a
 * 09:00 start at 09:00 across a daylight-saving change, and a window spanning the change holds
 * as much real time as the clock says. Inside, everything is epoch milliseconds.
 */
import { WEEKDAYS, type Slot, type SlotsRequest, type SlotsResponse, type TimeOfDay, type Weekday } from './schemas';
import { zonedParts } from './time-zones';

export const DEFAULT_STEP_MINUTES = 15;
export const DEFAULT_SLOT_LIMIT = 10;

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** The zone's offset from UTC at an instant, in milliseconds (−5 h → −18,000,000). */
export function offsetAt(instant: number, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in a time zone. A wall time repeated by a fall-back change
 * resolves to its first occurrence; one skipped by a spring-forward change is moved forward by the
 * gap (02:30 in a 02:00→03:00 gap becomes 03:30), as Temporal's `disambiguation: 'compatible'` does.
 */
export function zonedTimeToInstant(local: { year: number; month: number; day: number; hour: number; minute: number }, timeZone: string): number {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // The true instant lies within 14 hours of `wall`, and no zone changes its offset twice in two
  // days, so the offsets a day either side are the only ones this wall time can have. Each
  // candidate is checked against its own offset: an offset taken at one guessed instant and reused
  // is what put fall-back mornings an hour early west of New York (08:00 PST came out as 07:00).
  const offsets = [offsetAt(wall - DAY_MS, timeZone), offsetAt(wall + DAY_MS, timeZone)];
  const valid = offsets.map((offset) => wall - offset).filter((instant, i) => offsetAt(instant, timeZone) === offsets[i]);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: under the offset before the change, the wall time lands just after the gap.
  return wall - offsets[0]!;
}

/** ISO-8601 local time with the zone's offset, e.g. `2026-03-09T09:00:00-04:00`. */
export function formatLocalIso(instant: number, timeZone: string): string {
  const p = zonedParts(instant, timeZone);
  const offsetMinutes = Math.round(offsetAt(instant, timeZone) / MINUTE_MS);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

export function timeOfDayAt(hour: number): TimeOfDay {
  if (hour < 12) return 'morning';
  if (hour < 17) return 'afternoon';
  return 'evening';
}

interface Interval {
  start: number;
  end: number;
}

/**
 * Ranked free slots: every candidate lies inside a working window of its local day, overlaps no
 * appointment, starts at or after `max(now, from)` and within `horizonDays`. Slots on a preferred
 * day rank before slots at a preferred time of day; ties go to the earliest.
 */
export function findSlots(request: SlotsRequest, now: number): SlotsResponse {
  const { timeZone } = request;
  const step = (request.stepMinutes ?? DEFAULT_STEP_MINUTES) * MINUTE_MS;
  const duration = request.durationMinutes * MINUTE_MS;
  const limit = request.limit ?? DEFAULT_SLOT_LIMIT;
  const searchStart = Math.max(now, request.from === undefined ? now : Date.parse(request.from));
  const searchEnd = searchStart + request.horizonDays * DAY_MS;
  const busy: Interval[] = request.appointments
    .map((a) => ({ start: Date.parse(a.start), end: Date.parse(a.end) }))
    .filter((a) => a.end > searchStart && a.start < searchEnd + duration)
    .sort((a, b) => a.start - b.start);
  const windowsByDay = mergedWindows(request.workingHours);
  const preferredDays = request.preferences?.days?.length ? new Set(request.preferences.days) : undefined;
  const preferredTimes = request.preferences?.timesOfDay?.length ? new Set(request.preferences.timesOfDay) : undefined;

  const candidates: Array<{ slot: Slot; score: number; start: number }> = [];
  const first = zonedParts(searchStart, timeZone);
  // One extra day: the horizon ends part-way through a local day.
  for (let offset = 0; offset <= request.horizonDays; offset++) {
    const date = new Date(Date.UTC(first.year, first.month - 1, first.day + offset));
    const day = WEEKDAYS[date.getUTCDay()]!;
    const local = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
    for (const window of windowsByDay.get(day) ?? []) {
      const windowStart = zonedTimeToInstant({ ...local, hour: Math.floor(window.start / 60), minute: window.start % 60 }, timeZone);
      const windowEnd = zonedTimeToInstant({ ...local, hour: Math.floor(window.end / 60), minute: window.end % 60 }, timeZone);
      for (let start = windowStart; start + duration <= windowEnd && start < searchEnd; start += step) {
        if (start < searchStart || overlapsAny(busy, start, start + duration)) continue;
        const hour = zonedParts(start, timeZone).hour;
        const timeOfDay = timeOfDayAt(hour);
        const dayMatch = preferredDays === undefined || preferredDays.has(day);
        const timeMatch = preferredTimes === undefined || preferredTimes.has(timeOfDay);
        candidates.push({
          start,
          score: (dayMatch ? 2 : 0) + (timeMatch ? 1 : 0),
          slot: {
            start: new Date(start).toISOString(),
            end: new Date(start + duration).toISOString(),
            localStart: formatLocalIso(start, timeZone),
            day,
            timeOfDay,
            matchesPreferences: dayMatch && timeMatch,
          },
        });
      }
    }
  }
  candidates.sort((a, b) => b.score - a.score || a.start - b.start);
  return { timeZone, slots: candidates.slice(0, limit).map((c) => c.slot) };
}

/** Working windows per weekday in local minutes, with overlapping or touching windows merged. */
function mergedWindows(workingHours: SlotsRequest['workingHours']): Map<Weekday, Interval[]> {
  const byDay = new Map<Weekday, Interval[]>();
  for (const w of workingHours) {
    const list = byDay.get(w.day) ?? [];
    list.push({ start: minutesOf(w.start), end: minutesOf(w.end) });
    byDay.set(w.day, list);
  }
  for (const [day, list] of byDay) {
    list.sort((a, b) => a.start - b.start);
    const merged: Interval[] = [];
    for (const window of list) {
      const last = merged[merged.length - 1];
      if (last && window.start <= last.end) last.end = Math.max(last.end, window.end);
      else merged.push({ ...window });
    }
    byDay.set(day, merged);
  }
  return byDay;
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Half-open intervals: an appointment ending at 10:00 leaves a 10:00 slot free. */
function overlapsAny(busy: Interval[], start: number, end: number): boolean {
  for (const appointment of busy) {
    if (appointment.start >= end) return false;
    if (appointment.end > start) return true;
  }
  return false;
}
