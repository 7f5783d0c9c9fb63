/**
 * The local runtime over real HTTP: the API Gateway emulation, dev-token auth, per-function
 * concurrency limits, response streaming and the imaging queue feeding its worker. Probe
 * handlers stand in where a test needs a handler to wait or to show the event it got; the
 * other routes run the real function code.
 */
import { join } from 'node:path';
import { resolveCatalog } from '../../../lib/catalog';
import { createDocumentClient } from '../../../functions/core/dynamo';
import { SqsJobQueue } from '../../../functions/core/job-queue';
import { DynamoUsageLedger, utcDay } from '../../../functions/core/usage-ledger';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_QUEUE, startLocalRuntime, type LocalRuntime, type RuntimeStats } from '../../../local/runtime';
import { waitFor } from '../../support/wait-for';
import { startGate, type Gate } from './gate';

const fixtures = join(__dirname, 'fixtures');
const ADMIN = { authorization: 'Bearer local-dev-token' };
const STAFF = { authorization: 'Bearer local-dev-token-2' };

/** What fixtures/probe-handler.ts answers. */
interface ProbeAnswer {
  requestId: string;
  body: string;
  isBase64Encoded: boolean;
  claims: Record<string, string>;
  env: { providerBaseUrls: string };
  context: { remainingMs: number };
  awslambdaMembers: string[];
}

let runtime: LocalRuntime;
let gate: Gate;

beforeAll(async () => {
  gate = await startGate();
  runtime = await startLocalRuntime({
    port: 0,
    quiet: true,
    env: {},
    concurrencyOverrides: { scheduling: 1 },
    // Short, so the poison message's receives come within seconds; well above one probe invocation
    // even with both cores busy, so an accepted message is never received again meanwhile.
    imagingVisibilityTimeoutSeconds: 1,
    handlerOverrides: {
      scheduling: join(fixtures, 'probe-handler.ts'),
      billing: join(fixtures, 'probe-handler.ts'),
      chat: join(fixtures, 'stream-probe-handler.ts'),
      'imaging-worker': join(fixtures, 'worker-probe.ts'),
    },
  });
});

