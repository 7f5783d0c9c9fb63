/**
 * `npm run bench`: measures the gateway's claims on this machine (see bench/RESULTS.md).
 *
 *   npm run bench -- [--quick] [--only <scenario>[,<scenario>…]] [--dynamo-delay-ms <ms>]
 *
 * A full run writes bench/results.json, bench/RESULTS.md, bench/README-section.md and (isolation)
 * bench/isolation.svg; a quick or partial run writes bench/results.quick.json and
 * bench/RESULTS.quick.md instead (see bench/output-files.ts). Exits 1 when a scenario could not run to its end; missed targets are
 * reported as "MISSED: …" lines, in RESULTS.md and here, and do not change the exit code.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { BENCH_USAGE, BenchArgsError, parseBenchArgs } from '../bench/cli-args';
import { benchOutputFiles } from '../bench/output-files';
import { consoleProgress } from '../bench/progress';
import { machineInfo, mergeResults, regressions, type BenchResults, type ScenarioResult } from '../bench/results';
import { renderReadmeSection, renderResultsMarkdown } from '../bench/results-markdown';
import type { BenchContext } from '../bench/scenario';
import { SCENARIOS } from '../bench/scenarios';

// The SDK warns once per client on Node 20; the bench's progress lines matter more here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REPO_ROOT = resolve(__dirname, '..');

/** A scenario that runs past this is abandoned (its loops are bounded; this guards a hang). */
const SCENARIO_TIME_LIMIT_MS = { full: 6 * 60_000, quick: 120_000 };

async function readPrevious(relativePath: string): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await readFile(join(REPO_ROOT, relativePath), 'utf8')) as BenchResults;
  } catch {
    return undefined;
  }
}

function withTimeLimit<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} ran past its time limit of ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof BenchArgsError) {
      process.stderr.write(`${error.message}\n\n${BENCH_USAGE}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }

  const mode = args.quick ? 'quick' : 'full';
  const outputs = benchOutputFiles(args);
  const progress = consoleProgress();
  const cleanups: Array<() => Promise<unknown>> = [];
  const write = async (relativePath: string, content: string) => {
    const file = join(REPO_ROOT, relativePath);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  };
  const context: BenchContext = {
    onFinish: (cleanup) => cleanups.push(cleanup),
    quick: args.quick,
    dynamoDelayMs: args.dynamoDelayMs,
    repoRoot: REPO_ROOT,
    progress,
    shared: new Map(),
    writeArtifact: (relativePath, content) => write(outputs.artifact(relativePath), content),
  };
  const machine = machineInfo();
  progress.say(`bench (${mode}): ${args.scenarios.join(', ')} on ${machine.cpus} cores, Node ${machine.node}`);

  const results: ScenarioResult[] = [];
  for (const name of args.scenarios) {
    const scenario = SCENARIOS[name];
    const started = Date.now();
    const base = { scenario: name, title: scenario?.title ?? name, mode, figures: {}, targets: [], notes: [] } as const;
    if (!scenario) {
      results.push({ ...base, status: 'failed', finishedAt: new Date().toISOString(), durationMs: 0, figures: {}, targets: [], notes: [], reason: 'not implemented yet' });
      progress.say(`${name}: not implemented yet`);
      continue;
    }
    progress.say(`${name}: starting`);
    try {
      const outcome = await withTimeLimit(scenario.run(context), SCENARIO_TIME_LIMIT_MS[mode], name);
      const result: ScenarioResult = {
        ...base,
        status: 'ok',
        finishedAt: new Date().toISOString(),
        durationMs: Date.now() - started,
        figures: outcome.figures,
        tables: outcome.tables,
        targets: outcome.targets,
        notes: outcome.notes ?? [],
      };
      results.push(result);
      const missed = result.targets.filter((t) => !t.met).length;
      progress.say(`${name}: done in ${(result.durationMs / 1000).toFixed(1)} s, ${result.targets.length - missed}/${result.targets.length} targets met`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      results.push({ ...base, status: 'failed', finishedAt: new Date().toISOString(), durationMs: Date.now() - started, figures: {}, targets: [], notes: [], reason });
      progress.say(`${name}: FAILED: ${reason}`);
    }
  }

  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);

  // A scratch run keeps only what it ran: the full run's figures stay in the committed files.
  const merged = mergeResults(outputs.kind === 'full' ? await readPrevious(outputs.resultsJson) : undefined, results, machine, new Date());
  await write(outputs.resultsJson, `${JSON.stringify(merged, null, 2)}\n`);
  await write(outputs.resultsMarkdown, renderResultsMarkdown(merged));
  if (outputs.readmeSection) await write(outputs.readmeSection, renderReadmeSection(merged));

  const missed = regressions({ ...merged, scenarios: results });
  for (const line of missed) process.stdout.write(`${line}\n`);
  const where = `${outputs.resultsMarkdown}, ${outputs.resultsJson}${outputs.kind === 'scratch' ? ' (scratch: a quick or partial run leaves the committed full-run results alone)' : ''}`;
  process.stdout.write(`${missed.length === 0 ? 'Every target met.' : `${missed.length} target(s) missed.`} Results: ${where}\n`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

main().then(
  // Exit explicitly: an abandoned scenario may still hold sockets, and the run is over.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
