/**
 * A sixth task is one catalog entry plus one folder, as far as its routes go: in a temporary copy
 * of the repository, a fixture task folder (`functions/recalls/`: routes.ts and handler.ts) and a
 * catalog entry are added, and then, without touching the OpenAPI generator, the fuzzer or the
 * local runtime, the OpenAPI document lists the route with its schemas, the fuzzer targets it with
 * the declared body limit and example, and `npm start`'s runtime serves it over HTTP.
 *
 * The one other file the copy still has to change is named in {@link OTHER_FILES_CHANGED}
 * (TASK_NAMES: the catalog's schema only accepts the names it lists); the README's "adding a task"
 * section says the same.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');
/** What the copy needs to run the catalog, the OpenAPI generator, the fuzzer's route list and the local runtime. */
const COPIED = ['functions', 'lib', 'local', 'bin', 'test/support', 'package.json', 'tsconfig.json', 'cdk.json'];
/** Files outside the new folder and the catalog that a sixth task still has to change. */
const OTHER_FILES_CHANGED = ['functions/core/task-config.ts'];

const ROUTES_TS = `
import { declareRoute } from '#core/route-declaration';
import * as z from '#core/zod';

export const recallRequestSchema = z.strictObject({ riskLevel: z.enum(['low', 'moderate', 'high']), lastVisitMonthsAgo: z.number().check(z.int(), z.gte(0), z.lte(240)) }).check(z.meta({ id: 'RecallRequest' }));
export const recallResponseSchema = z.strictObject({ dueInMonths: z.number().check(z.int()) }).check(z.meta({ id: 'RecallResponse' }));

export const ROUTES = {
  interval: declareRoute({
    method: 'POST',
    path: '/v1/recalls/intervals',
    ai: false,
    request: recallRequestSchema,
    maxBodyBytes: 8 * 1024,
    response: recallResponseSchema,
    operationId: 'planRecall',
    summary: 'Months until the next recall visit',
    example: { riskLevel: 'high', lastVisitMonthsAgo: 2 },
  }),
};
`;

const HANDLER_TS = `
import { createHttpHandler } from '#core/http';
import { functionBasicsFromEnv } from '#core/function-basics';
import { serveRoute } from '#core/route-declaration';
import { ROUTES } from './routes';

const { observability } = functionBasicsFromEnv();
const INTERVAL = { low: 12, moderate: 6, high: 3 } as const;

export const handler = createHttpHandler({
  observability,
  routes: [serveRoute(ROUTES.interval, async ({ body }) => ({ body: { dueInMonths: Math.max(0, INTERVAL[body.riskLevel] - body.lastVisitMonthsAgo) } }))],
});
`;

const CATALOG_ENTRY = `
  recalls: {
    name: 'recalls',
    description: 'Recall intervals for hygiene visits (plain code)',
    routes: catalogRoutesOf(RECALL_ROUTES),
    providers: [{ provider: 'openai', model: DEFAULT_MODELS.openaiNano }],
    secretName: 'smartdental/{stage}/recalls',
    reservedConcurrency: 2,
    timeoutSeconds: 10,
    memoryMb: 256,
    dailyTokenBudget: 1_000_000,
    tokensPerMinute: 10_000,
    maxOutputTokens: 200,
    cache: { enabled: false, ttlSeconds: 60 },
    practiceShare: { dailyTokensPercent: 20, tokensPerMinutePercent: 20, concurrentRequests: 1 },
    phi: 'scrub',
  },
`;

/** Run in the copy: what the derivations make of the sixth task. */
const PROBE_TS = `
import { resolveCatalog } from './lib/catalog';
import { buildOpenApiDocument } from './functions/ops/openapi';
import { acceptedByGateway, fuzzRoutes, type FuzzRequest } from './test/support/fuzz';
import { startLocalRuntime } from './local/runtime';

(async () => {
  const catalog = resolveCatalog();
  const document = buildOpenApiDocument({ tasks: catalog.tasks }) as any;
  const operation = document.paths['/v1/recalls/intervals']?.post;
  const fuzzed = fuzzRoutes().find((r) => r.key === 'POST /v1/recalls/intervals');
  const valid: FuzzRequest | undefined = fuzzed && {
    method: fuzzed.method, resource: fuzzed.path, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(fuzzed.example),
    isBase64Encoded: false, claims: { sub: 'u', 'custom:practiceId': 'p', 'cognito:groups': '' }, pathParameters: null, query: null, kind: 'valid',
  };
  const runtime = await startLocalRuntime({ port: 0, quiet: true, env: {} });
  const post = (body: unknown) => fetch(runtime.url + '/v1/recalls/intervals', { method: 'POST', headers: { authorization: 'Bearer local-dev-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const ok = await post({ riskLevel: 'high', lastVisitMonthsAgo: 2 });
  const bad = await post({ riskLevel: 'extreme', lastVisitMonthsAgo: 2 });
  const served = { status: ok.status, body: await ok.json(), badStatus: bad.status, badCode: ((await bad.json()) as any).error?.code };
  const live = (await (await fetch(runtime.url + '/openapi.json')).json()) as any;
  const liveOperationId = live.paths['/v1/recalls/intervals']?.post?.operationId;
  await runtime.close();
  process.stdout.write(JSON.stringify({
    catalogRoutes: catalog.byName['recalls' as never]?.routes,
    openapi: operation && { operationId: operation.operationId, tags: operation.tags, request: operation.requestBody?.content['application/json'].schema, responses: Object.keys(operation.responses) },
    requestSchema: document.components.schemas.RecallRequest,
    fuzz: fuzzed && { fn: fuzzed.fn, maxBodyBytes: fuzzed.maxBodyBytes, hasBody: fuzzed.body !== undefined, exampleAccepted: acceptedByGateway(fuzzed, valid!) },
    served,
    liveOperationId,
  }));
})().catch((error) => { process.stderr.write(String(error?.stack ?? error)); process.exit(1); });
`;

