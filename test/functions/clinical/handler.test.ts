/**
 * The clinical task end to end in-process: the real handler module with the environment the
 * stack sets, dynalite for the ledger and cache, the Secrets Manager stand-in and the provider
 * simulator behind the official SDKs.
 */
import { DynamoUsageLedger, utcDay } from '../../../functions/core/usage-ledger';
import { diagnosesResponseSchema, treatmentPlanResponseSchema } from '../../../functions/clinical/schemas';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type StandIns } from '../../support/stand-ins';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

let standIns: StandIns;
let handler: Handler;
let ledger: DynamoUsageLedger;

const diagnosesRequest = {
  chiefComplaint: 'Sharp pain on biting, lower left, for a week',
  symptoms: ['lingering cold sensitivity'],
  toothFindings: [{ toothNumber: '19', finding: 'deep distal caries, tender to percussion' }],
  medicalHistory: { allergies: ['penicillin'], conditions: [], medications: [] },
  ageYears: 42,
};

async function post(resource: string, body: unknown, practiceId = 'practice-a') {
  const res = await handler(apiEvent({ resource, body, practiceId }), lambdaContext(29_000));
  return { ...res, json: JSON.parse(res.body) };
}

beforeAll(async () => {
  standIns = await startStandIns();
  handler = standIns.loadHandler<Handler>('clinical');
  ledger = new DynamoUsageLedger({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.usage });
});
afterAll(() => standIns.close());
beforeEach(() => standIns.simulator.resetStats());

describe('POST /v1/clinical/diagnoses', () => {
  it('answers differential diagnoses with valid tooth numbers and records the exact usage on its own key', async () => {
    const before = await ledger.readTaskDay('clinical', utcDay(Date.now()));
    const res = await post('/v1/clinical/diagnoses', diagnosesRequest);
    expect(res.statusCode).toBe(200);
    expect(diagnosesResponseSchema.parse(res.json).differentialDiagnoses.length).toBeGreaterThan(0);
    for (const d of res.json.differentialDiagnoses) for (const t of d.toothNumbers) expect(t).toMatch(/^([1-9]|[12]\d|3[0-2]|[A-T])$/);
    expect(['routine', 'soon', 'urgent', 'emergency']).toContain(res.json.urgency);
    expect(res.headers['x-smartdental-cache']).toBe('miss');

    const stats = standIns.simulator.stats();
    expect(stats.totals.requests).toBe(1);
    // Only clinical's own key was used (anthropic is clinical's primary provider).
    expect(Object.keys(stats.keys).filter((k) => stats.keys[k]!.requests > 0)).toEqual([standIns.keyOf('clinical', 'anthropic')]);
    const after = await ledger.readTaskDay('clinical', utcDay(Date.now()));
    expect(after.inputTokens - before.inputTokens).toBe(stats.totals.inputTokens);
    expect(after.outputTokens - before.outputTokens).toBe(stats.totals.outputTokens);
    expect(after.reservedTokens).toBe(0);
  });

  it('answers a repeated request from the cache for the same practice only', async () => {
    const request = { ...diagnosesRequest, chiefComplaint: 'Dull ache upper right after a filling' };
    const first = await post('/v1/clinical/diagnoses', request);
    const second = await post('/v1/clinical/diagnoses', request);
    expect(second.statusCode).toBe(200);
    expect(second.headers['x-smartdental-cache']).toBe('hit');
    expect(second.json).toEqual(first.json);
    expect(standIns.simulator.stats().totals.requests).toBe(1);

    const other = await post('/v1/clinical/diagnoses', request, 'practice-b');
    expect(other.headers['x-smartdental-cache']).toBe('miss');
    expect(standIns.simulator.stats().totals.requests).toBe(2);
  });

  it.each([
    ['a missing chief complaint', { symptoms: ['pain'] }, /chiefComplaint/],
    ['a wrong type', { chiefComplaint: 42 }, /chiefComplaint/],
    ['an invalid tooth number', { chiefComplaint: 'pain', toothFindings: [{ toothNumber: '33', finding: 'caries' }] }, /toothNumber/],
    ['a patient name field', { chiefComplaint: 'pain', patientName: 'Jane Roe' }, /patientName/],
  ])('rejects %s with 400 and spends nothing', async (_label, body, message) => {
    const before = await ledger.readTaskDay('clinical', utcDay(Date.now()));
    const res = await post('/v1/clinical/diagnoses', body);
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toMatch(message);
    expect(res.body).not.toContain('Jane Roe');
    expect(standIns.simulator.stats().totals.requests).toBe(0);
    expect(await ledger.readTaskDay('clinical', utcDay(Date.now()))).toEqual(before);
  });
});

describe('POST /v1/clinical/treatment-plans', () => {
  it('answers a phased plan whose CDT codes and teeth are all valid', async () => {
    const res = await post('/v1/clinical/treatment-plans', { diagnoses: [{ condition: 'Irreversible pulpitis', toothNumbers: ['19'] }] });
    expect(res.statusCode).toBe(200);
    expect(treatmentPlanResponseSchema.parse(res.json).phases.length).toBeGreaterThan(0);
    for (const phase of res.json.phases)
      for (const p of phase.procedures) {
        expect(p.cdtCode).toMatch(/^D\d{4}$/);
        if (p.toothNumber !== null) expect(p.toothNumber).toMatch(/^([1-9]|[12]\d|3[0-2]|[A-T])$/);
      }
    expect(Array.isArray(res.json.warnings)).toBe(true);
  });

  it('asks once for a repair when the model answers the wrong shape, then answers 502 and settles both calls', async () => {
    standIns.simulator.configure({ faults: { schema: 1 } });
    try {
      const before = await ledger.readTaskDay('clinical', utcDay(Date.now()));
      const res = await post('/v1/clinical/treatment-plans', { diagnoses: [{ condition: 'Fractured cusp', toothNumbers: ['30'] }] });
      expect(res.statusCode).toBe(502);
      expect(res.json.error.code).toBe('InvalidModelOutput');
      const stats = standIns.simulator.stats();
      expect(stats.totals.requests).toBe(2);
      const after = await ledger.readTaskDay('clinical', utcDay(Date.now()));
      expect(after.requests - before.requests).toBe(2);
      expect(after.inputTokens - before.inputTokens).toBe(stats.totals.inputTokens);
      expect(after.reservedTokens).toBe(0);
    } finally {
      standIns.simulator.configure({ faults: { schema: 0 } });
    }
  });
});
