/**
 * The ops function as Lambda runs it: the real handler module, configured through its
 * environment, reading a usage ledger in dynalite that was written by DynamoUsageLedger.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { functionConfigFor, resolveCatalog } from '../../../lib/catalog';
import { ENV } from '../../../functions/core/env';
import { DynamoUsageLedger } from '../../../functions/core/usage-ledger';
import { buildOpenApiDocument } from '../../../functions/ops/openapi';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { defaultPracticeLimits } from '../../../functions/core/practice-overrides';
import { utcDay } from '../../../functions/core/usage-ledger';
import { practiceUsageReportSchema, usageReportSchema } from '../../../functions/ops/schemas';
import { apiEvent, lambdaContext, type EventOptions } from '../../support/api-event';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

const catalog = resolveCatalog({ stage: 'local', taskOverrides: { chat: { dailyTokenBudget: 10_000 } } });
const saved = { ...process.env };
let harness: DynamoHarness;
let handler: Handler;

async function call(options: Omit<EventOptions, 'method'>, query?: Record<string, string>) {
  const event = { ...apiEvent({ method: 'GET', ...options }), queryStringParameters: query ?? null };
  const response = await handler(event, lambdaContext());
  return { ...response, json: JSON.parse(response.body) };
}

beforeAll(async () => {
  harness = await startDynamoHarness();
  const ledger = new DynamoUsageLedger({ doc: harness.doc, tableName: harness.tables.usage });
  const now = Date.now();
  const chat = catalog.byName.chat;
  // chat: 60 % of its (lowered) budget over two calls; clinical: one call and a provider throttle.
  for (const [input, output] of [[2_000, 1_000], [2_000, 1_000]] as const) {
    const reservation = await ledger.reserve({ task: 'chat', tokens: input + output, dailyTokenBudget: chat.dailyTokenBudget, tokensPerMinute: chat.tokensPerMinute, now });
    await ledger.settle(reservation, { keyFingerprint: 'fp-chat-1', model: 'm', inputTokens: input, outputTokens: output, cachedTokens: 0, costMicroUsd: 2_500, latencyMs: 640 });
  }
  const clinical = catalog.byName.clinical;
  const reservation = await ledger.reserve({ task: 'clinical', tokens: 1_500, dailyTokenBudget: clinical.dailyTokenBudget, tokensPerMinute: clinical.tokensPerMinute, now });
  await ledger.settle(reservation, { keyFingerprint: 'fp-clin-1', model: 'm', inputTokens: 1_000, outputTokens: 500, cachedTokens: 0, costMicroUsd: 10_500, latencyMs: 2_400 });
  await ledger.record('clinical', { providerThrottles: 1 }, 'fp-clin-1', now);

  // Per-practice day items as the ledger writes them: practice-a (the non-admin caller's own) and practice-b.
  const today = utcDay(now);
  for (const [practiceId, task, requests, inputTokens, costMicroUsd, shareRefusals] of [
    ['practice-a', 'chat', 3, 900, 1_500, 0],
    ['practice-b', 'chat', 40, 100_000, 90_000, 12],
    ['practice-b', 'clinical', 1, 2_000, 20_000, 0],
  ] as const) {
    await harness.doc.send(
      new PutCommand({ TableName: harness.tables.usage, Item: { pk: `PRACTICE#${practiceId}`, sk: `DAY#${today}#TASK#${task}`, requests, inputTokens, outputTokens: 0, costMicroUsd, cacheHits: 0, shareRefusals, budgetRefusals: 0 } }),
    );
  }
  await harness.doc.send(
    new PutCommand({ TableName: harness.tables.practiceOverrides, Item: { practiceId: 'practice-a', task: 'chat', dailyTokens: 9_000, updatedAt: new Date(now).toISOString(), updatedBy: 'ops' } }),
  );

  process.env[ENV.usageTable] = harness.tables.usage;
  process.env[ENV.practiceOverridesTable] = harness.tables.practiceOverrides;
  // What the stack and the local runtime set: the resolved entries (with prices, as TASK_CONFIG has them).
  process.env[ENV.catalog] = JSON.stringify(catalog.tasks.map(functionConfigFor));
  process.env.AWS_ENDPOINT_URL_DYNAMODB = harness.endpoint;
  jest.isolateModules(() => {
    handler = require('../../../functions/ops/handler').handler;
  });
});

afterAll(async () => {
  process.env = saved;
  await harness.close();
});

describe('ops function', () => {
  it('answers GET /health without a token, listing the tasks', async () => {
    const res = await call({ resource: '/health', practiceId: null });
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ status: 'ok', tasks: ['imaging', 'clinical', 'billing', 'scheduling', 'chat'] });
  });

  it('serves the OpenAPI document built from the catalog it was given', async () => {
    const res = await call({ resource: '/openapi.json', practiceId: null });
    expect(res.statusCode).toBe(200);
    expect(res.json.openapi).toMatch(/^3\.1\./);
    expect(res.json).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument({ tasks: catalog.tasks }))));
  });

  it('reports usage to an admin: what the ledger recorded, the throttled task first', async () => {
    const res = await call({ resource: '/v1/usage', admin: true });
    expect(res.statusCode).toBe(200);
    const report = usageReportSchema.parse(res.json);
    expect(report.resolution).toBe('minute');
    expect(Date.parse(report.until) - Date.parse(report.since)).toBe(24 * 3600_000);
    // A throttled task counts as 100 % pressure, ahead of chat at 60 % of its budget.
    expect(report.tasks[0]).toMatchObject({ task: 'clinical', requests: 1, providerThrottles: 1, p95LatencyMs: 3_000, pressurePercent: 100 });
    expect(report.tasks[1]).toMatchObject({ task: 'chat', requests: 2, inputTokens: 4_000, outputTokens: 2_000, costMicroUsd: 5_000, budgetUsedPercent: 60, p50LatencyMs: 750 });
    expect(report.underMostPressure).toEqual({ task: 'clinical', reason: expect.stringContaining('1 provider throttle') });
    expect(report.keys.map((k) => k.keyFingerprint).sort()).toEqual(['fp-chat-1', 'fp-clin-1']);
  });

  it('takes the period from since or days', async () => {
    const hours = await call({ resource: '/v1/usage', admin: true }, { since: '90m' });
    expect(hours.statusCode).toBe(200);
    expect(Date.parse(hours.json.until) - Date.parse(hours.json.since)).toBe(90 * 60_000);
    const week = await call({ resource: '/v1/usage', admin: true }, { days: '7' });
    expect(week.statusCode).toBe(200);
    expect(week.json.resolution).toBe('day');
    expect(week.json.tasks.find((t: { task: string }) => t.task === 'chat').requests).toBe(2);
  });

  it.each([
    [{ since: '2x' }, /since must be a duration such as 90m, 24h or 7d/],
    [{ since: '32d' }, /at most 31d/],
    [{ days: '0' }, /days must be from 1 to 31/],
    [{ days: 'seven' }, /days must be a whole number/],
    [{ since: '1h', days: '1' }, /not both/],
    [{ from: 'yesterday' }, /unknown parameter from/],
  ])('answers a bad period %j with 400 and says what is wrong', async (query, message) => {
    const res = await call({ resource: '/v1/usage', admin: true }, query);
    expect(res.statusCode).toBe(400);
    expect(res.json.error.code).toBe('BadRequest');
    expect(res.json.error.message).toMatch(message);
  });

  it('by=practice: the chargeback report, each practice against its effective share, most pressure first', async () => {
    const res = await call({ resource: '/v1/usage', admin: true }, { by: 'practice', days: '1' });
    expect(res.statusCode).toBe(200);
    const report = practiceUsageReportSchema.parse(res.json);
    expect(report.practices.map((p) => [p.practiceId, p.pressurePercent])).toEqual([
      // 100,000 tokens against a share of 10 % of chat's (lowered) 10,000 a day; and it was refused.
      ['practice-b', Math.round((100_000 / defaultPracticeLimits(catalog.byName.chat).dailyTokens) * 1000) / 10],
      ['practice-a', 10],
    ]);
    expect(report.practices[0]!.pressurePercent).toBeGreaterThan(100);
    expect(report.practices[0]).toMatchObject({ requests: 41, inputTokens: 102_000, costMicroUsd: 110_000, shareRefusals: 12 });
    expect(report.practices[1]!.tasks).toEqual([
      expect.objectContaining({ task: 'chat', requests: 3, peakDayTokens: 900, shareSource: 'override', share: { ...defaultPracticeLimits(catalog.byName.chat), dailyTokens: 9_000 } }),
    ]);
  });

  it('by=practice is for administrators only: a practice user cannot read any practice rows, not even its own (403)', async () => {
    const own = await call({ resource: '/v1/usage', practiceId: 'practice-a' }, { by: 'practice' });
    expect(own.statusCode).toBe(403);
    expect(own.json.error.code).toBe('Forbidden');
    expect(own.body).not.toMatch(/practice-b|costMicroUsd/);
    expect((await call({ resource: '/v1/usage', practiceId: 'practice-b' }, { by: 'practice' })).statusCode).toBe(403);
    expect((await call({ resource: '/v1/usage', practiceId: null }, { by: 'practice' })).statusCode).toBe(401);
  });

  it('answers an unknown grouping with 400', async () => {
    const res = await call({ resource: '/v1/usage', admin: true }, { by: 'dentist' });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toBe('Invalid usage grouping: by must be one of task, practice');
  });

  it('keeps the usage report from non-admins (403) and anonymous callers (401)', async () => {
    expect((await call({ resource: '/v1/usage' })).statusCode).toBe(403);
    expect((await call({ resource: '/v1/usage', practiceId: null })).statusCode).toBe(401);
  });
});
