/**
 * The front end gets the same answer from the laptop as from AWS: every answer the local API
 * gives on API Gateway's behalf (no route, no token, a body over 10 MB, a function at its
 * concurrency, a function that failed) is pinned against the gateway response the synthesized
 * template defines for that case: status, body (the template filled in as API Gateway fills it),
 * Retry-After and the CORS origin.
 */
import { join } from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { synthGateway } from '../../lib/stack-fixture';
import { startGate, type Gate } from './gate';

const fixtures = join(__dirname, 'fixtures');
const ADMIN = { authorization: 'Bearer local-dev-token' };

interface TemplateResponse {
  ResponseType: string;
  StatusCode?: string;
  ResponseParameters: Record<string, string>;
  ResponseTemplates: Record<string, string>;
}

let runtime: LocalRuntime;
let gate: Gate;
let templateResponses: TemplateResponse[];

beforeAll(async () => {
  templateResponses = Object.values(synthGateway().template.findResources('AWS::ApiGateway::GatewayResponse')).map((r) => r.Properties as TemplateResponse);
  gate = await startGate();
  runtime = await startLocalRuntime({
    port: 0,
    quiet: true,
    env: {},
    concurrencyOverrides: { scheduling: 1 },
    handlerOverrides: { scheduling: join(fixtures, 'probe-handler.ts'), billing: join(fixtures, 'failing-handler.ts') },
  });
});

afterAll(async () => {
  gate?.release();
  await runtime?.close();
  await gate?.close();
});

/** What API Gateway would send for `type`: the template's status (or the error's own), body and headers. */
function expectedFor(type: string, requestId: string, ownStatus: number, gatewayMessage: string) {
  const response = templateResponses.find((r) => r.ResponseType === type);
  if (!response) throw new Error(`the template has no ${type} gateway response`);
  const body = response.ResponseTemplates['application/json']!.replace('$context.requestId', requestId).replace('$context.error.messageString', JSON.stringify(gatewayMessage));
  const header = (name: string) => response.ResponseParameters[`gatewayresponse.header.${name}`]?.replace(/^'|'$/g, '') ?? null;
  return { status: response.StatusCode === undefined ? ownStatus : Number(response.StatusCode), body: JSON.parse(body), retryAfter: header('Retry-After'), origin: header('Access-Control-Allow-Origin') };
}

async function observed(response: Response) {
  return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after'), origin: response.headers.get('access-control-allow-origin') };
}

const post = (path: string, body: string, headers: Record<string, string> = ADMIN) => fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

it.each([
  ['an unknown path', 'MISSING_AUTHENTICATION_TOKEN', () => fetch(`${runtime.url}/v1/radiology/reports`, { headers: ADMIN }), 403, 'Missing Authentication Token'],
  ['a method the route does not have', 'MISSING_AUTHENTICATION_TOKEN', () => fetch(`${runtime.url}/v1/billing/claims`, { headers: ADMIN }), 403, 'Missing Authentication Token'],
  ['no token', 'UNAUTHORIZED', () => post('/v1/clinical/diagnoses', '{}', {}), 401, 'Unauthorized'],
  ['a token the authorizer refuses', 'UNAUTHORIZED', () => post('/v1/clinical/diagnoses', '{}', { authorization: 'Bearer not-a-token' }), 401, 'Unauthorized'],
  ["a body over API Gateway's 10 MB", 'REQUEST_TOO_LARGE', () => post('/v1/clinical/diagnoses', 'x'.repeat(10 * 1024 * 1024 + 1)), 413, 'Request Too Long'],
  ['a function that fails', 'DEFAULT_5XX', () => post('/v1/billing/estimates', '{}'), 502, 'Internal server error'],
] as const)('%s: the answer of the %s gateway response', async (_case, type, send, ownStatus, gatewayMessage) => {
  const response = await send();
  const requestId = response.headers.get('x-amzn-requestid')!;
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(await observed(response)).toEqual(expectedFor(type, requestId, ownStatus, gatewayMessage));
});

it('a function at its concurrency: the INTEGRATION_FAILURE answer, a 429 with Retry-After, not API Gateway\'s default 500', async () => {
  const held = post(`/v1/scheduling/slots?gate=${encodeURIComponent(gate.url)}`, '{}');
  await gate.arrived(1);
  try {
    const response = await post('/v1/scheduling/slots', '{}');
    const expected = expectedFor('INTEGRATION_FAILURE', response.headers.get('x-amzn-requestid')!, 500, 'Internal server error');
    expect(expected.status).toBe(429);
    expect(await observed(response)).toEqual(expected);
  } finally {
    gate.release();
    await held;
  }
});
