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

  it('prices the README worked example to the cent', async () => {
    const res = await post('/v1/billing/estimates', {
      procedures: [
        { cdtCode: 'D0120', feeCents: 6000 },
        { cdtCode: 'D2740', toothNumber: '3', feeCents: 120000 },
        { cdtCode: 'D8080', feeCents: 500000 },
        { cdtCode: 'D2950', toothNumber: '3', feeCents: 25001 },
        { cdtCode: 'D2391', toothNumber: '30', feeCents: 18003 },
      ],
      coverage: { ...coverage, majorPct: 0, orthoPct: 50, annualMaxRemainingCents: 30000, orthoLifetimeMaxRemainingCents: 150000 },
      categoryOverrides: [{ cdtCode: 'D2950', category: 'basic' }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json.lines.map((l: Record<string, unknown>) => [l.category, l.deductibleAppliedCents, l.insurancePaysCents, l.patientPaysCents])).toEqual([
      ['preventive', 0, 6000, 0],
      ['major', 0, 0, 120000],
      ['ortho', 0, 150000, 350000],
      ['basic', 5000, 16001, 9000],
      ['basic', 0, 7999, 10004],
    ]);
    expect(res.json.totals).toEqual({ feeCents: 669004, deductibleAppliedCents: 5000, insurancePaysCents: 180000, patientPaysCents: 489004 });
    expect(res.json.remaining).toEqual({ deductibleCents: 0, annualMaxCents: 0, orthoLifetimeMaxCents: 0 });
  });

  it('answers a bad category override with 400 saying what is wrong and where', async () => {
    const res = await post('/v1/billing/estimates', {
      procedures: [{ cdtCode: 'D2610', feeCents: 95000 }],
      coverage,
      categoryOverrides: [{ from: 'D2664', to: 'D2510', category: 'basic' }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.code).toBe('BadRequest');
    expect(res.json.error.message).toBe('Invalid request body: categoryOverrides.0.from: from D2664 is after to D2510');
    expect(res.json.error.details.issues).toEqual([{ path: 'categoryOverrides.0.from', message: 'from D2664 is after to D2510' }]);
  });

  it('answers covered ortho without an ortho lifetime maximum with 400 naming the field', async () => {
    const res = await post('/v1/billing/estimates', { procedures: [{ cdtCode: 'D8080', feeCents: 500000 }], coverage: { ...coverage, orthoPct: 50 } });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toMatch(/^coverage\.orthoLifetimeMaxRemainingCents is required to price orthodontic procedure 0 at orthoPct 50/);
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

  it('prices the claim with its category overrides', async () => {
    const res = await post('/v1/billing/claims', {
      ...claim,
      procedures: [{ cdtCode: 'D2610', toothNumber: '3', description: 'porcelain inlay', feeCents: 95000 }],
      categoryOverrides: [{ from: 'D2510', to: 'D2664', category: 'basic' }],
    });
    expect(res.statusCode).toBe(200);
    // (95,000 − 5,000) × 80 % = 72,000, as on the estimates route.
    expect(res.json.estimate.lines).toEqual([
      { cdtCode: 'D2610', toothNumber: '3', category: 'basic', feeCents: 95000, deductibleAppliedCents: 5000, insurancePaysCents: 72000, patientPaysCents: 23000 },
    ]);
  });

  it('refuses a caller ortho code the coverage cannot price with 400, before any model call or charge', async () => {
    const before = await today();
    const res = await post('/v1/billing/claims', {
      ...claim,
      procedures: [{ cdtCode: 'D8080', description: 'comprehensive orthodontic treatment', feeCents: 500000 }],
      coverage: { ...coverage, orthoPct: 50 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toMatch(/^coverage\.orthoLifetimeMaxRemainingCents is required to price orthodontic procedure 0/);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
    expect(await today()).toEqual(before);
  });

  it('returns codes without an estimate, and says why, when a suggested code turns out to be covered ortho', async () => {
    // The simulator suggests D2740 for the crown; this plan's override makes D2740 ortho.
    const res = await post('/v1/billing/claims', { ...claim, coverage: { ...coverage, orthoPct: 50 }, categoryOverrides: [{ cdtCode: 'D2740', category: 'ortho' }] });
    expect(res.statusCode).toBe(200);
    expect(res.json.suggestedCodes).toEqual([expect.objectContaining({ procedureIndex: 0, cdtCode: 'D2740' })]);
    expect(res.json.estimate).toBeNull();
    expect(res.json.warnings).toEqual([expect.stringMatching(/^No estimate: coverage\.orthoLifetimeMaxRemainingCents is required to price orthodontic procedure 0 at orthoPct 50/)]);
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
