import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError, OverBudgetError } from '../../../functions/core/errors';
import { keyFingerprint } from '../../../functions/core/key-fingerprint';
import { DynamoUsageLedger, latencyBucketAttribute, usageCostMicroUsd, type LedgerReservation } from '../../../functions/core/usage-ledger';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

const NOW = Date.parse('2026-11-26T14:03:20.000Z');
const DAY = '2026-11-26';
const MINUTE = '2026-11-26T14:03';
const KEY = keyFingerprint('sk-test-ledger-key');

let harness: DynamoHarness;
let ledger: DynamoUsageLedger;

beforeAll(async () => {
  harness = await startDynamoHarness();
  ledger = new DynamoUsageLedger({ doc: harness.doc, tableName: harness.tables.usage });
});
afterAll(() => harness.close());

function usage(inputTokens: number, outputTokens: number, extra: Partial<{ cachedTokens: number; costMicroUsd: number; latencyMs: number }> = {}) {
  return { keyFingerprint: KEY, model: 'gpt-5.4-mini', inputTokens, outputTokens, cachedTokens: 0, costMicroUsd: 0, latencyMs: 120, ...extra };
}

describe('DynamoUsageLedger admission under concurrency', () => {
  it('admits at most 100 of 200 concurrent requests against a budget for 100, and the day totals equal the reported usage exactly', async () => {
    const tokensPerRequest = 1_000;
    const reported: Array<{ inputTokens: number; outputTokens: number; costMicroUsd: number }> = [];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, async (_, i) => {
        const reservation = await ledger.reserve({ task: 'clinical', tokens: tokensPerRequest, dailyTokenBudget: 100 * tokensPerRequest, tokensPerMinute: 10_000_000, now: NOW });
        // The provider reports exactly what was reserved, split differently per request.
        const inputTokens = 400 + (i % 13) * 37;
        const outputTokens = tokensPerRequest - inputTokens;
        const costMicroUsd = inputTokens * 3 + outputTokens * 15;
        reported.push({ inputTokens, outputTokens, costMicroUsd });
        await ledger.settle(reservation, usage(inputTokens, outputTokens, { costMicroUsd }));
      }),
    );
    const admitted = outcomes.filter((o) => o.status === 'fulfilled').length;
    const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(admitted).toBeLessThanOrEqual(100);
    expect(admitted).toBe(100);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(OverBudgetError);
      expect((r.reason as OverBudgetError).statusCode).toBe(429);
    }

    const day = await ledger.readTaskDay('clinical', DAY);
    const sum = (field: 'inputTokens' | 'outputTokens' | 'costMicroUsd') => reported.reduce((total, r) => total + r[field], 0);
    expect(day.requests).toBe(admitted);
    expect(day.inputTokens).toBe(sum('inputTokens'));
    expect(day.outputTokens).toBe(sum('outputTokens'));
    expect(day.costMicroUsd).toBe(sum('costMicroUsd'));
    expect(day.inputTokens + day.outputTokens).toBeLessThanOrEqual(100 * tokensPerRequest);
    expect(day.reservedTokens).toBe(0);
    expect(day.committedTokens).toBe(day.inputTokens + day.outputTokens);

    const keyDay = await ledger.readKeyDay(KEY, DAY);
    expect(keyDay.inputTokens).toBe(sum('inputTokens'));
    expect(keyDay.requests).toBe(admitted);
  });

  it('holds the tokens-per-minute ceiling under 200 concurrent reservations and gives the day back for each refusal', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => ledger.reserve({ task: 'chat', tokens: 500, dailyTokenBudget: 1_000_000_000, tokensPerMinute: 50_000, now: NOW })),
    );
    const admitted = results.filter((r) => r.status === 'fulfilled').length;
    expect(admitted).toBeLessThanOrEqual(100);
    const minute = await ledger.readTaskMinute('chat', MINUTE);
    const day = await ledger.readTaskDay('chat', DAY);
    expect(minute.committedTokens).toBe(admitted * 500);
    expect(minute.committedTokens).toBeLessThanOrEqual(50_000);
    // Every refused minute reservation undid its day reservation.
    expect(day.committedTokens).toBe(admitted * 500);
    expect(day.reservedTokens).toBe(admitted * 500);
  });
});

