/**
 * The per-practice in-flight pixel budget: a practice's queued and running jobs hold their decoded
 * pixels (width × height from the header), and a submission past the budget is a 429
 * `ImagingPracticeBusy` with Retry-After, while other practices are not affected. The counter is
 * one conditional write per reservation in dynalite, so concurrent submissions land exactly, and
 * every way a job ends gives its pixels back exactly once.
 */
import { deflateSync } from 'node:zlib';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { resolveCatalog } from '../../../lib/catalog';
import { DynamoJobStore, RESERVATION_SETTLE_MS, WORKER_STOPPED } from '../../../functions/core/job-store';
import type { ImagingJob } from '../../../functions/core/ports';
import { toSqsEvent } from '../../../local/sqs';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type ImagingStandIns, type StandIns } from '../../support/stand-ins';
import { base64, pngChunk } from './radiographs';

type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;
type Worker = (event: unknown, context: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const MAX_RECEIVE_COUNT = resolveCatalog().byName.imaging.worker!.maxReceiveCount;
/** The smallest budget the intake takes: one image at the pixel limit. */
const BUDGET = 16_000_000;
const SIDE = 2000;
const PIXELS = SIDE * SIDE;
const FITS = Math.floor(BUDGET / PIXELS);

/** A black 8-bit greyscale PNG: a few kilobytes that decode to `side`² pixels. */
function blackPng(side: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.alloc((side + 1) * side), { level: 9 })), pngChunk('IEND', new Uint8Array())]));
}

let standIns: StandIns;
let imaging: ImagingStandIns;
let api: ApiHandler;
let jobs: DynamoJobStore;
const image = blackPng(SIDE);
let practiceSequence = 0;
const newPractice = () => `practice-budget-${++practiceSequence}`;

async function submit(practiceId: string) {
  const res = await api(apiEvent({ resource: '/v1/imaging/analyses', body: { modality: 'panoramic', image: { contentType: 'image/png', dataBase64: base64(image) } }, practiceId }), lambdaContext(9_000));
  return { ...res, json: JSON.parse(res.body) };
}

async function inflight(practiceId: string): Promise<{ pixels: number; jobs: number; entries: string[] }> {
  const item = (await standIns.dynamo.doc.send(new GetCommand({ TableName: standIns.dynamo.tables.jobs, Key: { pk: `INFLIGHT#${practiceId}` }, ConsistentRead: true }))).Item ?? {};
  return { pixels: Number(item.pixels ?? 0), jobs: Number(item.jobs ?? 0), entries: Object.keys(item).filter((k) => k.startsWith('j_')).sort() };
}

/** Runs the worker on what is queued for the job and returns the job as it ends up. */
async function work(worker: Worker, jobId: string, receiveCount?: number) {
  const batch = imaging.queue.receive(10).filter((m) => JSON.parse(m.body).jobId === jobId || (imaging.queue.changeVisibility(m.receiptHandle!, 0), false));
  const response = await worker(toSqsEvent(imaging.queue, receiveCount === undefined ? batch : batch.map((m) => ({ ...m, receiveCount }))), lambdaContext(30_000));
  for (const message of batch) {
    if (response.batchItemFailures.some((f) => f.itemIdentifier === message.messageId)) imaging.queue.changeVisibility(message.receiptHandle!, 0);
    else imaging.queue.delete(message.receiptHandle!);
  }
  return response;
}

beforeAll(async () => {
  standIns = await startStandIns({ imaging: true });
  imaging = standIns.imaging!;
  api = standIns.loadHandler<ApiHandler>('imaging', 'handler', { IMAGING_PRACTICE_INFLIGHT_PIXELS: String(BUDGET) });
  jobs = new DynamoJobStore({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.jobs });
});
afterAll(() => standIns.close());
beforeEach(() => {
  imaging.queue.purge();
  standIns.simulator.configure({ faults: {} });
});

