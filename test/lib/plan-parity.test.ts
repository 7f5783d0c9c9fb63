/**
 * The laptop and AWS cannot drift: for every function of the plan, the environment variables and
 * the resource access the local runtime gives it equal those of the synthesized template. Values
 * that name a resource are compared by what they name (a table, a secret, the queue, the bucket):
 * a `Ref` in the template, a local name on the laptop. Access is compared action by action: the
 * IAM statements of the function's role against what the local stand-ins' policy allows its key.
 */
import { join } from 'node:path';
import type { ManagedPolicyRole } from '../../lib/constructs/managed-policy-role';
import { CACHE_TABLE, JOBS_TABLE, PRACTICE_OVERRIDES_TABLE, USAGE_TABLE, type TableDefinition } from '../../functions/core/tables';
import { BUCKET_ACTIONS, INDEX_ACTIONS, PLAN_TABLES, QUEUE_ACTIONS, SECRET_ACTIONS, TABLE_ACTIONS, type PlanTable } from '../../lib/function-plan';
import { localArn } from '../../local/access-policy';
import { LOCAL_BUCKET, LOCAL_QUEUE, LOCAL_TABLES, startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { logicalIdOf, synthGateway, type SynthesizedGateway } from './stack-fixture';

/** Variables only the laptop sets: the stand-ins' endpoints, the Region, credentials, the simulator. */
const LOCAL_ONLY = /^(AWS_.*|TZ|PROVIDER_BASE_URLS)$/;
/** Variables only Lambda gets: source maps belong to the bundle, which the laptop does not build. */
const AWS_ONLY = new Set(['NODE_OPTIONS']);
/** Every action a grant of the plan can give; each is checked both ways. */
const ACTIONS = [...new Set([...Object.values(TABLE_ACTIONS).flat(), ...INDEX_ACTIONS, ...Object.values(BUCKET_ACTIONS).flat(), ...Object.values(QUEUE_ACTIONS).flat(), ...SECRET_ACTIONS])];
/** Each plan table's definition, for the indexes it has: an index is a resource of its own. */
const DEFINITIONS: Record<PlanTable, TableDefinition> = { usage: USAGE_TABLE, cache: CACHE_TABLE, jobs: JOBS_TABLE, practiceOverrides: PRACTICE_OVERRIDES_TABLE };
const INDEXES = PLAN_TABLES.flatMap((table) => (DEFINITIONS[table].indexes ?? []).map((index) => ({ table, index: index.indexName })));

const FUNCTIONS: Array<[string, string]> = [
  ['clinical', 'ClinicalApi'],
  ['billing', 'BillingApi'],
  ['scheduling', 'SchedulingApi'],
  ['chat', 'ChatApi'],
  ['imaging', 'ImagingApi'],
  ['imaging-worker', 'ImagingWorker'],
  ['ops', 'OpsApi'],
];

let gw: SynthesizedGateway;
let runtime: LocalRuntime;

beforeAll(async () => {
  gw = synthGateway();
  // Every function on a trivial handler: the environment and the keys are the runtime's, not the handler's.
  const probe = join(__dirname, '..', 'local', 'runtime', 'fixtures', 'environment-probe.ts');
  runtime = await startLocalRuntime({ port: 0, quiet: true, env: {}, handlerOverrides: Object.fromEntries(FUNCTIONS.map(([id]) => [id, probe])) });
}, 180_000);
afterAll(() => runtime?.close());

/** The plan's resources, by what they are: the stack's constructs and the laptop's names. */
function resourceKinds(): { template: Map<string, string>; local: Map<string, string> } {
  const template = new Map<string, string>();
  const local = new Map<string, string>();
  for (const table of PLAN_TABLES) {
    template.set(logicalIdOf(gw.stack, gw.stack.tables[table]), `table:${table}`);
    local.set(LOCAL_TABLES[table], `table:${table}`);
  }
  for (const [task, resources] of Object.entries(gw.stack.tasks)) {
    template.set(logicalIdOf(gw.stack, resources.secret.secret), `secret:${task}`);
    local.set(`smartdental/local/${task}`, `secret:${task}`);
  }
  template.set(logicalIdOf(gw.stack, gw.stack.imaging.queue), 'queue:imaging');
  local.set(`${runtime.endpoints.sqs}/000000000000/${LOCAL_QUEUE}`, 'queue:imaging');
  template.set(logicalIdOf(gw.stack, gw.stack.imaging.imagesBucket), 'bucket:images');
  local.set(LOCAL_BUCKET, 'bucket:images');
  return { template, local };
}

/** The stage is the one thing the two may differ in: the catalog's secret names carry it. */
const unstaged = (value: string) => value.replaceAll('smartdental/dev/', 'smartdental/{stage}/').replaceAll('smartdental/local/', 'smartdental/{stage}/');

function templateEnvironment(constructId: string, kinds: Map<string, string>): Record<string, string> {
  const fn = gw.stack.functions().find((f) => f.id === constructId)!.fn;
  const vars = gw.resources[logicalIdOf(gw.stack, fn)]!.Properties!.Environment.Variables as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(vars)
      .filter(([name]) => !AWS_ONLY.has(name))
      .map(([name, value]) => [name, typeof value === 'string' ? unstaged(value) : (kinds.get((value as { Ref: string }).Ref) ?? JSON.stringify(value))]),
  );
}

