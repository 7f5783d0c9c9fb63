/**
 * Trust boundaries (issue 7): who may call what, and what one practice can see of another's.
 * Every authenticated route refuses a caller without claims (401) or without a valid practice
 * claim (403); the usage report is for the admin group only; an imaging job, an upload and an
 * idempotency key belong to the practice that made them; a cached answer is never served to
 * another practice. The real handlers run in-process over the local stand-ins.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { GROUPS_CLAIM, PRACTICE_CLAIM } from '../../functions/core/identity';
import { apiEvent, type EventOptions } from '../support/api-event';
import { browserUpload } from '../support/browser-upload';
import { VALID_BODIES, VALID_PNG, fuzzRoutes } from '../support/fuzz';
import { startGateway, type FunctionName, type Gateway } from './gateway';

let gateway: Gateway;
const routes = fuzzRoutes();

beforeAll(async () => {
  gateway = await startGateway();
});
afterAll(() => gateway.close());
beforeEach(() => gateway.standIns.simulator.resetStats());

const providerCalls = () => gateway.standIns.simulator.stats().totals.requests;

async function call(fn: FunctionName, options: EventOptions, claims?: Record<string, unknown> | null) {
  const event: APIGatewayProxyEvent = apiEvent(options);
  if (claims !== undefined) (event.requestContext as { authorizer?: unknown }).authorizer = claims === null ? undefined : { claims };
  const answer = await gateway.invoke(fn, event);
  return { ...answer, json: JSON.parse(answer.body) as Record<string, any> };
}

function exampleEvent(route: (typeof routes)[number]): EventOptions {
  return {
    method: route.method,
    resource: route.path,
    ...(route.path.includes('{jobId}') ? { pathParameters: { jobId: '0123456789abcdef0123456789abcdef' } } : {}),
    ...(route.body ? { body: route.example } : {}),
  };
}

describe('authentication and the practice claim', () => {
  const authenticated = routes.filter((r) => r.auth !== 'none').map((r) => [r.key, r] as const);

  it.each(authenticated)('%s: no authorizer claims is a 401, and nothing runs', async (_key, route) => {
    const before = await gateway.leftovers();
    const res = await call(route.fn, exampleEvent(route), null);
    expect(res.statusCode).toBe(401);
    expect(res.json.error).toEqual({ code: 'Unauthorized', message: expect.any(String) });
    expect(await gateway.leftovers()).toEqual(before);
  });

  it.each(authenticated)('%s: a missing, malformed or foreign-looking practice claim is a 403', async (_key, route) => {
    const before = await gateway.leftovers();
    const groups = route.auth === 'admin' ? 'admin' : '';
    for (const practice of [undefined, '', '../practice-b', 'practice-a,practice-b', 'a'.repeat(65), 42, ['practice-a']]) {
      const claims: Record<string, unknown> = { sub: 'user-1', [GROUPS_CLAIM]: groups };
      if (practice !== undefined) claims[PRACTICE_CLAIM] = practice;
      const res = await call(route.fn, exampleEvent(route), claims);
      expect({ practice, status: res.statusCode, code: res.json.error?.code }).toEqual({ practice, status: 403, code: 'Forbidden' });
    }
    expect(await gateway.leftovers()).toEqual(before);
  });

  it('answers the public routes without any claims', async () => {
    for (const route of routes.filter((r) => r.auth === 'none')) {
      const res = await call(route.fn, exampleEvent(route), null);
      expect({ route: route.key, status: res.statusCode }).toEqual({ route: route.key, status: 200 });
    }
  });
});

describe('GET /v1/usage', () => {
  it.each([
    ['no group', ''],
    ['a staff group', 'staff'],
    ['a look-alike group', 'administrator'],
    ['a group list without admin', '[staff, billing]'],
  ])('is a 403 for a user with %s', async (_label, groups) => {
    const res = await call('ops', { method: 'GET', resource: '/v1/usage' }, { sub: 'user-1', [PRACTICE_CLAIM]: 'practice-a', [GROUPS_CLAIM]: groups });
    expect(res.statusCode).toBe(403);
    expect(res.json.error.code).toBe('Forbidden');
  });

  it('answers the admin group', async () => {
    const res = await call('ops', { method: 'GET', resource: '/v1/usage', admin: true });
    expect(res.statusCode).toBe(200);
    expect(Array.isArray(res.json.tasks)).toBe(true);
  });
});

describe('imaging jobs, uploads and idempotency keys belong to one practice', () => {
  const analysis = { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: Buffer.from(VALID_PNG).toString('base64') } };
  const submit = (practiceId: string, headers: Record<string, string> = {}, body: unknown = analysis) =>
    call('imaging', { resource: '/v1/imaging/analyses', body, practiceId, headers });
  const status = (practiceId: string, jobId: string) =>
    call('imaging', { method: 'GET', resource: '/v1/imaging/analyses/{jobId}', path: `/v1/imaging/analyses/${jobId}`, pathParameters: { jobId }, practiceId });

  it("answers another practice's job exactly like a job that does not exist", async () => {
    const created = await submit('practice-a');
    expect(created.statusCode).toBe(202);
    const { jobId } = created.json;

    const own = await status('practice-a', jobId);
    expect(own.statusCode).toBe(200);
    expect(own.json).toMatchObject({ jobId, status: 'queued' });

    const foreign = await status('practice-b', jobId);
    const unknown = await status('practice-b', '0123456789abcdef0123456789abcdef');
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toBe(unknown.body);
    expect(foreign.body).not.toContain(jobId);
  });

  it("refuses another practice's upload key without creating a job", async () => {
    const upload = await call('imaging', { resource: '/v1/imaging/uploads', body: { contentType: 'image/png', sizeBytes: VALID_PNG.length }, practiceId: 'practice-a' });
    expect(upload.statusCode).toBe(200);
    expect((await browserUpload(upload.json as { url: string; fields: Record<string, string> }, Buffer.from(VALID_PNG))).status).toBe(204);

    const jobsBefore = (await gateway.leftovers()).jobItems;
    const foreign = await submit('practice-b', {}, { modality: 'periapical', uploadKey: upload.json.uploadKey });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json.error.message).toMatch(/No upload with that key/);
    expect((await gateway.leftovers()).jobItems).toBe(jobsBefore);

    // The owner can use it: the refusal above was about the practice, not the key.
    const own = await submit('practice-a', {}, { modality: 'periapical', uploadKey: upload.json.uploadKey });
    expect(own.statusCode).toBe(202);
  });

  it("never replays one practice's answer to another practice that reuses its Idempotency-Key", async () => {
    const headers = { 'Idempotency-Key': 'radiograph-2030-01-07-001' };
    const first = await submit('practice-a', headers);
    const replay = await submit('practice-a', headers);
    expect(replay.json.jobId).toBe(first.json.jobId);

    const other = await submit('practice-b', headers);
    expect(other.statusCode).toBe(202);
    expect(other.json.jobId).not.toBe(first.json.jobId);
    expect((await status('practice-b', other.json.jobId)).statusCode).toBe(200);
    expect((await status('practice-b', first.json.jobId)).statusCode).toBe(404);
  });
});

describe('the response cache never crosses practices', () => {
  it.each([
    ['clinical', '/v1/clinical/diagnoses', { ...(VALID_BODIES['POST /v1/clinical/diagnoses'] as object), chiefComplaint: 'Dull ache upper right since a filling last month' }],
    ['billing', '/v1/billing/claims', { ...(VALID_BODIES['POST /v1/billing/claims'] as object), clinicalNotes: 'Cracked tooth #14, full coverage crown planned' }],
  ] as const)('%s: the same request from two practices calls the provider twice; the same practice again is a hit', async (task, resource, body) => {
    const a1 = await call(task, { resource, body, practiceId: 'practice-a' });
    expect(a1.statusCode).toBe(200);
    expect(a1.headers['x-smartdental-cache']).toBe('miss');
    expect(providerCalls()).toBe(1);

    const b1 = await call(task, { resource, body, practiceId: 'practice-b' });
    expect(b1.statusCode).toBe(200);
    expect(b1.headers['x-smartdental-cache']).toBe('miss');
    expect(providerCalls()).toBe(2);

    const a2 = await call(task, { resource, body, practiceId: 'practice-a' });
    const b2 = await call(task, { resource, body, practiceId: 'practice-b' });
    expect(a2.headers['x-smartdental-cache']).toBe('hit');
    expect(b2.headers['x-smartdental-cache']).toBe('hit');
    expect(a2.json).toEqual(a1.json);
    expect(b2.json).toEqual(b1.json);
    expect(providerCalls()).toBe(2);
  });
});
