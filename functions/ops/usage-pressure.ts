/**
 * The one-line answer on top of the usage report: which AI task runs closest to its limits and
 * why, taken from the first row (the report sorts by pressure) and the figure that put it there.
 */
import type { TaskUsageRow, UsageReport } from '#core/usage-report';
import type { PressureSummary, UsageReportResponse } from './schemas';

/** The report as `GET /v1/usage` and `npm run usage -- --json` give it: the rows plus the one-line answer. */
export function usageReportResponse(report: UsageReport): UsageReportResponse {
  return {
    since: report.since,
    until: report.until,
    resolution: report.resolution,
    sources: report.sources,
    api: report.api,
    underMostPressure: underMostPressure(report),
    tasks: report.tasks,
    keys: report.keys,
  };
}

export function underMostPressure(report: Pick<UsageReport, 'tasks'>): PressureSummary {
  const top = report.tasks[0];
  if (!top || (top.pressurePercent === 0 && top.requests === 0 && top.errors === 0)) return { task: null, reason: 'no traffic in the period' };
  return { task: top.task, reason: pressureReason(top) };
}

export function pressureReason(row: TaskUsageRow): string {
  const throttles: string[] = [];
  if (row.lambdaThrottles > 0) throttles.push(`${row.lambdaThrottles} Lambda ${plural(row.lambdaThrottles, 'throttle')} at its concurrency limit`);
  if (row.providerThrottles > 0) throttles.push(`${row.providerThrottles} provider ${plural(row.providerThrottles, 'throttle')} (429)`);
  const limits = [
    { percent: row.budgetUsedPercent, text: `${row.budgetUsedPercent}% of its daily token budget used today` },
    { percent: row.peakTpmPercent, text: `peak ${row.peakTokensPerMinute.toLocaleString('en-US')} tokens/min, ${row.peakTpmPercent}% of its ceiling` },
    { percent: row.timeoutPercent, text: `p95 latency ${row.p95LatencyMs ?? 0} ms, ${row.timeoutPercent}% of its timeout` },
  ].sort((a, b) => b.percent - a.percent);
  const nearest = limits[0]!;
  if (throttles.length > 0) return nearest.percent > 100 ? [nearest.text, ...throttles].join('; ') : throttles.join('; ');
  if (nearest.percent > 0) return nearest.text;
  return row.p95LatencyMs === null ? `${row.errors} ${plural(row.errors, 'error')}` : `slowest: p95 latency ${row.p95LatencyMs} ms`;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
