/**
 * Scheduling's openai-compatible fallback defaults to a loopback model server, which only
 * `npm start` can reach. A deployed stage names its own with `-c localModelUrl=…`; until it does,
 * synth warns.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { CatalogError, DEFAULT_LOCAL_MODEL_URL, resolveCatalog, resolveOptionsFromContext } from '../../lib/catalog';
import { LOOPBACK_MODEL_URL_WARNING, createGatewayStack, isLoopbackUrl } from '../../lib/stack';
import { ENV } from '../../functions/core/env';
import { parseTaskConfig } from '../../functions/core/task-config';
import { appWithContext, synthGateway } from './stack-fixture';

const MODEL_SERVER = 'http://10.0.12.7:8000/v1';

const loopbackWarnings = (gw: ReturnType<typeof synthGateway>) =>
  Annotations.fromStack(gw.stack).findWarning('*', Match.stringLikeRegexp(`localModelUrl[\\s\\S]*\\[ack: ${LOOPBACK_MODEL_URL_WARNING}\\]`));

it('warns by default: scheduling points at a loopback model server', () => {
  const warnings = loopbackWarnings(synthGateway());
  expect(warnings).toHaveLength(1);
  expect(String(warnings[0]!.entry.data)).toContain(`task 'scheduling': provider 'openai-compatible'`);
  expect(String(warnings[0]!.entry.data)).toContain(DEFAULT_LOCAL_MODEL_URL);
});

it('-c localModelUrl replaces the default in the function config and the warning goes away', () => {
  const gw = synthGateway({ localModelUrl: MODEL_SERVER });
  expect(loopbackWarnings(gw)).toEqual([]);
  const fn = gw.stack.tasks.scheduling!.api;
  const env = gw.resources[gw.stack.getLogicalId(fn.node.defaultChild as never)]!.Properties!.Environment.Variables;
  const target = parseTaskConfig(env[ENV.taskConfig]).providers.find((p) => p.provider === 'openai-compatible');
  expect(target?.baseUrl).toBe(MODEL_SERVER);
});

it('resolveCatalog applies it only to targets still on the default URL', () => {
  expect(resolveCatalog({ localModelUrl: MODEL_SERVER }).byName.scheduling.providers.find((p) => p.baseUrl)?.baseUrl).toBe(MODEL_SERVER);
  const own = { providers: [{ provider: 'openai-compatible' as const, model: 'llama-3.1-8b-instruct', baseUrl: 'http://192.168.1.4:8000/v1' }] };
  const resolved = resolveCatalog({ localModelUrl: MODEL_SERVER, taskOverrides: { scheduling: own } });
  expect(resolved.byName.scheduling.providers[0]!.baseUrl).toBe('http://192.168.1.4:8000/v1');
  expect(resolveOptionsFromContext((k) => (k === 'localModelUrl' ? MODEL_SERVER : undefined)).localModelUrl).toBe(MODEL_SERVER);
});

it('an override that points at another loopback address still warns', () => {
  const own = { providers: [{ provider: 'openai-compatible', model: 'llama-3.1-8b-instruct', baseUrl: 'http://localhost:11434/v1' }] };
  expect(loopbackWarnings(synthGateway({ localModelUrl: MODEL_SERVER, taskOverrides: { scheduling: own } }))).toHaveLength(1);
});

it('rejects a context value that is not a URL', () => {
  expect(() => createGatewayStack(appWithContext({ localModelUrl: 'model-box:8000' }))).toThrow(CatalogError);
  expect(() => createGatewayStack(appWithContext({ localModelUrl: 'model-box:8000' }))).toThrow("context 'localModelUrl' must be the model server's URL");
});

it.each([
  ['http://127.0.0.1:8000/v1', true],
  ['http://127.8.0.1/v1', true],
  ['http://localhost:11434/v1', true],
  ['http://[::1]:8000/v1', true],
  ['http://10.0.12.7:8000/v1', false],
  ['https://models.smartdental.example/v1', false],
])('isLoopbackUrl(%s) = %s', (url, loopback) => {
  expect(isLoopbackUrl(url)).toBe(loopback);
});
