/** Command line of `npm run bench`. */
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES, type ScenarioName } from './results';

export const BENCH_USAGE = `Usage: npm run bench -- [--quick] [--only <scenario>[,<scenario>…]]

Measures the gateway on this machine, against 127.0.0.1 only (local runtime, dynalite, provider
simulator), and writes bench/results.json, bench/RESULTS.md, bench/isolation.svg and
bench/README-section.md.

Options:
  --quick             scaled-down scenarios (under 2 minutes in all)
  --only <names>      run only these scenarios (comma-separated or repeated); the others keep
                      their previous figures in the results
  -h, --help          show this help

Scenarios: ${SCENARIO_NAMES.join(', ')}
`;

export interface BenchArgs {
  quick: boolean;
  scenarios: ScenarioName[];
  help: boolean;
}

export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  let values: { quick?: boolean; only?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { quick: { type: 'boolean' }, only: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
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
  // Run order is the catalogue's, whatever order they were named in.
  const scenarios = requested.length === 0 ? [...SCENARIO_NAMES] : SCENARIO_NAMES.filter((n) => requested.includes(n));
  return { quick: values.quick ?? false, scenarios, help: values.help ?? false };
}
