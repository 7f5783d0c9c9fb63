/**
 * The imaging worker end to end in-process: jobs submitted through the real API function, their
 * messages received from the local SQS queue (redrive after the catalog's maxReceiveCount) and
 * handed to the real worker module, which reads the image from the local object store and asks
 * the provider simulator through the official SDKs, with the ledger in dynalite.
 */
import { decode as decodeJpeg } from 'jpeg-js';
import { resolveCatalog } from '../../../lib/catalog';
import { DynamoJobStore } from '../../../functions/core/job-store';
import { DynamoUsageLedger, utcDay } from '../../../functions/core/usage-ledger';
import { ImagingJobProcessor, MAX_THROTTLED_ATTEMPTS } from '../../../functions/imaging/job-processor';
import { findingsModelOutputSchema } from '../../../functions/imaging/schemas';
import { createObservability } from '../../../functions/core/observability';
import { SqsJobQueue } from '../../../functions/core/job-queue';
import { toSqsEvent, type LocalMessage } from '../../../local/sqs';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type ImagingStandIns, type StandIns } from '../../support/stand-ins';
import type { SQSRecord } from 'aws-lambda';
import { base64, jpegWithRestarts, pngBytes, pngWithDamagedData, pngWithMissingRows } from './radiographs';

type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
type Worker = (event: unknown, context: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const MAX_RECEIVE_COUNT = resolveCatalog().byName.imaging.worker!.maxReceiveCount;
/** Retry-after of the simulated 429 storms. */
const STORM_RETRY_AFTER_SECONDS = 7;
/**
 * Handler timeout for the storm tests: it leaves the model a 6 s deadline, room enough for the
 * throttled calls with both cores busy, yet shorter than the retry-after, so the provider chain
 * cannot wait the storm out inside one invocation and must hand the job back to the queue.
 */
const STORM_HANDLER_TIMEOUT_MS = 9_000;

let standIns: StandIns;
let imaging: ImagingStandIns;
let api: ApiHandler;
let worker: Worker;
let jobs: DynamoJobStore;
let ledger: DynamoUsageLedger;

async function submitJob(image = pngBytes(200, 150), practiceId = 'practice-a'): Promise<string> {
  const res = await api(apiEvent({ resource: '/v1/imaging/analyses', body: { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(image) } }, practiceId }), lambdaContext(9_000));
  expect(res.statusCode).toBe(202);
  return JSON.parse(res.body).jobId;
}

/**
 * One event source poll: receive, invoke the worker, delete what it did not report as failed.
 * Failed records are made visible again at once, standing in for the visibility timeout passing.
 */
async function deliver(timeoutMs = 60_000, messages?: LocalMessage[]) {
  const batch = messages ?? imaging.queue.receive(10);
  const response = await worker(toSqsEvent(imaging.queue, batch), lambdaContext(timeoutMs));
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const message of batch) {
    if (failed.has(message.messageId)) imaging.queue.changeVisibility(message.receiptHandle!, 0);
    else imaging.queue.delete(message.receiptHandle!);
  }
  return { batch, response, failed };
}

const today = () => ledger.readTaskDay('imaging', utcDay(Date.now()));

beforeAll(async () => {
  standIns = await startStandIns({ imaging: true });
  imaging = standIns.imaging!;
  api = standIns.loadHandler<ApiHandler>('imaging', 'handler');
  worker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
  jobs = new DynamoJobStore({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.jobs });
  ledger = new DynamoUsageLedger({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.usage });
});
afterAll(() => standIns.close());
beforeEach(() => {
  imaging.queue.purge();
  imaging.deadLetterQueue.purge();
  standIns.simulator.resetStats();
  standIns.simulator.configure({ faults: {} });
});

