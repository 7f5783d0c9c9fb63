/**
 * The ledger on the hot path, through the task runtime over dynalite: how many DynamoDB round
 * trips an uncached request waits for in series before the model, the cost formula production
 * uses, a cache hit giving its admission back, a practice refusal through the runtime, and a
 * streamed answer settled after its last event.
 *
 * The model is a stand-in chain (what is measured here is DynamoDB, which is real); every send
 * of the document client is wrapped to log when it started and ended on one logical clock. Each
 * test has its own practice and its own UTC day (the runtime's clock), so none reads another's items.
 */
import { z } from 'zod';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { functionConfigFor, resolveCatalog } from '../../../lib/catalog';
import { createDocumentClient } from '../../../functions/core/dynamo';
import { PracticeOverShareError } from '../../../functions/core/errors';
import { keyFingerprint } from '../../../functions/core/key-fingerprint';
import type { ModelRequest, ModelStreamEvent } from '../../../functions/core/model-call';
import type { PracticeLimitsSource, PracticeShareLimits } from '../../../functions/core/ports';
import { ResponseCache, type CacheScope } from '../../../functions/core/response-cache';
import { TaskRuntime, type ModelChain } from '../../../functions/core/task-runtime';
import type { FunctionTaskConfig } from '../../../functions/core/task-config';
import { DynamoUsageLedger, utcDay } from '../../../functions/core/usage-ledger';
import { quietObservability } from '../../../bench/quiet-observability';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

const KEY = keyFingerprint('sk-hot-path-key');
const schema = z.object({ answer: z.string() });
const MODEL = 'hot-path-model';

let harness: DynamoHarness;
let doc: DynamoDBDocumentClient;
let ledger: DynamoUsageLedger;
let cache: ResponseCache;

/** One logical clock for DynamoDB sends and model calls: only the order matters. */
let tick = 0;
interface Sent {
  command: string;
  table: string;
  started: number;
  ended?: number;
}
let sent: Sent[] = [];
let modelStarts: number[] = [];

