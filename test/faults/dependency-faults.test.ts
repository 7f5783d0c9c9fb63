/**
 * Our own dependencies failing: DynamoDB unreachable or throttling (a proxy in front of dynalite
 * takes it away and gives it back) and Secrets Manager unreachable at a cold start or while warm.
 * The caller gets a 503 with Retry-After and a message; nothing is half-written; when the
 * dependency returns, the same warm function answers again without a restart. The cases where a
 * provider is involved run once per provider kind: the catalog's OpenAI and Anthropic chains, and
 * the `providers=bedrock` chains (keyless: the role signs, so Secrets Manager is not on their path).
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { functionConfigFor, resolveCatalog, type ProviderPreset } from '../../lib/catalog';
import { ENV } from '../../functions/core/env';
import { apiEvent, lambdaContext } from '../support/api-event';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { base64, pngBytes } from '../functions/imaging/radiographs';
import { providerBaseUrlsAt, startStandIns, type StandIns } from '../support/stand-ins';
import { clockPast } from '../support/wait-for';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

let standIns: StandIns;
let proxy: FaultProxy;

beforeAll(async () => {
  standIns = await startStandIns({ imaging: true });
  proxy = await startFaultProxy(standIns.dynamo.endpoint);
});
afterAll(async () => {
  await proxy.close();
  await standIns.close();
});
afterEach(() => {
  proxy.setMode('pass');
  standIns.secrets.setAvailable(true);
});

async function call(handler: Handler, resource: string, body: unknown, timeoutMs = 29_000) {
  const res = await handler(apiEvent({ resource, body }), lambdaContext(timeoutMs));
  return { ...res, json: JSON.parse(res.body) };
}
const diagnosis = (n: number) => ({ chiefComplaint: `Sensitivity to sweets, upper left, visit ${n}` });
const viaProxy = { AWS_ENDPOINT_URL_DYNAMODB: '' };
const PROVIDER_KINDS: Array<{ kind: string; providers: ProviderPreset }> = [
  { kind: 'OpenAI and Anthropic', providers: 'catalog' },
  { kind: 'Bedrock', providers: 'bedrock' },
];
/** The clinical function's TASK_CONFIG on the chain of one provider kind. */
const clinicalOn = (providers: ProviderPreset) => ({ [ENV.taskConfig]: JSON.stringify(functionConfigFor(resolveCatalog({ providers }).byName.clinical)) });

describe('DynamoDB unavailable', () => {
  beforeAll(() => (viaProxy.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint));

  describe.each(PROVIDER_KINDS)('clinical on $kind', ({ providers }) => {
    it.each(['down', 'throttle'] as const)('%s: a clinical request fails with 503 and a message, and the warm function recovers', async (mode) => {
      const handler = standIns.loadHandler<Handler>('clinical', 'handler', { ...viaProxy, ...clinicalOn(providers) });
      expect((await call(handler, '/v1/clinical/diagnoses', diagnosis(1))).statusCode).toBe(200);

      proxy.setMode(mode);
      const calls = standIns.simulator.stats().totals.requests;
      const failed = await call(handler, '/v1/clinical/diagnoses', diagnosis(2));
      expect(failed.statusCode).toBe(503);
      expect(failed.headers['Retry-After']).toBeDefined();
      expect(failed.json.error.message).toMatch(/unavailable/i);
      // No provider call was made without a ledger to record it.
      expect(standIns.simulator.stats().totals.requests).toBe(calls);

      proxy.setMode('pass');
      expect((await call(handler, '/v1/clinical/diagnoses', diagnosis(3))).statusCode).toBe(200);
    });

    it('lost during the model call: the answer, already paid for, is still returned', async () => {
      // The model call waits at a proxy, so the outage surely starts while the provider is answering.
      const provider = await startFaultProxy(standIns.simulator.url);
      try {
        const handler = standIns.loadHandler<Handler>('clinical', 'handler', {
          ...viaProxy,
          ...clinicalOn(providers),
          PROVIDER_BASE_URLS: providerBaseUrlsAt(provider.endpoint),
        });
        provider.setMode('hold');
        const pending = call(handler, '/v1/clinical/diagnoses', diagnosis(5));
        await provider.held(1); // admitted: the model is being asked
        proxy.setMode('down');
        provider.setMode('pass');
        const res = await pending;
        expect(res.statusCode).toBe(200);
        expect(res.json.differentialDiagnoses.length).toBeGreaterThan(0);
        expect(res.headers['x-smartdental-provider']).toBe(resolveCatalog({ providers }).byName.clinical.providers[0]!.provider);
      } finally {
        provider.setMode('pass');
        await provider.close();
      }
    });
  });

  it('an imaging submission during an outage leaves no job, no stored image and no queued message', async () => {
    const handler = standIns.loadHandler<Handler>('imaging', 'handler', viaProxy);
    const imaging = standIns.imaging!;
    imaging.queue.purge();
    const jobsBefore = (await standIns.dynamo.doc.send(new ScanCommand({ TableName: standIns.dynamo.tables.jobs, Select: 'COUNT' }))).Count;
    const imagesBefore = (await imaging.objects.listKeys(imaging.bucket)).length;

    proxy.setMode('down');
    const body = { modality: 'periapical', image: { contentType: 'image/png', dataBase64: base64(pngBytes(200, 160)) } };
    const failed = await call(handler, '/v1/imaging/analyses', body, 9_000);
    expect(failed.statusCode).toBe(503);
    expect(failed.headers['Retry-After']).toBeDefined();

    proxy.setMode('pass');
    expect((await standIns.dynamo.doc.send(new ScanCommand({ TableName: standIns.dynamo.tables.jobs, Select: 'COUNT' }))).Count).toBe(jobsBefore);
    expect((await imaging.objects.listKeys(imaging.bucket)).length).toBe(imagesBefore);
    expect(imaging.queue.depth().depth).toBe(0);

    const accepted = await call(handler, '/v1/imaging/analyses', body, 9_000);
    expect(accepted.statusCode).toBe(202);
  });
});

