/**
 * The advertised pixel limit is one the worker keeps: a JPEG at exactly the limit, in 4:4:4
 * colour (jpeg-js's costliest layout, and what its encoder writes), is accepted, decoded within
 * the worker's memory and analysed; one pixel row more is refused at the API with a 413 that
 * names the limit. The real limit is used, not a lowered one: encoding it takes about a second.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encode as encodeJpeg } from 'jpeg-js';
import { resolveCatalog } from '../../../lib/catalog';
import { DynamoJobStore } from '../../../functions/core/job-store';
import { IMAGING_MAX_PIXELS } from '../../../functions/imaging/job-intake';
import { toSqsEvent } from '../../../local/sqs';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type ImagingStandIns, type StandIns } from '../../support/stand-ins';
import { base64 } from './radiographs';

type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
type Worker = (event: unknown, context: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const WORKER_MEMORY_MB = resolveCatalog().byName.imaging.worker!.memoryMb;
const WIDTH = 4000;
const HEIGHT = Math.floor(IMAGING_MAX_PIXELS / WIDTH);

/** A radiograph-like colour JPEG: a gradient with fine structure, so the coded data is not trivial. */
function colourJpeg(width: number, height: number): Uint8Array {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const v = ((x * 255) / (width - 1)) | 0;
      data[i] = v;
      data[i + 1] = (v + ((x ^ y) & 31)) & 0xff;
      data[i + 2] = 255 - v;
      data[i + 3] = 255;
    }
  }
  return new Uint8Array(encodeJpeg({ data, width, height }, 80).data);
}

let standIns: StandIns;
let imaging: ImagingStandIns;
let api: ApiHandler;
let worker: Worker;
let jobs: DynamoJobStore;
let atLimit: Uint8Array;

const submit = (image: Uint8Array) =>
  api(apiEvent({ resource: '/v1/imaging/analyses', body: { modality: 'panoramic', image: { contentType: 'image/jpeg', dataBase64: base64(image) } }, practiceId: 'practice-a' }), lambdaContext(9_000));

beforeAll(async () => {
  standIns = await startStandIns({ imaging: true });
  imaging = standIns.imaging!;
  api = standIns.loadHandler<ApiHandler>('imaging', 'handler');
  worker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
  jobs = new DynamoJobStore({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.jobs });
  atLimit = colourJpeg(WIDTH, HEIGHT);
});
afterAll(() => standIns.close());

describe('the imaging pixel limit', () => {
  it(`accepts a ${WIDTH}×${HEIGHT} JPEG (the limit), and the worker decodes it and the job succeeds`, async () => {
    expect(WIDTH * HEIGHT).toBeLessThanOrEqual(IMAGING_MAX_PIXELS);
    expect(WIDTH * (HEIGHT + 1)).toBeGreaterThan(IMAGING_MAX_PIXELS);
    const res = await submit(atLimit);
    expect(res.statusCode).toBe(202);
    const { jobId } = JSON.parse(res.body);

    const batch = imaging.queue.receive(1);
    const response = await worker(toSqsEvent(imaging.queue, batch), lambdaContext(120_000));
    expect(response.batchItemFailures).toEqual([]);
    // What the event source does with a record the worker did not report as failed.
    for (const message of batch) imaging.queue.delete(message.receiptHandle!);
    const job = await jobs.get(jobId, 'practice-a');
    expect(job).toMatchObject({ status: 'succeeded' });
    expect(standIns.simulator.stats().totals.requests).toBe(1);
  });

  it(`decodes it within the worker's ${WORKER_MEMORY_MB} MB, with room to spare`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imaging-limit-'));
    try {
      const file = join(dir, 'at-limit.jpg');
      writeFileSync(file, atLimit);
      // A process of its own: the peak RSS of this jest worker says nothing about one decode.
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(__dirname, 'decode-peak.ts'), file, 'image/jpeg'], { cwd: join(__dirname, '../../..') });
      const measured = JSON.parse(stdout);
      expect(measured).toMatchObject({ width: WIDTH, height: HEIGHT, normalized: { width: 1024, height: Math.round((HEIGHT * 1024) / WIDTH) } });
      // The Lambda runtime and the bundled code need their share too: the decode may take 80 %.
      expect(measured.peakRssMb).toBeLessThan(WORKER_MEMORY_MB * 0.8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses one pixel row more with a 413 naming the limit, and keeps nothing', async () => {
    const depth = imaging.queue.depth();
    const res = await submit(colourJpeg(WIDTH, HEIGHT + 1));
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).error).toEqual({
      code: 'PayloadTooLarge',
      message: expect.stringMatching(new RegExp(`^JPEG image declares ${WIDTH}×${HEIGHT + 1} = ${WIDTH * (HEIGHT + 1)} pixels; the limit is ${IMAGING_MAX_PIXELS} pixels `)),
    });
    expect(imaging.queue.depth()).toEqual(depth);
  });
});
