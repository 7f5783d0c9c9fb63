import { findSlots, formatLocalIso, offsetAt, zonedTimeToInstant } from '../../../functions/scheduling/slots';
import { zonedParts } from '../../../functions/scheduling/time-zones';
import { slotsRequestSchema, slotsResponseSchema, type SlotsRequest } from '../../../functions/scheduling/schemas';

const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const;
const nineToFive = weekdays.map((day) => ({ day, start: '09:00', end: '17:00' }));

function search(overrides: Partial<SlotsRequest>, now = Date.parse('2026-11-23T12:00:00Z')) {
  const request = slotsRequestSchema.parse({
    timeZone: 'America/New_York',
    workingHours: nineToFive,
    appointments: [],
    durationMinutes: 60,
    horizonDays: 7,
    ...overrides,
  });
  const response = findSlots(request, now);
  expect(slotsResponseSchema.safeParse(response).success).toBe(true);
  return response;
}

describe('time zone conversion', () => {
  it('maps wall time to instants on both sides of the US spring-forward change', () => {
    expect(new Date(zonedTimeToInstant({ year: 2026, month: 3, day: 7, hour: 9, minute: 0 }, 'America/New_York')).toISOString()).toBe('2026-03-07T14:00:00.000Z');
    expect(new Date(zonedTimeToInstant({ year: 2026, month: 3, day: 9, hour: 9, minute: 0 }, 'America/New_York')).toISOString()).toBe('2026-03-09T13:00:00.000Z');
  });

  it('resolves a skipped wall time to after the gap and a repeated one to the first', () => {
    expect(new Date(zonedTimeToInstant({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York')).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(new Date(zonedTimeToInstant({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York')).toISOString()).toBe('2026-11-01T05:30:00.000Z');
  });

  it('handles zones east of UTC and half-hour offsets', () => {
    expect(offsetAt(Date.parse('2026-07-01T00:00:00Z'), 'Europe/Berlin')).toBe(2 * 3600_000);
    expect(formatLocalIso(Date.parse('2026-07-01T00:00:00Z'), 'Asia/Kolkata')).toBe('2026-07-01T05:30:00+05:30');
    expect(formatLocalIso(Date.parse('2026-01-15T14:00:00Z'), 'America/New_York')).toBe('2026-01-15T09:00:00-05:00');
  });
});

describe('findSlots', () => {
  it('returns the earliest free slots within working hours, from now on', () => {
    // 12:00Z Monday Nov 23 = 07:00 in New York: the first slot is 09:00 local.
    const { slots } = search({ limit: 3 });
    expect(slots.map((s) => s.localStart)).toEqual(['2026-11-23T09:00:00-05:00', '2026-11-23T09:15:00-05:00', '2026-11-23T09:30:00-05:00']);
    expect(slots[0]).toMatchObject({ start: '2026-11-23T14:00:00.000Z', end: '2026-11-23T15:00:00.000Z', day: 'monday', timeOfDay: 'morning', matchesPreferences: true });
  });

  it('never overlaps an appointment, and a slot may start when one ends', () => {
    const appointments = [
      { start: '2026-11-23T14:00:00Z', end: '2026-11-23T15:30:00Z' }, // 09:00–10:30 local
      { start: '2026-11-23T11:30:00-05:00', end: '2026-11-23T11:45:00-05:00' },
    ];
    const { slots } = search({ appointments, limit: 50, horizonDays: 1 });
    expect(slots[0]!.localStart).toBe('2026-11-23T10:30:00-05:00');
    for (const slot of slots) {
      for (const a of appointments) {
        expect(Date.parse(slot.start) < Date.parse(a.end) && Date.parse(a.start) < Date.parse(slot.end)).toBe(false);
      }
    }
    // 10:45 would run into the 11:30 appointment; the next free start is when it ends.
    expect(slots.map((s) => s.localStart.slice(11, 16)).slice(0, 2)).toEqual(['10:30', '11:45']);
  });

  it('never leaves working hours: the last slot ends at closing time', () => {
    const { slots } = search({ limit: 100, horizonDays: 1, durationMinutes: 90 });
    const times = slots.map((s) => s.localStart.slice(11, 16));
    expect(times).toContain('15:30');
    expect(times).not.toContain('15:45');
    for (const slot of slots) expect(Date.parse(slot.end) - Date.parse(slot.start)).toBe(90 * 60_000);
  });

  it('skips days without working hours', () => {
    const { slots } = search({ limit: 100, horizonDays: 7, from: '2026-11-28T00:00:00Z' });
    expect(slots[0]!.day).toBe('monday');
    expect(slots.some((s) => s.day === 'saturday' || s.day === 'sunday')).toBe(false);
  });

  it('keeps 09:00 local across the spring-forward change', () => {
    const { slots } = search({ limit: 100, horizonDays: 5, durationMinutes: 480 }, Date.parse('2026-03-05T00:00:00Z'));
    expect(slots.map((s) => [s.localStart, s.start])).toEqual([
      ['2026-03-05T09:00:00-05:00', '2026-03-05T14:00:00.000Z'],
      ['2026-03-06T09:00:00-05:00', '2026-03-06T14:00:00.000Z'],
      ['2026-03-09T09:00:00-04:00', '2026-03-09T13:00:00.000Z'],
    ]);
  });

  it('counts real time in a window that spans the change', () => {
    // 00:00–06:00 on Sunday March 8 holds five real hours in New York: five 1-hour slots on the hour.
    const { slots } = search(
      { workingHours: [{ day: 'sunday', start: '00:00', end: '06:00' }], stepMinutes: 60, limit: 50, horizonDays: 2 },
      Date.parse('2026-03-07T12:00:00Z'),
    );
    expect(slots).toHaveLength(5);
    expect(slots.map((s) => s.localStart.slice(11, 25))).toEqual(['00:00:00-05:00', '01:00:00-05:00', '03:00:00-04:00', '04:00:00-04:00', '05:00:00-04:00']);
  });

  it('ranks preferred days first, then preferred times of day, then earliest', () => {
    const { slots } = search({ preferences: { days: ['thursday'], timesOfDay: ['afternoon'] }, limit: 100, horizonDays: 7 });
    expect(slots[0]).toMatchObject({ day: 'thursday', timeOfDay: 'afternoon', matchesPreferences: true, localStart: '2026-11-26T12:00:00-05:00' });
    const firstNonMatch = slots.findIndex((s) => !s.matchesPreferences);
    expect(slots.slice(0, firstNonMatch).every((s) => s.day === 'thursday' && s.timeOfDay === 'afternoon')).toBe(true);
    // Next: Thursday mornings (preferred day), before any other day.
    expect(slots[firstNonMatch]).toMatchObject({ day: 'thursday', timeOfDay: 'morning' });
  });

  it('merges touching windows and honours split shifts', () => {
    const { slots } = search({
      workingHours: [
        { day: 'monday', start: '09:00', end: '12:00' },
        { day: 'monday', start: '12:00', end: '13:00' },
        { day: 'monday', start: '14:00', end: '15:00' },
      ],
      durationMinutes: 120,
      stepMinutes: 60,
      limit: 10,
      horizonDays: 1,
    });
    expect(slots.map((s) => s.localStart.slice(11, 16))).toEqual(['09:00', '10:00', '11:00']);
  });

  it('honours from, the horizon and the limit', () => {
    const { slots } = search({ from: '2026-11-25T22:30:00Z', horizonDays: 1, limit: 100 }); // 17:30 local
    expect(slots[0]!.localStart).toBe('2026-11-26T09:00:00-05:00');
    expect(slots.every((s) => Date.parse(s.start) < Date.parse('2026-11-26T22:30:00Z'))).toBe(true);
    expect(search({ limit: 4 }).slots).toHaveLength(4);
  });

  it('never offers a slot in the past even when from is earlier than now', () => {
    const { slots } = search({ from: '2020-01-01T00:00:00Z', limit: 1 }, Date.parse('2026-11-23T15:05:00Z'));
    expect(slots[0]!.localStart).toBe('2026-11-23T10:15:00-05:00');
  });
});

/**
 * US transition days of 2026: fall back on Sunday November 1, spring forward on Sunday March 8,
 * both at 02:00 local. Offsets are the zones' standard and daylight offsets from the tz database.
 */
const US_ZONES: Array<{ zone: string; fallBack: [before: string, after: string]; springForward: [before: string, after: string] }> = [
  { zone: 'America/New_York', fallBack: ['-04:00', '-05:00'], springForward: ['-05:00', '-04:00'] },
  { zone: 'America/Chicago', fallBack: ['-05:00', '-06:00'], springForward: ['-06:00', '-05:00'] },
  { zone: 'America/Denver', fallBack: ['-06:00', '-07:00'], springForward: ['-07:00', '-06:00'] },
  { zone: 'America/Los_Angeles', fallBack: ['-07:00', '-08:00'], springForward: ['-08:00', '-07:00'] },
  { zone: 'America/Phoenix', fallBack: ['-07:00', '-07:00'], springForward: ['-07:00', '-07:00'] }, // no DST
  { zone: 'America/Anchorage', fallBack: ['-08:00', '-09:00'], springForward: ['-09:00', '-08:00'] },
  { zone: 'Pacific/Honolulu', fallBack: ['-10:00', '-10:00'], springForward: ['-10:00', '-10:00'] }, // no DST
];

const OFFICE_HOURS = ['08', '09', '10', '11', '12', '13', '14', '15', '16'];

describe.each(US_ZONES)('an 08:00–17:00 office in $zone', ({ zone, fallBack, springForward }) => {
  it.each([
    ['fall-back', ['2026-10-31', '2026-11-01', '2026-11-02'], fallBack],
    ['spring-forward', ['2026-03-07', '2026-03-08', '2026-03-09'], springForward],
  ] as const)('gets one slot per local hour 08–16 around the %s day', (_change, [saturday, sunday, monday], [before, after]) => {
    const request = slotsRequestSchema.parse({
      timeZone: zone,
      workingHours: (['saturday', 'sunday', 'monday'] as const).map((day) => ({ day, start: '08:00', end: '17:00' })),
      appointments: [],
      durationMinutes: 60,
      stepMinutes: 60,
      horizonDays: 4,
      limit: 100,
    });
    // From Friday 12:00Z: before Saturday 08:00 in every one of these zones.
    const { slots } = findSlots(request, Date.parse(`${saturday}T00:00:00Z`) - 12 * 3600_000);
    // The change happens at 02:00 on Sunday, so Saturday keeps the old offset and Sunday the new one.
    const expected = [
      ...OFFICE_HOURS.map((h) => `${saturday}T${h}:00:00${before}`),
      ...OFFICE_HOURS.map((h) => `${sunday}T${h}:00:00${after}`),
      ...OFFICE_HOURS.map((h) => `${monday}T${h}:00:00${after}`),
    ];
    expect(slots.map((s) => s.localStart)).toEqual(expected);
    // Each local time is the instant it claims to be, an hour long, with no hour twice.
    expect(slots.map((s) => Date.parse(s.start))).toEqual(expected.map((local) => Date.parse(local)));
    expect(slots.every((s) => Date.parse(s.end) - Date.parse(s.start) === 3600_000)).toBe(true);
    expect(slots.map((s) => s.day)).toEqual([...Array(9).fill('saturday'), ...Array(9).fill('sunday'), ...Array(9).fill('monday')]);
  });
});

describe('zonedTimeToInstant round trip', () => {
  const zones = [...US_ZONES.map((z) => z.zone), 'Europe/Berlin', 'Australia/Sydney', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/St_Johns'];

  it.each(zones)('gives back the wall time of every half hour of 2026 in %s, the first instant of a repeated one', (zone) => {
    // Walk every real half hour of the year (Lord Howe moves its clocks by 30 minutes) and ask for its wall time back.
    const seen = new Map<string, number>();
    const wrong: string[] = [];
    for (let instant = Date.parse('2026-01-01T00:00:00Z'); instant < Date.parse('2027-01-01T00:00:00Z'); instant += 30 * 60_000) {
      const p = zonedParts(instant, zone);
      const key = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
      if (!seen.has(key)) seen.set(key, instant);
      // A repeated wall time resolves to its first instant.
      if (zonedTimeToInstant(p, zone) !== seen.get(key)) wrong.push(`${key} (${new Date(instant).toISOString()})`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('slotsRequestSchema', () => {
  const valid = { timeZone: 'Europe/Berlin', workingHours: nineToFive, appointments: [], durationMinutes: 30, horizonDays: 14 };
  it.each([
    ['an unknown time zone', { ...valid, timeZone: 'Mars/Olympus' }, 'timeZone'],
    ['a bad clock time', { ...valid, workingHours: [{ day: 'monday', start: '9am', end: '17:00' }] }, 'workingHours.0.start'],
    ['an end before the start', { ...valid, workingHours: [{ day: 'monday', start: '17:00', end: '09:00' }] }, 'workingHours.0.end'],
    ['an appointment without offset', { ...valid, appointments: [{ start: '2026-11-23T09:00:00', end: '2026-11-23T10:00:00' }] }, 'appointments.0.start'],
    ['an appointment ending before it starts', { ...valid, appointments: [{ start: '2026-11-23T10:00:00Z', end: '2026-11-23T09:00:00Z' }] }, 'appointments.0.end'],
    ['a huge horizon', { ...valid, horizonDays: 365 }, 'horizonDays'],
    ['an unknown preference', { ...valid, preferences: { timesOfDay: ['night'] } }, 'preferences.timesOfDay.0'],
    ['an extra field', { ...valid, patientName: 'x' }, ''],
  ])('rejects %s', (_name, body, path) => {
    const result = slotsRequestSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
