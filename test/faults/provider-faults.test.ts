/**
 * Provider faults, injected for real by the provider simulator behind the official SDKs: 429
 * storms with retry-after (Bedrock: ThrottlingException), 500 and 529 bursts (Bedrock:
 * InternalServerException and ServiceUnavailableException), hangs, malformed bodies and streams,
 * streams cut half-way and a switched-off model. Every case runs once per provider kind: the
 * catalog's OpenAI and Anthropic chains, and the `providers=bedrock` chains through the Converse
 * API. Each case checks what the caller sees (fallback, or a clear 429/503 with Retry-After), that
 * the throttled key cools down and is counted (ledger and ProviderThrottles metric), and that the
 * ledger charged exactly what the providers served: never twice for one call.
 */
import { functionConfigFor, resolveCatalog, type ProviderPreset } from '../../lib/catalog';
import { ENV } from '../../functions/core/env';
import { METRIC } from '../../functions/core/metric-names';
import { DynamoUsageLedger, utcDay, type LedgerCounters } from '../../functions/core/usage-ledger';
import { apiEvent, lambdaContext } from '../support/api-event';
import { invokeStreaming } from '../support/awslambda';
import { startStandIns, type StandIns } from '../support/stand-ins';
import { waitFor } from '../support/wait-for';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

interface ProviderKindCase {
  kind: string;
  providers: ProviderPreset;
  /**
   * What the caller gets when every provider answers "overloaded": Anthropic's 529 is an outage
   * (503 after the retries), Bedrock's ServiceUnavailableException a capacity throttle (429).
   */
  overloaded: { status: number; code: string };
}

const PROVIDER_KINDS: ProviderKindCase[] = [
  { kind: 'OpenAI and Anthropic', providers: 'catalog', overloaded: { status: 503, code: 'ProviderUnavailable' } },
  { kind: 'Bedrock', providers: 'bedrock', overloaded: { status: 429, code: 'ProviderThrottled' } },
];

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

const today = (task: 'clinical' | 'chat' = 'clinical') => ledger.readTaskDay(task, utcDay(Date.now()));
function charged(before: LedgerCounters, after: LedgerCounters) {
  return { requests: after.requests - before.requests, inputTokens: after.inputTokens - before.inputTokens, outputTokens: after.outputTokens - before.outputTokens, reserved: after.reservedTokens };
}
const NOTHING_CHARGED = { requests: 0, inputTokens: 0, outputTokens: 0, reserved: 0 };
/** What the simulator answered successfully: exactly what the ledger may charge. */
function served() {
  const totals = standIns.simulator.stats().totals;
  const models = standIns.simulator.stats().models;
  const succeeded = Object.values(models).reduce((sum, m) => sum + (m.requests - m.throttled - m.failures), 0);
  return { requests: succeeded, inputTokens: totals.inputTokens, outputTokens: totals.outputTokens };
}
const requestsTo = (model: string) => standIns.simulator.stats().models[model]?.requests ?? 0;

/** The EMF records a piece of work wrote to stdout (Powertools Metrics, as Lambda would ship them). */
async function emfRecordsOf<T>(work: () => Promise<T>): Promise<{ result: T; records: Array<Record<string, any>> }> {
  const lines: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(...String(chunk).split('\n').filter((line) => line.trim().startsWith('{')));
    return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    const result = await work();
    return { result, records: lines.map((line) => JSON.parse(line) as Record<string, any>).filter((r) => r._aws?.CloudWatchMetrics) };
  } finally {
    process.stdout.write = write;
  }
}

function parseSse(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => ({ event: /^event: (.+)$/m.exec(frame)?.[1] ?? 'message', data: JSON.parse(/^data: (.+)$/m.exec(frame)?.[1] ?? 'null') }));
}

