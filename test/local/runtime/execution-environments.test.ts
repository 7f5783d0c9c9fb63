/**
 * The local runtime runs a function the way Lambda does: one invocation per execution
 * environment at a time, a new environment (a cold start, with module state of its own) for an
 * invocation that finds every one busy, warm reuse afterwards, a reset after a timeout, and idle
 * environments shut down. Per-instance state (key-pool cursors, circuit breakers, secret caches,
 * in-memory dedup) therefore behaves locally as in AWS.
 */
import { join } from 'node:path';
import { LocalLambdaFunction, FunctionTimeoutError } from '../../../local/runtime/lambda-function';
import { waitFor } from '../../support/wait-for';
import { startGate, type Gate } from './gate';

const PROBE = join(__dirname, 'fixtures', 'environment-probe.ts');
type Probe = { environmentId: string; served: number; concurrentInThisEnvironment: number };

const functions: LocalLambdaFunction[] = [];
let gate: Gate;
beforeEach(async () => {
  gate = await startGate();
});
afterEach(async () => {
  gate.release();
  await Promise.all(functions.splice(0).map((fn) => fn.close()));
  await gate.close();
});

function probeFunction(overrides: { concurrencyLimit?: number; idleTimeoutMs?: number; timeoutSeconds?: number } = {}): LocalLambdaFunction {
  const fn = new LocalLambdaFunction({
    id: 'probe',
    functionName: 'smartdental-local-probe',
    handlerFile: PROBE,
    env: { PATH: process.env.PATH ?? '' },
    timeoutSeconds: overrides.timeoutSeconds ?? 60,
    memoryMb: 256,
    concurrencyLimit: overrides.concurrencyLimit ?? 3,
    idleTimeoutMs: overrides.idleTimeoutMs,
    quiet: true,
  });
  functions.push(fn);
  return fn;
}

const invoke = async (fn: LocalLambdaFunction, event: object): Promise<Probe> => {
  const outcome = await fn.invoke(event);
  if (outcome.kind !== 'result') throw new Error('expected a result');
  return outcome.result as Probe;
};

it('serves concurrent invocations in separate environments, each with its own module state, one invocation each', async () => {
  const fn = probeFunction({ concurrencyLimit: 3 });
  const held = [0, 1, 2].map(() => invoke(fn, { gate: gate.url }));
  await gate.arrived(3);
  expect(fn.stats()).toMatchObject({ inFlight: 3, environments: 3, coldStarts: 3 });
  gate.release();
  const answers = await Promise.all(held);
  expect(new Set(answers.map((a) => a.environmentId)).size).toBe(3);
  expect(answers.every((a) => a.concurrentInThisEnvironment === 1 && a.served === 1)).toBe(true);
});

it('reuses a warm environment for the next invocation instead of starting another', async () => {
  const fn = probeFunction();
  const first = await invoke(fn, {});
  const second = await invoke(fn, {});
  expect(second.environmentId).toBe(first.environmentId);
  expect(second.served).toBe(2);
  expect(fn.stats()).toMatchObject({ coldStarts: 1, environments: 1 });
});

it('throttles at the concurrency limit without starting an environment beyond it', async () => {
  const fn = probeFunction({ concurrencyLimit: 2 });
  const held = [0, 1].map(() => invoke(fn, { gate: gate.url }));
  await gate.arrived(2);
  await expect(fn.invoke({})).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  expect(fn.stats()).toMatchObject({ environments: 2, throttles: 1 });
  gate.release();
  await Promise.all(held);
});

it('resets the environment after a timeout: the next invocation starts cold', async () => {
  const fn = probeFunction({ timeoutSeconds: 1 });
  const before = await invoke(fn, {});
  await expect(fn.invoke({ hang: true })).rejects.toBeInstanceOf(FunctionTimeoutError);
  const after = await invoke(fn, {});
  expect(after.environmentId).not.toBe(before.environmentId);
  expect(fn.stats()).toMatchObject({ timeouts: 1, coldStarts: 2 });
});

it('shuts an idle environment down; the next invocation is a cold start', async () => {
  const fn = probeFunction({ idleTimeoutMs: 200 });
  const first = await invoke(fn, {});
  await waitFor('the idle environment to be reaped', () => fn.stats().environments === 0);
  const next = await invoke(fn, {});
  expect(next.environmentId).not.toBe(first.environmentId);
  expect(fn.stats().coldStarts).toBe(2);
});
