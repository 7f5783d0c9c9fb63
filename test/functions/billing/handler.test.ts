/** The billing task end to end in-process against dynalite, the secret stand-in and the simulator. */
import { DynamoUsageLedger, utcDay } from '../../../functions/core/usage-ledger';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type StandIns } from '../../support/stand-ins';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

let standIns: StandIns;
let handler: Handler;
let ledger: DynamoUsageLedger;

const coverage = { preventivePct: 100, basicPct: 80, majorPct: 50, orthoPct: 0, deductibleRemainingCents: 5000, annualMaxRemainingCents: 150000 };

async function post(resource: string, body: unknown, headers: Record<string, string> = {}, practiceId = 'practice-a') {
  const res = await handler(apiEvent({ resource, body, headers, practiceId }), lambdaContext(30_000));
  return { ...res, json: JSON.parse(res.body) };
}
const today = () => ledger.readTaskDay('billing', utcDay(Date.now()));

beforeAll(async () => {
  standIns = await startStandIns();
  handler = standIns.loadHandler<Handler>('billing');
  ledger = new DynamoUsageLedger({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.usage });
});
afterAll(() => standIns.close());
beforeEach(() => standIns.simulator.resetStats());

describe('POST /v1/billing/estimates', () => {
  it('prices a crown and an exam exactly, with no model call and no ledger entry', async () => {
    const before = await today();
    const res = await post('/v1/billing/estimates', {
      procedures: [
        { cdtCode: 'D0120', feeCents: 6000 },
        { cdtCode: 'D2740', toothNumber: '3', feeCents: 120000 },
      ],
      coverage,
    });
    expect(res.statusCode).toBe(200);
    // Exam: preventive, no deductible, 100 %. Crown: 5,000 deductible, then 50 % of 115,000.
    expect(res.json.lines.map((l: Record<string, number>) => [l.deductibleAppliedCents, l.insurancePaysCents, l.patientPaysCents])).toEqual([
      [0, 6000, 0],
      [5000, 57500, 62500],
    ]);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
    expect(await today()).toEqual(before);
  });

  it('answers an unknown CDT range with 400 naming the code', async () => {
    const res = await post('/v1/billing/estimates', { procedures: [{ cdtCode: 'D0001', feeCents: 100 }], coverage });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toContain('D0001');
  });
});

describe('POST /v1/billing/claims', () => {
  const claim = {
    clinicalNotes: 'Fractured MOD amalgam on #3 with cusp loss; full coverage indicated.',
    procedures: [
      { description: 'porcelain fused to high noble crown', toothNumber: '3', feeCents: 120000 },
      { cdtCode: 'D0120', description: 'periodic exam', feeCents: 6000 },
    ],
    coverage,
  };

  it('suggests valid codes, adds a narrative for a crown and prices the claim', async () => {
    const res = await post('/v1/billing/claims', claim);
    expect(res.statusCode).toBe(200);
    expect(res.json.suggestedCodes).toEqual([expect.objectContaining({ procedureIndex: 0, cdtCode: expect.stringMatching(/^D27\d\d$/) })]);
    expect(typeof res.json.narrative).toBe('string');
    expect(res.json.estimate.lines).toHaveLength(2);
    expect(res.json.estimate.totals).toBeDefined();
  });

  it('refuses a claim whose own code no estimate can price with 400, before any model call or charge', async () => {
    const before = await today();
    const res = await post('/v1/billing/claims', { ...claim, procedures: [{ cdtCode: 'D0050', description: 'unlisted', feeCents: 100 }] });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toContain('D0050');
    expect(standIns.simulator.stats().totals.requests).toBe(0);
    expect(await today()).toEqual(before);
  });

  it('answers a retry with the same Idempotency-Key once, and a different body under that key with 422', async () => {
    const key = `claim-${Date.now()}`;
    const body = { ...claim, clinicalNotes: `${claim.clinicalNotes} (visit ${key})` };
    const before = await today();
    const first = await post('/v1/billing/claims', body, { 'Idempotency-Key': key });
    const again = await post('/v1/billing/claims', body, { 'Idempotency-Key': key });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(standIns.simulator.stats().totals.requests).toBe(1);
    expect((await today()).requests - before.requests).toBe(1);

    const changed = await post('/v1/billing/claims', { ...body, clinicalNotes: 'something else' }, { 'Idempotency-Key': key });
    expect(changed.statusCode).toBe(422);
    expect(changed.json.error.code).toBe('IdempotencyKeyReused');
  });
});
