import { keyFingerprint } from '../../../functions/core/key-fingerprint';
import { DynamoUsageLedger } from '../../../functions/core/usage-ledger';
import { latencyPercentile, readUsageReport } from '../../../functions/core/usage-report';
import type { TaskName } from '../../../functions/core/task-config';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

const NOW = Date.parse('2026-11-26T14:30:00Z');
const CATALOG = [
  { name: 'imaging', dailyTokenBudget: 20_000_000, tokensPerMinute: 400_000, timeoutSeconds: 10 },
  { name: 'clinical', dailyTokenBudget: 10_000_000, tokensPerMinute: 200_000, timeoutSeconds: 60 },
  { name: 'billing', dailyTokenBudget: 5_000_000, tokensPerMinute: 100_000, timeoutSeconds: 30 },
  { name: 'scheduling', dailyTokenBudget: 2_000_000, tokensPerMinute: 50_000, timeoutSeconds: 15 },
  { name: 'chat', dailyTokenBudget: 1_000_000, tokensPerMinute: 1_000_000, timeoutSeconds: 30 },
] as const;
const KEY_CLINICAL = keyFingerprint('sk-clinical');
const KEY_CHAT = keyFingerprint('sk-chat');
const KEY_BILLING = keyFingerprint('sk-billing');

let harness: DynamoHarness;
let ledger: DynamoUsageLedger;

async function call(task: TaskName, key: string, at: number, inputTokens: number, outputTokens: number, latencyMs: number, costMicroUsd = 0) {
  const limits = CATALOG.find((t) => t.name === task)!;
  const reservation = await ledger.reserve({ task, tokens: inputTokens + outputTokens, dailyTokenBudget: limits.dailyTokenBudget, tokensPerMinute: limits.tokensPerMinute, now: at });
  await ledger.settle(reservation, { keyFingerprint: key, model: 'm', inputTokens, outputTokens, cachedTokens: 0, costMicroUsd, latencyMs });
}

beforeAll(async () => {
  harness = await startDynamoHarness();
  ledger = new DynamoUsageLedger({ doc: harness.doc, tableName: harness.tables.usage });
  const at = Date.parse('2026-11-26T14:00:10Z');
  // clinical: fast except one slow call
  for (const latency of [400, 400, 400, 9_000]) await call('clinical', KEY_CLINICAL, at, 1_000, 500, latency, 10_500);
  await ledger.record('clinical', { cacheHits: 3, cacheMisses: 1 }, undefined, at);
  // clinical yesterday: outside a one-hour period, inside a week
  await call('clinical', KEY_CLINICAL, Date.parse('2026-11-25T10:00:00Z'), 2_000, 1_000, 300);
  // chat: 90 % of its budget in one minute
  await call('chat', KEY_CHAT, Date.parse('2026-11-26T14:10:00Z'), 600_000, 300_000, 1_200);
  // billing: throttled by its provider
  await ledger.record('billing', { providerThrottles: 2, errors: 1 }, KEY_BILLING, Date.parse('2026-11-26T14:20:00Z'));
});
afterAll(() => harness.close());

describe('readUsageReport', () => {
  it('sums the period per task from the ledger, with cache hit rate and latency percentiles', async () => {
    const report = await readUsageReport(harness.doc, { table: harness.tables.usage, since: new Date(NOW - 3600_000), until: new Date(NOW), catalog: CATALOG, now: new Date(NOW) });
    expect(report.resolution).toBe('minute');
    const clinical = report.tasks.find((r) => r.task === 'clinical')!;
    expect(clinical).toMatchObject({
      requests: 4,
      inputTokens: 4_000,
      outputTokens: 2_000,
      costMicroUsd: 42_000,
      cacheHits: 3,
      cacheMisses: 1,
      cacheHitRate: 0.75,
      p50LatencyMs: 500,
      p95LatencyMs: 10_000,
      peakTokensPerMinute: 6_000,
      peakTpmPercent: 3,
    });
    const chat = report.tasks.find((r) => r.task === 'chat')!;
    expect(chat).toMatchObject({ requests: 1, budgetUsedPercent: 90, peakTokensPerMinute: 900_000, peakTpmPercent: 90, cacheHitRate: null });
    const billing = report.tasks.find((r) => r.task === 'billing')!;
    expect(billing).toMatchObject({ requests: 0, providerThrottles: 2, errors: 1, p95LatencyMs: null });
  });

  it('puts the task closest to its limits first: throttled, then near budget, then slow, then idle', async () => {
    const report = await readUsageReport(harness.doc, { table: harness.tables.usage, since: new Date(NOW - 3600_000), until: new Date(NOW), catalog: CATALOG, now: new Date(NOW) });
    expect(report.tasks.map((r) => r.task)).toEqual(['billing', 'chat', 'clinical', 'imaging', 'scheduling']);
    expect(report.tasks[2]!.timeoutPercent).toBeCloseTo(16.7, 1);
  });

  it('lists each key fingerprint that was used, with its tasks, throttled then slowest first', async () => {
    const report = await readUsageReport(harness.doc, { table: harness.tables.usage, since: new Date(NOW - 3600_000), until: new Date(NOW), catalog: CATALOG, now: new Date(NOW) });
    expect(report.keys.map((k) => k.keyFingerprint)).toEqual([KEY_BILLING, KEY_CLINICAL, KEY_CHAT]);
    expect(report.keys.find((k) => k.keyFingerprint === KEY_CLINICAL)).toMatchObject({ tasks: ['clinical'], requests: 4, inputTokens: 4_000 });
    expect(report.keys.find((k) => k.keyFingerprint === KEY_BILLING)).toMatchObject({ tasks: ['billing'], providerThrottles: 2 });
    expect(JSON.stringify(report)).not.toContain('sk-');
  });

  it('sums whole days for a longer period and includes earlier usage', async () => {
    const report = await readUsageReport(harness.doc, { table: harness.tables.usage, since: new Date(NOW - 7 * 86_400_000), until: new Date(NOW), catalog: CATALOG, now: new Date(NOW) });
    expect(report.resolution).toBe('day');
    expect(report.tasks.find((r) => r.task === 'clinical')).toMatchObject({ requests: 5, inputTokens: 6_000, outputTokens: 3_000 });
    expect(report.since).toBe(new Date(NOW - 7 * 86_400_000).toISOString());
  });

  it('leaves out keys with no activity in the period', async () => {
    const report = await readUsageReport(harness.doc, { table: harness.tables.usage, since: new Date(NOW - 60_000), until: new Date(NOW), catalog: CATALOG, now: new Date(NOW) });
    expect(report.keys).toEqual([]);
    expect(report.tasks.every((r) => r.requests === 0)).toBe(true);
  });

  it('refuses a period that ends before it starts', async () => {
    await expect(readUsageReport(harness.doc, { table: harness.tables.usage, since: new Date(NOW), until: new Date(NOW - 1), catalog: CATALOG })).rejects.toThrow(RangeError);
  });
});

describe('latencyPercentile', () => {
  it('returns the upper bound of the bucket holding the percentile', () => {
    expect(latencyPercentile({}, 0.5)).toBeNull();
    expect(latencyPercentile({ lat_100: 50, lat_1000: 49, lat_5000: 1 }, 0.5)).toBe(100);
    expect(latencyPercentile({ lat_100: 50, lat_1000: 49, lat_5000: 1 }, 0.95)).toBe(1_000);
    expect(latencyPercentile({ lat_100: 50, lat_1000: 49, lat_5000: 1 }, 1)).toBe(5_000);
    expect(latencyPercentile({ lat_inf: 1 }, 0.5)).toBe(120_000);
  });
});
