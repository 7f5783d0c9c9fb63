/**
 * The imaging pipeline under the faults a queue worker meets in AWS: the same message delivered
 * twice at once, a worker killed mid-job, a model call that outlives the handler's deadline, and a
 * batch of jobs driven to completion through injected provider faults and poison messages.
 *
 * Everything is real except the Lambda service itself: jobs are submitted through the API
 * function, the local SQS queue (short visibility timeout, redrive to a dead-letter queue after the
 * catalog's maxReceiveCount) feeds the worker module through the event source poller, and the
 * worker asks the provider simulator through the official SDKs with the ledger in dynalite.
 * A killed worker is what Lambda leaves of one: its first write (the claim) and nothing else.
 */
import { functionConfigFor, resolveCatalog } from '../../../lib/catalog';
import { ENV } from '../../../functions/core/env';
import { DynamoJobStore, WORKER_STOPPED } from '../../../functions/core/job-store';
import { DynamoUsageLedger, utcDay } from '../../../functions/core/usage-ledger';
import type { ImagingJob } from '../../../functions/core/ports';
import { parseReference } from '../../../functions/imaging/job-processor';
import { QueuePoller, toSqsEvent } from '../../../local/sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startFaultProxy } from '../../support/fault-proxy';
import { bedrockAccessKeyId, providerBaseUrlsAt, startStandIns, type ImagingStandIns, type StandIns } from '../../support/stand-ins';
import { waitFor } from '../../support/wait-for';
import { base64, pngBytes } from './radiographs';

type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
type Worker = (event: unknown, context: unknown) => Promise<SQSBatchResponse>;

/**
 * The lowest receive count the catalog allows, so a poison message reaches the DLQ in seconds; and
 * room for the batch test's 22 jobs of one practice at once (the job count cap has its own test).
 */
const CATALOG = { taskOverrides: { imaging: { worker: { maxReceiveCount: 3, practiceMaxJobs: 50 } } } };
const WORKER = resolveCatalog(CATALOG).byName.imaging.worker!;
/**
 * Handler timeout given to the worker: a 17 s model deadline after the worker's 3 s margin, room
 * enough with both cores busy (with 10 s, runs were seen to outlast it on a loaded machine, and
 * middy then throws its timeout from a timer).
 */
const WORKER_TIMEOUT_MS = 20_000;
/**
 * Longer than the handler timeout (which is how long a delivery's lease on its job lasts), as the
 * stack keeps it (there 6×): a message comes back only once the delivery before it can no longer
 * hold the job, however slow the machine made that delivery; short enough for redeliveries within
 * seconds. A copy that came back sooner would find the job held and use up one of the few receives.
 */
const VISIBILITY_TIMEOUT_MS = WORKER_TIMEOUT_MS + 1_000;
/** How long the event source may take to drain the queue before a test fails: a hang detector. */
const DRAIN_LIMIT_MS = 240_000;
/** What is left of a killed worker's lease when its message comes back: less than the visibility timeout. */
const KILLED_LEASE_MS = 800;

let standIns: StandIns;
let imaging: ImagingStandIns;
let api: ApiHandler;
let jobs: DynamoJobStore;
let ledger: DynamoUsageLedger;
let poller: QueuePoller | undefined;

/** A small seeded generator (mulberry32), so the simulator's fault draws repeat from run to run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function submitJob(image = pngBytes(200, 150)): Promise<string> {
  const res = await api(apiEvent({ resource: '/v1/imaging/analyses', body: { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(image) } }, practiceId: 'practice-a' }), lambdaContext(9_000));
  expect(res.statusCode).toBe(202);
  return JSON.parse(res.body).jobId;
}

const freshWorker = () => standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
/** The worker as the event source invokes it, with the handler timeout of these tests. */
const invoked = (worker: Worker) => (event: SQSEvent) => worker(event, lambdaContext(WORKER_TIMEOUT_MS));
const getJob = async (jobId: string) => (await jobs.get(jobId, 'practice-a'))!;
const ledgerToday = () => ledger.readTaskDay('imaging', utcDay(Date.now()));

