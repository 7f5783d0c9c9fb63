import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { deployedApiName, deployedFunctionName } from '../../../functions/core/function-names';
import { keyFingerprint } from '../../../functions/core/key-fingerprint';
import { CloudWatchPlatformMetrics, createCloudWatchClient } from '../../../functions/core/platform-metrics';
import { DynamoUsageLedger } from '../../../functions/core/usage-ledger';
import { latencyPercentile, readUsageReport } from '../../../functions/core/usage-report';
import type { TaskName } from '../../../functions/core/task-config';
import { startCloudWatchStandIn, type CloudWatchStandIn, type MetricSample } from '../../support/cloudwatch';
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

describe('readUsageReport in AWS: Lambda throttles from CloudWatch', () => {
  const STAGE = 'test';
  const CATALOG_WITH_WORKER = CATALOG.map((t) => (t.name === 'imaging' ? { ...t, worker: { timeoutSeconds: 120 } } : t)) as unknown as typeof CATALOG;
  const hour = { since: new Date(NOW - 3600_000), until: new Date(NOW), now: new Date(NOW) };
  let cloudWatch: CloudWatchStandIn;
  let client: ReturnType<typeof createCloudWatchClient>;
  const throttles = (fn: string, at: string, value = 1): MetricSample => ({ namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: fn }, at: Date.parse(at), value });
  const apiSample = (metricName: string, at: string, value: number): MetricSample => ({
    namespace: 'AWS/ApiGateway',
    metricName,
    dimensions: { ApiName: deployedApiName(STAGE), Stage: STAGE },
    at: Date.parse(at),
    value,
  });
  const report = (platform = new CloudWatchPlatformMetrics(client, STAGE)) => readUsageReport(harness.doc, { table: harness.tables.usage, catalog: CATALOG_WITH_WORKER, ...hour, platform });

  beforeAll(async () => {
    cloudWatch = await startCloudWatchStandIn();
    client = createCloudWatchClient({ endpoint: cloudWatch.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    // What the runtime counts locally; in AWS nothing writes it, so CloudWatch's count replaces it.
    await ledger.record('clinical', { lambdaThrottles: 1 }, undefined, Date.parse('2026-11-26T14:00:10Z'));
    cloudWatch.seed(
      ...[1, 2, 3, 4].map((i) => throttles(deployedFunctionName(STAGE, 'scheduling', 'api'), `2026-11-26T14:0${i}:00Z`)),
      throttles(deployedFunctionName(STAGE, 'imaging', 'api'), '2026-11-26T14:15:00Z'),
      throttles(deployedFunctionName(STAGE, 'imaging', 'worker'), '2026-11-26T14:16:00Z', 2),
      // Outside the hour: not counted.
      throttles(deployedFunctionName(STAGE, 'chat', 'api'), '2026-11-26T13:00:00Z', 50),
      // Another stage's function: not this deployment's.
      throttles(deployedFunctionName('prod', 'chat', 'api'), '2026-11-26T14:20:00Z', 50),
      ...[120, 140, 180, 900, 2_600].map((ms, i) => apiSample('Latency', `2026-11-26T14:2${i}:00Z`, ms)),
      ...[0, 0, 1, 1, 0].map((v, i) => apiSample('4XXError', `2026-11-26T14:2${i}:00Z`, v)),
      ...[0, 0, 0, 0, 1].map((v, i) => apiSample('5XXError', `2026-11-26T14:2${i}:00Z`, v)),
      ...[1, 1, 1, 1, 1].map((v, i) => apiSample('Count', `2026-11-26T14:2${i}:00Z`, v)),
    );
  });
  afterAll(async () => {
    client.destroy();
    await cloudWatch.close();
  });

  it('puts CloudWatch throttles (API function plus worker) in the rows, says so, and ranks by them', async () => {
    const result = await report();
    expect(result.sources).toEqual({ lambdaThrottles: 'cloudwatch', api: 'cloudwatch' });
    const byTask = Object.fromEntries(result.tasks.map((r) => [r.task, r.lambdaThrottles]));
    expect(byTask).toEqual({ scheduling: 4, imaging: 3, billing: 0, chat: 0, clinical: 0 });
    // Throttled tasks count as 100 %; more throttles first: scheduling (4), imaging (3), billing (2 provider).
    expect(result.tasks.map((r) => r.task)).toEqual(['scheduling', 'imaging', 'billing', 'chat', 'clinical']);
    expect(result.tasks[0]).toMatchObject({ task: 'scheduling', pressurePercent: 100, requests: 0 });
    expect(result.api).toEqual({ requests: 5, clientErrors: 2, serverErrors: 1, p95LatencyMs: 2_600 });
    // The ledger's own columns are unchanged.
    expect(result.tasks.find((r) => r.task === 'clinical')).toMatchObject({ requests: 4, inputTokens: 4_000, p95LatencyMs: 10_000 });
  });

  it('asks in one GetMetricData call, for every function of the stage and the API, over the report period', async () => {
    const before = cloudWatch.requests.length;
    await report();
    expect(cloudWatch.requests.length).toBe(before + 1);
    const request = cloudWatch.requests.at(-1)!;
    const names = request.MetricDataQueries.filter((q) => q.MetricStat!.Metric.Namespace === 'AWS/Lambda').map((q) => {
      expect(q.MetricStat).toMatchObject({ Metric: { MetricName: 'Throttles' }, Stat: 'Sum' });
      return q.MetricStat!.Metric.Dimensions!.map((d) => `${d.Name}=${d.Value}`).join(',');
    });
    expect(names.sort()).toEqual(
      [...['imaging', 'clinical', 'billing', 'scheduling', 'chat'].map((t) => deployedFunctionName(STAGE, t, 'api')), deployedFunctionName(STAGE, 'imaging', 'worker')].map((n) => `FunctionName=${n}`).sort(),
    );
    expect(request.StartTime).toBe(Date.parse('2026-11-26T13:30:00Z') / 1000);
    expect(request.EndTime).toBe(Date.parse('2026-11-26T14:31:00Z') / 1000);
    expect(request.MetricDataQueries.every((q) => q.MetricStat!.Period === 3_660)).toBe(true);
    expect(cloudWatch.lastCredentialScope).toMatch(/^\d{8}\/us-east-1\/monitoring\/aws4_request$/);
  });

  it('falls back to the ledger when CloudWatch answers AccessDenied, and says so', async () => {
    cloudWatch.deny();
    try {
      const result = await report();
      expect(result.sources).toEqual({ lambdaThrottles: 'ledger', api: 'none', cloudWatchError: 'AccessDenied' });
      expect(result.api).toBeNull();
      expect(Object.fromEntries(result.tasks.map((r) => [r.task, r.lambdaThrottles]))).toEqual({ scheduling: 0, imaging: 0, billing: 0, chat: 0, clinical: 1 });
      expect(result.tasks.map((r) => r.task)).toEqual(['clinical', 'billing', 'chat', 'imaging', 'scheduling']);
    } finally {
      cloudWatch.deny(false);
    }
  });

  it('falls back to the ledger when CloudWatch cannot be reached', async () => {
    const closed = await closedPortUrl();
    const unreachable = createCloudWatchClient({ endpoint: closed, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
    try {
      const result = await report(new CloudWatchPlatformMetrics(unreachable, STAGE));
      expect(result.sources).toEqual({ lambdaThrottles: 'ledger', api: 'none', cloudWatchError: 'ECONNREFUSED' });
      expect(result.tasks.find((r) => r.task === 'clinical')!.lambdaThrottles).toBe(1);
    } finally {
      unreachable.destroy();
    }
  });

  it('without CloudWatch (npm start) keeps what the runtime counted in the ledger', async () => {
    const result = await readUsageReport(harness.doc, { table: harness.tables.usage, catalog: CATALOG, ...hour });
    expect(result.sources).toEqual({ lambdaThrottles: 'ledger', api: 'none' });
    expect(result.api).toBeNull();
    expect(result.tasks[0]).toMatchObject({ task: 'clinical', lambdaThrottles: 1, pressurePercent: 100 });
  });
});

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return `http://127.0.0.1:${port}`;
}

describe('latencyPercentile', () => {
  it('returns the upper bound of the bucket holding the percentile', () => {
    expect(latencyPercentile({}, 0.5)).toBeNull();
    expect(latencyPercentile({ lat_100: 50, lat_1000: 49, lat_5000: 1 }, 0.5)).toBe(100);
    expect(latencyPercentile({ lat_100: 50, lat_1000: 49, lat_5000: 1 }, 0.95)).toBe(1_000);
    expect(latencyPercentile({ lat_100: 50, lat_1000: 49, lat_5000: 1 }, 1)).toBe(5_000);
    expect(latencyPercentile({ lat_inf: 1 }, 0.5)).toBe(120_000);
  });
});
