/**
 * Provider faults, injected for real by the provider simulator behind the official SDKs: 429
 * storms with retry-after, 500 and 529 bursts, timeouts, malformed bodies and a switched-off model.
 * Each case checks what the caller sees (fallback, or a clear 429/503 with Retry-After) and that
 * the ledger charged exactly what the providers served: never twice for one call.
 */
import { DynamoUsageLedger, utcDay, type LedgerCounters } from '../../functions/core/usage-ledger';
import { DEFAULT_MODELS } from '../../lib/catalog';
import { apiEvent, lambdaContext } from '../support/api-event';
import { startStandIns, type StandIns } from '../support/stand-ins';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

// clinical: anthropic claude-sonnet-5-5 first, then openai gpt-5.4.
const PRIMARY = DEFAULT_MODELS.anthropicLarge;
const FALLBACK = DEFAULT_MODELS.openaiVision;

let standIns: StandIns;
let ledger: DynamoUsageLedger;

beforeAll(async () => {
  standIns = await startStandIns();
  ledger = new DynamoUsageLedger({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.usage });
});
afterAll(() => standIns.close());
beforeEach(() => {
  standIns.simulator.configure({ faults: {}, modelFaults: {}, disabledModels: {}, throttleRetryAfterSeconds: 1 });
  standIns.simulator.resetStats();
});

let run = 0;
/** A fresh cold start per case, so one case's circuit breaker state cannot leak into the next. */
async function diagnose(timeoutMs = 29_000) {
  const handler = standIns.loadHandler<Handler>('clinical');
  run += 1;
  const body = { chiefComplaint: `Throbbing pain lower right, case ${run}`, toothFindings: [{ toothNumber: '30', finding: 'deep occlusal caries' }] };
  const res = await handler(apiEvent({ resource: '/v1/clinical/diagnoses', body }), lambdaContext(timeoutMs));
  return { ...res, json: JSON.parse(res.body) };
}

const today = () => ledger.readTaskDay('clinical', utcDay(Date.now()));
function charged(before: LedgerCounters, after: LedgerCounters) {
  return { requests: after.requests - before.requests, inputTokens: after.inputTokens - before.inputTokens, outputTokens: after.outputTokens - before.outputTokens, reserved: after.reservedTokens };
}
/** What the simulator answered successfully: exactly what the ledger may charge. */
function served() {
  const totals = standIns.simulator.stats().totals;
  const models = standIns.simulator.stats().models;
  const succeeded = Object.values(models).reduce((sum, m) => sum + (m.requests - m.throttled - m.failures), 0);
  return { requests: succeeded, inputTokens: totals.inputTokens, outputTokens: totals.outputTokens };
}

describe('provider faults', () => {
  it('a 429 storm on the primary falls back to the second provider and charges one call', async () => {
    standIns.simulator.configure({ modelFaults: { [PRIMARY]: { throttle: 1 } } });
    const before = await today();
    const res = await diagnose();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-smartdental-fallback']).toBe('true');
    expect(res.headers['x-smartdental-model']).toBe(FALLBACK);
    const after = await today();
    expect(charged(before, after)).toEqual({ ...served(), reserved: 0 });
    expect(served().requests).toBe(1);
    expect(after.providerThrottles - before.providerThrottles).toBeGreaterThanOrEqual(1);
  });

  it('when every provider is rate-limited, answers 429 with Retry-After and charges nothing', async () => {
    standIns.simulator.configure({ faults: { throttle: 1 }, throttleRetryAfterSeconds: 60 });
    const before = await today();
    const res = await diagnose();
    expect(res.statusCode).toBe(429);
    expect(res.json.error.code).toBe('ProviderThrottled');
    expect(Number(res.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(charged(before, await today())).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, reserved: 0 });
  });

  it.each([
    ['500 errors', { serverError: 1 }],
    ['529 overloaded', { overloaded: 1 }],
    ['malformed bodies', { malformed: 1 }],
  ])('%s from every provider: retries, then 503 with Retry-After, nothing charged', async (_label, faults) => {
    standIns.simulator.configure({ faults });
    const before = await today();
    const res = await diagnose();
    expect(res.statusCode).toBe(503);
    expect(res.json.error.code).toBe('ProviderUnavailable');
    expect(res.headers['Retry-After']).toBeDefined();
    // Both providers were tried, the first more than once.
    const models = standIns.simulator.stats().models;
    expect(models[PRIMARY]!.requests).toBeGreaterThan(1);
    expect(models[FALLBACK]!.requests).toBeGreaterThan(0);
    expect(charged(before, await today())).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, reserved: 0 });
  });

  it('a primary that never answers leaves time for the fallback within the function timeout', async () => {
    standIns.simulator.configure({ modelFaults: { [PRIMARY]: { timeout: 1 } } });
    const before = await today();
    const res = await diagnose(7_000);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-smartdental-model']).toBe(FALLBACK);
    expect(charged(before, await today())).toEqual({ ...served(), reserved: 0 });
  });

  it('a model switched off is skipped for the fallback', async () => {
    standIns.simulator.configure({ disabledModels: [PRIMARY] });
    const before = await today();
    const res = await diagnose();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-smartdental-model']).toBe(FALLBACK);
    expect(charged(before, await today())).toEqual({ ...served(), reserved: 0 });
  });
});
