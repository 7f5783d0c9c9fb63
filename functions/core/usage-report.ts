/**
 * The usage report behind `npm run usage`, `GET /v1/usage` and the operations page: per task and
 * per key fingerprint, what was spent and how close each task runs to its limits, read from the
 * usage ledger by partition and sort-key range (no scan).
 *
 * Periods of up to 25 hours that lie within the minute items' retention are summed from minute
 * items (exact to the minute); longer or older periods from day items (whole UTC days).
 *
 * Task rows are sorted by pressure: the largest of budget used today, peak tokens per minute
 * against the ceiling, and p95 latency against the function timeout (each in percent), with a
 * task that saw throttles counted as at least 100 %. So the first row answers "which AI task is
 * causing the slowdowns".
 *
 * Lambda throttles come from where they are counted: in AWS a throttled invoke never reaches the
 * function, so the ledger never hears of it and the report takes CloudWatch's `Throttles` (see
 * platform-metrics.ts); locally the runtime writes them to the ledger. `sources` says which it was,
 * and when CloudWatch was asked but failed, the ledger's counts stand in and `sources` says why.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiGatewayCounts, PlatformCounts, PlatformMetrics } from './platform-metrics';
import type { TaskConfig } from './task-config';
import {
  LATENCY_BUCKETS_MS,
  LATENCY_OVERFLOW_ATTRIBUTE,
  MINUTE_ITEM_RETENTION_SECONDS,
  ledgerKey,
  toCounters,
  utcDay,
  utcMinute,
  type LedgerCounters,
} from './usage-ledger';

export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costMicroUsd: number;
  errors: number;
  providerThrottles: number;
  lambdaThrottles: number;
  cacheHits: number;
  cacheMisses: number;
  fallbacks: number;
  /** cacheHits / (cacheHits + cacheMisses); null when the cache was never asked. */
  cacheHitRate: number | null;
  /** Upper bound of the histogram bucket holding the percentile; null without requests. */
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
}

export interface TaskUsageRow extends UsageTotals {
  task: string;
  dailyTokenBudget: number;
  /** Tokens committed today (UTC) against the daily budget, in percent. */
  budgetUsedPercent: number;
  tokensPerMinuteCeiling: number;
  /** Highest input + output tokens in one minute of the period (within the minute items' retention). */
  peakTokensPerMinute: number;
  peakTpmPercent: number;
  /** p95 latency against the function timeout, in percent. */
  timeoutPercent: number;
  /** What the rows are sorted by (see the module comment). */
  pressurePercent: number;
}

export interface KeyUsageRow extends UsageTotals {
  keyFingerprint: string;
  /** Tasks that used the key (one, unless a deployment shares keys). */
  tasks: string[];
}

/** Where the figures came from; every column not named here is the usage ledger's. */
export interface UsageSources {
  /** Task rows' `lambdaThrottles`: CloudWatch's `Throttles` (AWS), or what the runtime counted in the ledger. */
  lambdaThrottles: 'cloudwatch' | 'ledger';
  /** The report's `api` figures. */
  api: 'cloudwatch' | 'none';
  /** Set when CloudWatch was asked and could not be read (e.g. `AccessDenied`): the ledger's counts stand in. */
  cloudWatchError?: string;
}

export interface UsageReport {
  since: string;
  until: string;
  /** Which ledger items the totals were summed from. */
  resolution: 'minute' | 'day';
  sources: UsageSources;
  /** API Gateway's own counts for the stage (AWS only); null where CloudWatch is not read or failed. */
  api: ApiGatewayCounts | null;
  tasks: TaskUsageRow[];
  keys: KeyUsageRow[];
}

export interface UsageReportOptions {
  /** Physical name of the usage ledger table. */
  table: string;
  since: Date;
  until: Date;
  /** The resolved catalog, for budgets, TPM ceilings and timeouts. */
  catalog: ReadonlyArray<Pick<TaskConfig, 'name' | 'dailyTokenBudget' | 'tokensPerMinute' | 'timeoutSeconds' | 'worker'>>;
  /** Selects "today" for the budget column and the minute items still retained. @default new Date() */
  now?: Date;
  /**
   * In AWS: CloudWatch, for the throttles the ledger cannot see and the API's own counts.
   * @default none: Lambda throttles are the ledger's (what `npm start` counts)
   */
  platform?: PlatformMetrics;
}