describe('Secrets Manager unavailable', () => {
  it('at a cold start: 503 with Retry-After, and no provider call', async () => {
    standIns.secrets.setAvailable(false);
    const handler = standIns.loadHandler<Handler>('clinical');
    const calls = standIns.simulator.stats().totals.requests;
    const res = await call(handler, '/v1/clinical/diagnoses', diagnosis(10));
    expect(res.statusCode).toBe(503);
    expect(res.headers['Retry-After']).toBeDefined();
    expect(res.json.error).toMatchObject({ code: 'ServiceUnavailable', message: expect.stringMatching(/provider keys cannot be read/) });
    expect(standIns.simulator.stats().totals.requests).toBe(calls);
  });

  it('at a cold start, a task on Bedrock alone still answers: its role is its credential, there is no secret to read', async () => {
    standIns.secrets.setAvailable(false);
    const handler = standIns.loadHandler<Handler>('clinical', 'handler', clinicalOn('bedrock'));
    const res = await call(handler, '/v1/clinical/diagnoses', diagnosis(14));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-smartdental-provider']).toBe('bedrock');
  });

  it('black-holed at a cold start: a bounded wait, then 503 with Retry-After instead of a gateway timeout', async () => {
    const blackHole = await startFaultProxy(standIns.secrets.endpoint);
    try {
      blackHole.setMode('hang');
      const handler = standIns.loadHandler<Handler>('clinical', 'handler', { AWS_ENDPOINT_URL_SECRETS_MANAGER: blackHole.endpoint });
      const res = await call(handler, '/v1/clinical/diagnoses', diagnosis(13));
      expect(res.statusCode).toBe(503);
      expect(res.headers['Retry-After']).toBeDefined();
      expect(blackHole.refused()).toBeGreaterThan(0);
    } finally {
      await blackHole.close();
    }
  });

  it('while warm: the function keeps using its cached key, even past the cache age', async () => {
    const handler = standIns.loadHandler<Handler>('clinical', 'handler', { SECRET_MAX_AGE_SECONDS: '1' });
    expect((await call(handler, '/v1/clinical/diagnoses', diagnosis(11))).statusCode).toBe(200);
    const cachedAt = Date.now();
    standIns.secrets.setAvailable(false);
    await clockPast(cachedAt + 1_000); // the cache age has passed
    expect((await call(handler, '/v1/clinical/diagnoses', diagnosis(12))).statusCode).toBe(200);
  });
});
