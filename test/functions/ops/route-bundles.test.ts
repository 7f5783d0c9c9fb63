/**
 * What the route declarations cost the Lambda bundles, built as the stack builds them
 * (bench/function-bundles.ts mirrors its esbuild options): a task's bundle holds its own
 * declarations and schemas only, never another task's nor the OpenAPI generator; the ops bundle
 * finds every task's declarations through the esbuild glob import in functions/ops/task-routes.ts,
 * which only a bundle that runs can show.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../../../bench/function-bundles';
import { resolveCatalog } from '../../../lib/catalog';

const REPO = resolve(__dirname, '..', '..', '..');
const catalog = resolveCatalog();

async function bundleMetafile(entry: string) {
  const result = await build({ ...LAMBDA_BUNDLING, minify: false, sourcemap: false, absWorkingDir: REPO, entryPoints: [join(REPO, entry)], write: false, outfile: join(REPO, 'cdk.out', 'unused.mjs'), metafile: true });
  return result.metafile;
}

async function bundledFunctionsFiles(entry: string): Promise<string[]> {
  return Object.keys((await bundleMetafile(entry)).inputs).filter((input) => input.startsWith('functions/'));
}

/** The files that put code into the bundle (esbuild also lists files it read and shook away entirely). */
async function filesWithCodeInBundle(entry: string): Promise<string[]> {
  return Object.values((await bundleMetafile(entry)).outputs).flatMap((output) => Object.entries(output.inputs).filter(([, { bytesInOutput }]) => bytesInOutput > 0).map(([input]) => input));
}

/** Every AI function: each task's API function and the workers. */
const AI_ENTRIES = catalog.tasks.flatMap((t) => [`functions/${t.name}/handler.ts`, ...(t.worker ? [`functions/${t.name}/worker.ts`] : [])]);

describe('route declarations in the Lambda bundles', () => {
  it.each(catalog.tasks.map((t) => [t.name] as const))("%s bundles its own routes and schemas, no other task's and no OpenAPI generator", async (task) => {
    const files = await bundledFunctionsFiles(`functions/${task}/handler.ts`);
    expect(files).toContain(`functions/${task}/routes.ts`);
    const foreign = files.filter((file) => !file.startsWith('functions/core/') && !file.startsWith('functions/domain/') && !file.startsWith(`functions/${task}/`));
    expect(foreign).toEqual([]);
  }, 60_000);

  // Schemas are zod/mini (functions/core/zod.ts): classic zod puts every method, and with them the
  // JSON-schema code only the ops function's OpenAPI generator needs, in every bundle (~60 KB each).
  it.each(AI_ENTRIES.map((e) => [e] as const))('%s bundles zod/mini only: no classic zod and no JSON-schema code', async (entry) => {
    const zodFiles = (await filesWithCodeInBundle(entry)).filter((input) => input.includes('node_modules/zod/'));
    expect(zodFiles.some((file) => file.includes('/zod/v4/mini/'))).toBe(true);
    expect(zodFiles.filter((file) => /\/zod\/v4\/classic\/|json-schema/.test(file))).toEqual([]);
  }, 60_000);

  it("the ops bundle reads every catalog task's declarations, as the catalog derives its routes from them", async () => {
    // Inside the repository (cdk.out is ignored), so the external @aws-sdk imports resolve as they would in Lambda.
    mkdirSync(join(REPO, 'cdk.out'), { recursive: true });
    const dir = mkdtempSync(join(REPO, 'cdk.out', 'ops-routes-'));
    try {
      const outfile = join(dir, 'probe.mjs');
      await build({
        ...LAMBDA_BUNDLING,
        sourcemap: false,
        absWorkingDir: REPO,
        stdin: {
          contents:
            "import { taskRouteDeclarations } from './functions/ops/task-routes';\n" +
            'const out = {};\n' +
            'for (const task of process.argv.slice(2)) { try { out[task] = taskRouteDeclarations(task).map((d) => `${d.method} ${d.path}`); } catch (e) { out[task] = String(e.message); } }\n' +
            'process.stdout.write(JSON.stringify(out));\n',
          resolveDir: REPO,
          loader: 'ts',
        },
        outfile,
      });
      const names = catalog.tasks.map((t) => t.name);
      const stdout = await new Promise<string>((done, fail) => execFile(process.execPath, [outfile, ...names, 'dentures'], (error, out, err) => (error ? fail(new Error(err)) : done(out))));
      const seen = JSON.parse(stdout) as Record<string, string[] | string>;
      for (const task of catalog.tasks) expect({ task: task.name, routes: seen[task.name] }).toEqual({ task: task.name, routes: task.routes.map((r) => `${r.method} ${r.path}`) });
      expect(seen.dentures).toMatch(/no functions\/dentures\/routes\.ts exporting ROUTES/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
