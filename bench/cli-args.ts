/** Command line of `npm run bench`. */
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES, type ScenarioName } from './results';

/** One DynamoDB call from Lambda in the same Region: ~3–5 ms at the median. */
export const DEFAULT_DYNAMO_DELAY_MS = 4;

export const BENCH_USAGE = `Usage: npm run bench -- [--quick] [--only <scenario>[,<scenario>…]] [--dynamo-delay-ms <ms>]

Measures the gateway on this machine, against 127.0.0.1 only (local runtime, dynalite, provider
simulator). A full run (neither --quick nor --only) writes bench/results.json, bench/RESULTS.md,
bench/isolation.svg and bench/README-section.md; any other run writes its results to the scratch
files bench/results.quick.json and bench/RESULTS.quick.md (git-ignored) and its other files under
bench/tmp/quick/, leaving the committed full-run results alone.

Options:
  --quick               scaled-down scenarios (under 2 minutes in all)
  --only <names>        run only these scenarios (comma-separated or repeated)
  --dynamo-delay-ms <ms>  delay added to every DynamoDB call in overhead's second configuration,
                        to model DynamoDB in AWS (default ${DEFAULT_DYNAMO_DELAY_MS})
  -h, --help            show this help

Scenarios: ${SCENARIO_NAMES.join(', ')}
`;

export interface BenchArgs {
  quick: boolean;
  /** `--only` was given: a partial run, whose results go to the scratch file like a quick run's. */
  only: boolean;
  scenarios: ScenarioName[];
  /** Added to every DynamoDB call in overhead's second configuration. */
  dynamoDelayMs: number;
  help: boolean;
}

export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  let values: { quick?: boolean; only?: string[]; help?: boolean; 'dynamo-delay-ms'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { quick: { type: 'boolean' }, only: { type: 'string', multiple: true }, 'dynamo-delay-ms': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BenchArgsError((error as Error).message);
  }
  const requested = (values.only ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  for (const name of requested) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) {
      throw new BenchArgsError(`unknown scenario '${name}' (known: ${SCENARIO_NAMES.join(', ')})`);
    }
  }
  if (values.only !== undefined && requested.length === 0) throw new BenchArgsError('--only needs at least one scenario name');
  const rawDelay = values['dynamo-delay-ms'];
  const dynamoDelayMs = rawDelay === undefined ? DEFAULT_DYNAMO_DELAY_MS : Number(rawDelay);
  if (rawDelay !== undefined && (rawDelay.trim() === '' || !Number.isFinite(dynamoDelayMs) || dynamoDelayMs < 0 || dynamoDelayMs > 1_000)) {
    throw new BenchArgsError(`--dynamo-delay-ms must be a number of milliseconds from 0 to 1000, got '${rawDelay}'`);
  }
  // Run order is the catalogue's, whatever order they were named in.
  const scenarios = requested.length === 0 ? [...SCENARIO_NAMES] : SCENARIO_NAMES.filter((n) => requested.includes(n));
  return { quick: values.quick ?? false, only: values.only !== undefined, scenarios, dynamoDelayMs, help: values.help ?? false };
}
