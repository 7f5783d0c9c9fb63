/**
 * Builds every Lambda function's bundle the way `cdk synth` does, so the benchmark measures what
 * deploys. lib/constructs/task-function.ts passes its bundling options inline to NodejsFunction
 * (nothing is exported), so they are mirrored here, translated from the esbuild command line
 * NodejsFunction builds (aws-lambda-nodejs/lib/bundling.js `buildEsbuildArgs`) to esbuild's API.
 * Keep the two in step: a change there must be copied here.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { functionConfigFor, resolveCatalog } from '../lib/catalog';
import { ENV } from '../functions/core/env';
import { METRICS_NAMESPACE } from '../functions/core/metric-names';

/** The ESM `require` shim of TaskFunction (CommonJS dependencies call `require`). */
export const CREATE_REQUIRE_BANNER = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/** TaskFunction's `bundling` props as esbuild options (NodejsFunction adds bundle, platform and outfile). */
export const LAMBDA_BUNDLING: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: { js: CREATE_REQUIRE_BANNER },
  external: ['@aws-sdk/*'],
  logLevel: 'silent',
};

export interface FunctionEntry {
  /** `clinical`, `imaging-worker`, `ops`. */
  id: string;
  /** Relative to the repository root. */
  entry: string;
  /** The environment the stack gives the function (what module scope may read at init). */
  env: Record<string, string>;
}

/** Every function the stack deploys: one API function per catalog task, the imaging worker, ops. */
export function functionEntries(): FunctionEntry[] {
  const catalog = resolveCatalog({ stage: 'bench' });
  const common = {
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    NODE_OPTIONS: '--enable-source-maps',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    [ENV.usageTable]: 'bench-usage',
    [ENV.cacheTable]: 'bench-cache',
    [ENV.jobsTable]: 'bench-jobs',
  };
  const entries: FunctionEntry[] = [];
  for (const task of catalog.tasks) {
    const taskEnv = {
      ...common,
      [ENV.task]: task.name,
      [ENV.taskConfig]: JSON.stringify(functionConfigFor(task)),
      [ENV.secretId]: task.secretName,
      ...(task.name === 'imaging' ? { [ENV.imagingQueueUrl]: 'http://127.0.0.1:9/queue/bench-imaging', [ENV.imagesBucket]: 'bench-images' } : {}),
    };
    entries.push({ id: task.name, entry: `functions/${task.name}/handler.ts`, env: { ...taskEnv, [ENV.functionRole]: 'api', POWERTOOLS_SERVICE_NAME: `smartdental-${task.name}` } });
    if (task.worker) {
      entries.push({ id: `${task.name}-worker`, entry: `functions/${task.name}/worker.ts`, env: { ...taskEnv, [ENV.functionRole]: 'worker', POWERTOOLS_SERVICE_NAME: `smartdental-${task.name}` } });
    }
  }
  entries.push({ id: 'ops', entry: 'functions/ops/handler.ts', env: { ...common, [ENV.functionRole]: 'api', POWERTOOLS_SERVICE_NAME: 'smartdental-ops' } });
  return entries;
}

export interface BuiltBundle {
  id: string;
  /** The `index.mjs` NodejsFunction would upload. */
  file: string;
  bytes: number;
  sourceMapBytes: number;
  /** Output bytes per npm package (or `(own code)`), largest first: where a bundle's size comes from. */
  packages: Array<{ name: string; bytes: number }>;
}

/** `node_modules/@scope/name/…` → `@scope/name`; anything else is the project's own code. */
export function packageOf(inputPath: string): string {
  const at = inputPath.lastIndexOf('node_modules/');
  if (at === -1) return '(own code)';
  const parts = inputPath.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? '(own code)');
}

/**
 * Bundles one function into `<outDir>/<id>/index.mjs`. The output must sit inside the repository
 * tree so the external `@aws-sdk/*` imports resolve from its node_modules, as they resolve from
 * the runtime in Lambda.
 */
export async function bundleFunction(repoRoot: string, fn: FunctionEntry, outDir: string): Promise<BuiltBundle> {
  const file = join(outDir, fn.id, 'index.mjs');
  // The metafile only reports where bytes come from; it does not change the output.
  const result = await build({ ...LAMBDA_BUNDLING, absWorkingDir: repoRoot, entryPoints: [join(repoRoot, fn.entry)], outfile: file, metafile: true });
  const [bundle, map] = await Promise.all([stat(file), stat(`${file}.map`)]);
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  const packages = [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { id: fn.id, file, bytes: bundle.size, sourceMapBytes: map.size, packages };
}
