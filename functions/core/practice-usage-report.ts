/**
 * The chargeback report (`npm run usage -- --by practice`, `GET /v1/usage?by=practice`, the
 * operations page's "practices under most pressure"): for a period of whole UTC days, each
 * practice's spend per task, and how close it runs to its share of the task (the catalog's
 * `practiceShare`, or the operator's override from the PracticeOverrides table).
 *
 * The ledger writes one item per practice, task and UTC day:
 * `pk = PRACTICE#<practiceId>`, `sk = DAY#<yyyy-mm-dd>#TASK#<task>`, with the counters `requests`,
 * `inputTokens`, `outputTokens`, `costMicroUsd`, `cacheHits`, `shareRefusals`, `budgetRefusals`.
 * Which practices have items is found through the ledger's keys-only `bySortKey` index (one Query
 * per day and task), then each practice's partition is read with one Query: no Scan anywhere.
 *
 * Pressure of a row: the practice's busiest day of the period in tokens against its daily share
 * (percent), and at least 100 when the share refused any request (its minute or concurrency share
 * was hit: the ledger counts the refusal, not the minute). Practices are sorted by their highest
 * row, then by cost.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  defaultPracticeLimits,
  effectivePracticeLimits,
  practiceOverrideItemSchema,
  type PracticeOverrideItem,
  type PracticeShareLimits,
  type PracticeShareTask,
} from './practice-overrides';
import { USAGE_BY_SORT_KEY_INDEX } from './tables';
import { utcDay } from './usage-ledger';

export const PRACTICE_PARTITION_PREFIX = 'PRACTICE#';

/** The ledger's per-practice day item keys (written by the usage ledger, read here). */
export const practiceLedgerKey = {
  practice: (practiceId: string) => `${PRACTICE_PARTITION_PREFIX}${practiceId}`,
  day: (day: string, task: string) => `DAY#${day}#TASK#${task}`,
};

const DAY_ITEM = /^DAY#(\d{4}-\d{2}-\d{2})#TASK#([a-z][a-z-]*)$/;
const COUNTERS = ['requests', 'inputTokens', 'outputTokens', 'costMicroUsd', 'cacheHits', 'shareRefusals', 'budgetRefusals'] as const;

export type PracticeCounters = Record<(typeof COUNTERS)[number], number>;

export interface PracticeTaskUsageRow extends PracticeCounters {
  task: string;
  /** Input + output tokens of the practice's busiest UTC day on this task in the period. */
  peakDayTokens: number;
  /** The practice's effective share (the override where one applies, else the catalog share). */
  share: PracticeShareLimits;
  shareSource: 'catalog' | 'override';
  /** peakDayTokens against share.dailyTokens, in percent. */
  peakDayPercent: number;
  /** What the rows are sorted by (see the module comment). */
  pressurePercent: number;
}

export interface PracticeUsageRow extends PracticeCounters {
  practiceId: string;
  /** The highest pressure of its tasks. */
  pressurePercent: number;
  /** The tasks it used in the period, under most pressure first. */
  tasks: PracticeTaskUsageRow[];
}

export interface PracticeUsageReport {
  since: string;
  until: string;
  /** Practice items are per UTC day, so the period is widened to whole days. */
  resolution: 'day';
  /** The first and last UTC day summed. */
  days: { from: string; to: string };
  practices: PracticeUsageRow[];
}

export interface PracticeUsageReportOptions {
  /** Physical name of the usage ledger table. */
  table: string;
  /** The PracticeOverrides table; without it every practice is compared with the catalog share. */
  overridesTable?: string;
  since: Date;
  until: Date;
  catalog: readonly PracticeShareTask[];
  /** Decides whether an override has expired. @default new Date() */
  now?: Date;
  /** At most this many practices (the operations page's panel). @default all */
  limit?: number;
}

