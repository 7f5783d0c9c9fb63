/**
 * What a benchmark run produces: one result per scenario with its figures and target verdicts,
 * plus the machine it ran on. `bench/results.json` holds the latest result of every scenario, so
 * `--only soak` refreshes soak without throwing the other scenarios' figures away.
 */
import { cpus, totalmem } from 'node:os';

export const SCENARIO_NAMES = ['coldstart', 'ledger', 'overhead', 'savings', 'isolation', 'memory', 'imaging', 'fairness', 'soak'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export type FigureValue = number | string | boolean | null;
export type FigureTable = Record<string, FigureValue | Record<string, FigureValue>>;

/** One target of the issue, checked against what was measured. */
export interface TargetVerdict {
  /** What is promised, e.g. "isolated clinical p95 ≤ 1.1 × clinical alone". */
  target: string;
  /** What was measured, in words and numbers, e.g. "1.04 ×". */
  measured: string;
  met: boolean;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  title: string;
  /** `ok`: ran to the end (targets may still be missed); `failed`: could not run; `skipped`: left out on purpose. */
  status: 'ok' | 'failed' | 'skipped';
  mode: 'full' | 'quick';
  /** ISO-8601 UTC, when this scenario finished. */
  finishedAt: string;
  durationMs: number;
  /** Named figures; counts and ratios where possible, since absolute speed drifts on a laptop. */
  figures: Record<string, FigureValue>;
  /**
   * Figure groups keyed by a label: either name → value, or row → column → value (e.g. one row
   * per configuration or per bundle).
   */
  tables?: Record<string, FigureTable>;
  targets: TargetVerdict[];
  notes: string[];
  /** Why it failed or was skipped. */
  reason?: string;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  node: string;
  platform: string;
  totalMemoryMb: number;
}

export interface BenchResults {
  /** When the file was last written. */
  updatedAt: string;
  machine: MachineInfo;
  scenarios: ScenarioResult[];
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  const totalMemoryMb = Math.round(totalmem() / (1024 * 1024));
  return { cpus: list.length, cpuModel: list[0]?.model.trim() ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}`, totalMemoryMb };
}

/** A verdict for `measured <= limit` (or `>=` with `atLeast`). */
export function verdict(target: string, measured: number, limit: number, format: (n: number) => string, direction: 'atMost' | 'atLeast' = 'atMost'): TargetVerdict {
  const met = Number.isFinite(measured) && (direction === 'atMost' ? measured <= limit : measured >= limit);
  return { target, measured: format(measured), met };
}

/** A verdict for two counts that must be equal. */
export function equalVerdict(target: string, actual: number, expected: number, unit = ''): TargetVerdict {
  const suffix = unit ? ` ${unit}` : '';
  return { target, measured: actual === expected ? `${actual}${suffix} = ${expected}${suffix}` : `${actual}${suffix} ≠ ${expected}${suffix}`, met: actual === expected };
}

/**
 * The run's results merged into what the file held: scenarios run now replace their earlier
 * entries; the others are kept (each carries its own `finishedAt` and `mode`). Order follows
 * {@link SCENARIO_NAMES}.
 */
export function mergeResults(previous: BenchResults | undefined, current: ScenarioResult[], machine: MachineInfo, now: Date): BenchResults {
  const byName = new Map<ScenarioName, ScenarioResult>();
  for (const r of previous?.scenarios ?? []) if ((SCENARIO_NAMES as readonly string[]).includes(r.scenario)) byName.set(r.scenario, r);
  for (const r of current) byName.set(r.scenario, r);
  const scenarios = SCENARIO_NAMES.flatMap((name) => (byName.has(name) ? [byName.get(name)!] : []));
  return { updatedAt: now.toISOString(), machine, scenarios };
}

/** Every missed target of every scenario, and every scenario that could not run. */
export function regressions(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const r of results.scenarios) {
    if (r.status === 'failed') lines.push(`MISSED: ${r.scenario} did not run to the end: ${r.reason ?? 'unknown reason'}`);
    for (const t of r.targets) if (!t.met) lines.push(`MISSED: ${r.scenario}: ${t.target} (measured ${t.measured})`);
  }
  return lines;
}
