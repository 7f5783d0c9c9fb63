/** The scheduling task end to end in-process: plain-code slots, model reminders with a template fallback. */
import { personalizeReminder } from '../../../functions/scheduling/prompts';
import { smsLength } from '../../../functions/scheduling/sms';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type StandIns } from '../../support/stand-ins';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

let standIns: StandIns;
let handler: Handler;

async function post(resource: string, body: unknown) {
  const res = await handler(apiEvent({ resource, body }), lambdaContext(15_000));
  return { ...res, json: JSON.parse(res.body) };
}

beforeAll(async () => {
  standIns = await startStandIns();
  handler = standIns.loadHandler<Handler>('scheduling');
});
afterAll(() => standIns.close());
beforeEach(() => standIns.simulator.resetStats());

const reminder = (channel: 'sms' | 'email', start = '2030-03-04T15:30:00Z') => ({
  appointment: { start, timeZone: 'America/Chicago', procedureDescription: 'cleaning and check-up', practiceName: 'Bright Smiles Dental', patientFirstName: 'Marisol' },
  channel,
});

describe('POST /v1/scheduling/slots', () => {
  it('finds free slots inside working hours that never overlap an appointment, without a model', async () => {
    const res = await post('/v1/scheduling/slots', {
      timeZone: 'America/New_York',
      workingHours: [{ day: 'monday', start: '09:00', end: '12:00' }],
      appointments: [{ start: '2030-03-04T14:00:00Z', end: '2030-03-04T15:00:00Z' }],
      durationMinutes: 60,
      horizonDays: 7,
      from: '2030-03-03T00:00:00Z',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json.slots.length).toBeGreaterThan(0);
    for (const slot of res.json.slots) {
      const [start, end] = [Date.parse(slot.start), Date.parse(slot.end)];
      expect(end - start).toBe(3_600_000);
      expect(start >= Date.parse('2030-03-04T15:00:00Z') || end <= Date.parse('2030-03-04T14:00:00Z')).toBe(true);
    }
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });
  it('accepts any spelling of a time zone and refuses an unknown one with a 400 that names the field', async () => {
    const body = { timeZone: 'america/los_angeles', workingHours: [{ day: 'sunday', start: '08:00', end: '17:00' }], appointments: [], durationMinutes: 60, horizonDays: 2, from: '2030-11-03T00:00:00Z', limit: 1 };
    // Sunday November 3, 2030 is a fall-back day in Los Angeles: the office still opens at 08:00, now -08:00.
    const ok = await post('/v1/scheduling/slots', body);
    expect(ok.statusCode).toBe(200);
    expect(ok.json.slots[0].localStart).toBe('2030-11-03T08:00:00-08:00');

    const bad = await post('/v1/scheduling/slots', { ...body, timeZone: 'Mars/Olympus_Mons' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json.error.code).toBe('BadRequest');
    expect(bad.json.error.message).toContain('timeZone: unknown time zone');
    expect(bad.json.error.details.issues).toEqual([{ path: 'timeZone', message: 'unknown time zone: must be an IANA name, e.g. America/New_York' }]);
  });
});

describe('POST /v1/scheduling/reminders', () => {
  it('words an SMS with the model, fills in the first name the model never saw, within 160 characters', async () => {
    const res = await post('/v1/scheduling/reminders', reminder('sms'));
    expect(res.statusCode).toBe(200);
    expect(res.json.source).toBe('model');
    expect([...res.json.text].length).toBeLessThanOrEqual(160);
    expect(res.json.text).toContain('Marisol');
    expect(res.json.text).not.toContain('{firstName}');
    expect(res.json.sms).toEqual({ encoding: 'GSM-7', characters: [...res.json.text].length, units: [...res.json.text].length, segments: 1 });
    expect(standIns.simulator.stats().totals.requests).toBe(1);
  });

  it('says when a name outside GSM-7 makes the SMS UCS-2, and keeps it within two segments', async () => {
    const body = reminder('sms', '2030-03-06T15:30:00Z');
    body.appointment.patientFirstName = 'Zoë';
    const res = await post('/v1/scheduling/reminders', body);
    expect(res.statusCode).toBe(200);
    expect(res.json.source).toBe('model');
    expect(res.json.text).toContain('Zoë');
    expect(res.json.sms).toMatchObject({ encoding: 'UCS-2', units: res.json.text.length });
    expect(res.json.sms.segments).toBe(res.json.text.length > 70 ? 2 : 1);
  });

  it('never sends an SMS over two segments, even when a cached wording meets a longer UCS-2 name', async () => {
    // The cache shares a wording between patients; this one was written for a short GSM-7 name.
    const first = await post('/v1/scheduling/reminders', reminder('sms', '2030-03-07T15:30:00Z'));
    expect(first.json).toMatchObject({ source: 'model', sms: { encoding: 'GSM-7', segments: 1 } });
    const body = reminder('sms', '2030-03-07T15:30:00Z');
    body.appointment.patientFirstName = 'Zoë-Josephine Maximiliana Bartholomew';
    const res = await post('/v1/scheduling/reminders', body);
    expect(res.statusCode).toBe(200);
    // With this name the cached wording would be UCS-2 and over 134 units: the template goes instead.
    expect(personalizeReminder(first.json.text.replace('Marisol', '{firstName}'), body).length).toBeGreaterThan(134);
    expect(res.json.source).toBe('template');
    expect(res.json.sms).toEqual(smsLength(res.json.text));
    expect(res.json.sms.segments).toBeLessThanOrEqual(2);
  });

  it('puts a first name with replacement patterns into the model text literally', async () => {
    const body = reminder('sms', '2030-03-05T15:30:00Z');
    body.appointment.patientFirstName = "Ana$&$'$`$$";
    const res = await post('/v1/scheduling/reminders', body);
    expect(res.statusCode).toBe(200);
    expect(res.json.source).toBe('model');
    expect(res.json.text).toContain("Hi Ana$&$'$`$$,");
    expect(res.json.text).not.toContain('{firstName}');
  });

  it('returns a template reminder instead of an error when every provider is down', async () => {
    standIns.simulator.configure({ faults: { serverError: 1 } });
    try {
      const res = await post('/v1/scheduling/reminders', reminder('email', '2030-04-01T15:30:00Z'));
      expect(res.statusCode).toBe(200);
      expect(res.json.source).toBe('template');
      expect(res.json.subject).toBeTruthy();
      expect(res.json.text).toContain('Bright Smiles Dental');
    } finally {
      standIns.simulator.configure({ faults: { serverError: 0 } });
    }
  });

  it('rejects an unknown channel and a bad time zone with 400', async () => {
    expect((await post('/v1/scheduling/reminders', { ...reminder('sms'), channel: 'fax' })).statusCode).toBe(400);
    const badZone = reminder('sms');
    badZone.appointment.timeZone = 'Mars/Olympus_Mons';
    expect((await post('/v1/scheduling/reminders', badZone)).statusCode).toBe(400);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });
});