function localEnvironment(id: string, kinds: Map<string, string>): Record<string, string> {
  const spec = runtime.functionSpecs().find((s) => s.id === id)!;
  return Object.fromEntries(
    Object.entries(spec.env)
      .filter(([name]) => !LOCAL_ONLY.test(name) && name !== 'POWERTOOLS_LOG_LEVEL')
      .map(([name, value]) => [name, kinds.get(value) ?? unstaged(value)]),
  );
}

/** `action resource` pairs the function's role holds on the plan's resources, from the template. */
function templateAccess(constructId: string, kinds: Map<string, string>): string[] {
  const fn = gw.stack.functions().find((f) => f.id === constructId)!.fn;
  const roleId = logicalIdOf(gw.stack, fn.role as ManagedPolicyRole);
  const statements = Object.values(gw.resources)
    .filter((r) => (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') && JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties!.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
  const pairs = new Set<string>();
  for (const statement of statements) {
    const actions = [statement.Action].flat().filter((a) => ACTIONS.includes(a));
    for (const resource of [statement.Resource].flat()) {
      // {Ref: secret}, {Fn::GetAtt: [table, Arn]}, or {Fn::Join: ['', [{Fn::GetAtt: [bucket, Arn]}, '/*']]}
      const text = JSON.stringify(resource);
      const named = [...kinds].find(([logicalId]) => text.includes(`"${logicalId}"`))?.[1];
      // {Fn::Join: ['', [{Fn::GetAtt: [table, Arn]}, '/index/bySortKey']]}: the index, not the table.
      const index = /\/index\/([^"]+)"/.exec(text)?.[1];
      const kind = named && index ? `index:${named.slice('table:'.length)}/${index}` : named;
      if (kind) for (const action of actions) pairs.add(`${action} ${kind}`);
    }
  }
  return [...pairs].sort();
}

/** The same pairs, as the local stand-ins' policy decides them for the function's own key. */
function localAccess(id: string): string[] {
  const keyId = runtime.functionSpecs().find((s) => s.id === id)!.env.AWS_ACCESS_KEY_ID;
  const arns: Array<[string, string]> = [
    ...PLAN_TABLES.map((t): [string, string] => [`table:${t}`, localArn.table(LOCAL_TABLES[t])]),
    ...INDEXES.map(({ table, index }): [string, string] => [`index:${table}/${index}`, localArn.index(LOCAL_TABLES[table], index)]),
    ...Object.keys(gw.stack.tasks).map((task): [string, string] => [`secret:${task}`, localArn.secret(`smartdental/local/${task}`)]),
    ['queue:imaging', localArn.queue(LOCAL_QUEUE)],
    ['bucket:images', localArn.object(LOCAL_BUCKET, 'uploads/any.png')],
  ];
  const pairs: string[] = [];
  for (const [kind, arn] of arns) for (const action of ACTIONS) if (!runtime.access.check(keyId, action, arn)) pairs.push(`${action} ${kind}`);
  // A table action is never a bucket's, and so on: only the service's own actions can apply.
  return pairs.filter((pair) => pair.split(' ')[0]!.split(':')[0] === { table: 'dynamodb', index: 'dynamodb', secret: 'secretsmanager', queue: 'sqs', bucket: 's3' }[pair.split(' ')[1]!.split(':')[0]!]).sort();
}


it('covers every function both sides build', () => {
  expect(runtime.functionSpecs().map((s) => s.id).sort()).toEqual(FUNCTIONS.map(([id]) => id).sort());
  expect(gw.stack.functions().map((f) => f.id).sort()).toEqual(FUNCTIONS.map(([, constructId]) => constructId).sort());
});

it.each(FUNCTIONS)('%s: the same environment variables, naming the same resources', (id, constructId) => {
  const { template, local } = resourceKinds();
  expect(localEnvironment(id, local)).toEqual(templateEnvironment(constructId, template));
});

it.each(FUNCTIONS)('%s: the same access to every table, secret, queue and bucket', (id, constructId) => {
  const { template } = resourceKinds();
  const expected = templateAccess(constructId, template);
  expect(localAccess(id)).toEqual(expected);
  // Something to compare: every function touches at least one table.
  expect(expected.some((pair) => pair.includes(' table:'))).toBe(true);
});