describe('the per-practice in-flight pixel budget', () => {
  it(`takes ${FITS} images of ${SIDE}×${SIDE} within ${BUDGET} pixels, answers the next with 429 and Retry-After, and leaves other practices alone`, async () => {
    const practice = newPractice();
    for (let i = 0; i < FITS; i++) expect((await submit(practice)).statusCode).toBe(202);
    const depth = imaging.queue.depth().depth;

    const refused = await submit(practice);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers?.['Retry-After']).toBe('30');
    expect(refused.json.error.code).toBe('ImagingPracticeBusy');
    expect(refused.json.error.message).toMatch(new RegExp(`already has ${FITS} imaging jobs \\(${FITS * PIXELS} pixels\\) queued or running; this image adds ${PIXELS} pixels and a practice may have at most ${BUDGET} pixels`));
    expect(imaging.queue.depth().depth).toBe(depth);
    expect(await inflight(practice)).toMatchObject({ pixels: FITS * PIXELS, jobs: FITS });

    expect((await submit(newPractice())).statusCode).toBe(202);
  });

  it('counts exactly under concurrent submissions: exactly what fits is accepted', async () => {
    const practice = newPractice();
    const answers = await Promise.all(Array.from({ length: 12 }, () => submit(practice)));
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes).toEqual([...Array(FITS).fill(202), ...Array(12 - FITS).fill(429)]);
    const accepted = answers.filter((a) => a.statusCode === 202).map((a) => `j_${a.json.jobId}`).sort();
    expect(await inflight(practice)).toEqual({ pixels: FITS * PIXELS, jobs: FITS, entries: accepted });
  });

  it('gives the pixels back when a job succeeds, so the practice may submit again', async () => {
    const practice = newPractice();
    const ids: string[] = [];
    for (let i = 0; i < FITS; i++) ids.push((await submit(practice)).json.jobId);
    expect((await submit(practice)).statusCode).toBe(429);

    const worker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
    await work(worker, ids[0]!);
    expect((await jobs.get(ids[0]!, practice))!.status).toBe('succeeded');
    expect(await inflight(practice)).toMatchObject({ pixels: (FITS - 1) * PIXELS, jobs: FITS - 1 });
    expect((await submit(practice)).statusCode).toBe(202);
  });

  it('gives the pixels back when the dead-letter path fails a job on its last receive', async () => {
    const practice = newPractice();
    const jobId = (await submit(practice)).json.jobId;
    standIns.simulator.configure({ faults: { serverError: 1 } });
    const failingWorker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
    const response = await work(failingWorker, jobId, MAX_RECEIVE_COUNT);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await jobs.get(jobId, practice)).toMatchObject({ status: 'failed', error: { code: 'ProviderUnavailable' } });
    expect(await inflight(practice)).toEqual({ pixels: 0, jobs: 0, entries: [] });
  });

  it('gives the pixels back when a job whose worker died on its last delivery is read as failed', async () => {
    const practice = newPractice();
    const jobId = (await submit(practice)).json.jobId;
    const claim = await jobs.claim(jobId, { id: 'dead-worker', until: Date.now() - 1, lastDelivery: true }, Date.now() - 60_000);
    expect(claim.outcome).toBe('claimed');
    expect(await jobs.get(jobId, practice)).toMatchObject({ status: 'failed', error: WORKER_STOPPED });
    expect(await inflight(practice)).toEqual({ pixels: 0, jobs: 0, entries: [] });
  });
});

describe('DynamoJobStore in-flight reservations', () => {
  const budget = { maxPixels: 10_000_000, maxJobs: 200 };
  const T0 = Date.parse('2026-11-26T09:00:00Z');

  it('lands exactly under 60 concurrent reservations and releases each once, however often asked', async () => {
    const practice = newPractice();
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => jobs.reservePixels(practice, `job-${i}`, 1_000_000, budget, T0)));
    const reserved = outcomes.map((o, i) => (o.reserved ? i : -1)).filter((i) => i >= 0);
    expect(reserved).toHaveLength(10);
    expect(await inflight(practice)).toMatchObject({ pixels: 10_000_000, jobs: 10 });

    const releases = await Promise.all(reserved.flatMap((i) => [jobs.releasePixels(practice, `job-${i}`, 1_000_000), jobs.releasePixels(practice, `job-${i}`, 1_000_000)]));
    expect(releases.filter(Boolean)).toHaveLength(10);
    expect(await inflight(practice)).toEqual({ pixels: 0, jobs: 0, entries: [] });
  });

  it('bounds the number of jobs as well as their pixels', async () => {
    const practice = newPractice();
    const small = { maxPixels: 10_000_000, maxJobs: 3 };
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await jobs.reservePixels(practice, `small-${i}`, 4096, small, T0));
    expect(outcomes.map((o) => o.reserved)).toEqual([true, true, true, false]);
    expect(outcomes[3]).toEqual({ reserved: false, inFlightPixels: 3 * 4096, inFlightJobs: 3 });
  });

  it('sweeps, when refused, what a crash left held: a finished job whose release was lost, a reservation whose job was never created', async () => {
    const practice = newPractice();
    const job: ImagingJob = { jobId: 'finished-quietly', practiceId: practice, status: 'queued', modality: 'bitewing', imageKey: 'images/x.png', createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), attempts: 0, pixels: 5_000_000 };
    expect(await jobs.reservePixels(practice, job.jobId, 5_000_000, budget, T0)).toEqual({ reserved: true });
    await jobs.create(job);
    // Final without the release, as if the worker died between the two writes.
    await standIns.dynamo.doc.send(new UpdateCommand({ TableName: standIns.dynamo.tables.jobs, Key: { pk: `JOB#${job.jobId}` }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'succeeded' } }));
    expect(await jobs.reservePixels(practice, 'never-created', 5_000_000, budget, T0)).toEqual({ reserved: true });

    // Too soon: the reservation without a job may still be getting its job.
    expect(await jobs.reservePixels(practice, 'next', 1_000_000, budget, T0 + 1_000)).toMatchObject({ reserved: false, inFlightPixels: 10_000_000 });
    // Once they have settled, the refusal sweeps both and the reservation goes through.
    expect(await jobs.reservePixels(practice, 'next', 1_000_000, budget, T0 + RESERVATION_SETTLE_MS + 1)).toEqual({ reserved: true });
    expect(await inflight(practice)).toEqual({ pixels: 1_000_000, jobs: 1, entries: ['j_next'] });
  });

  it('keeps the reservations of live jobs through a sweep', async () => {
    const practice = newPractice();
    const job: ImagingJob = { jobId: 'still-queued', practiceId: practice, status: 'queued', modality: 'bitewing', imageKey: 'images/y.png', createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), attempts: 0, pixels: 10_000_000 };
    await jobs.reservePixels(practice, job.jobId, 10_000_000, budget, T0);
    await jobs.create(job);
    expect(await jobs.reservePixels(practice, 'more', 1, budget, T0 + RESERVATION_SETTLE_MS * 10)).toEqual({ reserved: false, inFlightPixels: 10_000_000, inFlightJobs: 1 });
  });
});
