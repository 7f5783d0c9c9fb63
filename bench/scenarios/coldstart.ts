/**
 * coldstart: every function bundle built as synth builds it; its minified size, and its module
 * initialisation time: the median wall time of fresh `node` processes that import the bundle, less
 * the median of bare `node -e ''` processes run interleaved with them (so drift hits both alike).
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFunction, functionEntries, type BuiltBundle, type FunctionEntry } from '../function-bundles';
import type { Scenario } from '../scenario';
import { median, round } from '../statistics';
import { verdict, type FigureValue } from '../results';

export const MAX_BUNDLE_KB = 400;
export const MAX_INIT_MS = 150;

interface Timed {
  ms: number;
  ok: boolean;
  stderr: string;
}

/** One fresh process; wall time from spawn to exit. */
function timeNode(args: string[], env: Record<string, string>): Promise<Timed> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4_000) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, ok: code === 0, stderr });
    });
  });
}

/**
 * The `awslambda` global the Node.js Lambda runtime defines before it loads a handler (the chat
 * function streamifies its handler at module scope). Identity stand-ins: init cost only.
 */
const LAMBDA_RUNTIME_GLOBAL = 'globalThis.awslambda={streamifyResponse:(h)=>h,HttpResponseStream:{from:(s)=>s}};';

function importArgs(bundle: BuiltBundle): string[] {
  // The stack sets NODE_OPTIONS=--enable-source-maps; the bare baseline gets the same flag.
  return ['--enable-source-maps', '--input-type=module', '-e', `${LAMBDA_RUNTIME_GLOBAL}await import(${JSON.stringify(pathToFileURL(bundle.file).href)});`];
}

function largestPackages(bundle: BuiltBundle, count = 4): string {
  return bundle.packages
    .slice(0, count)
    .map((p) => `${p.name} ${Math.round(p.bytes / 1024)} KB`)
    .join(', ');
}

export const coldstartScenario: Scenario = {
  name: 'coldstart',
  title: 'Cold start: bundle size and module initialisation',
  async run({ quick, repoRoot, progress }) {
    const runs = quick ? 3 : 12;
    const outDir = join(repoRoot, 'bench', 'tmp', 'bundles');
    await rm(outDir, { recursive: true, force: true });
    const entries = functionEntries();
    const bundles: Array<{ fn: FunctionEntry; bundle: BuiltBundle }> = [];
    for (const fn of entries) {
      progress.say(`coldstart: bundling ${fn.entry}`);
      bundles.push({ fn, bundle: await bundleFunction(repoRoot, fn, outDir) });
    }

    const bare: number[] = [];
    const samples = new Map<string, number[]>(bundles.map(({ fn }) => [fn.id, []]));
    const failures = new Map<string, string>();
    for (let i = 0; i < runs; i++) {
      progress.say(`coldstart: round ${i + 1}/${runs} of fresh node processes (bare + ${bundles.length} bundles)`);
      const baseline = await timeNode(['--enable-source-maps', '-e', ''], {});
      bare.push(baseline.ms);
      for (const { fn, bundle } of bundles) {
        if (failures.has(fn.id)) continue;
        const timed = await timeNode(importArgs(bundle), fn.env);
        if (!timed.ok) failures.set(fn.id, timed.stderr.split('\n').find((l) => /Error/.test(l))?.trim() ?? 'the import exited with an error');
        else samples.get(fn.id)!.push(timed.ms);
      }
    }

    const bareMedian = median(bare);
    const table: Record<string, Record<string, FigureValue>> = {};
    const targets = [];
    let largestKb = 0;
    let slowestInitMs = 0;
    for (const { fn, bundle } of bundles) {
      const kb = round(bundle.bytes / 1024, 1);
      const failure = failures.get(fn.id);
      const initMs = failure ? Number.NaN : round(median(samples.get(fn.id)!) - bareMedian, 1);
      largestKb = Math.max(largestKb, kb);
      if (!failure) slowestInitMs = Math.max(slowestInitMs, initMs);
      table[fn.id] = { entry: fn.entry, 'minified KB': kb, 'source map KB': round(bundle.sourceMapBytes / 1024, 1), 'init ms above bare node (median)': failure ? `failed: ${failure}` : initMs, 'largest parts': largestPackages(bundle) };
      targets.push(verdict(`${fn.id} bundle ≤ ${MAX_BUNDLE_KB} KB minified`, kb, MAX_BUNDLE_KB, (n) => `${n} KB`));
      targets.push(
        failure
          ? { target: `${fn.id} module init ≤ ${MAX_INIT_MS} ms above bare node`, measured: `import failed: ${failure}`, met: false }
          : verdict(`${fn.id} module init ≤ ${MAX_INIT_MS} ms above bare node`, initMs, MAX_INIT_MS, (n) => `${n} ms`),
      );
    }
    return {
      figures: {
        bundles: bundles.length,
        'largest bundle KB': largestKb,
        'slowest init ms above bare node': round(slowestInitMs, 1),
        'bare node start ms (median)': round(bareMedian, 1),
        'processes per bundle': runs,
      },
      tables: { bundles: table },
      targets,
      notes: [
        'Bundled with the options of lib/constructs/task-function.ts (ESM, minified, source maps without sources content, target node24, @aws-sdk/* external, createRequire banner), mirrored in bench/function-bundles.ts.',
        `Init time is the median wall time of a fresh \`node --enable-source-maps\` importing the bundle with the function's environment, less the median of bare \`node -e ''\` runs interleaved with them; measured on Node ${process.version} here, Lambda runs Node 24. The @aws-sdk/* imports load from node_modules here and from the runtime in Lambda.`,
      ],
    };
  },
};
