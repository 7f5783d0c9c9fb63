import type { TaskUsageRow } from '../../../functions/core/usage-report';
import { parseCatalogEnv } from '../../../functions/ops/catalog-env';
import { pressureReason, underMostPressure } from '../../../functions/ops/usage-pressure';
import { usagePeriod } from '../../../functions/ops/usage-period';
import { functionConfigFor, resolveCatalog } from '../../../lib/catalog';

function row(fields: Partial<TaskUsageRow>): TaskUsageRow {
  return {
    task: 'clinical',
    requests: 10,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    costMicroUsd: 0,
    errors: 0,
    providerThrottles: 0,
    lambdaThrottles: 0,
    cacheHits: 0,
    cacheMisses: 0,
    fallbacks: 0,
    cacheHitRate: null,
    p50LatencyMs: 500,
    p95LatencyMs: 1_000,
    dailyTokenBudget: 1_000,
    budgetUsedPercent: 0,
    tokensPerMinuteCeiling: 100,
    peakTokensPerMinute: 0,
    peakTpmPercent: 0,
    timeoutPercent: 0,
    pressurePercent: 0,
    ...fields,
  };
}

describe('the "under most pressure" line', () => {
  it.each([
    [{ budgetUsedPercent: 92, peakTpmPercent: 40, pressurePercent: 92 }, '92% of its daily token budget used today'],
    [{ peakTokensPerMinute: 95_000, peakTpmPercent: 95, pressurePercent: 95 }, 'peak 95,000 tokens/min, 95% of its ceiling'],
    [{ p95LatencyMs: 20_000, timeoutPercent: 66.7, pressurePercent: 66.7 }, 'p95 latency 20000 ms, 66.7% of its timeout'],
    [{ lambdaThrottles: 4, providerThrottles: 1, pressurePercent: 100 }, '4 Lambda throttles at its concurrency limit; 1 provider throttle (429)'],
    [{ p95LatencyMs: 300 }, 'slowest: p95 latency 300 ms'],
  ])('names the figure that put the task first: %j', (fields, reason) => {
    expect(pressureReason(row(fields))).toBe(reason);
  });

  it('says so when nothing happened in the period', () => {
    expect(underMostPressure({ tasks: [row({ requests: 0, p50LatencyMs: null, p95LatencyMs: null })] })).toEqual({ task: null, reason: 'no traffic in the period' });
    expect(underMostPressure({ tasks: [] })).toEqual({ task: null, reason: 'no traffic in the period' });
  });
});

describe('usagePeriod', () => {
  const now = Date.parse('2026-11-26T14:30:00Z');
  it('defaults to the last 24 hours and reads minutes, hours, days', () => {
    expect(usagePeriod({}, now)).toEqual({ since: new Date('2026-11-25T14:30:00Z'), until: new Date(now) });
    expect(usagePeriod({ since: '90m' }, now).since).toEqual(new Date('2026-11-26T13:00:00Z'));
    expect(usagePeriod({ since: '7d' }, now).since).toEqual(new Date('2026-11-19T14:30:00Z'));
    expect(usagePeriod({ days: '31' }, now).since).toEqual(new Date('2026-10-26T14:30:00Z'));
    expect(usagePeriod({ since: undefined, days: undefined }, now).since).toEqual(new Date('2026-11-25T14:30:00Z'));
  });
});

describe('parseCatalogEnv', () => {
  const catalog = resolveCatalog();
  it('reads the resolved catalog with or without model prices', () => {
    expect(parseCatalogEnv({ CATALOG: JSON.stringify(catalog.tasks) })).toEqual(catalog.tasks);
    expect(parseCatalogEnv({ CATALOG: JSON.stringify(catalog.tasks.map(functionConfigFor)) })).toEqual(catalog.tasks);
  });

  it('names the variable and the broken field when the deployment got it wrong', () => {
    expect(() => parseCatalogEnv({})).toThrow(/CATALOG is not set/);
    expect(() => parseCatalogEnv({ CATALOG: '{' })).toThrow(/CATALOG is not valid JSON/);
    const broken = catalog.tasks.map((t) => (t.name === 'chat' ? { ...t, timeoutSeconds: -1 } : t));
    expect(() => parseCatalogEnv({ CATALOG: JSON.stringify(broken) })).toThrow(/CATALOG is invalid: 4\.timeoutSeconds/);
  });
});
