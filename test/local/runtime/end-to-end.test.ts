/**
 * The real function code behind the local runtime, as `npm start` runs it: an imaging job goes
 * queued → succeeded through the queue and the worker, a job whose model calls always fail ends
 * `failed` with its message in the dead-letter queue, and chat streams server-sent events. Every
 * task calls the simulator with its own simulated key.
 */
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { base64, pngBytes } from '../../functions/imaging/radiographs';

const ADMIN = { authorization: 'Bearer local-dev-token', 'content-type': 'application/json' };
let runtime: LocalRuntime;

beforeAll(async () => {
  // Short, so redeliveries happen within the test, yet longer than one worker invocation: a
  // message that reappears while its first delivery still runs is received twice (as in SQS).
  runtime = await startLocalRuntime({ port: 0, quiet: true, env: {}, imagingVisibilityTimeoutSeconds: 1 });
});
afterAll(() => runtime?.close());

interface JobView {
  jobId: string;
  status: string;
  error?: { code: string; message: string };
}

async function submitRadiograph(): Promise<string> {
  const response = await fetch(`${runtime.url}/v1/imaging/analyses`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(pngBytes(128, 128)) } }),
  });
  expect(response.status).toBe(202);
  const body = (await response.json()) as JobView;
  expect(body.status).toBe('queued');
  return body.jobId;
}

async function finalJob(jobId: string): Promise<JobView> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const job = (await (await fetch(`${runtime.url}/v1/imaging/analyses/${jobId}`, { headers: ADMIN })).json()) as JobView;
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

it('runs an imaging job from the queue to succeeded with the imaging key only', async () => {
  const jobId = await submitRadiograph();
  expect((await finalJob(jobId)).status).toBe('succeeded');
  const keys = runtime.simulator.stats().keys;
  expect(keys['sim-imaging-key']?.requests).toBeGreaterThanOrEqual(1);
  expect(Object.keys(keys).filter((k) => (keys[k]?.requests ?? 0) > 0)).toEqual(['sim-imaging-key']);
  expect(runtime.stats().imagingQueue).toMatchObject({ depth: 0, inFlight: 0, deadLetters: 0 });
});

it('streams a chat answer as server-sent events', async () => {
  const response = await fetch(`${runtime.url}/v1/chat/messages`, {
    method: 'POST',
    headers: { ...ADMIN, accept: 'text/event-stream' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'When is my next cleaning?' }] }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(await response.text()).toMatch(/^event: delta$/m);
});

it('fails a job whose model calls keep failing and dead-letters its message', async () => {
  runtime.simulator.configure({ faults: { serverError: 1 } });
  try {
    const jobId = await submitRadiograph();
    const job = await finalJob(jobId);
    expect(job.status).toBe('failed');
    for (let attempt = 0; attempt < 200 && runtime.deadLetters().length === 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(runtime.deadLetters().map((m) => JSON.parse(m.body).jobId)).toEqual([jobId]);
  } finally {
    runtime.simulator.configure({ faults: {} });
  }
});