describe('imaging worker', () => {
  it('takes a queued job to succeeded with findings, charging the ledger once for the one call', async () => {
    const jobId = await submitJob();
    const before = await today();
    const { response } = await deliver();
    expect(response.batchItemFailures).toEqual([]);

    const job = await jobs.get(jobId, 'practice-a');
    expect(job!.status).toBe('succeeded');
    expect(job!.attempts).toBe(1);
    expect(findingsModelOutputSchema.safeParse(job!.result).success).toBe(true);
    expect(imaging.queue.depth()).toMatchObject({ depth: 0, inFlight: 0 });

    const stats = standIns.simulator.stats();
    expect(stats.totals.requests).toBe(1);
    const after = await today();
    expect(after.requests - before.requests).toBe(1);
    expect(after.inputTokens - before.inputTokens).toBe(stats.totals.inputTokens);
    expect(after.outputTokens - before.outputTokens).toBe(stats.totals.outputTokens);
    expect(after.reservedTokens).toBe(0);

    const read = await api(
      apiEvent({ method: 'GET', resource: '/v1/imaging/analyses/{jobId}', pathParameters: { jobId }, practiceId: 'practice-a' }),
      lambdaContext(9_000),
    );
    expect(JSON.parse(read.body)).toEqual({ jobId, status: 'succeeded', result: job!.result });
  });

  it('answers a duplicate delivery of the same message without a second result, call or charge', async () => {
    const jobId = await submitJob();
    const [message] = imaging.queue.receive(1);
    await deliver(60_000, [message!]);
    const first = await jobs.get(jobId, 'practice-a');
    const before = await today();

    // SQS delivers at least once: the same record arrives again after the job finished.
    const again = await worker(toSqsEvent(imaging.queue, [{ ...message!, receiveCount: 2 }]), lambdaContext(60_000));
    expect(again.batchItemFailures).toEqual([]);
    expect(await jobs.get(jobId, 'practice-a')).toEqual(first);
    expect(standIns.simulator.stats().totals.requests).toBe(1);
    expect((await today()).requests).toBe(before.requests);
  });

  it('puts a job back on the queue with the provider’s delay during a 429 storm instead of failing it', async () => {
    standIns.simulator.configure({ faults: { throttle: 1 }, throttleRetryAfterSeconds: STORM_RETRY_AFTER_SECONDS });
    // A fresh worker: the storm opens circuit breakers and cools keys, which must not leak into other tests.
    const stormWorker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
    const jobId = await submitJob();
    const [message] = imaging.queue.receive(1);
    const response = await stormWorker(toSqsEvent(imaging.queue, [message!]), lambdaContext(STORM_HANDLER_TIMEOUT_MS));
    // Acknowledged: the re-sent copy carries the delay; the original must not count towards the DLQ.
    expect(response.batchItemFailures).toEqual([]);
    imaging.queue.delete(message!.receiptHandle!);

    expect(standIns.simulator.stats().totals.throttled).toBeGreaterThan(0);
    const waiting = imaging.queue.peek();
    expect(waiting).toHaveLength(1);
    expect(JSON.parse(waiting[0]!.body)).toEqual({ jobId, practiceId: 'practice-a' });
    expect(waiting[0]!.receiveCount).toBe(0);
    // Sent with DelaySeconds = the retry-after (7 s), plus up to a quarter of it as jitter: read off
    // the message itself, since the time the worker took to get here is no part of the delay.
    const delayMs = waiting[0]!.visibleAt - waiting[0]!.sentAt;
    expect(delayMs).toBeGreaterThanOrEqual(STORM_RETRY_AFTER_SECONDS * 1000);
    expect(delayMs).toBeLessThanOrEqual(Math.floor(STORM_RETRY_AFTER_SECONDS * 1.25) * 1000);
    expect(imaging.deadLetterQueue.depth().depth).toBe(0);
    // Waiting for its delayed copy, the job reads queued again and holds no lease.
    expect((await jobs.get(jobId, 'practice-a'))!.status).toBe('queued');
  });

  it('fails a job that is still rate-limited after its last allowed attempt, so a permanent 429 cannot keep it forever', async () => {
    standIns.simulator.configure({ faults: { throttle: 1 }, throttleRetryAfterSeconds: STORM_RETRY_AFTER_SECONDS });
    const stormWorker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
    const jobId = await submitJob();
    // Earlier throttled attempts, as a long storm would have left them.
    for (let i = 1; i < MAX_THROTTLED_ATTEMPTS; i++) {
      const lease = { id: `earlier-${i}`, until: Date.now() + 60_000 };
      expect((await jobs.claim(jobId, lease, Date.now())).outcome).toBe('claimed');
      expect(await jobs.release(jobId, lease.id, Date.now())).toBe(true);
    }
    const [message] = imaging.queue.receive(1);
    const response = await stormWorker(toSqsEvent(imaging.queue, [message!]), lambdaContext(STORM_HANDLER_TIMEOUT_MS));
    expect(response.batchItemFailures).toEqual([]);
    imaging.queue.delete(message!.receiptHandle!);
    const job = await jobs.get(jobId, 'practice-a');
    expect(job!.status).toBe('failed');
    expect(job!.error).toEqual({ code: 'ProviderThrottled', message: expect.stringMatching(new RegExp(`after ${MAX_THROTTLED_ATTEMPTS} attempts`)) });
    expect(imaging.queue.depth().depth).toBe(0);
  });

  it('fails a job whose model answer does not fit the schema even after the repair, at once and for good', async () => {
    standIns.simulator.configure({ faults: { schema: 1 } });
    const jobId = await submitJob();
    const { response } = await deliver();
    expect(response.batchItemFailures).toEqual([]);
    const job = await jobs.get(jobId, 'practice-a');
    expect(job!.status).toBe('failed');
    expect(job!.error).toEqual({ code: 'InvalidModelOutput', message: expect.stringMatching(/does not fit/) });
    expect(imaging.queue.depth().depth).toBe(0);
  });

  it('fails a job whose image passes the header checks but does not decode, without calling a model', async () => {
    const jobId = await submitJob(pngWithDamagedData(120, 90));
    const { response } = await deliver();
    expect(response.batchItemFailures).toEqual([]);
    const job = await jobs.get(jobId, 'practice-a');
    expect(job!.status).toBe('failed');
    expect(job!.error!.code).toBe('InvalidImage');
    expect(job!.error!.message).toMatch(/PNG image data is corrupt or truncated after 0 of its 90 rows/);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });

  it('fails a job whose PNG holds fewer rows than its header declares, before any model call', async () => {
    // Sound chunks and CRCs, a complete zlib stream: only counting the inflated rows finds it out.
    const jobId = await submitJob(pngWithMissingRows(512, 512, 256));
    const { response } = await deliver();
    expect(response.batchItemFailures).toEqual([]);
    const job = await jobs.get(jobId, 'practice-a');
    expect(job!.status).toBe('failed');
    expect(job!.error).toEqual({ code: 'InvalidImage', message: expect.stringMatching(/holds 256 of the 512 rows its header declares/) });
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });

  it('retries a job whose provider keeps failing, fails it on the last receive, and lets the message reach the DLQ', async () => {
    standIns.simulator.configure({ faults: { serverError: 1 } });
    const failingWorker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
    const jobId = await submitJob();
    for (let receive = 1; receive <= MAX_RECEIVE_COUNT; receive++) {
      const batch = imaging.queue.receive(1);
      expect(batch[0]!.receiveCount).toBe(receive);
      const response = await failingWorker(toSqsEvent(imaging.queue, batch), lambdaContext(4_000));
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch[0]!.messageId }]);
      imaging.queue.changeVisibility(batch[0]!.receiptHandle!, 0);
      const job = await jobs.get(jobId, 'practice-a');
      expect(job!.status).toBe(receive < MAX_RECEIVE_COUNT ? 'queued' : 'failed');
    }
    const job = await jobs.get(jobId, 'practice-a');
    expect(job!.error!.code).toBe('ProviderUnavailable');
    expect(job!.error!.message).toMatch(new RegExp(`Gave up after ${MAX_RECEIVE_COUNT} attempts`));

    // The next receive is the redrive: the message moves to the dead-letter queue.
    expect(imaging.queue.receive(1)).toEqual([]);
    expect(imaging.deadLetterQueue.peek().map((m) => JSON.parse(m.body))).toEqual([{ jobId, practiceId: 'practice-a' }]);
  });

  it('sends a message that names no job to the dead-letter queue, whatever its body', async () => {
    imaging.queue.send('not json at all');
    imaging.queue.send(JSON.stringify({ jobId: '0123456789abcdef0123456789abcdef', practiceId: 'practice-a' }));
    for (let receive = 1; receive <= MAX_RECEIVE_COUNT; receive++) {
      const { batch, failed } = await deliver();
      expect(batch).toHaveLength(2);
      expect(failed.size).toBe(2);
    }
    expect(imaging.queue.receive(10)).toEqual([]);
    expect(imaging.deadLetterQueue.depth().depth).toBe(2);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });

  it("will not run a job under another practice's reference", async () => {
    const jobId = await submitJob();
    imaging.queue.purge();
    imaging.queue.send(JSON.stringify({ jobId, practiceId: 'practice-b' }));
    const { failed } = await deliver();
    expect(failed.size).toBe(1);
    expect((await jobs.get(jobId, 'practice-a'))!.status).toBe('queued');
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });
});

