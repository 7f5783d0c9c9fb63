/**
 * The usage ledger over dynalite: exact admission under concurrency (task budget, task TPM,
 * practice shares), refusal bodies, settlement, release and the practices' chargeback rows.
 *
 * Every test works on its own UTC day and its own practice ids, so each passes alone and in any
 * order: none reads what another wrote.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError, OverBudgetError, PracticeOverShareError, toHttpError } from '../../../functions/core/errors';
import { keyFingerprint } from '../../../functions/core/key-fingerprint';
import type { PracticeShareLimits, Reservation } from '../../../functions/core/ports';
import { DynamoUsageLedger, latencyBucketAttribute, usageCostMicroUsd, utcDay, utcMinute, type LedgerReservation } from '../../../functions/core/usage-ledger';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

const KEY = keyFingerprint('sk-test-ledger-key');
const NO_SHARES: PracticeShareLimits = { dailyTokens: Infinity, tokensPerMinute: Infinity, concurrentRequests: Infinity };

let harness: DynamoHarness;
let ledger: DynamoUsageLedger;

beforeAll(async () => {
  harness = await startDynamoHarness();
  ledger = new DynamoUsageLedger({ doc: harness.doc, tableName: harness.tables.usage });
});
afterAll(() => harness.close());

/** A UTC day no other test uses, at 14:03:20 (40 s before the next minute). */
let days = 0;
function freshDay(): { now: number; day: string; minute: string } {
  const now = Date.parse('2026-03-01T14:03:20.000Z') + days++ * 86_400_000;
  return { now, day: utcDay(now), minute: utcMinute(now) };
}
let practices = 0;
const freshPractice = () => `practice-t${++practices}`;

function usage(inputTokens: number, outputTokens: number, extra: Partial<{ cachedTokens: number; costMicroUsd: number; latencyMs: number }> = {}) {
  return { keyFingerprint: KEY, model: 'gpt-5.4-mini', inputTokens, outputTokens, cachedTokens: 0, costMicroUsd: 0, latencyMs: 120, ...extra };
}

async function burst<T>(n: number, fn: (i: number) => Promise<T>) {
  const outcomes = await Promise.allSettled(Array.from({ length: n }, (_, i) => fn(i)));
  const admitted = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<T>> => o.status === 'fulfilled').map((o) => o.value);
  const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason as Error);
  return { admitted, refused };
}

