/**
 * Property-based fuzzing of every route (issue 7, "Bad input"): the catalog's routes and the ops
 * routes, each hit by FUZZ_RUNS generated requests that the gateway must refuse — wrong types,
 * missing and extra fields, huge strings and arrays, deep nesting, invalid UTF-8 in base64
 * bodies, wrong content types, oversized bodies, SQL/script/prompt injection, CRLF in headers,
 * path traversal in jobId and uploadKey, hostile radiographs, bad claims, and single-field
 * mutations of a valid example. Every answer must be a 4xx with a JSON `{ error: { code, message } }`
 * body and no header a caller could have split; afterwards nothing may be left behind: no ledger
 * or cache item, no job, no stored image, no queued message, no provider call.
 *
 * Runs: FUZZ_RUNS per route, 1,000 by default (CI). A deep local run:
 *   FUZZ_RUNS=20000 npx jest test/security/fuzz
 * A failure prints fast-check's seed and path; replay it with FUZZ_SEED=<seed> (and the same FUZZ_RUNS).
 *
 * Requests go to the real handler modules in-process (the way Lambda calls them), over the
 * local stand-ins. Generated requests that happen to be valid are recognised by the oracle in
 * test/support/fuzz.ts: on authenticated routes they are filtered out (their success would spend
 * tokens, create a job or read the ledger); on the public routes (health, OpenAPI) they must answer 2xx.
 */
import fc from 'fast-check';
import { errorBodySchema } from '../../functions/core/error-body';
import { FREE_TEXT_FIELDS, FUZZ_RUNS, FUZZ_SEED, VALID_BODIES, acceptedByGateway, describeRequest, fuzzRoutes, hostileRequest, injectedRequest, toApiEvent, type FuzzRequest, type FuzzRoute } from '../support/fuzz';
import { startGateway, type Answer, type Gateway } from './gateway';

const routes = fuzzRoutes();
const MAX_ERROR_BODY_CHARS = 64 * 1024;
let gateway: Gateway;

beforeAll(async () => {
  // Ceilings far above what the valid injection requests below spend, so no run meets a designed 429.
  const roomy = { dailyTokenBudget: 1_000_000_000, tokensPerMinute: 100_000_000 };
  gateway = await startGateway({ catalog: { taskOverrides: { clinical: roomy, billing: roomy, scheduling: roomy, chat: roomy } } });
});
afterAll(() => gateway.close());

function checkAnswer(route: FuzzRoute, request: FuzzRequest, answer: Answer, accepted: boolean, providerRequests: number): void {
  const fail = (what: string) => {
    throw new Error(`${route.key}: ${what}\n  answer: ${answer.statusCode} ${answer.body.slice(0, 500)}\n  request (${request.kind}): ${describeRequest(request)}`);
  };
  for (const [name, value] of Object.entries(answer.headers)) if (/[\r\n]/.test(String(value))) fail(`header ${name} carries a line break`);
  if (providerRequests !== 0) fail('a provider was called');
  if (accepted) {
    if (answer.statusCode < 200 || answer.statusCode >= 300) fail('a valid request was refused');
    return;
  }
  if (answer.statusCode < 400 || answer.statusCode >= 500) fail('expected a 4xx');
  if (!/^application\/json/.test(answer.headers['content-type'] ?? '')) fail('the error is not JSON');
  // An error names what is wrong; it does not hand a megabyte of the caller's input back.
  if (answer.body.length > MAX_ERROR_BODY_CHARS) fail(`the error body is ${answer.body.length} characters`);
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    fail('the error body does not parse');
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success || parsed.data.error.message.trim() === '' || parsed.data.error.code === '') fail('the error body is not { error: { code, message } }');
}

it('fuzzes every catalog route and every ops route', () => {
  const keys = routes.map((r) => r.key);
  expect(keys).toEqual(expect.arrayContaining(['POST /v1/clinical/diagnoses', 'POST /v1/chat/messages', 'POST /v1/imaging/analyses', 'GET /v1/imaging/analyses/{jobId}', 'GET /health', 'GET /openapi.json', 'GET /v1/usage']));
  for (const task of gateway.catalog.tasks) for (const r of task.routes) expect(keys).toContain(`${r.method} ${r.path}`);
});

