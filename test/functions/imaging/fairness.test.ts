/**
 * Imaging fairness end to end over the stand-ins: practice A submits 100 radiographs through the
 * real API function, practice B one; the local SQS queue (a fair queue: the API sends the practice
 * as MessageGroupId) feeds the real worker through the event source stand-in (QueuePoller, batch
 * size 1, the catalog's maximum concurrency), with dynalite, the object store and the simulator
 * over sockets. Measured by the order of events, never by time: once B's job is queued, at most
 * one more of A's jobs may start before B's does (a worker frees up at most one job's time later),
 * and with one worker B's job finishes before any further A job starts. Afterwards every job is
 * final and both practices' in-flight counts are back to zero.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { resolveCatalog } from '../../../lib/catalog';
import { DynamoJobStore } from '../../../functions/core/job-store';
import { QueuePoller } from '../../../local/sqs';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type ImagingStandIns, type StandIns } from '../../support/stand-ins';
import { waitFor } from '../../support/wait-for';
import { base64, pngBytes } from './radiographs';

type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
type Worker = (event: unknown, context: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const WORKER = resolveCatalog().byName.imaging.worker!;
const A_JOBS = 100;
/** Lifted for this test so that A really has 100 jobs queued: the count cap is tested on its own. */
const JOB_CAP = String(A_JOBS + 10);
/** Generous: a hang detector for 100 jobs with both cores busy, no speed goal. */
const DRAIN_LIMIT_MS = 240_000;

interface QueueEvent {
  kind: 'queued' | 'started' | 'finished';
  practiceId: string;
  jobId: string;
}

let standIns: StandIns;
let imaging: ImagingStandIns;
let api: ApiHandler;
let jobs: DynamoJobStore;
const workers: Worker[] = [];
const image = base64(pngBytes(96, 72));
let run = 0;

async function submit(practiceId: string): Promise<string> {
  const res = await api(apiEvent({ resource: '/v1/imaging/analyses', body: { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: image } }, practiceId }), lambdaContext(20_000));
  if (res.statusCode !== 202) throw new Error(`submit answered ${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body).jobId;
}

async function inflight(practiceId: string) {
  const item = (await standIns.dynamo.doc.send(new GetCommand({ TableName: standIns.dynamo.tables.jobs, Key: { pk: `INFLIGHT#${practiceId}` }, ConsistentRead: true }))).Item ?? {};
  return { jobs: Number(item.jobs ?? 0), pixels: Number(item.pixels ?? 0), entries: Object.keys(item).filter((k) => k.startsWith('j_')).length };
}

const referenceOf = (body: string) => JSON.parse(body) as { jobId: string; practiceId: string };

/**
 * The event source stand-in with `maxConcurrency` workers, each its own module instance (one
 * invocation at a time, as a Lambda execution environment runs them), logging every job it
 * starts and finishes; the queue's sends are logged as they are accepted.
 */
function startWorkers(maxConcurrency: number, log: QueueEvent[]) {
  const free = workers.slice(0, maxConcurrency);
  const send = imaging.queue.send.bind(imaging.queue);
  imaging.queue.send = (body, options) => {
    const sent = send(body, options);
    log.push({ kind: 'queued', ...referenceOf(body) });
    return sent;
  };
  const poller = new QueuePoller(
    imaging.queue,
    async (event: SQSEvent) => {
      const worker = free.pop()!;
      const refs = event.Records.map((r) => referenceOf(r.body));
      for (const ref of refs) log.push({ kind: 'started', ...ref });
      try {
        return await worker(event, lambdaContext(WORKER.timeoutSeconds * 1000));
      } finally {
        for (const ref of refs) log.push({ kind: 'finished', ...ref });
        free.push(worker);
      }
    },
    { batchSize: WORKER.batchSize, maxConcurrency },
  );
  return {
    poller,
    async stop() {
      await poller.stop();
      imaging.queue.send = send;
    },
  };
}

beforeAll(async () => {
  standIns = await startStandIns({ imaging: true, simulator: { latency: { fixedMs: 5, jitterMs: 0 } } });
  imaging = standIns.imaging!;
  api = standIns.loadHandler<ApiHandler>('imaging', 'handler', { IMAGING_PRACTICE_INFLIGHT_JOBS: JOB_CAP });
  for (let i = 0; i < WORKER.maxConcurrency; i++) workers.push(standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' }));
  jobs = new DynamoJobStore({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.jobs });
}, 60_000);
afterAll(() => standIns.close());
beforeEach(() => imaging.queue.purge());

describe.each([
  { workers: WORKER.maxConcurrency, label: `the catalog's ${WORKER.maxConcurrency} workers` },
  { workers: 1, label: 'one worker' },
])('with $label', ({ workers: maxConcurrency }) => {
  it(`runs B's single job as soon as a worker frees up, however many of A's ${A_JOBS} wait`, async () => {
    run += 1;
    const a = `practice-fair-a${run}`;
    const b = `practice-fair-b${run}`;
    const log: QueueEvent[] = [];
    const { poller, stop } = startWorkers(maxConcurrency, log);
    try {
      // A's backlog is queued before any worker runs, so B arrives behind all of it.
      const aJobs: string[] = [];
      for (let i = 0; i < A_JOBS; i++) aJobs.push(await submit(a));
      poller.start();
      await waitFor("A's first job to start", () => log.some((e) => e.kind === 'started' && e.practiceId === a));
      const bJob = await submit(b);
      await waitFor("B's job to finish", () => log.some((e) => e.kind === 'finished' && e.jobId === bJob));

      const at = (kind: QueueEvent['kind'], jobId: string) => log.findIndex((e) => e.kind === kind && e.jobId === jobId);
      const aStartedBetween = (from: number, to: number) => log.slice(from + 1, to).filter((e) => e.kind === 'started' && e.practiceId === a).length;
      const queuedAt = at('queued', bJob);
      const aStillQueued = aJobs.filter((id) => !log.slice(0, queuedAt).some((e) => e.kind === 'started' && e.jobId === id)).length;
      // The backlog was real: nearly all of A's jobs were still waiting when B's was queued.
      expect(aStillQueued).toBeGreaterThanOrEqual(A_JOBS - 2 * maxConcurrency);
      expect(aStartedBetween(queuedAt, at('started', bJob))).toBeLessThanOrEqual(1);
      if (maxConcurrency === 1) expect(aStartedBetween(queuedAt, at('finished', bJob))).toBeLessThanOrEqual(1);
      expect(await jobs.get(bJob, b)).toMatchObject({ status: 'succeeded' });

      // Every job ends, and nothing stays counted against either practice.
      await waitFor(`all ${A_JOBS} of A's jobs to finish`, () => aJobs.every((id) => log.some((e) => e.kind === 'finished' && e.jobId === id)), { limitMs: DRAIN_LIMIT_MS });
      const final = await Promise.all(aJobs.map((id) => jobs.get(id, a)));
      expect(final.filter((j) => j?.status === 'succeeded')).toHaveLength(A_JOBS);
      expect(await inflight(a)).toEqual({ jobs: 0, pixels: 0, entries: 0 });
      expect(await inflight(b)).toEqual({ jobs: 0, pixels: 0, entries: 0 });
    } finally {
      await stop();
    }
  }, DRAIN_LIMIT_MS + 60_000);
});