describe.each(PROVIDER_KINDS)('provider faults: $kind', ({ providers, overloaded }) => {
  const catalog = resolveCatalog({ providers });
  const [primary, fallback] = catalog.byName.clinical.providers.map((t) => t.model) as [string, string];
  const taskEnv = (task: 'clinical' | 'chat', extra: NodeJS.ProcessEnv = {}) => ({ [ENV.taskConfig]: JSON.stringify(functionConfigFor(catalog.byName[task])), ...extra });

  let run = 0;
  /** A fresh cold start per case, so one case's circuit breaker and key cool-downs cannot leak into the next. */
  const clinicalHandler = (extra: NodeJS.ProcessEnv = {}) => standIns.loadHandler<Handler>('clinical', 'handler', taskEnv('clinical', extra));
  async function diagnose(handler: Handler = clinicalHandler(), timeoutMs = 29_000) {
    run += 1;
    const body = { chiefComplaint: `Throbbing pain lower right, ${providers} case ${run}`, toothFindings: [{ toothNumber: '30', finding: 'deep occlusal caries' }] };
    const res = await handler(apiEvent({ resource: '/v1/clinical/diagnoses', body }), lambdaContext(timeoutMs));
    return { ...res, json: JSON.parse(res.body) };
  }

  it('runs on the chain of its kind', () => {
    const kinds = new Set(catalog.byName.clinical.providers.map((t) => t.provider));
    expect(providers === 'bedrock' ? [...kinds] : [...kinds].sort()).toEqual(providers === 'bedrock' ? ['bedrock'] : ['anthropic', 'openai']);
  });

  it('a 429 storm on the primary falls back to the second model, charges one call, and counts the throttle in the ledger and the ProviderThrottles metric', async () => {
    standIns.simulator.configure({ modelFaults: { [primary]: { throttle: 1 } } });
    const before = await today();
    const handler = clinicalHandler({ POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_DEV: 'false' });
    const { result: res, records } = await emfRecordsOf(() => diagnose(handler));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-smartdental-fallback']).toBe('true');
    expect(res.headers['x-smartdental-model']).toBe(fallback);
    const after = await today();
    expect(charged(before, after)).toEqual({ ...served(), reserved: 0 });
    expect(served().requests).toBe(1);
    // The throttle counter is written beside the request: wait for it to land.
    await waitFor('the provider throttle counted in the ledger', async () => (await today()).providerThrottles - before.providerThrottles >= 1);
    const throttles = records.filter((r) => r[METRIC.providerThrottles] !== undefined);
    expect(throttles.length).toBeGreaterThanOrEqual(1);
    expect(throttles[0]).toMatchObject({ task: 'clinical' });
  });

  it('a throttled primary cools down: the next request from the warm function skips it without a call', async () => {
    // Bedrock sends no retry-after: its model cools for the key pool's default (10 s). A 7 s
    // function timeout leaves no room to wait that out, nor the 60 s retry-after of the others.
    standIns.simulator.configure({ modelFaults: { [primary]: { throttle: 1 } }, throttleRetryAfterSeconds: 60 });
    const handler = clinicalHandler();
    expect((await diagnose(handler, 7_000)).headers['x-smartdental-model']).toBe(fallback);
    const primaryCalls = requestsTo(primary);
    expect(standIns.simulator.stats().models[primary]!.throttled).toBe(primaryCalls);

    // The primary would answer now, but its key (Bedrock: its model) is still cooling.
    standIns.simulator.configure({ modelFaults: {} });
    const second = await diagnose(handler, 7_000);
    expect(second.statusCode).toBe(200);
    expect(second.headers['x-smartdental-model']).toBe(fallback);
    expect(requestsTo(primary)).toBe(primaryCalls);
  });

  it('when every provider is rate-limited, answers 429 with Retry-After and charges nothing', async () => {
    standIns.simulator.configure({ faults: { throttle: 1 }, throttleRetryAfterSeconds: 60 });
    const before = await today();
    const res = await diagnose();
    expect(res.statusCode).toBe(429);
    expect(res.json.error.code).toBe('ProviderThrottled');
    expect(Number(res.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(requestsTo(primary)).toBeGreaterThan(0);
    expect(requestsTo(fallback)).toBeGreaterThan(0);
    expect(charged(before, await today())).toEqual(NOTHING_CHARGED);
  });

  it.each([
    ['500 errors', { serverError: 1 }, { status: 503, code: 'ProviderUnavailable' }],
    ['529 overloaded (Bedrock: ServiceUnavailableException)', { overloaded: 1 }, overloaded],
    ['malformed bodies', { malformed: 1 }, { status: 503, code: 'ProviderUnavailable' }],
  ])('%s from every provider: retries or cools down, then a clear error with Retry-After, nothing charged', async (_label, faults, expected) => {
    standIns.simulator.configure({ faults });
    const before = await today();
    const res = await diagnose();
    expect(res.statusCode).toBe(expected.status);
    expect(res.json.error.code).toBe(expected.code);
    expect(res.headers['Retry-After']).toBeDefined();
    // Both models were tried; an outage is retried on the first, a throttle cools it down instead.
    expect(requestsTo(primary)).toBeGreaterThan(expected.code === 'ProviderUnavailable' ? 1 : 0);
    expect(requestsTo(fallback)).toBeGreaterThan(0);
    expect(charged(before, await today())).toEqual(NOTHING_CHARGED);
  });

  it('a primary that never answers leaves time for the fallback within the function timeout', async () => {
    standIns.simulator.configure({ modelFaults: { [primary]: { timeout: 1 } } });
    const before = await today();
    const res = await diagnose(clinicalHandler(), 7_000);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-smartdental-model']).toBe(fallback);
    expect(charged(before, await today())).toEqual({ ...served(), reserved: 0 });
  });

  it('a model switched off is skipped for the fallback', async () => {
    standIns.simulator.configure({ disabledModels: [primary] });
    const before = await today();
    const res = await diagnose();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-smartdental-model']).toBe(fallback);
    expect(charged(before, await today())).toEqual({ ...served(), reserved: 0 });
  });

  const chatStream = async (faults: Record<string, number>) => {
    standIns.simulator.configure({ faults });
    const handler = standIns.loadHandler<Handler>('chat', 'handler', taskEnv('chat'));
    const before = await today('chat');
    const event = apiEvent({ resource: '/v1/chat/messages', body: { messages: [{ role: 'user', content: `What are your Saturday hours? (${providers} ${++run})` }] }, headers: { Accept: 'text/event-stream' } });
    const res = await invokeStreaming(handler, event, lambdaContext(30_000));
    // The reservation is released once the stream has ended: wait for that write.
    const after = await waitFor('the chat reservation released', async () => {
      const day = await today('chat');
      return day.reservedTokens === 0 ? day : undefined;
    });
    return { res, charged: charged(before, after), chain: catalog.byName.chat.providers.map((t) => t.model) };
  };

  it('a chat stream cut half-way ends in an error event after the deltas sent, and charges nothing', async () => {
    const { res, charged: cost, chain } = await chatStream({ cutStream: 1 });
    const events = parseSse(res.body);
    expect(events.at(-1)!.event).toBe('error');
    expect(events.at(-1)!.data.error.code).toEqual(expect.any(String));
    expect(events.some((e) => e.event === 'done')).toBe(false);
    expect(requestsTo(chain[0]!)).toBeGreaterThan(0);
    expect(cost).toEqual(NOTHING_CHARGED);
  });

  it('a malformed chat stream from every provider, before any delta, is a 503 with Retry-After after both models, and charges nothing', async () => {
    const { res, charged: cost, chain } = await chatStream({ malformed: 1 });
    expect(res.statusCode).toBe(503);
    expect(JSON.parse(res.body).error.code).toBe('ProviderUnavailable');
    expect(res.headers['Retry-After']).toBeDefined();
    for (const model of chain) expect(requestsTo(model)).toBeGreaterThan(0);
    expect(cost).toEqual(NOTHING_CHARGED);
  });
});