const MINUTE_RESOLUTION_MAX_MS = 25 * 3600 * 1000;

export async function readUsageReport(doc: DynamoDBDocumentClient, options: UsageReportOptions): Promise<UsageReport> {
  const since = options.since.getTime();
  const until = options.until.getTime();
  if (!(since <= until)) throw new RangeError('the report period must start before it ends');
  const now = (options.now ?? new Date()).getTime();
  const minuteItemsFrom = now - MINUTE_ITEM_RETENTION_SECONDS * 1000;
  const resolution = until - since <= MINUTE_RESOLUTION_MAX_MS && since >= minuteItemsFrom ? 'minute' : 'day';
  const ledger = new LedgerReader(doc, options.table);
  // Asked alongside the ledger queries, over the same whole minutes or days the ledger sums.
  const unit = resolution === 'minute' ? 60_000 : 86_400_000;
  const platformRead: Promise<PlatformRead> = options.platform
    ? options.platform.read({ start: Math.floor(since / unit) * unit, end: Math.floor(until / unit) * unit + unit, now }, options.catalog).then(
        (counts): PlatformRead => ({ counts }),
        (error: unknown): PlatformRead => ({ error: errorName(error) }),
      )
    : Promise.resolve({});

  const periodRange = (pk: string) =>
    resolution === 'minute'
      ? ledger.range(pk, ledgerKey.minute(utcMinute(since)), ledgerKey.minute(utcMinute(until)))
      : ledger.range(pk, ledgerKey.day(utcDay(since)), ledgerKey.day(utcDay(until)));
  const peakFrom = Math.max(since, minuteItemsFrom);

  const taskRows = await Promise.all(
    options.catalog.map(async (task): Promise<TaskUsageRow> => {
      const pk = ledgerKey.task(task.name);
      const [periodItems, minuteItems, today, read] = await Promise.all([
        periodRange(pk),
        peakFrom <= until ? ledger.range(pk, ledgerKey.minute(utcMinute(peakFrom)), ledgerKey.minute(utcMinute(until))) : Promise.resolve([]),
        ledger.range(pk, ledgerKey.day(utcDay(now)), ledgerKey.day(utcDay(now))),
        platformRead,
      ]);
      const totals = summarise(periodItems);
      if (read.counts) totals.lambdaThrottles = read.counts.lambdaThrottles[task.name] ?? 0;
      const peakTokensPerMinute = Math.max(0, ...minuteItems.map((m) => m.inputTokens + m.outputTokens));
      const budgetUsedPercent = percent(today[0]?.committedTokens ?? 0, task.dailyTokenBudget);
      const peakTpmPercent = percent(peakTokensPerMinute, task.tokensPerMinute);
      const timeoutPercent = percent(totals.p95LatencyMs ?? 0, task.timeoutSeconds * 1000);
      const throttled = totals.providerThrottles + totals.lambdaThrottles > 0 ? 100 : 0;
      return {
        task: task.name,
        ...totals,
        dailyTokenBudget: task.dailyTokenBudget,
        budgetUsedPercent,
        tokensPerMinuteCeiling: task.tokensPerMinute,
        peakTokensPerMinute,
        peakTpmPercent,
        timeoutPercent,
        pressurePercent: Math.max(budgetUsedPercent, peakTpmPercent, timeoutPercent, throttled),
      };
    }),
  );
  taskRows.sort(
    (a, b) =>
      b.pressurePercent - a.pressurePercent ||
      (b.p95LatencyMs ?? 0) - (a.p95LatencyMs ?? 0) ||
      b.providerThrottles + b.lambdaThrottles - (a.providerThrottles + a.lambdaThrottles) ||
      a.task.localeCompare(b.task),
  );

  // Keys are found through the task partitions' KEYREF items, not by scanning the table.
  const tasksByKey = new Map<string, string[]>();
  for (const task of options.catalog) {
    for (const fingerprint of await ledger.keyRefs(ledgerKey.task(task.name))) {
      tasksByKey.set(fingerprint, [...(tasksByKey.get(fingerprint) ?? []), task.name]);
    }
  }
  const keyRows = (
    await Promise.all(
      [...tasksByKey].map(async ([keyFingerprint, tasks]): Promise<KeyUsageRow> => ({
        keyFingerprint,
        tasks,
        ...summarise(await periodRange(ledgerKey.key(keyFingerprint))),
      })),
    )
  ).filter((row) => row.requests + row.errors + row.providerThrottles + row.lambdaThrottles + row.cacheHits + row.cacheMisses > 0);
  keyRows.sort(
    (a, b) =>
      b.providerThrottles - a.providerThrottles ||
      (b.p95LatencyMs ?? 0) - (a.p95LatencyMs ?? 0) ||
      b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) ||
      a.keyFingerprint.localeCompare(b.keyFingerprint),
  );

  const platform = await platformRead;
  const sources: UsageSources = platform.counts
    ? { lambdaThrottles: 'cloudwatch', api: 'cloudwatch' }
    : { lambdaThrottles: 'ledger', api: 'none', ...(platform.error ? { cloudWatchError: platform.error } : {}) };
  return { since: new Date(since).toISOString(), until: new Date(until).toISOString(), resolution, sources, api: platform.counts?.api ?? null, tasks: taskRows, keys: keyRows };
}

