/** The contract between `bin/bench.ts` and one scenario module. */
import type { Progress } from './progress';
import type { FigureTable, FigureValue, ScenarioName, TargetVerdict } from './results';

export interface BenchContext {
  quick: boolean;
  /** Milliseconds added to every DynamoDB call in the overhead scenario's second configuration. */
  dynamoDelayMs: number;
  /** Repository root (entries, bundling, where results go). */
  repoRoot: string;
  progress: Progress;
  /** Files a scenario writes besides the results (the isolation chart), relative to the repo root. */
  writeArtifact(relativePath: string, content: string): Promise<void>;
  /** Results shared between scenarios of one run (memory reads the isolation run). */
  shared: Map<string, unknown>;
  /** Runs when the whole bench run ends (closing what scenarios share). */
  onFinish(cleanup: () => Promise<unknown>): void;
}

/** What a scenario measured; the runner adds name, timing and status. */
export interface ScenarioOutcome {
  figures: Record<string, FigureValue>;
  tables?: Record<string, FigureTable>;
  targets: TargetVerdict[];
  notes?: string[];
}

export interface Scenario {
  name: ScenarioName;
  title: string;
  run(context: BenchContext): Promise<ScenarioOutcome>;
}
