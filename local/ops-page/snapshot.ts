/**
 * What the operations page shows, in one JSON document: the runtime's live counters (functions
 * in flight against their limits, the imaging queue) joined with the usage ledger's figures
 * (tokens this minute against the ceiling, budget used today, throttles, p95 latency, cache hits)
 * and a per-minute token series for the chart.
 *
 * The ledger is read the way the deployed report reads it ({@link readUsageReport}); the series
 * comes from the task minute items. A minute item can still change until every request that
 * reserved in it has settled (at most the longest function timeout later), so only minutes older
 * than that are kept between refreshes; newer ones are read again each time.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TaskConfig } from '../../functions/core/task-config';
import { readPracticeUsageReport } from '../../functions/core/practice-usage-report';
import { readUsageReport } from '../../functions/core/usage-report';
import { DynamoUsageLedger, utcDay, utcMinute, type LedgerCounters } from '../../functions/core/usage-ledger';
import type { RuntimeStats } from '../runtime/stats';

/** How far back the counters of a row reach; the page offers these. */
export const OPS_WINDOWS = { '15m': 15, '1h': 60, '6h': 360, '24h': 1440 } as const;
export type OpsWindow = keyof typeof OPS_WINDOWS;
export const DEFAULT_OPS_WINDOW: OpsWindow = '1h';
/** Minutes in the chart. */
export const SERIES_MINUTES = 60;
/** Rows of the "practices under most pressure" panel. */
export const PRESSURE_PANEL_PRACTICES = 5;

/** A practice in the panel: its totals over the window's UTC days and the task nearest its share. */
export interface OpsPracticeRow {
  practiceId: string;
  pressurePercent: number;
  requests: number;
  costMicroUsd: number;
  shareRefusals: number;
  budgetRefusals: number;
  /** The task under most pressure: its busiest day against the practice's daily share. */
  top: { task: string; peakDayTokens: number; dailyTokensShare: number; peakDayPercent: number; shareSource: 'catalog' | 'override' };
}

export interface OpsTaskRow {
  task: string;
  description: string;
  concurrency: { inFlight: number; limit: number; peak: number };
  /** `current`: tokens committed in this UTC minute (what admission compares with the ceiling). */
  tokensPerMinute: { current: number; ceiling: number; peakInWindow: number };
  budget: { committedTokensToday: number; dailyTokenBudget: number; percent: number };
  requests: number;
  inputTokens: number;
  outputTokens: number;
  errors: number;
  fallbacks: number;
  costMicroUsd: number;
  throttles: { lambda: number; provider: number };
  latency: { p50Ms: number | null; p95Ms: number | null; timeoutMs: number };
  cache: { enabled: boolean; hits: number; misses: number; hitRate: number | null };
  /** The report's pressure (largest of budget, peak TPM and timeout use; ≥ 100 when throttled). */
  pressurePercent: number;
}

export interface OpsSnapshot {
  generatedAt: string;
  runtimeStartedAt: string;
  window: { name: OpsWindow; since: string; until: string };
  tasks: OpsTaskRow[];
  imagingQueue: {
    depth: number;
    inFlight: number;
    delayed: number;
    deadLetters: number;
    workerInFlight: number;
    workerLimit: number;
    /** Worker invocations (batches) since the runtime started, and how many failed or timed out. */
    workerInvocations: number;
    workerErrors: number;
    workerTimeouts: number;
    maxConcurrency: number;
    maxReceiveCount: number;
  };
  /** Input + output tokens per task per UTC minute, oldest first; `minutes` are ISO-8601 starts. */
  series: { minutes: string[]; tokens: Record<string, number[]> };
  /** The task under most pressure in the window, or null when nothing happened. */
  underMostPressure: string | null;
  /** The practices under most pressure (whole UTC days of the window), at most {@link PRESSURE_PANEL_PRACTICES}. */
  practices: OpsPracticeRow[];
}

export interface OpsSnapshotSource {
  doc: DynamoDBDocumentClient;
  /** Physical name of the usage ledger table. */
  usageTable: string;
  /** The PracticeOverrides table, for the practices' effective shares. @default none: the catalog shares */
  practiceOverridesTable?: string;
  catalog: readonly TaskConfig[];
  stats: () => RuntimeStats;
  /** Id of the function that serves each task's API (the task name) and of the imaging worker. */
  imagingWorkerId: string;
  /** @default Date.now */
  now?: () => number;
}

export interface OpsSnapshotReader {
  read(window?: OpsWindow): Promise<OpsSnapshot>;
}

export function isOpsWindow(value: unknown): value is OpsWindow {
  return typeof value === 'string' && Object.hasOwn(OPS_WINDOWS, value);
}

