/**
 * Lambda rejects an environment over 4 KB only when CloudFormation creates the function; the
 * stack must refuse it at synth, naming the function.
 */
import { CatalogError } from '../../lib/catalog';
import { ENVIRONMENT_TOKEN_ESTIMATE_BYTES, LAMBDA_ENVIRONMENT_LIMIT_BYTES, createGatewayStack, environmentSizeOf } from '../../lib/stack';
import { appWithContext, synthGateway } from './stack-fixture';

it('the default catalog fits every function, and the size counts keys, values and tokens', () => {
  const gw = synthGateway();
  for (const { id, fn } of gw.stack.functions()) {
    const vars = gw.resources[gw.stack.getLogicalId(fn.node.defaultChild as never)]!.Properties!.Environment.Variables as Record<string, unknown>;
    const expected = Object.entries(vars).reduce((n, [k, v]) => n + k.length + (typeof v === 'string' ? Buffer.byteLength(v) : ENVIRONMENT_TOKEN_ESTIMATE_BYTES), 0);
    expect([id, environmentSizeOf(gw.stack, fn)]).toEqual([id, expected]);
    expect(expected).toBeLessThanOrEqual(LAMBDA_ENVIRONMENT_LIMIT_BYTES);
  }
});

it('long descriptions push the ops CATALOG over 4 KB: synth stops naming the ops function', () => {
  // Each task function carries only its own entry; ops carries all five and overflows first.
  const description = 'Periodontal charting notes '.repeat(12);
  const overrides = Object.fromEntries(['imaging', 'clinical', 'billing', 'scheduling', 'chat'].map((t) => [t, { description }]));
  const build = () => createGatewayStack(appWithContext({ taskOverrides: overrides }));
  expect(build).toThrow(CatalogError);
  expect(build).toThrow(/^function 'OpsApi': its environment variables take about \d+ bytes, over Lambda's 4096-byte limit/);
});

it('one oversized task entry stops synth too', () => {
  const build = () => createGatewayStack(appWithContext({ taskOverrides: { chat: { description: 'x'.repeat(4000) } } }));
  expect(build).toThrow(/^function '\w+': its environment variables take about \d+ bytes/);
});