describe('ImagingJobProcessor', () => {
  it('sends the vision model one JPEG downscaled to a long edge of at most 1024 px', async () => {
    const jobId = await submitJob(pngBytes(2000, 600));
    const [message] = imaging.queue.receive(1);
    const sent: { mediaType: string; dataBase64: string }[] = [];
    const processor = new ImagingJobProcessor({
      jobs,
      queue: new SqsJobQueue({ queueUrl: imaging.sqs.queueUrl(imaging.queue.name) }),
      readImage: async (key) => new Uint8Array((await imaging.objects.getObject(imaging.bucket, key))!.body),
      // The model is not what this test is about: it records what it was sent.
      model: {
        generate: async (input) => {
          sent.push(...(input.images ?? []));
          return { data: { findings: [], summary: 'No findings (recorded).' } };
        },
      },
      maxReceiveCount: MAX_RECEIVE_COUNT,
      logger: createObservability('imaging').logger,
    });
    const outcome = await processor.process(toSqsEvent(imaging.queue, [message!]).Records[0]!, Date.now() + 30_000);
    expect(outcome).toEqual({ kind: 'done', jobId, status: 'succeeded' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.mediaType).toBe('image/jpeg');
    const decoded = decodeJpeg(Buffer.from(sent[0]!.dataBase64, 'base64'));
    expect({ width: decoded.width, height: decoded.height }).toEqual({ width: 1024, height: 307 });
  });

  it('fails a job whose JPEG jpeg-js would decode with rows filled in (cut at a restart marker), without asking the model', async () => {
    // Stored behind the API's back: the worker must not rely on the intake having looked.
    const jobId = '0123456789abcdef0123456789abcd01';
    const at = new Date().toISOString();
    await jobs.create({ jobId, practiceId: 'practice-a', status: 'queued', modality: 'bitewing', imageKey: `images/practice-a/${jobId}.jpg`, createdAt: at, updatedAt: at, attempts: 0 });
    const cut = jpegWithRestarts(128, 128, 100);
    expect(decodeJpeg(cut, { useTArray: true, tolerantDecoding: false })).toMatchObject({ width: 128, height: 128 });
    let calls = 0;
    const processor = new ImagingJobProcessor({
      jobs,
      queue: new SqsJobQueue({ queueUrl: imaging.sqs.queueUrl(imaging.queue.name) }),
      readImage: async () => cut,
      model: {
        generate: async () => {
          calls += 1;
          return { data: { findings: [], summary: 'Should not be asked.' } };
        },
      },
      maxReceiveCount: MAX_RECEIVE_COUNT,
      logger: createObservability('imaging').logger,
    });
    const record = { messageId: 'm-cut', body: JSON.stringify({ jobId, practiceId: 'practice-a' }), attributes: { ApproximateReceiveCount: '1' } } as unknown as SQSRecord;
    expect(await processor.process(record, Date.now() + 30_000)).toEqual({ kind: 'done', jobId, status: 'failed' });
    expect(calls).toBe(0);
    expect((await jobs.get(jobId, 'practice-a'))!.error).toEqual({ code: 'InvalidImage', message: expect.stringMatching(/stops after 100 of 256 restart intervals/) });
  });
});