export function createOpsSnapshotReader(source: OpsSnapshotSource): OpsSnapshotReader {
  const ledger = new DynamoUsageLedger({ doc: source.doc, tableName: source.usageTable });
  const now = source.now ?? Date.now;
  const longestTimeoutMs = Math.max(...source.catalog.map((t) => Math.max(t.timeoutSeconds, t.worker?.timeoutSeconds ?? 0))) * 1000;
  /** Settled minute items, by `<task> <minute>`. */
  const settledMinutes = new Map<string, number>();

  async function minuteTokens(task: string, minuteStart: number, at: number): Promise<number> {
    const minute = utcMinute(minuteStart);
    const cacheKey = `${task} ${minute}`;
    const kept = settledMinutes.get(cacheKey);
    if (kept !== undefined) return kept;
    const counters = await ledger.readTaskMinute(task, minute);
    const tokens = counters.inputTokens + counters.outputTokens;
    if (minuteStart + 60_000 + longestTimeoutMs < at) settledMinutes.set(cacheKey, tokens);
    return tokens;
  }

  async function series(at: number): Promise<OpsSnapshot['series']> {
    const currentMinute = at - (at % 60_000);
    const starts = Array.from({ length: SERIES_MINUTES }, (_, i) => currentMinute - (SERIES_MINUTES - 1 - i) * 60_000);
    const oldest = starts[0]!;
    for (const key of settledMinutes.keys()) {
      if (Date.parse(`${key.slice(key.indexOf(' ') + 1)}:00Z`) < oldest) settledMinutes.delete(key);
    }
    const tokens: Record<string, number[]> = {};
    await Promise.all(
      source.catalog.map(async (task) => {
        tokens[task.name] = await Promise.all(starts.map((start) => minuteTokens(task.name, start, at)));
      }),
    );
    return { minutes: starts.map((s) => new Date(s).toISOString()), tokens };
  }

  return {
    async read(window = DEFAULT_OPS_WINDOW) {
      const at = now();
      const since = at - OPS_WINDOWS[window] * 60_000;
      const stats = source.stats();
      const [report, chart, thisMinute, today, practiceReport] = await Promise.all([
        readUsageReport(source.doc, { table: source.usageTable, since: new Date(since), until: new Date(at), catalog: source.catalog, now: new Date(at) }),
        series(at),
        countersByTask((task) => ledger.readTaskMinute(task, utcMinute(at))),
        countersByTask((task) => ledger.readTaskDay(task, utcDay(at))),
        readPracticeUsageReport(source.doc, {
          table: source.usageTable,
          overridesTable: source.practiceOverridesTable,
          since: new Date(since),
          until: new Date(at),
          catalog: source.catalog,
          now: new Date(at),
          limit: PRESSURE_PANEL_PRACTICES,
        }),
      ]);
      const rows = source.catalog.map((task): OpsTaskRow => {
        // readUsageReport builds one row per catalog task, and it is given this same catalog.
        const usage = report.tasks.find((r) => r.task === task.name)!;
        const fn = stats.functions[task.name];
        const committedToday = today.get(task.name)?.committedTokens ?? 0;
        return {
          task: task.name,
          description: task.description,
          concurrency: { inFlight: fn?.inFlight ?? 0, limit: fn?.limit ?? 0, peak: fn?.peakInFlight ?? 0 },
          tokensPerMinute: { current: thisMinute.get(task.name)?.committedTokens ?? 0, ceiling: task.tokensPerMinute, peakInWindow: usage.peakTokensPerMinute },
          budget: { committedTokensToday: committedToday, dailyTokenBudget: task.dailyTokenBudget, percent: (committedToday / task.dailyTokenBudget) * 100 },
          requests: usage.requests,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          errors: usage.errors,
          fallbacks: usage.fallbacks,
          costMicroUsd: usage.costMicroUsd,
          throttles: { lambda: usage.lambdaThrottles, provider: usage.providerThrottles },
          latency: { p50Ms: usage.p50LatencyMs, p95Ms: usage.p95LatencyMs, timeoutMs: task.timeoutSeconds * 1000 },
          cache: { enabled: task.cache.enabled, hits: usage.cacheHits, misses: usage.cacheMisses, hitRate: usage.cacheHitRate },
          pressurePercent: usage.pressurePercent,
        };
      });
      const busiest = report.tasks.find((r) => r.pressurePercent > 0 || r.requests > 0);
      const worker = stats.functions[source.imagingWorkerId];
      const queue = stats.imagingQueue;
      return {
        generatedAt: new Date(at).toISOString(),
        runtimeStartedAt: stats.startedAt,
        window: { name: window, since: new Date(since).toISOString(), until: new Date(at).toISOString() },
        tasks: rows,
        imagingQueue: {
          depth: queue.depth,
          inFlight: queue.inFlight,
          delayed: queue.delayed,
          deadLetters: queue.deadLetters,
          workerInFlight: worker?.inFlight ?? 0,
          workerLimit: worker?.limit ?? 0,
          workerInvocations: worker?.invocations ?? 0,
          workerErrors: worker?.errors ?? 0,
          workerTimeouts: worker?.timeouts ?? 0,
          maxConcurrency: queue.maxConcurrency,
          maxReceiveCount: queue.maxReceiveCount,
        },
        series: chart,
        underMostPressure: busiest?.task ?? null,
        practices: practiceReport.practices.map((p): OpsPracticeRow => {
          const top = p.tasks[0]!;
          return {
            practiceId: p.practiceId,
            pressurePercent: p.pressurePercent,
            requests: p.requests,
            costMicroUsd: p.costMicroUsd,
            shareRefusals: p.shareRefusals,
            budgetRefusals: p.budgetRefusals,
            top: { task: top.task, peakDayTokens: top.peakDayTokens, dailyTokensShare: top.share.dailyTokens, peakDayPercent: top.peakDayPercent, shareSource: top.shareSource },
          };
        }),
      };
    },
  };

  async function countersByTask(read: (task: string) => Promise<LedgerCounters>): Promise<Map<string, LedgerCounters>> {
    return new Map(await Promise.all(source.catalog.map(async (t) => [t.name, await read(t.name)] as const)));
  }
}
