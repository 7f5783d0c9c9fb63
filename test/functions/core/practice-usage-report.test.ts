/**
 * The chargeback report against dynalite: per-practice day items seeded exactly as the ledger
 * writes them (`PRACTICE#<id>` / `DAY#<day>#TASK#<task>`), found through the ledger's keys-only
 * index, summed per practice and task, compared with each practice's effective share and sorted by
 * pressure; and the CSV finance gets.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { resolveCatalog } from '../../../lib/catalog';
import { defaultPracticeLimits } from '../../../functions/core/practice-overrides';
import { practiceUsageCsv, readPracticeUsageReport, type PracticeCounters } from '../../../functions/core/practice-usage-report';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

const catalog = resolveCatalog({ stage: 'local' });
const chatShare = defaultPracticeLimits(catalog.byName.chat);
const clinicalShare = defaultPracticeLimits(catalog.byName.clinical);
const NOW = new Date('2026-12-03T15:00:00Z');

let harness: DynamoHarness;

async function day(practiceId: string, date: string, task: string, counters: Partial<PracticeCounters>): Promise<void> {
  await harness.doc.send(new PutCommand({ TableName: harness.tables.usage, Item: { pk: `PRACTICE#${practiceId}`, sk: `DAY#${date}#TASK#${task}`, ...counters } }));
}

beforeAll(async () => {
  harness = await startDynamoHarness();
  // practice-demo: ordinary use of chat and clinical on two days.
  await day('practice-demo', '2026-12-02', 'chat', { requests: 10, inputTokens: 4_000, outputTokens: 1_000, costMicroUsd: 7_500, cacheHits: 0 });
  await day('practice-demo', '2026-12-03', 'chat', { requests: 6, inputTokens: 2_000, outputTokens: 1_000, costMicroUsd: 4_500 });
  await day('practice-demo', '2026-12-03', 'clinical', { requests: 2, inputTokens: 3_000, outputTokens: 1_000, costMicroUsd: 24_000, cacheHits: 3 });
  // practice-other: a burst that the share refused; 60 % of its chat day share on its busiest day.
  await day('practice-other', '2026-12-03', 'chat', { requests: 40, inputTokens: chatShare.dailyTokens * 0.5, outputTokens: chatShare.dailyTokens * 0.1, costMicroUsd: 900_000, shareRefusals: 35 });
  // practice-big: 90 % of clinical's share, but an override doubles its share, so 45 %.
  await day('practice-big', '2026-12-03', 'clinical', { requests: 100, inputTokens: clinicalShare.dailyTokens * 0.9, outputTokens: 0, costMicroUsd: 5_000_000, budgetRefusals: 1 });
  await harness.doc.send(
    new PutCommand({ TableName: harness.tables.practiceOverrides, Item: { practiceId: 'practice-big', task: 'clinical', dailyTokens: clinicalShare.dailyTokens * 2, updatedAt: '2026-12-01T00:00:00.000Z', updatedBy: 'ops' } }),
  );
  // Outside the period, and items under a practice partition that are not day items.
  await day('practice-old', '2026-11-20', 'chat', { requests: 99, inputTokens: 99 });
  await day('practice-demo', '2026-11-30', 'chat', { requests: 1_000, inputTokens: 1_000_000 });
  await harness.doc.send(new PutCommand({ TableName: harness.tables.usage, Item: { pk: 'PRACTICE#practice-demo', sk: 'INFLIGHT#chat', requests: 7 } }));
  // A task-level item with the same day key must not be mistaken for a practice.
  await harness.doc.send(new PutCommand({ TableName: harness.tables.usage, Item: { pk: 'TASK#chat', sk: 'DAY#2026-12-03#TASK#chat', requests: 5 } }));
});
afterAll(() => harness.close());

const read = (since = new Date('2026-12-02T08:00:00Z')) =>
  readPracticeUsageReport(harness.doc, { table: harness.tables.usage, overridesTable: harness.tables.practiceOverrides, since, until: NOW, catalog: catalog.tasks, now: NOW });

describe('per-practice report', () => {
  it('sums each practice per task over the whole UTC days of the period, and nothing outside them', async () => {
    const report = await read();
    expect(report.days).toEqual({ from: '2026-12-02', to: '2026-12-03' });
    expect(report.practices.map((p) => p.practiceId).sort()).toEqual(['practice-big', 'practice-demo', 'practice-other']);
    const demo = report.practices.find((p) => p.practiceId === 'practice-demo')!;
    expect(demo).toMatchObject({ requests: 18, inputTokens: 9_000, outputTokens: 3_000, costMicroUsd: 36_000, cacheHits: 3, shareRefusals: 0, budgetRefusals: 0 });
    expect(demo.tasks.find((t) => t.task === 'chat')).toMatchObject({
      requests: 16,
      inputTokens: 6_000,
      outputTokens: 2_000,
      costMicroUsd: 12_000,
      peakDayTokens: 5_000,
      share: chatShare,
      shareSource: 'catalog',
      peakDayPercent: Math.round((5_000 / chatShare.dailyTokens) * 1000) / 10,
    });
  });

  it('sorts by pressure: a refused burst first, then the use nearest its (effective) share', async () => {
    const report = await read();
    expect(report.practices.map((p) => [p.practiceId, p.pressurePercent])).toEqual([
      ['practice-other', 100],
      ['practice-big', 45],
      ['practice-demo', Math.max(...report.practices.find((p) => p.practiceId === 'practice-demo')!.tasks.map((t) => t.peakDayPercent))],
    ]);
    expect(report.practices[0]!.tasks[0]).toMatchObject({ task: 'chat', shareRefusals: 35, peakDayPercent: 60 });
    expect(report.practices[1]!.tasks[0]).toMatchObject({ task: 'clinical', shareSource: 'override', share: { ...clinicalShare, dailyTokens: clinicalShare.dailyTokens * 2 }, budgetRefusals: 1 });
  });

  it('compares with the catalog share when no overrides table is given', async () => {
    const report = await readPracticeUsageReport(harness.doc, { table: harness.tables.usage, since: new Date('2026-12-03T00:00:00Z'), until: NOW, catalog: catalog.tasks, now: NOW });
    expect(report.practices.find((p) => p.practiceId === 'practice-big')).toMatchObject({ pressurePercent: 90, tasks: [{ shareSource: 'catalog', share: clinicalShare }] });
  });

  it('limits the practices for a panel, keeping the order', async () => {
    const report = await readPracticeUsageReport(harness.doc, { table: harness.tables.usage, overridesTable: harness.tables.practiceOverrides, since: new Date('2026-12-02T00:00:00Z'), until: NOW, catalog: catalog.tasks, now: NOW, limit: 2 });
    expect(report.practices.map((p) => p.practiceId)).toEqual(['practice-other', 'practice-big']);
  });

  it('is empty for a period without practice items', async () => {
    const report = await read(new Date('2026-11-25T00:00:00Z'));
    expect(report.practices.map((p) => p.practiceId)).not.toContain('practice-old');
    const quiet = await readPracticeUsageReport(harness.doc, { table: harness.tables.usage, since: new Date('2026-10-01T00:00:00Z'), until: new Date('2026-10-02T00:00:00Z'), catalog: catalog.tasks });
    expect(quiet.practices).toEqual([]);
  });
});

describe('CSV for finance', () => {
  it('has a header and one line per practice and task, in report order, cost in dollars', async () => {
    const report = await read();
    const csv = practiceUsageCsv(report);
    const lines = csv.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe(
      'day_from,day_to,practice_id,task,requests,input_tokens,output_tokens,cost_usd,cache_hits,share_refusals,budget_refusals,peak_day_tokens,daily_tokens_share,share_source,pressure_percent',
    );
    const rows = lines.slice(1, -1).map((l) => l.split(','));
    expect(rows.map((r) => `${r[2]} ${r[3]}`)).toEqual(report.practices.flatMap((p) => p.tasks.map((t) => `${p.practiceId} ${t.task}`)));
    expect(rows.every((r) => r.length === 15)).toBe(true);
    expect(rows[0]).toEqual(['2026-12-02', '2026-12-03', 'practice-other', 'chat', '40', String(chatShare.dailyTokens * 0.5), String(chatShare.dailyTokens * 0.1), '0.900000', '0', '35', '0', String(chatShare.dailyTokens * 0.6), String(chatShare.dailyTokens), 'catalog', '100']);
  });

  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    const csv = practiceUsageCsv({
      since: NOW.toISOString(),
      until: NOW.toISOString(),
      resolution: 'day',
      days: { from: '2026-12-03', to: '2026-12-03' },
      practices: [
        {
          practiceId: '=cmd',
          requests: 1,
          inputTokens: 1,
          outputTokens: 1,
          costMicroUsd: 1,
          cacheHits: 0,
          shareRefusals: 0,
          budgetRefusals: 0,
          pressurePercent: 0,
          tasks: [{ task: 'chat', requests: 1, inputTokens: 1, outputTokens: 1, costMicroUsd: 1, cacheHits: 0, shareRefusals: 0, budgetRefusals: 0, peakDayTokens: 2, share: chatShare, shareSource: 'catalog', peakDayPercent: 0, pressurePercent: 0 }],
        },
      ],
    });
    expect(csv.split('\r\n')[1]!.split(',')[2]).toBe("'=cmd");
  });
});