describe('admission under 200 concurrent requests is exact', () => {
  it('admits exactly the 100 of 200 that the daily budget holds, and the day totals equal the reported usage', async () => {
    const { now, day } = freshDay();
    const { admitted, refused } = await burst(200, async () => {
      const reservation = await ledger.reserve({ task: 'clinical', tokens: 1_000, dailyTokenBudget: 100_000, tokensPerMinute: 10_000_000, now });
      ledger.hold(reservation);
      return reservation;
    });
    // Refusals first: a failure of any other kind would show here by its name.
    expect(new Set(refused.map((r) => r.constructor.name))).toEqual(new Set(['OverBudgetError']));
    expect(admitted).toHaveLength(100);

    // The provider reports exactly what was reserved, split differently per request.
    const reported = admitted.map((_, i) => {
      const inputTokens = 400 + (i % 13) * 37;
      return { inputTokens, outputTokens: 1_000 - inputTokens, costMicroUsd: inputTokens * 3 + (1_000 - inputTokens) * 15 };
    });
    await Promise.all(admitted.map((reservation, i) => ledger.settle(reservation, usage(reported[i]!.inputTokens, reported[i]!.outputTokens, { costMicroUsd: reported[i]!.costMicroUsd }), {}, now)));

    const dayItem = await ledger.readTaskDay('clinical', day);
    const sum = (field: 'inputTokens' | 'outputTokens' | 'costMicroUsd') => reported.reduce((total, r) => total + r[field], 0);
    expect(dayItem).toMatchObject({ requests: 100, inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'), costMicroUsd: sum('costMicroUsd'), reservedTokens: 0, committedTokens: 100_000 });
    expect((await ledger.readKeyDay(KEY, day)).requests).toBeGreaterThanOrEqual(100);
  });

  it("admits exactly the 100 of 200 that the task's tokens-per-minute ceiling holds, and the refusals take nothing from the day", async () => {
    const { now, day } = freshDay();
    const { admitted, refused } = await burst(200, () => ledger.reserve({ task: 'chat', tokens: 500, dailyTokenBudget: 1_000_000_000, tokensPerMinute: 50_000, now }));
    expect(new Set(refused.map((r) => r.message))).toEqual(new Set(['The chat task has reached its ceiling of 50,000 tokens per minute; retry in 40 s']));
    expect(admitted).toHaveLength(100);
    const item = await ledger.readAdmissionItem('chat', day);
    expect(item?.committedTokens).toBe(50_000);
    expect(item?.reservedTokens).toBe(50_000);
    // The minute slot: minute-of-day (14:03 = 843) × 10¹² + tokens committed in it.
    expect(item?.tm).toBe(843e12 + 50_000);
  });

  it("admits exactly a practice's tokens-per-minute share (30 of 200), while the task's total stays within the task's limits", async () => {
    const { now, day } = freshDay();
    const practiceId = freshPractice();
    const shares = { ...NO_SHARES, tokensPerMinute: 15_000 };
    const { admitted, refused } = await burst(200, () =>
      ledger.reserve({ task: 'chat', tokens: 500, dailyTokenBudget: 1_000_000, tokensPerMinute: 150_000, practiceId, practiceLimits: shares, now }),
    );
    expect(admitted).toHaveLength(30);
    for (const r of refused) expect(r).toBeInstanceOf(PracticeOverShareError);
    const item = await ledger.readAdmissionItem('chat', day);
    expect(item?.committedTokens).toBe(15_000);
    expect(item?.[`pm#${practiceId}`]).toBe(843e12 + 15_000);
  });

  it("admits exactly a practice's daily share (20 of 200)", async () => {
    const { now, day } = freshDay();
    const practiceId = freshPractice();
    const { admitted } = await burst(200, () =>
      ledger.reserve({ task: 'billing', tokens: 1_000, dailyTokenBudget: 1_000_000, tokensPerMinute: 1_000_000, practiceId, practiceLimits: { ...NO_SHARES, dailyTokens: 20_000 }, now }),
    );
    expect(admitted).toHaveLength(20);
    expect((await ledger.readAdmissionItem('billing', day))?.[`pd#${practiceId}`]).toBe(20_000);
  });

  it("admits exactly a practice's concurrent-request cap (7 of 200), and one more once one has finished", async () => {
    const { now, day } = freshDay();
    const practiceId = freshPractice();
    const reserve = () => ledger.reserve({ task: 'scheduling', tokens: 100, dailyTokenBudget: 1_000_000, tokensPerMinute: 1_000_000, practiceId, practiceLimits: { ...NO_SHARES, concurrentRequests: 7 }, now });
    const { admitted, refused } = await burst(200, reserve);
    expect(admitted).toHaveLength(7);
    expect((refused[0] as PracticeOverShareError).details).toMatchObject({ limit: 'concurrentRequests', share: 7, used: 7 });
    await ledger.release(admitted[0]!, {}, now);
    expect((await ledger.readAdmissionItem('scheduling', day))?.[`pf#${practiceId}`]).toBe(6);
    await expect(reserve()).resolves.toMatchObject({ tokens: 100 });
    await expect(reserve()).rejects.toBeInstanceOf(PracticeOverShareError);
  });

  it("200 concurrent from four practices: no practice passes its share and the task's total is exactly its ceiling", async () => {
    const { now, day } = freshDay();
    const ids = [freshPractice(), freshPractice(), freshPractice(), freshPractice()];
    const shares = { ...NO_SHARES, tokensPerMinute: 20_000 }; // 40 requests of 500 each; the task holds 100
    const { admitted, refused } = await burst(200, (i) =>
      ledger.reserve({ task: 'clinical', tokens: 500, dailyTokenBudget: 1_000_000, tokensPerMinute: 50_000, practiceId: ids[i % 4]!, practiceLimits: shares, now }),
    );
    expect(admitted).toHaveLength(100);
    const perPractice = ids.map((id) => admitted.filter((r: Reservation) => r.practice?.practiceId === id).length);
    for (const n of perPractice) expect(n).toBeLessThanOrEqual(40);
    expect(refused.every((r) => r instanceof OverBudgetError || r instanceof PracticeOverShareError)).toBe(true);
    const item = await ledger.readAdmissionItem('clinical', day);
    expect(item?.committedTokens).toBe(50_000);
    expect(ids.reduce((sum, id) => sum + (Number(item?.[`pm#${id}`]) - 843e12), 0)).toBe(50_000);
  });
});

describe('refusals say whose limit it was', () => {
  it('a practice over its TPM share gets 429 PracticeOverShare with the share, its use and Retry-After to the next minute', async () => {
    const { now } = freshDay();
    const practiceId = freshPractice();
    const shares = { ...NO_SHARES, tokensPerMinute: 30_000 };
    await ledger.reserve({ task: 'chat', tokens: 25_000, dailyTokenBudget: 10_000_000, tokensPerMinute: 150_000, practiceId, practiceLimits: shares, now });
    const error = await ledger.reserve({ task: 'chat', tokens: 6_000, dailyTokenBudget: 10_000_000, tokensPerMinute: 150_000, practiceId, practiceLimits: shares, now }).catch((e: unknown) => e);
    const http = toHttpError(error);
    expect(http.statusCode).toBe(429);
    expect(http.headers['Retry-After']).toBe('40');
    expect(http.body.error).toEqual({
      code: 'PracticeOverShare',
      message: `Practice ${practiceId} has used 25,000 of its share of 30,000 tokens per minute of the chat task; retry in 40 s`,
      details: { practiceId, task: 'chat', limit: 'tokensPerMinute', share: 30_000, used: 25_000, requested: 6_000 },
    });
    // Another practice still has the task's room.
    await expect(ledger.reserve({ task: 'chat', tokens: 6_000, dailyTokenBudget: 10_000_000, tokensPerMinute: 150_000, practiceId: freshPractice(), practiceLimits: shares, now })).resolves.toBeDefined();
  });

  it('a practice over its daily share gets Retry-After to 00:00 UTC', async () => {
    const { now } = freshDay();
    const late = now + (9 * 3600 + 56 * 60 + 10) * 1000; // 23:59:30
    const practiceId = freshPractice();
    const shares = { ...NO_SHARES, dailyTokens: 10_000 };
    await ledger.reserve({ task: 'billing', tokens: 9_000, dailyTokenBudget: 10_000_000, tokensPerMinute: 1_000_000, practiceId, practiceLimits: shares, now: late });
    const http = toHttpError(await ledger.reserve({ task: 'billing', tokens: 2_000, dailyTokenBudget: 10_000_000, tokensPerMinute: 1_000_000, practiceId, practiceLimits: shares, now: late }).catch((e: unknown) => e));
    expect(http.statusCode).toBe(429);
    expect(http.headers['Retry-After']).toBe('30');
    expect(http.body.error.message).toBe(`Practice ${practiceId} has used 9,000 of its daily share of 10,000 tokens of the billing task; it resets at 00:00 UTC`);
    expect(http.body.error.details).toMatchObject({ limit: 'dailyTokens', share: 10_000, used: 9_000 });
  });

  it("the task's own daily budget is OverBudget, with Retry-After to UTC midnight, even for a practice with shares left", async () => {
    const { now } = freshDay();
    const late = now + (9 * 3600 + 56 * 60 + 10) * 1000;
    const practiceId = freshPractice();
    const shares = { ...NO_SHARES, dailyTokens: 9_000_000 };
    await ledger.reserve({ task: 'billing', tokens: 7_999_500, dailyTokenBudget: 8_000_000, tokensPerMinute: 10_000_000, now: late });
    const error = await ledger.reserve({ task: 'billing', tokens: 600, dailyTokenBudget: 8_000_000, tokensPerMinute: 10_000_000, practiceId, practiceLimits: shares, now: late }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverBudgetError);
    expect((error as OverBudgetError).message).toBe('The billing task has used its daily token budget of 8,000,000 tokens; it resets at 00:00 UTC');
    expect((error as OverBudgetError).retryAfterSeconds).toBe(30);
    await expect(ledger.reserve({ task: 'billing', tokens: 500, dailyTokenBudget: 8_000_000, tokensPerMinute: 10_000_000, now: late })).resolves.toMatchObject({ tokens: 500 });
  });

  it("the task's TPM ceiling is OverBudget with Retry-After to the next minute; the next minute starts from zero", async () => {
    const { now, day } = freshDay();
    await ledger.reserve({ task: 'scheduling', tokens: 40_000, dailyTokenBudget: 2_000_000, tokensPerMinute: 50_000, now });
    const error = await ledger.reserve({ task: 'scheduling', tokens: 20_000, dailyTokenBudget: 2_000_000, tokensPerMinute: 50_000, now }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverBudgetError);
    expect((error as OverBudgetError).message).toMatch(/^The scheduling task has reached its ceiling of 50,000 tokens per minute/);
    expect((error as OverBudgetError).retryAfterSeconds).toBe(40);
    expect((await ledger.readTaskDay('scheduling', day)).committedTokens).toBe(40_000);
    // The next minute rolls the slot over and has the whole ceiling again.
    await ledger.reserve({ task: 'scheduling', tokens: 50_000, dailyTokenBudget: 2_000_000, tokensPerMinute: 50_000, now: now + 60_000 });
    expect((await ledger.readAdmissionItem('scheduling', day))?.tm).toBe(844e12 + 50_000);
  });

  it('a single request larger than a limit or a share is a 413 (no retry could succeed), without touching the ledger', async () => {
    const { now, day } = freshDay();
    const refusal = ledger.reserve({ task: 'imaging', tokens: 60_000, dailyTokenBudget: 20_000_000, tokensPerMinute: 50_000, now });
    await expect(refusal).rejects.toThrow(/larger than the imaging task's ceiling of 50,000 tokens per minute/);
    await expect(refusal).rejects.toMatchObject({ statusCode: 413 });
    const share = ledger.reserve({ task: 'imaging', tokens: 6_000, dailyTokenBudget: 20_000_000, tokensPerMinute: 50_000, practiceId: freshPractice(), practiceLimits: { ...NO_SHARES, tokensPerMinute: 5_000 }, now });
    await expect(share).rejects.toMatchObject({ statusCode: 413 });
    expect(await ledger.readAdmissionItem('imaging', day)).toBeUndefined();
  });

  it('returns the day position after the reservation for the BudgetUsedPercent metric', async () => {
    const { now } = freshDay();
    const first = await ledger.reserve({ task: 'imaging', tokens: 1_000, dailyTokenBudget: 10_000, tokensPerMinute: 10_000, now });
    const second: LedgerReservation = await ledger.reserve({ task: 'imaging', tokens: 1_500, dailyTokenBudget: 10_000, tokensPerMinute: 10_000, now });
    expect(first.budgetUsedPercent).toBe(10);
    expect(second.dayCommittedTokens).toBe(2_500);
    expect(second.budgetUsedPercent).toBe(25);
  });
});

describe('settle, release, record and the chargeback rows', () => {
  const shares: PracticeShareLimits = { dailyTokens: 100_000, tokensPerMinute: 50_000, concurrentRequests: 5 };

  it('settle swaps the reservation for the reported usage on the task, key and practice items in one go', async () => {
    const { now, day, minute } = freshDay();
    const practiceId = freshPractice();
    const otherKey = keyFingerprint(`sk-test-settle-key-${day}`);
    const reservation = await ledger.reserve({ task: 'clinical', tokens: 2_500, dailyTokenBudget: 1_000_000, tokensPerMinute: 100_000, practiceId, practiceLimits: shares, now });
    ledger.hold(reservation);
    await ledger.settle(reservation, { ...usage(700, 300, { cachedTokens: 200, costMicroUsd: 6_600, latencyMs: 420 }), keyFingerprint: otherKey }, { cacheMisses: 1 }, now + 1_000);

    for (const item of [await ledger.readTaskDay('clinical', day), await ledger.readTaskMinute('clinical', minute)]) {
      expect(item).toMatchObject({ requests: 1, inputTokens: 700, outputTokens: 300, cachedTokens: 200, costMicroUsd: 6_600, reservedTokens: 0, committedTokens: 1_000, latencyMsTotal: 420, cacheMisses: 1 });
      expect(item.latency).toEqual({ lat_500: 1 });
    }
    const admission = await ledger.readAdmissionItem('clinical', day);
    // The practice's day, minute and in-flight count now hold the settled call only.
    expect(admission).toMatchObject({ [`pd#${practiceId}`]: 1_000, [`pm#${practiceId}`]: 843e12 + 1_000, [`pf#${practiceId}`]: 0, tm: 843e12 + 1_000 });
    expect(await ledger.readKeyDay(otherKey, day)).toMatchObject({ requests: 1, inputTokens: 700, outputTokens: 300, costMicroUsd: 6_600 });
    expect(await ledger.readPracticeDay(practiceId, 'clinical', day)).toEqual({ requests: 1, inputTokens: 700, outputTokens: 300, costMicroUsd: 6_600, cacheHits: 0, shareRefusals: 0, budgetRefusals: 0 });
    const keyRef = await harness.doc.send(new GetCommand({ TableName: harness.tables.usage, Key: { pk: 'TASK#clinical', sk: `KEYREF#${otherKey}` } }));
    expect(keyRef.Item?.requests).toBe(1);
  });

  it('release gives the reservation back, practice shares and in-flight count included, with the cache hit counted', async () => {
    const { now, day, minute } = freshDay();
    const practiceId = freshPractice();
    const reservation = await ledger.reserve({ task: 'billing', tokens: 900, dailyTokenBudget: 1_000_000, tokensPerMinute: 100_000, practiceId, practiceLimits: shares, now });
    expect((await ledger.readTaskDay('billing', day)).committedTokens).toBe(900);
    await ledger.release(reservation, { cacheHits: 1 }, now);
    expect(await ledger.readTaskDay('billing', day)).toMatchObject({ committedTokens: 0, reservedTokens: 0, requests: 0, cacheHits: 1 });
    expect(await ledger.readTaskMinute('billing', minute)).toMatchObject({ cacheHits: 1, reservedTokens: 0 });
    expect(await ledger.readAdmissionItem('billing', day)).toMatchObject({ [`pd#${practiceId}`]: 0, [`pm#${practiceId}`]: 843e12, [`pf#${practiceId}`]: 0, tm: 843e12 });
    expect((await ledger.readPracticeDay(practiceId, 'billing', day)).cacheHits).toBe(1);
  });

  it('record adds counters to the task and key items, and refusals go to the practice row only', async () => {
    const { now, day, minute } = freshDay();
    const practiceId = freshPractice();
    await ledger.record('chat', { providerThrottles: 2, fallbacks: 1, cacheHits: 3 }, KEY, now, practiceId);
    await ledger.record('chat', { lambdaThrottles: 1, cacheMisses: 1 }, undefined, now);
    await ledger.recordRefusal('chat', practiceId, 'share', now);
    await ledger.recordRefusal('chat', practiceId, 'budget', now);
    await ledger.recordRefusal('chat', practiceId, 'budget', now);
    expect(await ledger.readTaskDay('chat', day)).toMatchObject({ providerThrottles: 2, fallbacks: 1, cacheHits: 3, lambdaThrottles: 1, cacheMisses: 1 });
    expect(await ledger.readKeyMinute(KEY, minute)).toMatchObject({ providerThrottles: 2, fallbacks: 1, cacheHits: 3, lambdaThrottles: 0 });
    expect(await ledger.readPracticeDay(practiceId, 'chat', day)).toMatchObject({ cacheHits: 3, shareRefusals: 1, budgetRefusals: 2, requests: 0 });
  });

  it('sets expiresAt a day after a minute item and 400 days after a day item and a chargeback row', async () => {
    const { now, day, minute } = freshDay();
    const practiceId = freshPractice();
    await ledger.record('chat', { errors: 1 }, undefined, now, practiceId);
    await ledger.recordRefusal('chat', practiceId, 'share', now);
    const get = (pk: string, sk: string) => harness.doc.send(new GetCommand({ TableName: harness.tables.usage, Key: { pk, sk } }));
    const minuteStart = Date.parse(`${minute}:00Z`) / 1000;
    const dayStart = Date.parse(`${day}T00:00:00Z`) / 1000;
    expect((await get('TASK#chat', `MIN#${minute}`)).Item?.expiresAt).toBe(minuteStart + 86_400);
    expect((await get('TASK#chat', `DAY#${day}`)).Item?.expiresAt).toBe(dayStart + 400 * 86_400);
    expect((await get(`PRACTICE#${practiceId}`, `DAY#${day}#TASK#chat`)).Item?.expiresAt).toBe(dayStart + 400 * 86_400);
  });
});

describe('DynamoUsageLedger when DynamoDB is down', () => {
  it('answers a typed 503 instead of an unknown error', async () => {
    const down = await startDynamoHarness();
    const downLedger = new DynamoUsageLedger({ doc: down.doc, tableName: down.tables.usage });
    await down.close();
    const error = await downLedger.reserve({ task: 'chat', tokens: 10, dailyTokenBudget: 100, tokensPerMinute: 100, now: freshDay().now }).catch((e: unknown) => e);
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
