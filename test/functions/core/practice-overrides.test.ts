/**
 * Per-practice shares against dynalite over a real socket: the catalog's defaults, an operator's
 * override picked up once the cached answer is older than its max age (an injected clock, no
 * sleeping), and a table that cannot be read falling back to the defaults without an error.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createServer, type AddressInfo } from 'node:net';
import { resolveCatalog } from '../../../lib/catalog';
import { createDocumentClient } from '../../../functions/core/dynamo';
import { ENV } from '../../../functions/core/env';
import {
  CatalogPracticeShares,
  DynamoPracticeShares,
  defaultPracticeLimits,
  type DynamoPracticeSharesOptions,
  type PracticeOverrideItem,
} from '../../../functions/core/practice-overrides';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';
import { waitFor } from '../../support/wait-for';

const catalog = resolveCatalog({ stage: 'local' });
const chat = catalog.byName.chat;
const clinical = catalog.byName.clinical;
const T0 = Date.parse('2026-12-01T10:00:00Z');

let harness: DynamoHarness;
beforeAll(async () => {
  harness = await startDynamoHarness();
});
afterAll(() => harness.close());

function override(item: Partial<PracticeOverrideItem> & Pick<PracticeOverrideItem, 'practiceId' | 'task'>): Promise<unknown> {
  return harness.doc.send(new PutCommand({ TableName: harness.tables.practiceOverrides, Item: { updatedAt: new Date(T0).toISOString(), updatedBy: 'ops@test', ...item } }));
}

function shares(options: Partial<DynamoPracticeSharesOptions> & { clock: { now: number } }) {
  const warnings: unknown[][] = [];
  const source = new DynamoPracticeShares({
    doc: harness.doc,
    tableName: harness.tables.practiceOverrides,
    tasks: catalog.tasks,
    readTimeoutMs: 30_000,
    logger: { warn: (...args) => warnings.push(args) },
    now: () => options.clock.now,
    ...options,
  });
  return { source, warnings };
}

describe('defaults from the catalog', () => {
  it('are the percentages of the task limits, rounded down, and the concurrency cap', () => {
    expect(defaultPracticeLimits(chat)).toEqual({
      dailyTokens: Math.floor((chat.dailyTokenBudget * chat.practiceShare.dailyTokensPercent) / 100),
      tokensPerMinute: Math.floor((chat.tokensPerMinute * chat.practiceShare.tokensPerMinutePercent) / 100),
      concurrentRequests: chat.practiceShare.concurrentRequests,
    });
    // The local catalog: chat 10 % of 8,000,000 a day, 20 % of 150,000 a minute.
    expect(defaultPracticeLimits(chat)).toEqual({ dailyTokens: 800_000, tokensPerMinute: 30_000, concurrentRequests: 4 });
  });

  it('apply to a practice without an override', async () => {
    const { source } = shares({ clock: { now: T0 } });
    await expect(source.limitsFor('clinical', 'practice-none')).resolves.toEqual(defaultPracticeLimits(clinical));
  });

  it('apply everywhere when the function has no overrides table', async () => {
    const source = DynamoPracticeShares.fromEnvironment(catalog.tasks, harness.doc, {});
    expect(source).toBeInstanceOf(CatalogPracticeShares);
    await expect(source.limitsFor('chat', 'practice-demo')).resolves.toEqual(defaultPracticeLimits(chat));
  });
});

describe('overrides', () => {
  it('replace only the limits they name', async () => {
    await override({ practiceId: 'practice-042', task: 'chat', dailyTokens: 2_000_000, note: 'group practice, 14 chairs' });
    const { source } = shares({ clock: { now: T0 } });
    await expect(source.limitsFor('chat', 'practice-042')).resolves.toEqual({ ...defaultPracticeLimits(chat), dailyTokens: 2_000_000 });
    // Another task of the same practice keeps its defaults.
    await expect(source.limitsFor('clinical', 'practice-042')).resolves.toEqual(defaultPracticeLimits(clinical));
  });

  it('are picked up once the cached answer is older than its max age', async () => {
    const clock = { now: T0 };
    const { source } = shares({ clock, maxAgeSeconds: 60, graceSeconds: 0 });
    await expect(source.limitsFor('chat', 'practice-new')).resolves.toEqual(defaultPracticeLimits(chat));
    await override({ practiceId: 'practice-new', task: 'chat', tokensPerMinute: 90_000, concurrentRequests: 9 });

    clock.now = T0 + 59_000;
    await expect(source.limitsFor('chat', 'practice-new')).resolves.toEqual(defaultPracticeLimits(chat));
    clock.now = T0 + 60_000;
    await expect(source.limitsFor('chat', 'practice-new')).resolves.toEqual({ ...defaultPracticeLimits(chat), tokensPerMinute: 90_000, concurrentRequests: 9 });
  });

  it('past the max age, requests keep the cached answer while the read runs beside them (stale-while-revalidate)', async () => {
    const clock = { now: T0 };
    const { source } = shares({ clock, maxAgeSeconds: 60, graceSeconds: 300 });
    await expect(source.limitsFor('chat', 'practice-swr')).resolves.toEqual(defaultPracticeLimits(chat));
    await override({ practiceId: 'practice-swr', task: 'chat', dailyTokens: 123_456 });

    clock.now = T0 + 61_000;
    // This request does not wait for the table: it gets the answer the function had.
    await expect(source.limitsFor('chat', 'practice-swr')).resolves.toEqual(defaultPracticeLimits(chat));
    // The refresh it started lands; the clock does not move, so this is the fresh read, not a new one.
    await waitFor('the background read of the override', async () => (await source.limitsFor('chat', 'practice-swr')).dailyTokens === 123_456);
  });

  it('stop applying when they expire (a trial account)', async () => {
    await override({ practiceId: 'practice-trial', task: 'billing', dailyTokens: 5, expiresAt: Math.floor(T0 / 1000) + 3600 });
    const clock = { now: T0 };
    const { source } = shares({ clock, maxAgeSeconds: 60, graceSeconds: 0 });
    await expect(source.limitsFor('billing', 'practice-trial')).resolves.toMatchObject({ dailyTokens: 5 });
    clock.now = T0 + 3600_000;
    await expect(source.limitsFor('billing', 'practice-trial')).resolves.toEqual(defaultPracticeLimits(catalog.byName.billing));
  });

  it('a malformed item leaves the defaults in force and says which field, never refusing', async () => {
    await override({ practiceId: 'practice-typo', task: 'chat', dailyTokens: -3 as never });
    const { source, warnings } = shares({ clock: { now: T0 } });
    await expect(source.limitsFor('chat', 'practice-typo')).resolves.toEqual(defaultPracticeLimits(chat));
    expect(warnings).toEqual([['practice override item is malformed; using the catalog share', { task: 'chat', field: 'dailyTokens' }]]);
  });

  it('concurrent first requests of one practice share one read', async () => {
    const send = jest.spyOn(harness.doc, 'send');
    try {
      const { source } = shares({ clock: { now: T0 } });
      const answers = await Promise.all(Array.from({ length: 20 }, () => source.limitsFor('scheduling', 'practice-burst')));
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect(send).toHaveBeenCalledTimes(1);
    } finally {
      send.mockRestore();
    }
  });

  it('fromEnvironment reads the table and the max age the stack sets', async () => {
    await override({ practiceId: 'practice-env', task: 'chat', concurrentRequests: 7 });
    const env = { [ENV.practiceOverridesTable]: harness.tables.practiceOverrides, [ENV.practiceOverridesMaxAgeSeconds]: '15' };
    const source = DynamoPracticeShares.fromEnvironment(catalog.tasks, harness.doc, env);
    await expect(source.limitsFor('chat', 'practice-env')).resolves.toMatchObject({ concurrentRequests: 7 });
    expect(() => DynamoPracticeShares.fromEnvironment(catalog.tasks, harness.doc, { ...env, [ENV.practiceOverridesMaxAgeSeconds]: 'soon' })).toThrow(/PRACTICE_OVERRIDES_MAX_AGE_SECONDS/);
  });
});

describe('DynamoDB down', () => {
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it('answers the catalog defaults, never an error, and warns once per outage', async () => {
    const doc = createDocumentClient({ endpoint: `http://127.0.0.1:${await closedPort()}`, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 });
    try {
      const clock = { now: T0 };
      const { source, warnings } = shares({ clock, doc, outageRetryIntervalMs: 5_000 });
      await expect(source.limitsFor('chat', 'practice-demo')).resolves.toEqual(defaultPracticeLimits(chat));
      await expect(source.limitsFor('clinical', 'practice-other')).resolves.toEqual(defaultPracticeLimits(clinical));
      clock.now = T0 + 10_000; // past the quiet interval: asked again, still down
      await expect(source.limitsFor('chat', 'practice-demo')).resolves.toEqual(defaultPracticeLimits(chat));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]![0]).toMatch(/cannot be read/);
      expect(JSON.stringify(warnings[0])).not.toMatch(/arn:|127\.0\.0\.1/);
    } finally {
      doc.destroy();
    }
  });

  it('keeps the last override it read through an outage', async () => {
    const own = await startDynamoHarness();
    try {
      await own.doc.send(new PutCommand({ TableName: own.tables.practiceOverrides, Item: { practiceId: 'practice-big', task: 'chat', dailyTokens: 3_000_000, updatedAt: new Date(T0).toISOString(), updatedBy: 'ops' } }));
      const doc = createDocumentClient({ endpoint: own.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' }, maxAttempts: 1 });
      const clock = { now: T0 };
      const warnings: unknown[][] = [];
      const source = new DynamoPracticeShares({ doc, tableName: own.tables.practiceOverrides, tasks: catalog.tasks, maxAgeSeconds: 60, graceSeconds: 0, logger: { warn: (...a) => warnings.push(a) }, now: () => clock.now });
      await expect(source.limitsFor('chat', 'practice-big')).resolves.toMatchObject({ dailyTokens: 3_000_000 });
      await own.close();
      clock.now = T0 + 120_000;
      await expect(source.limitsFor('chat', 'practice-big')).resolves.toMatchObject({ dailyTokens: 3_000_000 });
      expect(warnings).toHaveLength(1);
      doc.destroy();
    } finally {
      await own.close().catch(() => undefined);
    }
  });
});