it.each(routes.filter((r) => r.body).map((r) => [r.key, r] as const))('starts %s mutations from an example the gateway accepts', (_key, route) => {
  const request: FuzzRequest = {
    method: route.method,
    resource: route.path,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(route.example),
    isBase64Encoded: false,
    claims: { sub: 'user-fuzz', 'custom:practiceId': 'practice-fuzz', 'cognito:groups': route.auth === 'admin' ? 'admin' : '' },
    pathParameters: null,
    query: null,
    kind: 'valid',
  };
  expect(acceptedByGateway(route, request)).toBe(true);
  // The oracle is strict: the same request without a content type is refused.
  expect(acceptedByGateway(route, { ...request, headers: {} })).toBe(false);
});

it('refuses a base64 body whose free text is not UTF-8 instead of passing U+FFFD on to a model', async () => {
  const text = JSON.stringify({ chiefComplaint: 'pain on biting XX lower left' });
  const bytes = Buffer.from(text, 'utf8');
  bytes.write('\xff\xfe', text.indexOf('XX'), 'latin1');
  const request: FuzzRequest = {
    method: 'POST',
    resource: '/v1/clinical/diagnoses',
    headers: { 'content-type': 'application/json' },
    body: bytes.toString('base64'),
    isBase64Encoded: true,
    claims: { sub: 'user-fuzz', 'custom:practiceId': 'practice-fuzz', 'cognito:groups': '' },
    pathParameters: null,
    query: null,
    kind: 'invalid-utf8',
  };
  const answer = await gateway.invoke('clinical', toApiEvent(request));
  expect(answer.statusCode).toBe(400);
  expect(JSON.parse(answer.body).error.message).toMatch(/UTF-8/);
  expect(gateway.standIns.simulator.stats().totals.requests).toBe(0);
});

describe.each(routes.map((r) => [r.key, r] as const))('%s', (_key, route) => {
  it(`answers ${FUZZ_RUNS} hostile requests with a 4xx JSON error and leaves nothing behind`, async () => {
    const before = await gateway.leftovers();
    let refused = 0;
    const statuses = new Set<number>();
    const result = await fc.check(
      fc.asyncProperty(hostileRequest(route, routes, route.auth !== 'none'), async (request) => {
        const accepted = acceptedByGateway(route, request);
        const answer = await gateway.invoke(route.fn, toApiEvent(request));
        checkAnswer(route, request, answer, accepted, gateway.standIns.simulator.stats().totals.requests - before.providerRequests);
        if (!accepted) refused += 1;
        statuses.add(answer.statusCode);
      }),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
    // fast-check's own report prints the whole counterexample, which can be megabytes; ours is cut short.
    if (result.failed) throw new Error(`failed after ${result.numRuns} runs (replay: FUZZ_SEED=${result.seed}):\n${String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance)}`);
    // Public GET routes may legitimately answer generated requests (junk headers on /health); never all.
    expect(refused).toBeGreaterThanOrEqual(route.auth !== 'none' ? FUZZ_RUNS : 1);
    // Refusals must come from the route's own checks too, not only from the method or the claims.
    if (route.body) expect(statuses).toContain(400);
    expect(await gateway.leftovers()).toEqual(before);
  }, Math.max(120_000, FUZZ_RUNS * 100));
});

/** A twentieth of FUZZ_RUNS, at most 500: these requests are valid, so each one is a (simulated) model call. */
const INJECTION_RUNS = Math.min(500, Math.max(10, Math.round(FUZZ_RUNS / 20)));

describe.each(routes.filter((r) => FREE_TEXT_FIELDS[r.key]).map((r) => [r.key, r] as const))('%s with injection strings in free text', (_key, route) => {
  it(`answers ${INJECTION_RUNS} of them like any other valid request`, async () => {
    const result = await fc.check(
      fc.asyncProperty(injectedRequest(route), async (request) => {
        const answer = await gateway.invoke(route.fn, toApiEvent(request));
        if (answer.statusCode !== 200 || /event: error/.test(answer.body)) {
          throw new Error(`${route.key}: expected a 200\n  answer: ${answer.statusCode} ${answer.body.slice(0, 500)}\n  request: ${describeRequest(request)}`);
        }
      }),
      { numRuns: INJECTION_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
    if (result.failed) throw new Error(`failed after ${result.numRuns} runs (replay: FUZZ_SEED=${result.seed}):\n${String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance)}`);
  }, 120_000);
});
