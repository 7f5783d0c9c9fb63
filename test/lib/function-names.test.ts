/**
 * The usage report names every function and the API to CloudWatch without an environment
 * variable, so the stack must deploy them under exactly the names function-names.ts derives from
 * the stage; and the ops role, which asks CloudWatch, holds cloudwatch:GetMetricData and no other
 * CloudWatch action (no other role holds it at all).
 */
import type { ManagedPolicyRole } from '../../lib/constructs/managed-policy-role';
import type { TaskFunction } from '../../lib/constructs/task-function';
import { deployedApiName, deployedFunctionName, stageOfFunctionName } from '../../functions/core/function-names';
import { logicalIdOf, synthGateway, type SynthesizedGateway } from './stack-fixture';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

function statementsOf(gw: SynthesizedGateway, fn: TaskFunction): Statement[] {
  const roleId = logicalIdOf(gw.stack, fn.role as ManagedPolicyRole);
  return Object.values(gw.resources)
    .filter((r) => (r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy') && JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties!.PolicyDocument.Statement as Statement[]);
}

describe.each(['dev', 'prod'])('stage %s', (stage) => {
  let gw: SynthesizedGateway;
  beforeAll(() => {
    gw = synthGateway({ stage });
  });

  it('every function is deployed under the name the report derives from stage, task and role', () => {
    const expected = Object.entries(gw.stack.tasks).flatMap(([task, t]) => [
      [logicalIdOf(gw.stack, t.api), deployedFunctionName(stage, task, 'api')],
      ...(t.worker ? [[logicalIdOf(gw.stack, t.worker), deployedFunctionName(stage, task, 'worker')]] : []),
    ]);
    expected.push([logicalIdOf(gw.stack, gw.stack.ops), deployedFunctionName(stage, 'ops', 'api')]);
    expect(expected).toContainEqual([expect.any(String), `smartdental-ai-${stage}-imaging-worker`]);
    const deployed = Object.entries(gw.template.findResources('AWS::Lambda::Function'))
      .filter(([, r]) => r.Properties.Handler === 'index.handler')
      .map(([id, r]) => [id, r.Properties.FunctionName]);
    expect(deployed.sort()).toEqual(expected.sort());
  });

  it('the ops function can read its stage back from its own name', () => {
    const opsName = gw.resources[logicalIdOf(gw.stack, gw.stack.ops)]!.Properties!.FunctionName as string;
    expect(stageOfFunctionName(opsName, 'ops', 'api')).toBe(stage);
  });

  it('the REST API and its stage carry the names the report gives as ApiName and Stage', () => {
    gw.template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: deployedApiName(stage) });
    gw.template.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: stage });
  });

  it('the ops role holds exactly cloudwatch:GetMetricData among CloudWatch actions, on * (it has no resource-level permissions)', () => {
    // CDK merges it with X-Ray's statement, which is on * too.
    const cloudWatch = statementsOf(gw, gw.stack.ops).flatMap((s) => actionsOf(s).filter((a) => a.startsWith('cloudwatch:')).map((action) => ({ effect: s.Effect, action, resource: s.Resource })));
    expect(cloudWatch).toEqual([{ effect: 'Allow', action: 'cloudwatch:GetMetricData', resource: '*' }]);
  });

  it('no other function may read (or write) CloudWatch metrics through its role', () => {
    const others = gw.stack.functions().filter(({ fn }) => fn !== gw.stack.ops);
    expect(others.length).toBe(6);
    for (const { id, fn } of others) {
      expect([id, statementsOf(gw, fn).flatMap(actionsOf).filter((a) => a.startsWith('cloudwatch:'))]).toEqual([id, []]);
    }
  });
});

describe('function names', () => {
  it('round-trips the stage, and refuses names of other functions', () => {
    expect(deployedFunctionName('dev', 'chat', 'api')).toBe('smartdental-ai-dev-chat-api');
    expect(stageOfFunctionName('smartdental-ai-pre-prod-ops-api', 'ops', 'api')).toBe('pre-prod');
    expect(stageOfFunctionName('smartdental-local-ops', 'ops', 'api')).toBeUndefined();
    expect(stageOfFunctionName('smartdental-ai-dev-chat-api', 'ops', 'api')).toBeUndefined();
    expect(stageOfFunctionName('smartdental-ai--ops-api', 'ops', 'api')).toBeUndefined();
  });

  it('refuses a stage that would make a name Lambda rejects, saying what to shorten', () => {
    expect(() => deployedFunctionName('x'.repeat(40), 'scheduling', 'worker')).toThrow(/not a valid Lambda function name.*shorten the stage/);
    expect(() => deployedFunctionName('dev/1', 'chat', 'api')).toThrow(RangeError);
  });
});
