/**
 * The per-practice job count: a practice's queued and running imaging jobs are capped by count
 * (the catalog's `worker.practiceMaxJobs`, IMAGING_PRACTICE_INFLIGHT_JOBS overrides it) as well as
 * by pixels. Past it, a 429 `ImagingPracticeBusy` that says the count is what is full, with
 * Retry-After, before anything is stored or queued; exact under concurrent submissions; and the
 * count comes back exactly once however a job ends, so after any mix of failures the practice
 * can again have exactly its cap in flight. Real API and worker functions over dynalite, the
 * local SQS endpoint, the object store and the simulator.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { resolveCatalog } from '../../../lib/catalog';
import { DynamoJobStore, WORKER_STOPPED } from '../../../functions/core/job-store';
import { toSqsEvent } from '../../../local/sqs';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type ImagingStandIns, type StandIns } from '../../support/stand-ins';
import { base64, pngBytes, pngWithDamagedData } from './radiographs';

type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;
type Worker = (event: unknown, context: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

/** The catalog as a stage override would set it (`taskOverrides`), so the test sees the catalog's value reach the function. */
const CATALOG = { taskOverrides: { imaging: { worker: { practiceMaxJobs: 7 } } } };
const WORKER = resolveCatalog(CATALOG).byName.imaging.worker!;
const CATALOG_CAP = WORKER.practiceMaxJobs;
/** The override for the failure paths: small, so the practice is at its cap after a few jobs. */
const SMALL_CAP = 3;
const SIDE = 96;
const PIXELS = SIDE * SIDE;

let standIns: StandIns;
let imaging: ImagingStandIns;
let catalogApi: ApiHandler;
let smallApi: ApiHandler;
let worker: Worker;
let jobs: DynamoJobStore;
let practiceSequence = 0;
const newPractice = () => `practice-cap-${++practiceSequence}`;
const goodImage = base64(pngBytes(SIDE, SIDE));

async function submit(api: ApiHandler, practiceId: string, image = goodImage) {
  const res = await api(apiEvent({ resource: '/v1/imaging/analyses', body: { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: image } }, practiceId }), lambdaContext(20_000));
  return { ...res, json: JSON.parse(res.body) };
}

async function inflight(practiceId: string) {
  const item = (await standIns.dynamo.doc.send(new GetCommand({ TableName: standIns.dynamo.tables.jobs, Key: { pk: `INFLIGHT#${practiceId}` }, ConsistentRead: true }))).Item ?? {};
  return { jobs: Number(item.jobs ?? 0), pixels: Number(item.pixels ?? 0), entries: Object.keys(item).filter((k) => k.startsWith('j_')).sort() };
}

/** One event source poll of this job's message; `receiveCount` stands in for earlier deliveries. */
async function work(jobId: string, receiveCount?: number) {
  const batch = imaging.queue.receive(10).filter((m) => JSON.parse(m.body).jobId === jobId || (imaging.queue.changeVisibility(m.receiptHandle!, 0), false));
  expect(batch).toHaveLength(1);
  const response = await worker(toSqsEvent(imaging.queue, receiveCount === undefined ? batch : batch.map((m) => ({ ...m, receiveCount }))), lambdaContext(30_000));
  for (const message of batch) {
    if (response.batchItemFailures.some((f) => f.itemIdentifier === message.messageId)) imaging.queue.changeVisibility(message.receiptHandle!, 0);
    else imaging.queue.delete(message.receiptHandle!);
  }
  return response;
}

beforeAll(async () => {
  standIns = await startStandIns({ imaging: true, catalog: CATALOG });
  imaging = standIns.imaging!;
  catalogApi = standIns.loadHandler<ApiHandler>('imaging', 'handler');
  smallApi = standIns.loadHandler<ApiHandler>('imaging', 'handler', { IMAGING_PRACTICE_INFLIGHT_JOBS: String(SMALL_CAP) });
  worker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
  jobs = new DynamoJobStore({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.jobs });
}, 60_000);
afterAll(() => standIns.close());
beforeEach(() => {
  imaging.queue.purge();
  standIns.simulator.configure({ faults: {} });
});

