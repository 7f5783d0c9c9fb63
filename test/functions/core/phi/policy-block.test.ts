/**
 * The `block` PHI policy end to end through the real handlers: a request with identifiers answers
 * 422 `PhiNotAllowed` naming the kinds (never an identifier) with no provider call and no ledger
 * change when every provider is outside the BAA boundary, and goes to the inside provider only
 * when the chain has one.
 */
import { DynamoUsageLedger, utcDay } from '../../../../functions/core/usage-ledger';
import { DEFAULT_MODELS } from '../../../../lib/catalog';
import { apiEvent, lambdaContext } from '../../../support/api-event';
import { invokeStreaming, type StreamedResponse } from '../../../support/awslambda';
import { PATIENT, PATIENT_TEXT, PLANTED, plantedIn } from '../../../support/phi-patient';
import { startStandIns, type StandIns } from '../../../support/stand-ins';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

let standIns: StandIns;
let chatHandler: (...args: any[]) => Promise<unknown>;
let clinicalHandler: Handler;
let ledger: DynamoUsageLedger;

beforeAll(async () => {
  standIns = await startStandIns({
    catalog: {
      taskOverrides: {
        // Every provider outside the boundary.
        chat: { phi: 'block' },
        // An outside primary and an inside fallback.
        clinical: { phi: 'block', providers: [{ provider: 'anthropic', model: DEFAULT_MODELS.anthropicLarge }, { provider: 'openai-compatible', model: DEFAULT_MODELS.local, baseUrl: 'http://10.0.0.5:8000/v1' }] },
      },
    },
  });
  chatHandler = standIns.loadHandler('chat');
  clinicalHandler = standIns.loadHandler<Handler>('clinical');
  ledger = new DynamoUsageLedger({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.usage });
});
afterAll(() => standIns.close());
beforeEach(() => standIns.simulator.resetStats());

function chat(content: string, accept = 'application/json'): Promise<StreamedResponse> {
  return invokeStreaming(chatHandler, apiEvent({ resource: '/v1/chat/messages', body: { messages: [{ role: 'user', content }] }, headers: { Accept: accept } }), lambdaContext(30_000));
}

describe('block, every provider outside the boundary', () => {
  it.each([['JSON', 'application/json'], ['a stream', 'text/event-stream']])('refuses %s with 422 PhiNotAllowed before any model call or charge', async (_label, accept) => {
    const before = await ledger.readTaskDay('chat', utcDay(Date.now()));
    const res = await chat(PATIENT_TEXT, accept);
    expect(res.statusCode).toBe(422);
    const body = JSON.parse(res.body);
    expect(body.error.code).toBe('PhiNotAllowed');
    expect(body.error.message).toMatch(/name/);
    expect(body.error.message).toMatch(/phone/);
    for (const planted of PLANTED) expect(res.body).not.toContain(planted);
    expect(standIns.simulator.received()).toEqual([]);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
    expect(await ledger.readTaskDay('chat', utcDay(Date.now()))).toEqual(before);
  });

  it('answers a request without identifiers as usual', async () => {
    const res = await chat('How long does a filling take?');
    expect(res.statusCode).toBe(200);
    expect(standIns.simulator.received()).toHaveLength(1);
  });
});

describe('block, with a provider inside the boundary', () => {
  it('skips the outside primary and asks only the inside provider', async () => {
    const body = { chiefComplaint: `Patient ${PATIENT.name}, phone ${PATIENT.phone}: sharp pain on biting`, toothFindings: [{ toothNumber: '19', finding: 'deep distal caries' }] };
    const before = await ledger.readTaskDay('clinical', utcDay(Date.now()));
    const res = await clinicalHandler(apiEvent({ resource: '/v1/clinical/diagnoses', body }), lambdaContext(29_000));
    expect(res.statusCode).toBe(200);
    // Skipped by policy, not tried and failed: no provider fallback is counted.
    expect((await ledger.readTaskDay('clinical', utcDay(Date.now()))).fallbacks).toBe(before.fallbacks);
    const received = standIns.simulator.received();
    expect(received.map((r) => r.dialect)).toEqual(['openai']);
    expect(plantedIn(received)).toEqual(expect.arrayContaining([PATIENT.name, PATIENT.phone]));
    expect(res.headers['x-smartdental-model']).toBe(DEFAULT_MODELS.local);
  });
});
