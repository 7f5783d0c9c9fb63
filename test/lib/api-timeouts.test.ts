/**
 * API Gateway's clock counts a cold start's init, Lambda's timeout does not: a route must wait a
 * little longer than its function, and a function must fit under the REST API's 29 s limit, or a
 * cold caller gets a 504 while the function still runs and spends tokens.
 */
import { API_GATEWAY_TIMEOUT_SECONDS, COLD_START_ALLOWANCE_SECONDS, CatalogError, MAX_API_TIMEOUT_SECONDS, TASK_CATALOG, resolveCatalog } from '../../lib/catalog';
import type { TaskFunction } from '../../lib/constructs/task-function';
import { logicalIdOf, synthGateway, type SynthesizedGateway } from './stack-fixture';

describe('catalog: an API function must leave room for a cold start under the REST limit', () => {
  it('rejects 30 s for chat, naming the task and the field', () => {
    expect(() => resolveCatalog({ taskOverrides: { chat: { timeoutSeconds: 30 } } })).toThrow(CatalogError);
    expect(() => resolveCatalog({ taskOverrides: { chat: { timeoutSeconds: 30 } } })).toThrow(
      "task catalog: task 'chat', field 'timeoutSeconds': 30 s leaves no room under API Gateway's 29 s integration limit; at most 27",
    );
  });

  it('rejects 28 s and accepts 27 s', () => {
    expect(() => resolveCatalog({ taskOverrides: { clinical: { timeoutSeconds: MAX_API_TIMEOUT_SECONDS + 1 } } })).toThrow(/task 'clinical', field 'timeoutSeconds': 28 s/);
    expect(resolveCatalog({ taskOverrides: { clinical: { timeoutSeconds: MAX_API_TIMEOUT_SECONDS } } }).byName.clinical.timeoutSeconds).toBe(27);
  });

  it('exempts the imaging worker, which SQS invokes and API Gateway never waits for', () => {
    expect(resolveCatalog().byName.imaging.worker!.timeoutSeconds).toBeGreaterThan(API_GATEWAY_TIMEOUT_SECONDS);
  });

  it('the catalog as written passes: every API function is at most 27 s', () => {
    expect(Object.keys(TASK_CATALOG)).toHaveLength(resolveCatalog().tasks.length);
    for (const task of resolveCatalog().tasks) expect(task.timeoutSeconds).toBeLessThanOrEqual(MAX_API_TIMEOUT_SECONDS);
  });
});

describe('stack: each route waits a cold start longer than its function, within the API bound', () => {
  const integrationSeconds = (gw: SynthesizedGateway, fn: TaskFunction): number[] => {
    const fnId = logicalIdOf(gw.stack, fn);
    return gw.stack.gateway.api.methods
      .filter((m) => m.httpMethod !== 'OPTIONS')
      .map((m) => gw.resources[logicalIdOf(gw.stack, m)]!.Properties!.Integration)
      .filter((integration) => JSON.stringify(integration.Uri).includes(fnId))
      .map((integration) => integration.TimeoutInMillis / 1000);
  };

  let gw: SynthesizedGateway;
  beforeAll(() => {
    gw = synthGateway();
  });

  it('every route of every function: integration timeout = min(29, function timeout + 2), and never below the function timeout', () => {
    const functions = [...Object.values(gw.stack.tasks).map((t) => t.api), gw.stack.ops];
    for (const fn of functions) {
      const timeout = gw.resources[logicalIdOf(gw.stack, fn)]!.Properties!.Timeout as number;
      const routes = integrationSeconds(gw, fn);
      expect(routes.length).toBeGreaterThan(0);
      for (const seconds of routes) {
        expect([fn.node.id, seconds]).toEqual([fn.node.id, Math.min(API_GATEWAY_TIMEOUT_SECONDS, timeout + COLD_START_ALLOWANCE_SECONDS)]);
        expect(seconds).toBeGreaterThan(timeout);
      }
    }
  });

  it('scheduling (15 s) waits 17 s; chat (27 s) waits the full 29 s', () => {
    expect(integrationSeconds(gw, gw.stack.tasks.scheduling!.api)).toEqual([17, 17]);
    expect(integrationSeconds(gw, gw.stack.tasks.chat!.api)).toEqual([29]);
  });

  it('a lower apiTimeoutSeconds bounds every route', () => {
    const bounded = synthGateway({ apiTimeoutSeconds: 20 });
    expect(integrationSeconds(bounded, bounded.stack.tasks.chat!.api)).toEqual([20]);
    expect(integrationSeconds(bounded, bounded.stack.tasks.scheduling!.api)).toEqual([17, 17]);
  });
});