/** Answers the simulator gave with usage for the imaging keys: what the ledger must have settled. */
function servedForImaging() {
  const stats = standIns.simulator.stats();
  let served = 0;
  let inputTokens = 0;
  let outputTokens = 0;
  // Bedrock calls are counted against the access key id the worker signs with.
  for (const key of [...['openai', 'anthropic', 'openai-compatible'].map((entry) => stats.keys[standIns.keyOf('imaging', entry)]), stats.keys[bedrockAccessKeyId()]]) {
    if (!key) continue;
    served += key.requests - key.throttled - key.failures;
    inputTokens += key.inputTokens;
    outputTokens += key.outputTokens;
  }
  return { served, inputTokens, outputTokens };
}

/** Runs the event source mapping (the catalog's batch size and concurrency) until `done` holds. */
async function drive(consume: (event: SQSEvent) => Promise<SQSBatchResponse>, done: () => Promise<boolean>, what: string): Promise<void> {
  poller = new QueuePoller(imaging.queue, consume, { batchSize: WORKER.batchSize, maxConcurrency: WORKER.maxConcurrency });
  poller.start();
  try {
    await waitFor(what, done, { limitMs: DRAIN_LIMIT_MS, intervalMs: 100 }).catch((error: Error) => {
      throw new Error(`${error.message}; queue: ${JSON.stringify(imaging.queue.depth())}, dead letters: ${imaging.deadLetterQueue.depth().depth}`);
    });
  } finally {
    await poller.stop();
    poller = undefined;
  }
}

const queueDrained = () => {
  const depth = imaging.queue.depth();
  return depth.depth === 0 && depth.inFlight === 0;
};

beforeAll(async () => {
  standIns = await startStandIns({ catalog: CATALOG, imaging: { visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS }, simulator: { random: seeded(7) } });
  imaging = standIns.imaging!;
  api = standIns.loadHandler<ApiHandler>('imaging', 'handler');
  jobs = new DynamoJobStore({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.jobs });
  ledger = new DynamoUsageLedger({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.usage });
});
afterAll(async () => {
  await poller?.stop();
  await standIns.close();
});
beforeEach(() => {
  imaging.queue.purge();
  imaging.deadLetterQueue.purge();
  standIns.simulator.resetStats();
  standIns.simulator.configure({ faults: {}, latency: { fixedMs: 0, jitterMs: 0 }, throttleRetryAfterSeconds: 1 });
});