afterAll(async () => {
  gate.release();
  await runtime?.close();
  await gate?.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = ADMIN) =>
  fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('API Gateway emulation', () => {
  it('answers /health without a token', async () => {
    const response = await fetch(`${runtime.url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 401 without a token and with a wrong one', async () => {
    const missing = await post('/v1/billing/estimates', {}, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('x-amzn-errortype')).toBe('UnauthorizedException');
    expect(await missing.json()).toMatchObject({ error: { code: 'Unauthorized' } });
    const wrong = await post('/v1/billing/estimates', {}, { authorization: 'Bearer not-a-token' });
    expect(wrong.status).toBe(401);
  });

  it('answers 404 for an unknown route and for a method the route does not have, as REST API does', async () => {
    const unknown = await fetch(`${runtime.url}/v1/radiology/reports`, { headers: ADMIN });
    expect(unknown.status).toBe(404);
    const body = (await unknown.json()) as { error: { code: string; requestId: string } };
    expect(body).toMatchObject({ error: { code: 'NotFound' } });
    expect(body.error.requestId).toBe(unknown.headers.get('x-amzn-requestid'));
    const wrongMethod = await fetch(`${runtime.url}/v1/billing/claims`, { headers: ADMIN });
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toMatchObject({ error: { code: 'NotFound' } });
  });

  it("answers 413 for a body over API Gateway's 10 MB", async () => {
    const response = await fetch(`${runtime.url}/v1/billing/claims`, { method: 'POST', headers: { ...ADMIN, 'content-type': 'application/json' }, body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'PayloadTooLarge' } });
  });

  it('routes every catalog route to its function', async () => {
    for (const task of resolveCatalog().tasks) {
      for (const route of task.routes) {
        const path = route.path.replace('{jobId}', 'job-123');
        const response = route.method === 'GET' ? await fetch(`${runtime.url}${path}`, { headers: ADMIN }) : await post(path, {});
        // Whatever the handler decides (scaffold 501, validation 400, …), the function answered, not the gateway.
        const answer = { route: `${route.method} ${route.path}`, gatewayError: response.headers.get('x-amzn-errortype'), serverError: response.status >= 500 && response.status !== 501 && response.status !== 503 };
        expect(answer).toEqual({ route: answer.route, gatewayError: null, serverError: false });
        await response.arrayBuffer();
      }
    }
  });

  it('builds the API Gateway event: resource, path parameters, query, claims, stage and the task environment', async () => {
    const response = await post('/v1/billing/estimates?plan=basic&plan=premium', { total: 1 });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as ProbeAnswer;
    expect(seen).toMatchObject({
      resource: '/v1/billing/estimates',
      path: '/v1/billing/estimates',
      httpMethod: 'POST',
      pathParameters: null,
      query: { plan: 'premium' },
      claims: { sub: 'local-admin', 'custom:practiceId': 'practice-demo', 'cognito:groups': 'admin' },
      stage: 'local',
      body: '{"total":1}',
      isBase64Encoded: false,
      env: { task: 'billing', role: 'api', secretId: 'smartdental/local/billing' },
      context: { functionName: 'smartdental-local-billing' },
    });
    expect(seen.requestId).toBe(response.headers.get('x-amzn-requestid'));
    expect(seen.context.remainingMs).toBeGreaterThan(0);
    // The host's streaming members and the invoke store share one global; neither wipes the other.
    expect(seen.awslambdaMembers).toEqual(expect.arrayContaining(['HttpResponseStream', 'InvokeStore', 'streamifyResponse']));
    expect(JSON.parse(seen.env.providerBaseUrls)).toMatchObject({ anthropic: runtime.simulator.anthropicBaseUrl, openai: runtime.simulator.openaiBaseUrl });
  });

  it('passes a binary body base64-encoded and gives the second token its own practice without admin', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]);
    const response = await fetch(`${runtime.url}/v1/billing/claims`, { method: 'POST', headers: { ...STAFF, 'content-type': 'image/png' }, body: png });
    const seen = (await response.json()) as ProbeAnswer;
    expect(seen.isBase64Encoded).toBe(true);
    expect(Buffer.from(seen.body, 'base64')).toEqual(png);
    expect(seen.claims).toEqual({ sub: 'local-staff', 'custom:practiceId': 'practice-other', token_use: 'id' });
  });

  it('relays a streamed response chunk by chunk', async () => {
    const response = await post(`/v1/chat/messages?gate=${encodeURIComponent(gate.url)}`, { message: 'hello' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const first = await reader.read();
    // The handler is still parked at the gate, so this chunk cannot have been buffered to the end.
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n');
    gate.release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('data: last\n\n');
  });
});

describe('concurrency limits', () => {
  it('throttles a task at its limit with 429 while another task keeps answering, and counts the throttles', async () => {
    const throttleGate = await startGate();
    try {
      const held = post(`/v1/scheduling/slots?gate=${encodeURIComponent(throttleGate.url)}`, {});
      await throttleGate.arrived(1); // the only slot of scheduling is now taken

      const extra = await Promise.all([post('/v1/scheduling/slots', {}), post('/v1/scheduling/reminders', {}), post('/v1/scheduling/slots', {})]);
      const other = await post('/v1/billing/estimates', {});

      for (const response of extra) {
        expect(response.status).toBe(429);
        expect(response.headers.get('retry-after')).toBe('1');
        expect(await response.json()).toMatchObject({ error: { code: 'TaskAtCapacity' } });
      }
      expect(other.status).toBe(200);
      expect(runtime.stats().functions.scheduling).toMatchObject({ inFlight: 1, limit: 1, throttles: 3 });

      throttleGate.release();
      expect((await held).status).toBe(200);
      expect(runtime.stats().functions.scheduling).toMatchObject({ inFlight: 0, peakInFlight: 1 });

      const ledger = new DynamoUsageLedger({
        doc: createDocumentClient({ endpoint: runtime.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
        tableName: runtime.tables.usage,
      });
      // The ledger write is fire-and-forget, as a metric would be; wait for it to land.
      const day = await waitFor('the three Lambda throttles in the ledger', async () => {
        const item = await ledger.readTaskDay('scheduling', utcDay(Date.now()));
        return item.lambdaThrottles >= 3 ? item : undefined;
      });
      expect(day.lambdaThrottles).toBe(3);
    } finally {
      throttleGate.release();
      await throttleGate.close();
    }
  });

  it('exposes the runtime stats over HTTP', async () => {
    const response = await fetch(`${runtime.url}/_local/stats`);
    const stats = (await response.json()) as RuntimeStats;
    expect(stats.functions.clinical).toMatchObject({ limit: 10 });
    expect(stats.functions['imaging-worker']).toMatchObject({ limit: 4 });
    expect(stats.imagingQueue).toMatchObject({ maxConcurrency: 4, maxReceiveCount: 4 });
  });
});

describe('imaging queue', () => {
  it('feeds the worker from the queue the SQS adapter sends to, and dead-letters a message that keeps failing', async () => {
    const client = new SQSClient({ endpoint: runtime.endpoints.sqs, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const queueUrl = `${runtime.endpoints.sqs}/000000000000/${LOCAL_QUEUE}`;
    const queue = new SqsJobQueue({ queueUrl, client });
    await queue.send({ jobId: 'poison', practiceId: 'practice-demo' });
    await queue.send({ jobId: 'fine', practiceId: 'practice-demo' });

    const poison = await waitFor('the poison message in the dead-letter queue', () => runtime.deadLetters().find((m) => JSON.parse(m.body).jobId === 'poison'));
    expect(poison.receiveCount).toBe(4);
    // The event source deletes an accepted message just after the worker answers.
    const settled = await waitFor('the imaging queue to hold no message and the worker to run none', () => {
      const imaging = runtime.stats().imagingQueue;
      return imaging.depth === 0 && imaging.inFlight === 0 && imaging.workerInvocationsInFlight === 0 ? imaging : undefined;
    });
    expect(settled).toMatchObject({ depth: 0, inFlight: 0, deadLetters: 1 });
    expect(runtime.deadLetters().map((m) => JSON.parse(m.body).jobId)).toEqual(['poison']);
    const stats = runtime.stats();
    expect(stats.functions['imaging-worker']!.invocations).toBeGreaterThanOrEqual(5); // 4 poison deliveries + 1 fine
    client.destroy();
  });
});