beforeAll(async () => {
  harness = await startDynamoHarness();
  doc = createDocumentClient({ endpoint: harness.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const send = doc.send.bind(doc) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  (doc as unknown as { send: typeof send }).send = (command: unknown, ...rest: unknown[]) => {
    const entry: Sent = { command: (command as object).constructor.name, table: String((command as { input?: { TableName?: string } }).input?.TableName), started: ++tick };
    sent.push(entry);
    return send(command, ...rest).finally(() => (entry.ended = ++tick));
  };
  ledger = new DynamoUsageLedger({ doc, tableName: harness.tables.usage });
  cache = new ResponseCache({ doc, tableName: harness.tables.cache });
});
afterAll(async () => {
  doc.destroy();
  await harness.close();
});
beforeEach(() => {
  sent = [];
  modelStarts = [];
});

/** The longest chain of sends, each started after the one before it ended, that ended before `before`. */
function roundTripsInSeries(before: number): number {
  const depth = new Map<Sent, number>();
  const done = sent.filter((s) => s.ended !== undefined && s.ended < before).sort((a, b) => a.started - b.started);
  for (const s of done) depth.set(s, 1 + Math.max(0, ...done.filter((p) => p.ended! < s.started).map((p) => depth.get(p) ?? 0)));
  return Math.max(0, ...depth.values());
}

const chain: ModelChain = {
  async complete(_request: ModelRequest) {
    modelStarts.push(++tick);
    return { response: { text: JSON.stringify({ answer: 'ok' }), usage: { inputTokens: 1_000, outputTokens: 200, cachedTokens: 0 }, provider: 'anthropic', model: MODEL }, keyFingerprint: KEY, target: { provider: 'anthropic', model: MODEL }, attempts: 1, fallbackUsed: false } as never;
  },
  async stream() {
    modelStarts.push(++tick);
    async function* events(): AsyncGenerator<ModelStreamEvent> {
      yield { type: 'delta', text: 'Hello' };
      yield { type: 'done', usage: { inputTokens: 300, outputTokens: 40, cachedTokens: 0 }, provider: 'anthropic', model: MODEL };
    }
    return { events: events(), keyFingerprint: KEY, target: { provider: 'anthropic', model: MODEL }, attempts: 1, fallbackUsed: false } as never;
  },
};

let days = 0;
let practices = 0;
function setup(options: { cached?: boolean; limits?: Partial<PracticeShareLimits> } = {}) {
  const now = Date.parse('2026-05-01T10:20:30.000Z') + days++ * 86_400_000;
  const base = functionConfigFor(resolveCatalog({ stage: 'test' }).byName.clinical);
  // Prices chosen so that input and output cost differently: 3 and 15 USD per million tokens.
  const config: FunctionTaskConfig = { ...base, cache: { ...base.cache, enabled: options.cached ?? false }, prices: { [MODEL]: { inputUsdPerMTok: 3, outputUsdPerMTok: 15 } } };
  const limits: PracticeShareLimits = { dailyTokens: Infinity, tokensPerMinute: Infinity, concurrentRequests: Infinity, ...options.limits };
  const practiceLimits: PracticeLimitsSource = { limitsFor: async () => limits };
  const runtime = new TaskRuntime({ config, ledger, chain, cache: options.cached ? cache : undefined, observability: quietObservability('clinical'), practiceLimits, now: () => now });
  const practiceId = `practice-hp${++practices}`;
  const ask = (question = 'q') => ({ practiceId, outputKind: 'clinical.diagnoses', system: 'Answer in JSON.', messages: [{ role: 'user' as const, content: question }], schema, cacheInput: { question }, deadline: Date.now() + 60_000 });
  return { runtime, practiceId, day: utcDay(now), ask, config };
}

describe('round trips in series before the model', () => {
  it('an uncached request of a caching task waits for one: the cache lookup and the admission go out together', async () => {
    const { runtime, ask } = setup({ cached: true });
    const answer = await runtime.generate(ask('a question nobody asked before'));
    expect(answer.cached).toBe(false);
    const model = modelStarts[0]!;
    const beforeModel = sent.filter((s) => s.ended !== undefined && s.ended < model);
    // Both were done before the model was asked...
    expect(beforeModel.map((s) => s.table).sort()).toEqual([harness.tables.cache, harness.tables.usage]);
    // ...and neither waited for the other.
    expect(roundTripsInSeries(model)).toBe(1);
  });

  it('a request of a task without a cache waits for one (the admission); the hold goes out beside the model call', async () => {
    const { runtime, ask } = setup();
    await runtime.generate(ask());
    expect(roundTripsInSeries(modelStarts[0]!)).toBeLessThanOrEqual(1);
    expect(sent.filter((s) => s.started < modelStarts[0]!)).toHaveLength(2); // admission, then the hold, sent before the model
  });
});

describe('what the runtime writes', () => {
  it('charges the live cost formula: input tokens at the input price, output tokens at the output price', async () => {
    const { runtime, ask, day, practiceId } = setup();
    await runtime.generate(ask());
    // 1,000 input × 3 + 200 output × 15 micro-dollars; pricing the input at the output price would be 18,000.
    expect((await ledger.readTaskDay('clinical', day)).costMicroUsd).toBe(6_000);
    expect(await ledger.readPracticeDay(practiceId, 'clinical', day)).toMatchObject({ requests: 1, inputTokens: 1_000, outputTokens: 200, costMicroUsd: 6_000 });
  });

  it('a cache hit gives its admission back and counts the hit for the practice, at no token cost', async () => {
    const { runtime, ask, day, practiceId } = setup({ cached: true });
    await runtime.generate(ask('asked twice'));
    const afterMiss = await ledger.readTaskDay('clinical', day);
    const hit = await runtime.generate(ask('asked twice'));
    expect(hit.cached).toBe(true);
    expect(modelStarts).toHaveLength(1);
    const afterHit = await ledger.readTaskDay('clinical', day);
    expect(afterHit).toMatchObject({ committedTokens: afterMiss.committedTokens, reservedTokens: 0, requests: 1, cacheHits: 1, cacheMisses: 1 });
    expect(await ledger.readPracticeDay(practiceId, 'clinical', day)).toMatchObject({ requests: 1, cacheHits: 1 });
  });

  it("a practice over its share is refused with PracticeOverShare, counted on its row, and its cache claim is given up at once", async () => {
    // One request's reservation (prompt + 2,000 output tokens) fits; two do not.
    const { runtime, ask, day, practiceId, config } = setup({ cached: true, limits: { tokensPerMinute: 3_000 } });
    await runtime.generate(ask('first'));
    const error = await runtime.generate(ask('second')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PracticeOverShareError);
    expect((error as PracticeOverShareError).details).toMatchObject({ practiceId, limit: 'tokensPerMinute', share: 3_000 });
    expect(await ledger.readPracticeDay(practiceId, 'clinical', day)).toMatchObject({ requests: 1, shareRefusals: 1, budgetRefusals: 0 });
    const scope: CacheScope = { practiceId, task: 'clinical', model: config.providers.map((p) => `${p.provider}:${p.model}`).join('>') };
    const entry = await cache.open(scope, { outputKind: 'clinical.diagnoses', request: { question: 'second' } }, 60);
    expect(entry.kind).toBe('claimed');
  });

  it('a streamed answer is settled after its last event has been handed on, not before', async () => {
    const { runtime, ask, day } = setup();
    const events = runtime.stream(ask());
    let next = await events.next();
    while (!next.done && next.value.type !== 'done') next = await events.next();
    expect(next.value).toMatchObject({ type: 'done' });
    // The caller holds the whole answer; the reservation is still open.
    const atLastEvent = await ledger.readTaskDay('clinical', day);
    expect(atLastEvent.requests).toBe(0);
    expect(atLastEvent.reservedTokens).toBeGreaterThan(0);
    expect(await events.next()).toEqual({ done: true, value: undefined });
    expect(await ledger.readTaskDay('clinical', day)).toMatchObject({ requests: 1, reservedTokens: 0, inputTokens: 300, outputTokens: 40, committedTokens: 340 });
  });
});
