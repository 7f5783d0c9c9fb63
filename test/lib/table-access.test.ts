/**
 * Least privilege on the shared tables: the ledger, the cache and the idempotency records hold
 * every practice's items, so no role may Scan them or batch-read/-delete them, and each role gets
 * exactly the item actions the runtime code sends.
 */
import type { ManagedPolicyRole } from '../../lib/constructs/managed-policy-role';
import { TABLE_ACTIONS, type TaskFunction } from '../../lib/constructs/task-function';
import { ENV } from '../../functions/core/env';
import { logicalIdOf, synthGateway, type SynthesizedGateway } from './stack-fixture';

let gw: SynthesizedGateway;
beforeAll(() => {
  gw = synthGateway();
});

type Statement = { Action: string | string[]; Resource: unknown };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

function statementsOf(fn: TaskFunction): Statement[] {
  const roleId = logicalIdOf(gw.stack, fn.role as ManagedPolicyRole);
  return Object.values(gw.resources)
    .filter((r) => (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') && JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties!.PolicyDocument.Statement as Statement[]);
}

/** The DynamoDB actions a function's role holds on one table. */
function tableActionsOf(fn: TaskFunction, table: 'usage' | 'cache' | 'jobs' | 'practiceOverrides'): string[] {
  const tableId = logicalIdOf(gw.stack, gw.stack.tables[table]);
  return statementsOf(fn)
    // Index grants are checked on their own (below).
    .filter((s) => JSON.stringify(s.Resource).includes(`"${tableId}"`) && !JSON.stringify(s.Resource).includes('/index/'))
    .flatMap(actionsOf)
    .filter((a) => a.startsWith('dynamodb:'))
    .sort();
}

const allFunctions = () => gw.stack.functions();

it('no role may Scan, batch-read or batch-write any table, or use a dynamodb wildcard', () => {
  const dynamoActions = allFunctions().flatMap(({ id, fn }) => statementsOf(fn).flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:')).map((a) => `${id}: ${a}`));
  expect(dynamoActions.length).toBeGreaterThan(0);
  for (const action of dynamoActions) expect(action).not.toMatch(/dynamodb:(Scan|Batch\w*|PartiQL\w*|\*|\w*\*)$/);
});

it.each(['clinical', 'billing', 'scheduling', 'chat'])('%s: exactly the item actions on the ledger and the cache, nothing on the jobs', (task) => {
  const { api } = gw.stack.tasks[task]!;
  expect(tableActionsOf(api, 'usage')).toEqual([...TABLE_ACTIONS.readWrite].sort());
  expect(tableActionsOf(api, 'cache')).toEqual([...TABLE_ACTIONS.readWrite].sort());
  expect(tableActionsOf(api, 'jobs')).toEqual([]);
});

it('readWrite covers what the ledger, cache, job store and Powertools Idempotency send (DeleteItem after a failed request)', () => {
  expect(TABLE_ACTIONS.readWrite).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']));
  expect(TABLE_ACTIONS.read).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
});

it('the imaging API function never calls a model: no access to the usage ledger and no USAGE_TABLE', () => {
  const { api } = gw.stack.tasks.imaging!;
  expect(tableActionsOf(api, 'usage')).toEqual([]);
  expect(tableActionsOf(api, 'jobs')).toEqual([...TABLE_ACTIONS.readWrite].sort());
  expect(tableActionsOf(api, 'cache')).toEqual([...TABLE_ACTIONS.readWrite].sort());
  expect(gw.resources[logicalIdOf(gw.stack, api)]!.Properties!.Environment.Variables[ENV.usageTable]).toBeUndefined();
});

it('the imaging worker writes the ledger, the cache and the jobs', () => {
  const worker = gw.stack.tasks.imaging!.worker!;
  for (const table of ['usage', 'cache', 'jobs'] as const) expect(tableActionsOf(worker, table)).toEqual([...TABLE_ACTIONS.readWrite].sort());
});

it('the ops function only gets and queries the usage ledger', () => {
  expect(tableActionsOf(gw.stack.ops, 'usage')).toEqual([...TABLE_ACTIONS.read].sort());
  expect(tableActionsOf(gw.stack.ops, 'cache')).toEqual([]);
  expect(tableActionsOf(gw.stack.ops, 'jobs')).toEqual([]);
});

describe('PracticeOverrides (per-practice shares, edited by operators)', () => {
  const envOf = (fn: TaskFunction) => gw.resources[logicalIdOf(gw.stack, fn)]!.Properties!.Environment.Variables as Record<string, unknown>;
  const overridesId = () => logicalIdOf(gw.stack, gw.stack.tables.practiceOverrides);

  it('is keyed by practiceId and task, kept on delete, with point-in-time recovery and a daily backup', () => {
    const table = gw.resources[overridesId()]!;
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'practiceId', KeyType: 'HASH' },
        { AttributeName: 'task', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table.DeletionPolicy).toBe('Retain');
    const selections = Object.values(gw.resources).filter((r) => r.Type === 'AWS::Backup::BackupSelection');
    expect(JSON.stringify(selections)).toContain(`"${overridesId()}"`);
  });

  it.each(['clinical', 'billing', 'scheduling', 'chat'])('%s: reads it (never writes) and is told its name', (task) => {
    const { api } = gw.stack.tasks[task]!;
    expect(tableActionsOf(api, 'practiceOverrides')).toEqual([...TABLE_ACTIONS.read].sort());
    expect(envOf(api)[ENV.practiceOverridesTable]).toEqual({ Ref: overridesId() });
  });

  it('the imaging worker (which admits the model call) reads it; the imaging API function does not', () => {
    const { api, worker } = gw.stack.tasks.imaging!;
    expect(tableActionsOf(worker!, 'practiceOverrides')).toEqual([...TABLE_ACTIONS.read].sort());
    expect(tableActionsOf(api, 'practiceOverrides')).toEqual([]);
    expect(envOf(api)[ENV.practiceOverridesTable]).toBeUndefined();
  });

  it('the ops function reads it for the per-practice report', () => {
    expect(tableActionsOf(gw.stack.ops, 'practiceOverrides')).toEqual([...TABLE_ACTIONS.read].sort());
  });

  it('only the ops function may query the ledger index, by its name; no role holds index/*', () => {
    const indexStatements = (fn: TaskFunction) => statementsOf(fn).filter((st) => JSON.stringify(st.Resource).includes('/index/'));
    const ops = indexStatements(gw.stack.ops);
    expect(ops.map(actionsOf)).toEqual([['dynamodb:Query']]);
    expect(JSON.stringify(ops[0]!.Resource)).toContain('/index/bySortKey');
    for (const { id, fn } of allFunctions()) {
      if (fn !== gw.stack.ops) expect([id, indexStatements(fn)]).toEqual([id, []]);
      expect(JSON.stringify(statementsOf(fn).map((st) => st.Resource))).not.toContain('/index/*');
    }
  });

  it('the usage ledger has the keys-only index the per-practice report queries instead of scanning', () => {
    const ledger = gw.resources[logicalIdOf(gw.stack, gw.stack.tables.usage)]!;
    expect(ledger.Properties!.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'bySortKey',
        KeySchema: [
          { AttributeName: 'sk', KeyType: 'HASH' },
          { AttributeName: 'pk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
  });
});
