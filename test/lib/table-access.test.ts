/**
 * Least privilege on the shared tables: the ledger, the cache and the idempotency records hold
 * every practice's items, so no role may Scan them or batch-read/-delete them, and each role gets
 * exactly the item actions the runtime code sends.
 */
import type { ManagedPolicyRole } from '../../lib/constructs/managed-policy-role';
import type { TaskFunction } from '../../lib/constructs/task-function';
import { TABLE_ACTIONS } from '../../lib/function-plan';
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
function tableActionsOf(fn: TaskFunction, table: 'usage' | 'cache' | 'jobs'): string[] {
  const tableId = logicalIdOf(gw.stack, gw.stack.tables[table]);
  return statementsOf(fn)
    .filter((s) => JSON.stringify(s.Resource).includes(`"${tableId}"`))
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