describe("a practice's imaging jobs in flight, by count", () => {
  it(`holds the catalog's default of ${resolveCatalog().byName.imaging.worker!.practiceMaxJobs} jobs`, () => {
    expect(resolveCatalog().byName.imaging.worker!.practiceMaxJobs).toBe(20);
  });

  it(`takes the catalog's ${CATALOG_CAP} jobs, then answers 429 saying the count is full, storing and queueing nothing; other practices go on`, async () => {
    const practice = newPractice();
    for (let i = 0; i < CATALOG_CAP; i++) expect((await submit(catalogApi, practice)).statusCode).toBe(202);
    const depth = imaging.queue.depth().depth;
    const objects = (await imaging.objects.listKeys(imaging.bucket)).length;

    const refused = await submit(catalogApi, practice);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers?.['Retry-After']).toBe('30');
    expect(refused.json).toEqual({
      error: {
        code: 'ImagingPracticeBusy',
        message: `This practice already has ${CATALOG_CAP} imaging jobs queued or running, the most one practice may have at once (${CATALOG_CAP}): retry when some have finished`,
        details: { limit: 'jobs', inFlightJobs: CATALOG_CAP, maxJobs: CATALOG_CAP, inFlightPixels: CATALOG_CAP * PIXELS, maxPixels: 160_000_000, imagePixels: PIXELS },
      },
    });
    expect(imaging.queue.depth().depth).toBe(depth);
    expect((await imaging.objects.listKeys(imaging.bucket)).length).toBe(objects);
    expect(await inflight(practice)).toMatchObject({ jobs: CATALOG_CAP, pixels: CATALOG_CAP * PIXELS });

    expect((await submit(catalogApi, newPractice())).statusCode).toBe(202);
  });

  it('is exact under concurrent submissions, with the cap from IMAGING_PRACTICE_INFLIGHT_JOBS', async () => {
    const practice = newPractice();
    const answers = await Promise.all(Array.from({ length: 12 }, () => submit(smallApi, practice)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([...Array(SMALL_CAP).fill(202), ...Array(12 - SMALL_CAP).fill(429)]);
    for (const refused of answers.filter((a) => a.statusCode === 429)) expect(refused.json.error.details).toMatchObject({ limit: 'jobs', maxJobs: SMALL_CAP });
    const accepted = answers.filter((a) => a.statusCode === 202).map((a) => `j_${a.json.jobId}`).sort();
    expect(await inflight(practice)).toEqual({ jobs: SMALL_CAP, pixels: SMALL_CAP * PIXELS, entries: accepted });
  });

  it('gives each job back exactly once however it ends, so no count leaks: the practice can again have exactly its cap', async () => {
    const practice = newPractice();
    const ended: Record<string, string> = {};

    // Succeeded.
    const ok = (await submit(smallApi, practice)).json.jobId;
    await work(ok);
    ended.succeeded = (await jobs.get(ok, practice))!.status;

    // Failed at once: the image does not decode.
    const damaged = (await submit(smallApi, practice, base64(pngWithDamagedData(SIDE, SIDE)))).json.jobId;
    await work(damaged);
    ended.invalidImage = (await jobs.get(damaged, practice))!.error!.code;

    // Failed on the last receive, on its way to the dead-letter queue; a copy delivered again changes nothing.
    const doomed = (await submit(smallApi, practice)).json.jobId;
    standIns.simulator.configure({ faults: { serverError: 1 } });
    expect((await work(doomed, WORKER.maxReceiveCount)).batchItemFailures).toHaveLength(1);
    standIns.simulator.configure({ faults: {} });
    ended.lastReceive = (await jobs.get(doomed, practice))!.error!.code;
    await work(doomed);
    expect(await inflight(practice)).toEqual({ jobs: 0, pixels: 0, entries: [] });

    // Its worker killed on the last delivery: the next read fails it (twice read, once given back).
    const stopped = (await submit(smallApi, practice)).json.jobId;
    expect((await jobs.claim(stopped, { id: 'dead-worker', until: Date.now() - 1, lastDelivery: true }, Date.now() - 60_000)).outcome).toBe('claimed');
    await Promise.all([jobs.get(stopped, practice), jobs.get(stopped, practice)]);
    ended.workerStopped = (await jobs.get(stopped, practice))!.error!.code;

    // Not queued: the queue refused the message (an API function pointed at a queue that is not there).
    const brokenQueueApi = standIns.loadHandler<ApiHandler>('imaging', 'handler', {
      IMAGING_PRACTICE_INFLIGHT_JOBS: String(SMALL_CAP),
      IMAGING_QUEUE_URL: imaging.sqs.queueUrl('no-such-queue'),
    });
    const notQueued = await submit(brokenQueueApi, practice);
    expect(notQueued.statusCode).toBe(503);

    expect(ended).toEqual({ succeeded: 'succeeded', invalidImage: 'InvalidImage', lastReceive: 'ProviderUnavailable', workerStopped: WORKER_STOPPED.code });
    expect(await inflight(practice)).toEqual({ jobs: 0, pixels: 0, entries: [] });
    const again = [];
    for (let i = 0; i <= SMALL_CAP; i++) again.push((await submit(smallApi, practice)).statusCode);
    expect(again).toEqual([...Array(SMALL_CAP).fill(202), 429]);
  });
});
