/**
 * `-c providers=bedrock` at synth: every task's chain moves onto Bedrock, and each task's role may
 * invoke exactly the models of its own chain (Converse and ConverseStream), by ARN: no `bedrock:*`
 * action, no `*` resource, and no Bedrock statement at all for a task without a Bedrock target.
 */
import { BEDROCK_CHAINS, BEDROCK_MODELS, CatalogError, MODEL_PRICES, resolveCatalog, resolveOptionsFromContext, TASK_NAMES } from '../../lib/catalog';
import { ManagedPolicyRole } from '../../lib/constructs/managed-policy-role';
import type { SmartDentalStack } from '../../lib/stack';
import { logicalIdOf, synthGateway, type SynthesizedGateway } from './stack-fixture';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** An ARN as the template writes it, with pseudo parameters as `<AWS::Region>` (cdk-nag's notation). */
function arnText(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(arnText).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref) return `<${ref}>`;
  throw new Error(`unexpected ARN part ${JSON.stringify(value)}`);
}
const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function allStatements(gateway: SynthesizedGateway): Statement[] {
  return Object.values(gateway.resources)
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy')
    .flatMap((r) => (r.Properties!.PolicyDocument.Statement as Statement[]));
}

function roleStatements(gateway: SynthesizedGateway, stack: SmartDentalStack, role: unknown): Statement[] {
  const policy = gateway.resources[logicalIdOf(stack, (role as ManagedPolicyRole).grantsPolicy)]!;
  return policy.Properties!.PolicyDocument.Statement as Statement[];
}

/** The Bedrock resources one role may invoke, as ARN text. */
function bedrockResourcesOf(statements: Statement[]): string[] {
  return statements.filter((s) => list(s.Action).some((a) => a.startsWith('bedrock:'))).flatMap((s) => list(s.Resource).map(arnText)).sort();
}

const profileArn = (id: string) => `arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/${id}`;
const modelArn = (id: string, region = '<AWS::Region>') => `arn:<AWS::Partition>:bedrock:${region}::foundation-model/${id}`;

describe('providers=bedrock at synth', () => {
  let gateway: SynthesizedGateway;
  beforeAll(() => {
    gateway = synthGateway({ providers: 'bedrock' });
  });

  it('puts every task chain on Bedrock (the functions receive it in TASK_CONFIG)', () => {
    for (const name of TASK_NAMES) {
      const fn = name === 'imaging' ? gateway.stack.tasks[name]!.worker! : gateway.stack.tasks[name]!.api;
      const env = gateway.resources[logicalIdOf(gateway.stack, fn)]!.Properties!.Environment.Variables as Record<string, string>;
      const config = JSON.parse(env.TASK_CONFIG!) as { providers: Array<{ provider: string; model: string }>; prices: Record<string, unknown> };
      expect(config.providers).toEqual(BEDROCK_CHAINS[name]);
      for (const target of config.providers) expect(config.prices[target.model]).toEqual(MODEL_PRICES[target.model]);
    }
  });

  it('grants each model-calling role exactly its own chain: profile + routed model for a profile, the Regional model otherwise', () => {
    const { stack } = gateway;
    expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.tasks.clinical!.api.role))).toEqual(
      [profileArn(BEDROCK_MODELS.claudeSonnet), modelArn('anthropic.claude-sonnet-4-5-20250929-v1:0', '*'), modelArn(BEDROCK_MODELS.novaPro)].sort(),
    );
    expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.tasks.scheduling!.api.role))).toEqual([modelArn(BEDROCK_MODELS.novaLite), modelArn(BEDROCK_MODELS.novaMicro)].sort());
    expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.tasks.chat!.api.role))).toEqual(
      [profileArn(BEDROCK_MODELS.claudeHaiku), modelArn('anthropic.claude-haiku-4-5-20251001-v1:0', '*'), modelArn(BEDROCK_MODELS.novaLite)].sort(),
    );
    // Imaging: the worker calls the model; the API function, which only enqueues, gets nothing.
    expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.tasks.imaging!.worker!.role))).toEqual(
      [profileArn(BEDROCK_MODELS.claudeSonnet), modelArn('anthropic.claude-sonnet-4-5-20250929-v1:0', '*'), modelArn(BEDROCK_MODELS.novaPro)].sort(),
    );
    expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.tasks.imaging!.api.role))).toEqual([]);
    expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.ops.role))).toEqual([]);
  });

  it('allows only the Converse and ConverseStream actions, never bedrock:* and never on Resource *', () => {
    const bedrock = allStatements(gateway).filter((s) => list(s.Action).some((a) => a.startsWith('bedrock:')));
    expect(bedrock.length).toBeGreaterThan(0);
    for (const statement of bedrock) {
      expect(statement.Effect).toBe('Allow');
      expect(list(statement.Action).sort()).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
      for (const resource of list(statement.Resource).map(arnText)) {
        expect(resource).not.toBe('*');
        // The only wildcard is the Region of a profile's destination model; the model id is always named.
        expect(resource).toMatch(/^arn:<AWS::Partition>:bedrock:(<AWS::Region>|\*):(<AWS::AccountId>)?:(foundation-model|inference-profile)\/[a-z0-9.:-]+$/);
        if (resource.includes(':*:')) expect(resource).toMatch(/:foundation-model\/[a-z]+\.[a-z0-9.:-]+$/);
      }
    }
    for (const statement of allStatements(gateway)) expect(list(statement.Action)).not.toContain('bedrock:*');
  });
});

