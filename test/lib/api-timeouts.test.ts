/**
 * API Gateway's clock counts a cold start's init, Lambda's timeout does not: a route must wait a
 * little longer than its function, and a function must fit under the REST API's 29 s limit, or a
 * cold caller gets a 504 while the function still runs and spends tokens.
 */
import {
  API_GATEWAY_TIMEOUT_SECONDS,
  COLD_START_ALLOWANCE_SECONDS,
  CatalogError,
  MAX_API_TIMEOUT_SECONDS,
  MAX_STREAMING_API_TIMEOUT_SECONDS,
  STREAMING_API_GATEWAY_TIMEOUT_SECONDS,
  TASK_CATALOG,
  maxApiTimeoutSecondsOf,
  resolveCatalog,
  streamsEveryRoute,
} from '../../lib/catalog';
import type { TaskFunction } from '../../lib/constructs/task-function';
import { logicalIdOf, synthGateway, type SynthesizedGateway } from './stack-fixture';

describe('catalog: an API function must leave room for a cold start under the REST limit', () => {
  it('rejects 30 s for clinical, naming the task and the field', () => {
    expect(() => resolveCatalog({ taskOverrides: { clinical: { timeoutSeconds: 30 } } })).toThrow(CatalogError);
    expect(() => resolveCatalog({ taskOverrides: { clinical: { timeoutSeconds: 30 } } })).toThrow(
      "task catalog: task 'clinical', field 'timeoutSeconds': 30 s leaves no room under API Gateway's 29 s integration limit; at most 27",
    );
  });

  it('holds chat, whose every route streams, to the 15-minute streamed-response limit instead', () => {
    expect(streamsEveryRoute(resolveCatalog().byName.chat)).toBe(true);
    expect(resolveCatalog({ taskOverrides: { chat: { timeoutSeconds: MAX_STREAMING_API_TIMEOUT_SECONDS } } }).byName.chat.timeoutSeconds).toBe(898);
    expect(() => resolveCatalog({ taskOverrides: { chat: { timeoutSeconds: 899 } } })).toThrow(
      "task catalog: task 'chat', field 'timeoutSeconds': 899 s leaves no room under API Gateway's 900 s streamed-response limit; at most 898",
    );
    // One buffered route is enough to hold the whole function to 29 s.
    const mixed = [{ method: 'POST' as const, path: '/v1/chat/messages', ai: true, streaming: true }, { method: 'POST' as const, path: '/v1/chat/summaries', ai: true }];
    expect(() => resolveCatalog({ taskOverrides: { chat: { timeoutSeconds: 60, routes: mixed } } })).toThrow(/task 'chat', field 'timeoutSeconds': 60 s .* 29 s integration limit; at most 27/);
  });

  it('rejects 28 s and accepts 27 s', () => {
    expect(() => resolveCatalog({ taskOverrides: { clinical: { timeoutSeconds: MAX_API_TIMEOUT_SECONDS + 1 } } })).toThrow(/task 'clinical', field 'timeoutSeconds': 28 s/);
    expect(resolveCatalog({ taskOverrides: { clinical: { timeoutSeconds: MAX_API_TIMEOUT_SECONDS } } }).byName.clinical.timeoutSeconds).toBe(27);
  });

  it('exempts the imaging worker, which SQS invokes and API Gateway never waits for', () => {
    expect(resolveCatalog().byName.imaging.worker!.timeoutSeconds).toBeGreaterThan(API_GATEWAY_TIMEOUT_SECONDS);
  });

  it('the catalog as written passes: every buffered API function is at most 27 s, chat (streamed) runs longer', () => {
    expect(Object.keys(TASK_CATALOG)).toHaveLength(resolveCatalog().tasks.length);
    for (const task of resolveCatalog().tasks) expect(task.timeoutSeconds).toBeLessThanOrEqual(maxApiTimeoutSecondsOf(task));
    for (const task of resolveCatalog().tasks.filter((t) => !streamsEveryRoute(t))) expect(task.timeoutSeconds).toBeLessThanOrEqual(MAX_API_TIMEOUT_SECONDS);
    expect(resolveCatalog().byName.chat.timeoutSeconds).toBeGreaterThan(MAX_API_TIMEOUT_SECONDS);
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

  it('every route of every function: integration timeout = min(limit, function timeout + 2), and never below the function timeout', () => {
    const functions = [...Object.values(gw.stack.tasks).map((t) => t.api), gw.stack.ops];
    for (const fn of functions) {
      const timeout = gw.resources[logicalIdOf(gw.stack, fn)]!.Properties!.Timeout as number;
      const limit = fn === gw.stack.tasks.chat!.api ? STREAMING_API_GATEWAY_TIMEOUT_SECONDS : API_GATEWAY_TIMEOUT_SECONDS;
      const routes = integrationSeconds(gw, fn);
      expect(routes.length).toBeGreaterThan(0);
      for (const seconds of routes) {
        expect([fn.node.id, seconds]).toEqual([fn.node.id, Math.min(limit, timeout + COLD_START_ALLOWANCE_SECONDS)]);
        expect(seconds).toBeGreaterThan(timeout);
      }
    }
  });

  it('scheduling (15 s) waits 17 s; clinical (27 s) the full 29 s; chat (60 s, streamed) 62 s', () => {
    expect(integrationSeconds(gw, gw.stack.tasks.scheduling!.api)).toEqual([17, 17]);
    expect(integrationSeconds(gw, gw.stack.tasks.clinical!.api)).toEqual([29, 29]);
    expect(integrationSeconds(gw, gw.stack.tasks.chat!.api)).toEqual([62]);
  });

  it('a lower apiTimeoutSeconds bounds every buffered route, not the streamed one', () => {
    const bounded = synthGateway({ apiTimeoutSeconds: 20 });
    expect(integrationSeconds(bounded, bounded.stack.tasks.clinical!.api)).toEqual([20, 20]);
    expect(integrationSeconds(bounded, bounded.stack.tasks.scheduling!.api)).toEqual([17, 17]);
    expect(integrationSeconds(bounded, bounded.stack.tasks.chat!.api)).toEqual([62]);
  });
});
