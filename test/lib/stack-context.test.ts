/**
 * Context settings a stage uses, and the catalog errors that must stop synth with a message
 * naming the task and the field.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CatalogError, STAGE_PRESETS } from '../../lib/catalog';
import { createGatewayStack } from '../../lib/stack';
import { TASK_NAMES } from '../../functions/core/task-config';
import { appWithContext, synthGateway, type SynthesizedGateway } from './stack-fixture';

const ofType = (gw: SynthesizedGateway, type: string) => Object.values(gw.resources).filter((r) => r.Type === type);

describe('a new account: reservations off, an imported user pool, the production origin', () => {
  let gw: SynthesizedGateway;
  beforeAll(() => {
    gw = synthGateway({ reservedConcurrency: 'off', userPoolId: 'eu-west-1_AbCdEf123', allowedOrigin: 'https://app.smartdental.example' });
  });

  it('reserves no concurrency on any function (a quota of 10 rejects every reservation)', () => {
    const functions = ofType(gw, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(TASK_NAMES.length);
    for (const fn of functions) expect(fn.Properties!.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('keeps the event source maxConcurrency (it bounds the worker without a reservation)', () => {
    expect(ofType(gw, 'AWS::Lambda::EventSourceMapping')[0]!.Properties!.ScalingConfig).toEqual({ MaximumConcurrency: 4 });
  });

  it('authorizes against the imported pool and creates none', () => {
    expect(ofType(gw, 'AWS::Cognito::UserPool')).toEqual([]);
    expect(JSON.stringify(ofType(gw, 'AWS::ApiGateway::Authorizer')[0]!.Properties!.ProviderARNs)).toContain('userpool/eu-west-1_AbCdEf123');
  });

  it('uses the origin from context for CORS, the bucket and the API functions', () => {
    const origin = 'https://app.smartdental.example';
    const apiFunctions = ofType(gw, 'AWS::Lambda::Function').filter((f) => f.Properties!.Environment.Variables.FUNCTION_ROLE === 'api');
    expect(apiFunctions).toHaveLength(TASK_NAMES.length + 1);
    for (const fn of apiFunctions) expect(fn.Properties!.Environment.Variables.ALLOWED_ORIGIN).toBe(origin);
    expect(JSON.stringify(ofType(gw, 'AWS::ApiGateway::Method'))).toContain(`'${origin}'`);
    expect(JSON.stringify(ofType(gw, 'AWS::ApiGateway::Method'))).not.toContain('localhost');
    expect(JSON.stringify(ofType(gw, 'AWS::S3::Bucket'))).toContain(origin);
  });
});

describe('stage=prod', () => {
  let gw: SynthesizedGateway;
  beforeAll(() => {
    gw = synthGateway({ stage: 'prod', taskOverrides: '{"scheduling":{"reservedConcurrency":7}}' });
  });

  it('names the stack, the API stage and the secrets after the stage', () => {
    expect(gw.stack.stackName).toBe('SmartDentalAi-prod');
    expect(ofType(gw, 'AWS::ApiGateway::Stage')[0]!.Properties!.StageName).toBe('prod');
    const names = ofType(gw, 'AWS::SecretsManager::Secret').map((s) => s.Properties!.Name).sort();
    expect(names).toEqual(TASK_NAMES.map((t) => `smartdental/prod/${t}`).sort());
  });

  it('applies the prod preset and then the per-task override', () => {
    const reserved = (task: string, role: string) =>
      ofType(gw, 'AWS::Lambda::Function').find((f) => f.Properties!.Environment.Variables.AI_TASK === task && f.Properties!.Environment.Variables.FUNCTION_ROLE === role)!
        .Properties!.ReservedConcurrentExecutions;
    expect(reserved('chat', 'api')).toBe(STAGE_PRESETS.prod!.chat!.reservedConcurrency);
    expect(reserved('imaging', 'worker')).toBe(STAGE_PRESETS.prod!.imaging!.worker!.reservedConcurrency);
    expect(reserved('scheduling', 'api')).toBe(7);
  });
});

describe('a bad catalog stops synth with a message naming the task and the field', () => {
  const build = (context: Record<string, unknown>) => () => createGatewayStack(appWithContext(context));

  it('rejects a bad field', () => {
    expect(build({ taskOverrides: '{"chat":{"timeoutSeconds":0}}' })).toThrow(CatalogError);
    expect(build({ taskOverrides: '{"chat":{"timeoutSeconds":0}}' })).toThrow(/^task catalog: task 'chat', field 'timeoutSeconds': /);
  });

  it('rejects an SQS maxConcurrency above the worker reserved concurrency', () => {
    expect(build({ taskOverrides: { imaging: { worker: { maxConcurrency: 9 } } } })).toThrow(
      "task catalog: task 'imaging', field 'worker.maxConcurrency': 9 exceeds the worker's reserved concurrency 4",
    );
  });

  it('rejects an origin that is not one origin', () => {
    expect(build({ allowedOrigin: '*' })).toThrow("context 'allowedOrigin' must be one origin");
    expect(build({ allowedOrigin: 'https://app.example.com/path' })).toThrow("context 'allowedOrigin' must be one origin");
  });

  it('rejects a non-numeric limit', () => {
    expect(build({ apiRateLimit: 'fast' })).toThrow(`context 'apiRateLimit' must be a positive integer, got "fast"`);
  });

  it('the CDK app prints only the message and exits 1', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
    try {
      const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'bin/app.ts'], {
        cwd: path.join(__dirname, '..', '..'),
        env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ taskOverrides: { imaging: { worker: { maxConcurrency: 9 } } } }) },
        encoding: 'utf8',
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("task catalog: task 'imaging', field 'worker.maxConcurrency': 9 exceeds");
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