describe('imaging worker under faults', () => {
  it.each([
    ['OpenAI and Anthropic', {}],
    ['Bedrock', { [ENV.taskConfig]: JSON.stringify(functionConfigFor(resolveCatalog({ ...CATALOG, providers: 'bedrock' }).byName.imaging)) }],
  ])('on %s: runs two copies of one message delivered at the same moment once: one model call, one charge, one result', async (kind, chain) => {
    // The first copy's model call waits at a proxy until the second copy has been answered, so both
    // copies are in the worker while the first holds the job, however slow the machine is.
    const provider = await startFaultProxy(standIns.simulator.url);
    try {
      const worker = standIns.loadHandler<Worker>('imaging', 'worker', {
        FUNCTION_ROLE: 'worker',
        ...chain,
        [ENV.providerBaseUrls]: providerBaseUrlsAt(provider.endpoint),
      });
      const jobId = await submitJob();
      const before = await ledgerToday();
      const [message] = imaging.queue.receive(1);
      const copy = { ...message!, receiveCount: 2 };

      // A minute each, so the held model attempt (its share of the time left) cannot time out
      // while the second copy runs, however long that takes.
      const context = () => lambdaContext(60_000);
      provider.setMode('hold');
      const first = worker(toSqsEvent(imaging.queue, [message!]), context());
      await provider.held(1); // the first copy has claimed the job and is asking the model
      const second = await Promise.race([
        worker(toSqsEvent(imaging.queue, [copy]), context()),
        provider.held(2).then(() => Promise.reject(new Error('a second model call while the first was held: the second copy did not find the job held'))),
      ]);
      // The copy that found the job held goes back to the queue; the other one finishes it.
      expect(second.batchItemFailures).toEqual([{ itemIdentifier: message!.messageId }]);
      provider.setMode('pass');
      expect((await first).batchItemFailures).toEqual([]);
      const job = await getJob(jobId);
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });

      // When the held copy comes back, the job is final: acknowledged, still nothing more.
      const again = await worker(toSqsEvent(imaging.queue, [{ ...message!, receiveCount: 3 }]), context());
      expect(again.batchItemFailures).toEqual([]);
      expect(await getJob(jobId)).toEqual(job);

      expect(standIns.simulator.stats().totals.requests).toBe(1);
      expect(standIns.simulator.received().map((r) => r.dialect === 'bedrock')).toEqual([kind === 'Bedrock']);
      const after = await ledgerToday();
      expect(after.requests - before.requests).toBe(1);
      expect(after.inputTokens - before.inputTokens).toBe(servedForImaging().inputTokens);
      expect(after.reservedTokens).toBe(0);
    } finally {
      provider.setMode('pass');
      await provider.close();
    }
  });

  it('takes over the job of a worker killed mid-job once its message comes back, and finishes it once', async () => {
    const jobId = await submitJob();
    const before = await ledgerToday();
    // The killed worker received the message and claimed the job; Lambda then stopped it.
    expect(imaging.queue.receive(1)).toHaveLength(1);
    const killed = await jobs.claim(jobId, { id: 'killed-worker', until: Date.now() + KILLED_LEASE_MS }, Date.now());
    expect(killed).toEqual({ outcome: 'claimed', attempts: 1 });
    expect((await getJob(jobId)).status).toBe('running');
    expect(imaging.queue.depth()).toMatchObject({ inFlight: 1 });

    await drive(invoked(freshWorker()), async () => queueDrained() && (await getJob(jobId)).status === 'succeeded', `job ${jobId} taken over and succeeded`);

    expect(await getJob(jobId)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(imaging.deadLetterQueue.depth().depth).toBe(0);
    expect(standIns.simulator.stats().totals.requests).toBe(1);
    expect((await ledgerToday()).requests - before.requests).toBe(1);
    // The dead worker's late write, had it come, would not count.
    expect(await jobs.succeed(jobId, { findings: [], summary: 'late' }, Date.now(), 'killed-worker')).toBe(false);
  }, DRAIN_LIMIT_MS + 30_000);

  it('gives a model call that outlives the handler deadline back to the queue, and finishes the job on the redelivery', async () => {
    // Longer than the 3 s the worker leaves the model out of a 6 s handler timeout: wall time
    // against wall time, so a slow machine cannot make the model answer in time.
    standIns.simulator.configure({ latency: { fixedMs: 4_000 } });
    const worker = freshWorker();
    const jobId = await submitJob();
    const [message] = imaging.queue.receive(1);
    const timedOut = await worker(toSqsEvent(imaging.queue, [message!]), lambdaContext(6_000)).catch((error: Error) => error);
    // The message goes back to the queue: as a batch item failure, or, when a loaded machine makes
    // the writes after the deadline outlast the worker's 3 s margin, through the handler's timeout.
    if (timedOut instanceof Error) expect(timedOut.name).toBe('TimeoutError');
    else expect(timedOut.batchItemFailures).toEqual([{ itemIdentifier: message!.messageId }]);
    // Released, not left running under a lease: the redelivery may claim it at once.
    const released = await waitFor(`job ${jobId} released to queued`, async () => {
      const job = await getJob(jobId);
      return job.status === 'queued' ? job : undefined;
    });
    expect(released).toMatchObject({ status: 'queued', attempts: 1 });
    expect(standIns.simulator.stats().totals.outputTokens).toBe(0);

    standIns.simulator.configure({ latency: { fixedMs: 0 } });
    const before = await ledgerToday();
    await drive(invoked(worker), async () => queueDrained(), 'the redelivered message handled and deleted');
    expect(await getJob(jobId)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await ledgerToday()).requests - before.requests).toBe(1);
    expect(imaging.deadLetterQueue.depth().depth).toBe(0);
  }, DRAIN_LIMIT_MS + 30_000);

  it('ends every one of a batch of jobs in a final state through throttles, server errors, malformed answers and poison messages', async () => {
    const JOBS = 20;
    const CRASHING = 2;
    const worker = freshWorker();
    // Poison first, so its redeliveries overlap the healthy jobs' work: messages that name no job
    // at all, and jobs whose radiograph kills the worker on every delivery (out of memory, say).
    imaging.queue.send('{"not": "a job reference"');
    imaging.queue.send(JSON.stringify({ jobId: '0123456789abcdef0123456789abcdef', practiceId: 'practice-a' }));
    const crashingIds: string[] = [];
    for (let i = 0; i < CRASHING; i++) crashingIds.push(await submitJob());
    const crashing = new Set(crashingIds);
    const jobIds = await Promise.all(Array.from({ length: JOBS }, () => submitJob()));
    const before = await ledgerToday();
    standIns.simulator.configure({ faults: { throttle: 0.25, serverError: 0.1, malformed: 0.1 }, throttleRetryAfterSeconds: 1 });

    const consume = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      const record = event.Records[0]!;
      const reference = parseReference(record.body);
      if (reference && crashing.has(reference.jobId)) {
        const lastDelivery = Number(record.attributes.ApproximateReceiveCount) >= WORKER.maxReceiveCount;
        await jobs.claim(reference.jobId, { id: `killed-${record.receiptHandle}`, until: Date.now() + KILLED_LEASE_MS, lastDelivery }, Date.now());
        throw new Error('Runtime exited with error: signal: killed');
      }
      return invoked(worker)(event);
    };
    const all = [...jobIds, ...crashingIds];
    const finalJobs = async () => (await Promise.all(all.map(getJob))).filter((job) => job.status === 'succeeded' || job.status === 'failed');
    await drive(
      consume,
      async () => queueDrained() && imaging.deadLetterQueue.depth().depth >= 2 + CRASHING && (await finalJobs()).length === all.length,
      `all ${all.length} jobs final and the poison messages dead-lettered`,
    );

    // N jobs in, N jobs in a final state, each failure with its reason.
    const final: ImagingJob[] = await Promise.all(all.map(getJob));
    expect(final.filter((job) => job.status === 'succeeded' || job.status === 'failed')).toHaveLength(JOBS + CRASHING);
    for (const job of final.filter((j) => j.status === 'failed')) expect(job.error).toEqual({ code: expect.any(String), message: expect.any(String) });
    for (const job of final.filter((j) => j.status === 'succeeded')) expect(job.result).toHaveProperty('findings');
    for (const id of crashingIds) expect((await getJob(id)).error).toEqual(WORKER_STOPPED);
    const succeeded = final.filter((job) => job.status === 'succeeded').length;
    expect(succeeded).toBeGreaterThan(0);

    // The poison messages wait in the dead-letter queue, each with its job failed; so does the
    // message of a job that failed on every receive (if the faults piled up on one), and no other.
    const deadLettered = imaging.deadLetterQueue.peek().map((m) => parseReference(m.body)?.jobId ?? 'unparseable');
    const gaveUp = final.filter((job) => job.status === 'failed' && /^Gave up after/.test(job.error!.message)).map((job) => job.jobId);
    expect(deadLettered.sort()).toEqual(['0123456789abcdef0123456789abcdef', 'unparseable', ...crashingIds, ...gaveUp].sort());

    // Each succeeded job charged once: one settled call per success, matching what the provider
    // served. With the cores busy the provider may serve an answer more: one to an attempt whose
    // time the worker had already cut short, paid for but never received, so never settled. Then the
    // ledger holds less than was served, never more.
    const after = await ledgerToday();
    const served = servedForImaging();
    const settled = { inputTokens: after.inputTokens - before.inputTokens, outputTokens: after.outputTokens - before.outputTokens };
    expect(after.requests - before.requests).toBe(succeeded);
    expect(served.served).toBeGreaterThanOrEqual(succeeded);
    if (served.served === succeeded) {
      expect(settled).toEqual({ inputTokens: served.inputTokens, outputTokens: served.outputTokens });
    } else {
      expect(settled.inputTokens).toBeLessThan(served.inputTokens);
      expect(settled.outputTokens).toBeLessThan(served.outputTokens);
    }
    expect(after.reservedTokens).toBe(0);
    const stats = standIns.simulator.stats().totals;
    // The faults did happen.
    expect(stats.throttled + stats.failures).toBeGreaterThan(0);
  }, DRAIN_LIMIT_MS + 30_000);
});