export async function readPracticeUsageReport(doc: DynamoDBDocumentClient, options: PracticeUsageReportOptions): Promise<PracticeUsageReport> {
  const since = options.since.getTime();
  const until = options.until.getTime();
  if (!(since <= until)) throw new RangeError('the report period must start before it ends');
  const now = (options.now ?? new Date()).getTime();
  const days = daysBetween(since, until);
  const tasks = new Map(options.catalog.map((t) => [t.name, t]));
  const query = (input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'ExclusiveStartKey'>, table = options.table) => queryAll(doc, table, input);

  // Which practices have an item in the period: one keys-only index Query per day and task.
  const found = await Promise.all(
    days.flatMap((day) =>
      [...tasks.keys()].map((task) =>
        query({
          IndexName: USAGE_BY_SORT_KEY_INDEX.indexName,
          KeyConditionExpression: '#sk = :sk AND begins_with(#pk, :practice)',
          ExpressionAttributeNames: { '#sk': 'sk', '#pk': 'pk' },
          ExpressionAttributeValues: { ':sk': practiceLedgerKey.day(day, task), ':practice': PRACTICE_PARTITION_PREFIX },
        }),
      ),
    ),
  );
  const practiceIds = [...new Set(found.flat().map((item) => String(item.pk).slice(PRACTICE_PARTITION_PREFIX.length)))].sort();

  const rows = await Promise.all(
    practiceIds.map(async (practiceId): Promise<PracticeUsageRow> => {
      const [items, overrides] = await Promise.all([
        query({
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          // '~' sorts after every task name, so the last day's items are all inside.
          ExpressionAttributeValues: { ':pk': practiceLedgerKey.practice(practiceId), ':from': `DAY#${days[0]}`, ':to': `DAY#${days.at(-1)}#~` },
        }),
        options.overridesTable ? readOverrides(doc, options.overridesTable, practiceId) : Promise.resolve(new Map<string, PracticeOverrideItem>()),
      ]);
      const byTask = new Map<string, { totals: PracticeCounters; peakDayTokens: number }>();
      for (const item of items) {
        const match = DAY_ITEM.exec(String(item.sk));
        if (!match || !tasks.has(match[2]! as PracticeShareTask['name'])) continue;
        const counters = countersOf(item);
        const entry = byTask.get(match[2]!) ?? { totals: zeroCounters(), peakDayTokens: 0 };
        for (const name of COUNTERS) entry.totals[name] += counters[name];
        entry.peakDayTokens = Math.max(entry.peakDayTokens, counters.inputTokens + counters.outputTokens);
        byTask.set(match[2]!, entry);
      }
      const taskRows = [...byTask].map(([name, { totals, peakDayTokens }]): PracticeTaskUsageRow => {
        const task = tasks.get(name as PracticeShareTask['name'])!;
        const override = overrides.get(name);
        const share = effectivePracticeLimits(task, override, now);
        const overridden = override !== undefined && JSON.stringify(share) !== JSON.stringify(defaultPracticeLimits(task));
        const peakDayPercent = percent(peakDayTokens, share.dailyTokens);
        return {
          task: name,
          ...totals,
          peakDayTokens,
          share,
          shareSource: overridden ? 'override' : 'catalog',
          peakDayPercent,
          pressurePercent: Math.max(peakDayPercent, totals.shareRefusals > 0 ? 100 : 0),
        };
      });
      taskRows.sort((a, b) => b.pressurePercent - a.pressurePercent || b.costMicroUsd - a.costMicroUsd || a.task.localeCompare(b.task));
      const totals = zeroCounters();
      for (const row of taskRows) for (const name of COUNTERS) totals[name] += row[name];
      return { practiceId, ...totals, pressurePercent: Math.max(0, ...taskRows.map((r) => r.pressurePercent)), tasks: taskRows };
    }),
  );
  const practices = rows.filter((r) => r.tasks.length > 0);
  practices.sort((a, b) => b.pressurePercent - a.pressurePercent || b.costMicroUsd - a.costMicroUsd || a.practiceId.localeCompare(b.practiceId));
  return {
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    resolution: 'day',
    days: { from: days[0]!, to: days.at(-1)! },
    practices: options.limit === undefined ? practices : practices.slice(0, options.limit),
  };
}

async function readOverrides(doc: DynamoDBDocumentClient, table: string, practiceId: string): Promise<Map<string, PracticeOverrideItem>> {
  const items = await queryAll(doc, table, { KeyConditionExpression: 'practiceId = :p', ExpressionAttributeValues: { ':p': practiceId } });
  // A malformed item is ignored here as admission ignores it (practice-overrides.ts).
  return new Map(items.map((i) => practiceOverrideItemSchema.safeParse(i)).flatMap((p) => (p.success ? [[p.data.task, p.data] as const] : [])));
}

async function queryAll(doc: DynamoDBDocumentClient, table: string, input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName' | 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new QueryCommand({ TableName: table, ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Every UTC day the period touches, oldest first. */
function daysBetween(since: number, until: number): string[] {
  const days: string[] = [];
  for (let at = Date.parse(`${utcDay(since)}T00:00:00Z`); at <= until; at += 86_400_000) days.push(utcDay(at));
  return days;
}

function countersOf(item: Record<string, unknown>): PracticeCounters {
  const counters = zeroCounters();
  for (const name of COUNTERS) {
    const value = Number(item[name] ?? 0);
    counters[name] = Number.isFinite(value) ? value : 0;
  }
  return counters;
}

function zeroCounters(): PracticeCounters {
  return { requests: 0, inputTokens: 0, outputTokens: 0, costMicroUsd: 0, cacheHits: 0, shareRefusals: 0, budgetRefusals: 0 };
}

function percent(value: number, limit: number): number {
  return limit > 0 ? Math.round((value / limit) * 1000) / 10 : 0;
}

/** One CSV line per practice and task, for finance: cost in US dollars, counts as integers. */
export function practiceUsageCsv(report: PracticeUsageReport): string {
  const header = [
    'day_from',
    'day_to',
    'practice_id',
    'task',
    'requests',
    'input_tokens',
    'output_tokens',
    'cost_usd',
    'cache_hits',
    'share_refusals',
    'budget_refusals',
    'peak_day_tokens',
    'daily_tokens_share',
    'share_source',
    'pressure_percent',
  ];
  const lines = [header.join(',')];
  for (const practice of report.practices) {
    for (const row of practice.tasks) {
      lines.push(
        [
          report.days.from,
          report.days.to,
          practice.practiceId,
          row.task,
          row.requests,
          row.inputTokens,
          row.outputTokens,
          (row.costMicroUsd / 1_000_000).toFixed(6),
          row.cacheHits,
          row.shareRefusals,
          row.budgetRefusals,
          row.peakDayTokens,
          row.share.dailyTokens,
          row.shareSource,
          row.pressurePercent,
        ]
          .map((v) => csvField(String(v)))
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** RFC 4180 quoting; a leading = + - @ is defused so a spreadsheet never runs a cell as a formula. */
function csvField(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
