/**
 * Where a bench run writes. Only a full run (every scenario, full size) updates the committed
 * results (bench/results.json, bench/RESULTS.md, bench/README-section.md and the scenarios' own
 * files such as bench/isolation.svg); a quick or partial run writes scratch files beside them,
 * git-ignored, so a quick check can never pass its scaled-down figures off as the full run's.
 */
import type { BenchArgs } from './cli-args';

export interface BenchOutputFiles {
  kind: 'full' | 'scratch';
  /** Relative to the repository root. */
  resultsJson: string;
  resultsMarkdown: string;
  /** The README's figures section: a full run only. */
  readmeSection?: string;
  /** Where a scenario's own file (`bench/isolation.svg`) goes, given the path it asks for. */
  artifact(relativePath: string): string;
}

export const SCRATCH_DIR = 'bench/tmp/quick';

export function benchOutputFiles(args: Pick<BenchArgs, 'quick' | 'only'>): BenchOutputFiles {
  if (!args.quick && !args.only) {
    return { kind: 'full', resultsJson: 'bench/results.json', resultsMarkdown: 'bench/RESULTS.md', readmeSection: 'bench/README-section.md', artifact: (path) => path };
  }
  return {
    kind: 'scratch',
    resultsJson: 'bench/results.quick.json',
    resultsMarkdown: 'bench/RESULTS.quick.md',
    artifact: (path) => `${SCRATCH_DIR}/${path.replace(/^bench\//, '')}`,
  };
}
