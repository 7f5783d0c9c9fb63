import { z } from 'zod';
import { OverBudgetError } from '../../../functions/core/errors';
import { createHttpHandler, route } from '../../../functions/core/http';
import { createObservability } from '../../../functions/core/observability';
import { apiEvent, lambdaContext } from '../../support/api-event';

const seen: unknown[] = [];
const handler = createHttpHandler({
  observability: createObservability('test'),
  routes: [
    route({
      method: 'POST',
      path: '/v1/test/things',
      body: z.object({ name: z.string().min(1).max(20), count: z.number().int().positive() }).strict(),
      handle: async ({ body, identity }) => {
        seen.push(body);
        return { statusCode: 201, body: { ok: true, practice: identity.practiceId, name: body.name } };
      },
    }),
    route({ method: 'GET', path: '/v1/test/admin', auth: 'admin', handle: async () => ({ body: { secret: 'admin only' } }) }),
    route({ method: 'GET', path: '/v1/test/over', handle: async () => { throw new OverBudgetError('The test task has used its daily token budget', { retryAfterSeconds: 42 }); } }),
    route({ method: 'GET', path: '/v1/test/boom', handle: async () => { throw new Error('database password is hunter2'); } }),
  ],
});

async function call(options: Parameters<typeof apiEvent>[0]) {
  const response = (await handler(apiEvent(options), lambdaContext())) as { statusCode: number; headers: Record<string, string>; body: string };
  return { ...response, json: JSON.parse(response.body) };
}

describe('HTTP pipeline', () => {
  beforeEach(() => (seen.length = 0));

  it('runs a valid request and answers JSON with the route status', async () => {
    const res = await call({ resource: '/v1/test/things', body: { name: 'crown', count: 2 } });
    expect(res.statusCode).toBe(201);
    expect(res.json).toEqual({ ok: true, practice: 'practice-a', name: 'crown' });
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-request-id']).toMatch(/^req-/);
  });

  it('rejects a body that fails the schema with 400 and the failing field paths, before the route runs', async () => {
    const res = await call({ resource: '/v1/test/things', body: { name: '', count: 'two', extra: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.code).toBe('BadRequest');
    const paths = res.json.error.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'count']));
    expect(seen).toHaveLength(0);
  });

  it.each([
    ['malformed JSON', { rawBody: '{"name": "crown",', headers: {} }, 400, /not valid JSON/],
    ['no body', { rawBody: '' }, 400, /needs a JSON body/],
    ['a form body', { rawBody: 'name=crown', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 415, /application\/json/],
    ['an oversized body', { body: { name: 'x'.repeat(300_000), count: 1 } }, 413, /at most/],
  ])('answers %s with a clear 4xx', async (_label, options, status, message) => {
    const res = await call({ resource: '/v1/test/things', ...options });
    expect(res.statusCode).toBe(status);
    expect(res.json.error.message).toMatch(message);
    expect(seen).toHaveLength(0);
  });

  it('answers 401 without an authenticated user, 403 for a non-admin on an admin route', async () => {
    expect((await call({ resource: '/v1/test/things', body: { name: 'a', count: 1 }, practiceId: null })).statusCode).toBe(401);
    expect((await call({ method: 'GET', resource: '/v1/test/admin' })).statusCode).toBe(403);
    expect((await call({ method: 'GET', resource: '/v1/test/admin', admin: true })).statusCode).toBe(200);
  });

  it('answers 404 for an unknown resource and 405 for a wrong method', async () => {
    expect((await call({ method: 'GET', resource: '/v1/test/nothing' })).statusCode).toBe(404);
    const wrong = await call({ method: 'GET', resource: '/v1/test/things' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.json.error.message).toMatch(/POST/);
  });

  it('maps typed errors to their status with Retry-After, and hides unknown errors behind a 500', async () => {
    const over = await call({ method: 'GET', resource: '/v1/test/over' });
    expect(over.statusCode).toBe(429);
    expect(over.headers['Retry-After']).toBe('42');
    const boom = await call({ method: 'GET', resource: '/v1/test/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toContain('hunter2');
  });

  it('adds CORS and security headers', async () => {
    const res = await call({ resource: '/v1/test/things', body: { name: 'a', count: 1 }, headers: { Origin: 'http://localhost:5173' } });
    expect(res.headers['Access-Control-Allow-Origin']).toBe('http://localhost:5173');
    expect(res.headers['Access-Control-Expose-Headers']).toEqual(expect.stringContaining('retry-after'));
    expect(res.headers['Access-Control-Expose-Headers']).toEqual(expect.stringContaining('x-smartdental-cache'));
    expect(res.headers['Strict-Transport-Security']).toBeDefined();
  });
});
