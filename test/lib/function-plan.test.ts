/**
 * The function plan is what both the stack and `npm start` run, so its entries must be real: a
 * misspelled handler path or export name fails here (the stack skips bundling in tests, and the
 * local routes test only sees that some function answered).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { resolveCatalog } from '../../lib/catalog';
import { DEFAULT_ALLOWED_ORIGIN, planFunctions } from '../../lib/function-plan';
import { localFunctionSpecs } from '../../local/runtime/function-specs';
import { synthGateway } from './stack-fixture';

const ROOT = join(__dirname, '..', '..');
const catalog = resolveCatalog();
const plan = planFunctions(catalog, { allowedOrigin: DEFAULT_ALLOWED_ORIGIN });

/** The names a TypeScript module exports at its top level (declarations and `export { a as b }`). */
function exportedNames(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const names: string[] = [];
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement) && ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exported && ts.isVariableStatement(statement)) names.push(...statement.declarationList.declarations.map((d) => d.name.getText(source)));
    if (exported && ts.isFunctionDeclaration(statement) && statement.name) names.push(statement.name.text);
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) names.push(...statement.exportClause.elements.map((e) => e.name.text));
  }
  return names;
}

it('plans a function per task, the imaging worker and ops', () => {
  expect(plan.map((f) => f.id)).toEqual([...catalog.tasks.map((t) => t.name).flatMap((t) => (t === 'imaging' ? [t, 'imaging-worker'] : [t])), 'ops']);
});

it.each(plan.map((f) => [f.id, f.entry.file, f.entry.export]))('%s: its entry %s exists and exports %s', (_id, file, name) => {
  const path = join(ROOT, file);
  expect([file, existsSync(path)]).toEqual([file, true]);
  expect(exportedNames(path)).toContain(name);
});

it('npm start loads exactly the planned entries', () => {
  const specs = localFunctionSpecs({
    plan,
    stage: 'local',
    repoRoot: ROOT,
    names: { tables: { usage: 'u', cache: 'c', jobs: 'j', practiceOverrides: 'p' }, secrets: {}, queue: 'q', bucket: 'b' },
    queueUrl: 'http://127.0.0.1:9/000000000000/q',
    endpoints: { dynamodb: 'http://127.0.0.1:9', secretsManager: 'http://127.0.0.1:9', sqs: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' },
    keyPlans: [],
    inherited: {},
    extra: {},
  });
  expect(specs.map((s) => [s.id, s.handlerFile, s.handlerExport])).toEqual(plan.map((f) => [f.id, join(ROOT, f.entry.file), f.entry.export]));
});

it('the stack bundles exactly the planned entries', () => {
  // The bundle is `index.mjs`; the template names the planned export in it.
  const gw = synthGateway();
  for (const planned of plan) {
    const fn = gw.stack.functions().find((f) => f.id === planned.constructId)!.fn;
    const handler = gw.resources[gw.stack.getLogicalId(fn.node.defaultChild as never)]!.Properties!.Handler as string;
    expect([planned.id, handler]).toEqual([planned.id, `index.${planned.entry.export}`]);
  }
});

it('only the API functions carry routes, with one auth vocabulary; only the worker has an event source', () => {
  const auth = plan.flatMap((f) => f.routes.map((r) => `${r.auth} ${r.method} ${r.path}`));
  expect(auth).toEqual(expect.arrayContaining(['none GET /health', 'none GET /openapi.json', 'admin GET /v1/usage', 'user POST /v1/clinical/diagnoses']));
  expect(plan.filter((f) => f.eventSources.length > 0).map((f) => f.id)).toEqual(['imaging-worker']);
  expect(plan.filter((f) => f.role === 'worker').every((f) => f.routes.length === 0)).toBe(true);
});
