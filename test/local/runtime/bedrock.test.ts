/**
 * `npm start` serving tasks on the `providers=bedrock` chains: the real function code calls the
 * provider simulator's Converse API through the official Bedrock client, reached through
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME and signed with the task's own access key id; the ledger
 * records per model fingerprint; a throttled model falls back; chat streams through
 * ConverseStream; the banner says SIMULATED.
 */
import { BEDROCK_CHAINS, BEDROCK_MODELS } from '../../../lib/catalog';
import { keyFingerprint } from '../../../functions/core/key-fingerprint';
import { usageReportSchema } from '../../../functions/ops/schemas';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { formatBanner } from '../../../local/runtime/banner';
import { simulatedKeyFor } from '../../../local/runtime/task-keys';

const ADMIN = { authorization: 'Bearer local-dev-token' };
const CLINICAL_KEY = simulatedKeyFor('clinical');

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({ port: 0, quiet: true, env: {}, taskOverrides: { clinical: { providers: BEDROCK_CHAINS.clinical }, chat: { providers: BEDROCK_CHAINS.chat } } });
});
afterAll(() => runtime?.close());
beforeEach(() => runtime.simulator.configure({ modelFaults: {}, faults: {} }));

function diagnose(complaint: string): Promise<Response> {
  return fetch(`${runtime.url}/v1/clinical/diagnoses`, {
    method: 'POST',
    headers: { ...ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify({
      chiefComplaint: complaint,
      symptoms: ['lingering cold sensitivity'],
      toothFindings: [{ toothNumber: '19', finding: 'deep distal caries, tender to percussion' }],
      medicalHistory: { allergies: [], conditions: [], medications: [] },
    }),
  });
}

it('shows the Bedrock tasks as SIMULATED in the banner, without keys in their secrets', () => {
  const description = runtime.describe();
  const clinical = description.tasks.find((t) => t.task === 'clinical')!;
  expect(clinical.providers.map((p) => [p.provider, p.model, p.source])).toEqual(BEDROCK_CHAINS.clinical.map((t) => ['bedrock', t.model, 'simulated']));
  const banner = formatBanner(description);
  expect(banner).toContain(`bedrock ${BEDROCK_MODELS.claudeSonnet} (SIMULATED) -> bedrock ${BEDROCK_MODELS.novaPro} (SIMULATED)`);
  expect(banner).toContain('SMARTDENTAL_BEDROCK=real');
});

it('answers a diagnosis from Bedrock, signed with the task\'s own credential, and records it under the model\'s fingerprint', async () => {
  const before = runtime.simulator.stats();
  const response = await diagnose('Sharp pain on biting, lower left, for 3 days');
  expect(response.status).toBe(200);
  expect(response.headers.get('x-smartdental-provider')).toBe('bedrock');
  expect(response.headers.get('x-smartdental-model')).toBe(BEDROCK_MODELS.claudeSonnet);
  const body = (await response.json()) as { differentialDiagnoses: unknown[] };
  expect(body.differentialDiagnoses.length).toBeGreaterThan(0);

  const stats = runtime.simulator.stats();
  const served = stats.keys[CLINICAL_KEY]!;
  expect(served.requests - (before.keys[CLINICAL_KEY]?.requests ?? 0)).toBe(1);
  expect(stats.models[BEDROCK_MODELS.claudeSonnet]!.requests).toBeGreaterThanOrEqual(1);

  const report = usageReportSchema.parse(await (await fetch(`${runtime.url}/v1/usage?since=1h`, { headers: ADMIN })).json());
  const keyRow = report.keys.find((row) => row.keyFingerprint === keyFingerprint(`bedrock:${BEDROCK_MODELS.claudeSonnet}`));
  expect(keyRow).toMatchObject({ tasks: ['clinical'], inputTokens: served.inputTokens, outputTokens: served.outputTokens });
});

it('falls back to the second Bedrock model when the first is throttled, and counts the provider throttle', async () => {
  runtime.simulator.configure({ modelFaults: { [BEDROCK_MODELS.claudeSonnet]: { throttle: 1 } } });
  const response = await diagnose('Dull ache upper right for 2 weeks');
  expect(response.status).toBe(200);
  expect(response.headers.get('x-smartdental-model')).toBe(BEDROCK_MODELS.novaPro);
  expect(response.headers.get('x-smartdental-fallback')).toBe('true');
  const report = usageReportSchema.parse(await (await fetch(`${runtime.url}/v1/usage?since=1h`, { headers: ADMIN })).json());
  expect(report.tasks.find((row) => row.task === 'clinical')!.providerThrottles).toBeGreaterThanOrEqual(1);
});

it('streams a chat reply through ConverseStream', async () => {
  const response = await fetch(`${runtime.url}/v1/chat/messages`, {
    method: 'POST',
    headers: { ...ADMIN, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'How long does a cleaning take?' }], practiceName: 'Bright Smiles' }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await response.text();
  expect(text).toContain('simulated reply');
  expect(runtime.simulator.stats().keys[simulatedKeyFor('chat')]!.requests).toBe(1);
  expect(runtime.simulator.stats().models[BEDROCK_MODELS.claudeHaiku]!.requests).toBe(1);
});