function materialise(): string {
  const copy = mkdtempSync(join(tmpdir(), 'sixth-task-'));
  for (const entry of COPIED) cpSync(join(REPO, entry), join(copy, entry), { recursive: true });
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(copy, 'node_modules'), 'dir');

  mkdirSync(join(copy, 'functions', 'recalls'));
  writeFileSync(join(copy, 'functions', 'recalls', 'routes.ts'), ROUTES_TS);
  writeFileSync(join(copy, 'functions', 'recalls', 'handler.ts'), HANDLER_TS);

  const catalogFile = join(copy, 'lib', 'catalog.ts');
  const catalog = readFileSync(catalogFile, 'utf8')
    .replace("import { ROUTES as SCHEDULING_ROUTES } from '../functions/scheduling/routes';", (line) => `${line}\nimport { ROUTES as RECALL_ROUTES } from '../functions/recalls/routes';`)
    .replace(/(export const TASK_CATALOG[^]*?\n)(};\n)/, (_all, body: string, end: string) => `${body}${CATALOG_ENTRY}${end}`);
  if (!catalog.includes('RECALL_ROUTES)')) throw new Error('the fixture could not find where the catalog entries end in lib/catalog.ts');
  writeFileSync(catalogFile, catalog);

  const taskConfigFile = join(copy, OTHER_FILES_CHANGED[0]!);
  const taskConfig = readFileSync(taskConfigFile, 'utf8').replace("'scheduling', 'chat'] as const", "'scheduling', 'chat', 'recalls'] as const");
  if (!taskConfig.includes("'recalls'")) throw new Error('the fixture could not extend TASK_NAMES');
  writeFileSync(taskConfigFile, taskConfig);

  writeFileSync(join(copy, 'probe.ts'), PROBE_TS);
  return copy;
}

function runProbe(copy: string): Promise<any> {
  return new Promise((resolvePromise, reject) => {
    execFile(join(copy, 'node_modules', '.bin', 'tsx'), ['probe.ts'], { cwd: copy, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`the probe failed in ${copy}:\n${stderr.slice(-4000)}`));
      else resolvePromise(JSON.parse(stdout));
    });
  });
}

describe('a sixth task', () => {
  let copy: string;
  let seen: any;

  beforeAll(async () => {
    copy = materialise();
    seen = await runProbe(copy);
  }, 240_000);
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('gets its catalog routes from its folder', () => {
    expect(seen.catalogRoutes).toEqual([{ method: 'POST', path: '/v1/recalls/intervals', ai: false, streaming: false }]);
  });

  it('is listed in the OpenAPI document with its declared schemas and answers', () => {
    expect(seen.openapi).toEqual({
      operationId: 'planRecall',
      tags: ['recalls'],
      request: { $ref: '#/components/schemas/RecallRequest' },
      responses: ['200', '400', '401', '403', '404', '408', '413', '415', '429', '431', '502', '503', '504'],
    });
    expect(seen.requestSchema.properties.riskLevel.enum).toEqual(['low', 'moderate', 'high']);
  });

  it('is fuzzed with its declared body schema, limit and example', () => {
    expect(seen.fuzz).toEqual({ fn: 'recalls', maxBodyBytes: 8 * 1024, hasBody: true, exampleAccepted: true });
  });

  it('is served by the local runtime, body validation included', () => {
    expect(seen.served).toEqual({ status: 200, body: { dueInMonths: 1 }, badStatus: 400, badCode: 'BadRequest' });
  });

  it("is in the ops function's own /openapi.json, which finds the folder's declarations at run time", () => {
    expect(seen.liveOperationId).toBe('planRecall');
  });
});
