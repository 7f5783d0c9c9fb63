/**
 * The real function code behind the local runtime, as `npm start` runs it: an imaging job goes
 * queued → succeeded through the queue and the worker, a job whose model calls always fail ends
 * `failed` with its message in the dead-letter queue (in a second runtime whose worker timeout is
 * short and whose simulator always fails), and chat streams server-sent events. Every task calls
 * the simulator with its own simulated key.
 */
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { base64, pngBytes } from '../../functions/imaging/radiographs';
import { waitFor } from '../../support/wait-for';

const ADMIN = { authorization: 'Bearer local-dev-token', 'content-type': 'application/json' };
let runtime: LocalRuntime;

beforeAll(async () => {
  // As `npm start` runs it: the worker's 120 s timeout and a visibility timeout of 6 × that, so a
  // job's message comes back only after its delivery can no longer be running, however slow the
  // machine is.
  runtime = await startLocalRuntime({ port: 0, quiet: true, env: {} });
}, 120_000);
afterAll(() => runtime?.close());

interface JobView {
  jobId: string;
  status: string;
  error?: { code: string; message: string };
}

async function submitRadiograph(target = runtime): Promise<string> {
  const response = await fetch(`${target.url}/v1/imaging/analyses`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(pngBytes(128, 128)) } }),
  });
  expect(response.status).toBe(202);
  const body = (await response.json()) as JobView;
  expect(body.status).toBe('queued');
  return body.jobId;
}

/** The job once it reads succeeded or failed, as the API answers it. */
function finalJob(jobId: string, target = runtime, limitMs?: number): Promise<JobView> {
  return waitFor(
    `imaging job ${jobId} to be succeeded or failed`,
    async () => {
      const job = (await (await fetch(`${target.url}/v1/imaging/analyses/${jobId}`, { headers: ADMIN })).json()) as JobView;
      return job.status === 'succeeded' || job.status === 'failed' ? job : undefined;
    },
    { limitMs, intervalMs: 50 },
  );
}

/** The queue once the event source has deleted every message it handed the worker. */
const queueSettled = () =>
  waitFor('the imaging queue to hold no message and the worker to run none', () => {
    const queue = runtime.stats().imagingQueue;
    return queue.depth === 0 && queue.inFlight === 0 && queue.workerInvocationsInFlight === 0 ? queue : undefined;
  });
const deadLetteredJobIds = (target: LocalRuntime) => target.deadLetters().map((m) => JSON.parse(m.body).jobId as string);

it('runs an imaging job from the queue to succeeded with the imaging key only', async () => {
  const jobId = await submitRadiograph();
  expect((await finalJob(jobId)).status).toBe('succeeded');
  const keys = runtime.simulator.stats().keys;
  expect(keys['sim-imaging-key']?.requests).toBeGreaterThanOrEqual(1);
  expect(Object.keys(keys).filter((k) => (keys[k]?.requests ?? 0) > 0)).toEqual(['sim-imaging-key']);
  // The job reads succeeded a moment before the event source deletes its message.
  expect(await queueSettled()).toMatchObject({ depth: 0, inFlight: 0, deadLetters: 0 });
  expect(deadLetteredJobIds(runtime)).toEqual([]);
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

describe('a job whose model calls keep failing', () => {
  /** A short worker timeout (the model gets 2 s of it), so the message comes back within seconds. */
  const WORKER_TIMEOUT_SECONDS = 5;
  /**
   * Longer than the worker timeout, as the stack keeps it (there 6×): the message never comes back
   * while its previous delivery may still run, however slow the machine. A copy received during a
   * run would find the job held and use up a receive without an attempt.
   */
  const VISIBILITY_TIMEOUT_SECONDS = WORKER_TIMEOUT_SECONDS + 1;
  let failing: LocalRuntime;

  beforeAll(async () => {
    failing = await startLocalRuntime({
      port: 0,
      quiet: true,
      env: {},
      taskOverrides: { imaging: { worker: { timeoutSeconds: WORKER_TIMEOUT_SECONDS } } },
      imagingVisibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      simulator: { faults: { serverError: 1 } },
    });
  }, 120_000);
  afterAll(() => failing?.close());

  it('ends failed on its last receive, and its message is dead-lettered', async () => {
    const jobId = await submitRadiograph(failing);
    const { maxReceiveCount } = failing.describe().imagingWorker;
    // Failed on the last of maxReceiveCount receives, each a visibility timeout after the one before.
    const job = await finalJob(jobId, failing, maxReceiveCount * (VISIBILITY_TIMEOUT_SECONDS + WORKER_TIMEOUT_SECONDS) * 1000);
    expect(job).toMatchObject({ status: 'failed', error: { code: expect.any(String), message: expect.any(String) } });
    // The receive after that moves its message to the dead-letter queue.
    const deadLetter = await waitFor(`the message of job ${jobId} in the dead-letter queue`, () => failing.deadLetters().find((m) => JSON.parse(m.body).jobId === jobId));
    expect(deadLetter.receiveCount).toBe(maxReceiveCount);
    expect(deadLetteredJobIds(failing)).toEqual([jobId]);
    expect(failing.simulator.stats().totals.failures).toBeGreaterThan(0);
  }, 180_000);
});