it('a task without a Bedrock target has no Bedrock statement at all', () => {
  const gateway = synthGateway({ taskOverrides: JSON.stringify({ billing: { providers: [{ provider: 'anthropic', model: 'claude-haiku-5-5' }, { provider: 'bedrock', model: BEDROCK_MODELS.novaLite }] } }) });
  const { stack } = gateway;
  expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.tasks.billing!.api.role))).toEqual([modelArn(BEDROCK_MODELS.novaLite)]);
  for (const name of ['clinical', 'scheduling', 'chat'] as const) expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.tasks[name]!.api.role))).toEqual([]);
  expect(bedrockResourcesOf(roleStatements(gateway, stack, stack.tasks.imaging!.worker!.role))).toEqual([]);
  // Only billing's policy mentions Bedrock anywhere in the template.
  expect(allStatements(gateway).filter((s) => list(s.Action).some((a) => a.startsWith('bedrock:')))).toHaveLength(1);
});

it('the default catalog synthesises no Bedrock permission', () => {
  const gateway = synthGateway();
  expect(allStatements(gateway).filter((s) => list(s.Action).some((a) => a.startsWith('bedrock:')))).toEqual([]);
});

describe('the providers option', () => {
  it('is read from context and refuses an unknown preset with the known ones', () => {
    expect(resolveOptionsFromContext((key) => (key === 'providers' ? 'bedrock' : undefined)).providers).toBe('bedrock');
    expect(() => resolveOptionsFromContext((key) => (key === 'providers' ? 'bedrok' : undefined))).toThrow(new CatalogError('context \'providers\' must be one of catalog, bedrock (bedrock: every task on Amazon Bedrock), got "bedrok"'));
  });

  it('lets taskOverrides still name other Bedrock models after the preset', () => {
    const catalog = resolveCatalog({ providers: 'bedrock', taskOverrides: { chat: { providers: [{ provider: 'bedrock', model: BEDROCK_MODELS.novaMicro }] } } });
    expect(catalog.byName.chat.providers).toEqual([{ provider: 'bedrock', model: BEDROCK_MODELS.novaMicro }]);
    expect(catalog.byName.clinical.providers).toEqual(BEDROCK_CHAINS.clinical);
  });

  it('refuses a keyName on a Bedrock target: the role is the credential', () => {
    expect(() => resolveCatalog({ taskOverrides: { chat: { providers: [{ provider: 'bedrock', model: BEDROCK_MODELS.novaLite, keyName: 'bedrock' }] } } })).toThrow(/task 'chat', field 'providers.0.keyName': a bedrock provider has no key/);
  });
});
