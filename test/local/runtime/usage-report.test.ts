/**
 * `GET /v1/usage` on the running local runtime says what was sent: N distinct clinical diagnoses
 * (and one repeat served from the cache) through the real function code, and the report's
 * requests and tokens equal what the provider simulator itself counted for the clinical key.
 * Only the admin group may read it.
 */
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { usageReportSchema } from '../../../functions/ops/schemas';

const ADMIN = { authorization: 'Bearer local-dev-token' };
const STAFF = { authorization: 'Bearer local-dev-token-2' };
const CLINICAL_KEY = 'sim-clinical-key';
const DIAGNOSES = 4;

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({ port: 0, quiet: true, env: {} });
});
afterAll(() => runtime?.close());

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

it('reports the requests and tokens that reached the provider, per task and per key', async () => {
  // Distinct complaints, so each one is a provider call (the clinical cache would answer repeats).
  for (let i = 1; i <= DIAGNOSES; i++) {
    const response = await diagnose(`Sharp pain on biting, lower left, for ${i} days`);
    expect(response.status).toBe(200);
  }
  const repeat = await diagnose('Sharp pain on biting, lower left, for 1 days');
  expect(repeat.status).toBe(200);

  const served = runtime.simulator.stats().keys[CLINICAL_KEY];
  expect(served).toMatchObject({ requests: DIAGNOSES, throttled: 0, failures: 0 });

  const response = await fetch(`${runtime.url}/v1/usage?since=1h`, { headers: ADMIN });
  expect(response.status).toBe(200);
  const report = usageReportSchema.parse(await response.json());
  expect(report.resolution).toBe('minute');

  const clinical = report.tasks.find((row) => row.task === 'clinical');
  expect(clinical).toMatchObject({
    requests: DIAGNOSES,
    inputTokens: served!.inputTokens,
    outputTokens: served!.outputTokens,
    cacheHits: 1,
    cacheMisses: DIAGNOSES,
    errors: 0,
    providerThrottles: 0,
    lambdaThrottles: 0,
  });
  expect(clinical!.p95LatencyMs).not.toBeNull();
  // Budget use is today's settled tokens against the budget, in percent to one decimal.
  expect(clinical!.budgetUsedPercent).toBe(Math.round(((served!.inputTokens + served!.outputTokens) / clinical!.dailyTokenBudget) * 1000) / 10);

  // The key row carries the simulator's fingerprint of the clinical key, never the key itself.
  expect(report.keys).toEqual([
    expect.objectContaining({ keyFingerprint: served!.fingerprint, tasks: ['clinical'], requests: DIAGNOSES, inputTokens: served!.inputTokens, outputTokens: served!.outputTokens }),
  ]);
  expect(JSON.stringify(report)).not.toContain(CLINICAL_KEY);

  // No other task spent anything.
  for (const row of report.tasks.filter((r) => r.task !== 'clinical')) expect(row).toMatchObject({ requests: 0, inputTokens: 0, outputTokens: 0 });
});

it('answers 403 to a token without the admin group', async () => {
  const response = await fetch(`${runtime.url}/v1/usage`, { headers: STAFF });
  expect(response.status).toBe(403);
  expect(await response.json()).toMatchObject({ error: { message: expect.stringMatching(/admin/i) } });
});