describe('DynamoUsageLedger limits and messages', () => {
  it('refuses over the daily budget with the task and the limit in the message and Retry-After to UTC midnight', async () => {
    const late = Date.parse('2026-11-26T23:59:30.000Z');
    await ledger.reserve({ task: 'billing', tokens: 7_999_500, dailyTokenBudget: 8_000_000, tokensPerMinute: 10_000_000, now: late });
    const error = await ledger.reserve({ task: 'billing', tokens: 600, dailyTokenBudget: 8_000_000, tokensPerMinute: 10_000_000, now: late }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverBudgetError);
    expect((error as OverBudgetError).message).toBe('The billing task has used its daily token budget of 8,000,000 tokens; it resets at 00:00 UTC');
    expect((error as OverBudgetError).retryAfterSeconds).toBe(30);
    // What still fits is admitted.
    await expect(ledger.reserve({ task: 'billing', tokens: 500, dailyTokenBudget: 8_000_000, tokensPerMinute: 10_000_000, now: late })).resolves.toMatchObject({ tokens: 500 });
  });

  it('refuses over the TPM ceiling with Retry-After to the next minute and leaves the day item as it was', async () => {
    await ledger.reserve({ task: 'scheduling', tokens: 40_000, dailyTokenBudget: 2_000_000, tokensPerMinute: 50_000, now: NOW });
    const error = await ledger.reserve({ task: 'scheduling', tokens: 20_000, dailyTokenBudget: 2_000_000, tokensPerMinute: 50_000, now: NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverBudgetError);
    expect((error as OverBudgetError).message).toMatch(/^The scheduling task has reached its ceiling of 50,000 tokens per minute/);
    expect((error as OverBudgetError).retryAfterSeconds).toBe(40);
    expect((await ledger.readTaskDay('scheduling', DAY)).committedTokens).toBe(40_000);
    // The next minute has room again.
    await expect(ledger.reserve({ task: 'scheduling', tokens: 20_000, dailyTokenBudget: 2_000_000, tokensPerMinute: 50_000, now: NOW + 60_000 })).resolves.toBeDefined();
  });

  it('refuses a single request larger than a limit with 413 (no retry could succeed), without touching the ledger', async () => {
    const refusal = ledger.reserve({ task: 'imaging', tokens: 60_000, dailyTokenBudget: 20_000_000, tokensPerMinute: 50_000, now: NOW });
    await expect(refusal).rejects.toThrow(/larger than the imaging task's ceiling of 50,000 tokens per minute/);
    await expect(refusal).rejects.toMatchObject({ statusCode: 413 });
    expect((await ledger.readTaskDay('imaging', DAY)).committedTokens).toBe(0);
  });

  it('returns the day position after the reservation for the BudgetUsedPercent metric', async () => {
    const first = await ledger.reserve({ task: 'imaging', tokens: 1_000, dailyTokenBudget: 10_000, tokensPerMinute: 10_000, now: NOW + 3 * 60_000 });
    const second: LedgerReservation = await ledger.reserve({ task: 'imaging', tokens: 1_500, dailyTokenBudget: 10_000, tokensPerMinute: 10_000, now: NOW + 3 * 60_000 });
    expect(first.budgetUsedPercent).toBe(10);
    expect(second.dayCommittedTokens).toBe(2_500);
    expect(second.budgetUsedPercent).toBe(25);
  });
});

describe('DynamoUsageLedger settle, release and record', () => {
  const at = Date.parse('2026-10-01T08:15:05.000Z');

  it('settle swaps the reservation for the reported usage on the task and key items, with cost and latency bucket', async () => {
    const reservation = await ledger.reserve({ task: 'clinical', tokens: 2_500, dailyTokenBudget: 1_000_000, tokensPerMinute: 100_000, now: at });
    const otherKey = keyFingerprint('sk-test-settle-key');
    await ledger.settle(reservation, { ...usage(700, 300, { cachedTokens: 200, costMicroUsd: 6_600, latencyMs: 420 }), keyFingerprint: otherKey });

    for (const item of [await ledger.readTaskDay('clinical', '2026-10-01'), await ledger.readTaskMinute('clinical', '2026-10-01T08:15')]) {
      expect(item).toMatchObject({ requests: 1, inputTokens: 700, outputTokens: 300, cachedTokens: 200, costMicroUsd: 6_600, reservedTokens: 0, committedTokens: 1_000, latencyMsTotal: 420 });
      expect(item.latency).toEqual({ lat_500: 1 });
    }
    for (const item of [await ledger.readKeyDay(otherKey, '2026-10-01'), await ledger.readKeyMinute(otherKey, '2026-10-01T08:15')]) {
      expect(item).toMatchObject({ requests: 1, inputTokens: 700, outputTokens: 300, costMicroUsd: 6_600 });
    }
    const keyRef = await harness.doc.send(new GetCommand({ TableName: harness.tables.usage, Key: { pk: 'TASK#clinical', sk: `KEYREF#${otherKey}` } }));
    expect(keyRef.Item?.requests).toBe(1);
  });

  it('release gives the reservation back', async () => {
    const day = () => ledger.readTaskDay('billing', '2026-10-01');
    const reservation = await ledger.reserve({ task: 'billing', tokens: 900, dailyTokenBudget: 1_000_000, tokensPerMinute: 100_000, now: at });
    expect((await day()).committedTokens).toBe(900);
    await ledger.release(reservation);
    expect(await day()).toMatchObject({ committedTokens: 0, reservedTokens: 0, requests: 0 });
  });

  it('record adds counters to the task items and, when named, to the key items', async () => {
    await ledger.record('chat', { providerThrottles: 2, fallbacks: 1, cacheHits: 3 }, KEY, at);
    await ledger.record('chat', { lambdaThrottles: 1, cacheMisses: 1 }, undefined, at);
    expect(await ledger.readTaskDay('chat', '2026-10-01')).toMatchObject({ providerThrottles: 2, fallbacks: 1, cacheHits: 3, lambdaThrottles: 1, cacheMisses: 1 });
    expect(await ledger.readKeyMinute(KEY, '2026-10-01T08:15')).toMatchObject({ providerThrottles: 2, fallbacks: 1, cacheHits: 3, lambdaThrottles: 0 });
  });

  it('sets expiresAt a day after a minute item and 400 days after a day item', async () => {
    const get = (sk: string) => harness.doc.send(new GetCommand({ TableName: harness.tables.usage, Key: { pk: 'TASK#chat', sk } }));
    const minuteStart = Date.parse('2026-10-01T08:15:00Z') / 1000;
    const dayStart = Date.parse('2026-10-01T00:00:00Z') / 1000;
    expect((await get('MIN#2026-10-01T08:15')).Item?.expiresAt).toBe(minuteStart + 86_400);
    expect((await get('DAY#2026-10-01')).Item?.expiresAt).toBe(dayStart + 400 * 86_400);
  });
});

describe('DynamoUsageLedger when DynamoDB is down', () => {
  it('answers a typed 503 instead of an unknown error', async () => {
    const down = await startDynamoHarness();
    const downLedger = new DynamoUsageLedger({ doc: down.doc, tableName: down.tables.usage });
    await down.close();
    const error = await downLedger.reserve({ task: 'chat', tokens: 10, dailyTokenBudget: 100, tokensPerMinute: 100, now: NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).statusCode).toBe(503);
  });
});

describe('ledger arithmetic', () => {
  it('prices a call in micro-dollars from the per-million-token price', () => {
    expect(usageCostMicroUsd({ inputUsdPerMTok: 2.5, outputUsdPerMTok: 15 }, 1_000, 200)).toBe(5_500);
    expect(usageCostMicroUsd({ inputUsdPerMTok: 0.2, outputUsdPerMTok: 1.25 }, 3, 1)).toBe(2);
    expect(usageCostMicroUsd(undefined, 1_000, 1_000)).toBe(0);
  });

  it('puts a latency into the bucket of its upper bound', () => {
    expect(latencyBucketAttribute(0)).toBe('lat_50');
    expect(latencyBucketAttribute(50)).toBe('lat_50');
    expect(latencyBucketAttribute(51)).toBe('lat_100');
    expect(latencyBucketAttribute(120_001)).toBe('lat_inf');
  });
});