type PlatformRead = { counts?: PlatformCounts; error?: string };

/** The error's name or socket code only (`AccessDenied`, `ECONNREFUSED`): its message may name the account and role. */
function errorName(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown; cause?: { code?: unknown }; message?: unknown } | undefined;
  const candidate = [e?.code, e?.cause?.code, e?.name].find((v): v is string => typeof v === 'string' && /^[A-Za-z][\w.]{0,63}$/.test(v) && v !== 'Error');
  // The SDK wraps a socket error it does not recognise as an Error ("AWS SDK error wrapper for Error:
  // connect ECONNREFUSED …") without its code; the code is still in the text.
  return candidate ?? /\b(E[A-Z]{3,}[A-Z_]*)\b/.exec(String(e?.message ?? ''))?.[1] ?? 'Error';
}

/** The percentile (0–1) of a latency histogram: the upper bound of the bucket that holds it. */
export function latencyPercentile(histogram: Record<string, number>, p: number): number | null {
  const bounds = [...LATENCY_BUCKETS_MS.map((b) => [`lat_${b}`, b] as const), [LATENCY_OVERFLOW_ATTRIBUTE, LATENCY_BUCKETS_MS.at(-1)!] as const];
  const total = bounds.reduce((sum, [name]) => sum + (histogram[name] ?? 0), 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [name, bound] of bounds) {
    seen += histogram[name] ?? 0;
    if (seen >= rank) return bound;
  }
  return LATENCY_BUCKETS_MS.at(-1)!;
}

function summarise(items: LedgerCounters[]): UsageTotals {
  const sum = (field: keyof Omit<LedgerCounters, 'latency'>) => items.reduce((total, item) => total + item[field], 0);
  const histogram: Record<string, number> = {};
  for (const item of items) {
    for (const [name, count] of Object.entries(item.latency)) histogram[name] = (histogram[name] ?? 0) + count;
  }
  const cacheHits = sum('cacheHits');
  const cacheMisses = sum('cacheMisses');
  return {
    requests: sum('requests'),
    inputTokens: sum('inputTokens'),
    outputTokens: sum('outputTokens'),
    cachedTokens: sum('cachedTokens'),
    costMicroUsd: sum('costMicroUsd'),
    errors: sum('errors'),
    providerThrottles: sum('providerThrottles'),
    lambdaThrottles: sum('lambdaThrottles'),
    cacheHits,
    cacheMisses,
    fallbacks: sum('fallbacks'),
    cacheHitRate: cacheHits + cacheMisses === 0 ? null : cacheHits / (cacheHits + cacheMisses),
    p50LatencyMs: latencyPercentile(histogram, 0.5),
    p95LatencyMs: latencyPercentile(histogram, 0.95),
  };
}

function percent(value: number, limit: number): number {
  return limit > 0 ? Math.round((value / limit) * 1000) / 10 : 0;
}

class LedgerReader {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async range(pk: string, fromSk: string, toSk: string): Promise<LedgerCounters[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': fromSk, ':to': toSk },
    });
    return items.map(toCounters);
  }

  async keyRefs(pk: string): Promise<string[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': ledgerKey.keyRef('') },
    });
    return items.map((item) => String(item.sk).slice(ledgerKey.keyRef('').length));
  }

  private async query(input: { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, string> }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({ TableName: this.table, ...input, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
