/**
 * The imaging API function end to end in-process: the real handler module with the stack's
 * environment, dynalite for jobs, the local SQS endpoint and object store behind the official
 * SDK clients. Every refusal is checked to leave no job, no stored image and no queue message.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { s3ClientFromEnv } from '../../../functions/core/object-store';
import { DynamoJobStore } from '../../../functions/core/job-store';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startStandIns, type ImagingStandIns, type StandIns } from '../../support/stand-ins';
import { browserUpload } from '../../support/browser-upload';
import { buildDicom } from '../../support/dicom';
import { ANALYSIS_MAX_BODY_BYTES, INLINE_IMAGE_MAX_BYTES } from '../../../functions/imaging/schemas';
import { base64, dicomBytes, jpegBytes, jpegWithRestarts, pngBytes, pngChunk } from './radiographs';

/** A JPEG whose coded data is cut after its first byte and closed with an end-of-image marker. */
function jpegWithOneCodedByte(width: number, height: number): Uint8Array {
  const bytes = jpegBytes(width, height);
  let offset = 2;
  while (bytes[offset + 1] !== 0xda) offset += 2 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!);
  const codedStart = offset + 2 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!);
  return Buffer.concat([bytes.subarray(0, codedStart + 1), Buffer.from([0xff, 0xd9])]);
}

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

let standIns: StandIns;
let imaging: ImagingStandIns;
let handler: Handler;
let jobs: DynamoJobStore;

async function call(options: Parameters<typeof apiEvent>[0]) {
  const res = await handler(apiEvent(options), lambdaContext(9_000));
  return { ...res, json: JSON.parse(res.body) };
}
const submit = (body: unknown, practiceId = 'practice-a', headers?: Record<string, string>) => call({ resource: '/v1/imaging/analyses', body, practiceId, headers });
const status = (jobId: string, practiceId = 'practice-a') =>
  call({ method: 'GET', resource: '/v1/imaging/analyses/{jobId}', path: `/v1/imaging/analyses/${jobId}`, pathParameters: { jobId }, practiceId });
const presign = (body: unknown, practiceId = 'practice-a') => call({ resource: '/v1/imaging/uploads', body, practiceId });

async function jobCount(): Promise<number> {
  const out = await standIns.dynamo.doc.send(new ScanCommand({ TableName: standIns.dynamo.tables.jobs, Select: 'COUNT' }));
  return out.Count ?? 0;
}

/** Jobs, stored images and queue messages: what a refused request must leave unchanged. */
async function footprint() {
  return { jobs: await jobCount(), images: (await imaging.objects.listKeys(imaging.bucket)).filter((k) => k.startsWith('images/')).length, queued: imaging.queue.depth().depth };
}

beforeAll(async () => {
  standIns = await startStandIns({ imaging: true });
  imaging = standIns.imaging!;
  handler = standIns.loadHandler<Handler>('imaging');
  jobs = new DynamoJobStore({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.jobs });
});
afterAll(() => standIns.close());
beforeEach(() => imaging.queue.purge());

describe('POST /v1/imaging/analyses with an inline image', () => {
  it.each([
    ['PNG', 'image/png', () => pngBytes(300, 200), 'png'],
    ['JPEG', 'image/jpeg', () => jpegBytes(320, 240), 'jpg'],
    ['DICOM', 'application/dicom', () => dicomBytes(128, 96), 'dcm'],
  ])('accepts a %s: 202, a queued job, the image stored, a reference queued', async (_label, contentType, bytes, extension) => {
    const image = bytes();
    const res = await submit({ modality: 'bitewing', image: { contentType, dataBase64: base64(image) } });
    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ jobId: expect.stringMatching(/^[0-9a-f]{32}$/), status: 'queued' });
    const { jobId } = res.json;

    const job = await jobs.get(jobId, 'practice-a');
    expect(job).toMatchObject({ status: 'queued', modality: 'bitewing', imageKey: `images/practice-a/${jobId}.${extension}`, attempts: 0 });
    const stored = await imaging.objects.getObject(imaging.bucket, job!.imageKey);
    expect(new Uint8Array(stored!.body)).toEqual(image);

    const messages = imaging.queue.peek();
    expect(messages.map((m) => JSON.parse(m.body))).toEqual([{ jobId, practiceId: 'practice-a' }]);

    const read = await status(jobId);
    expect(read.statusCode).toBe(200);
    expect(read.json).toEqual({ jobId, status: 'queued' });
  });

  it.each([
    ['a PNG declared as JPEG', { contentType: 'image/jpeg', dataBase64: base64(pngBytes(100, 100)) }, 400, /declared as image\/jpeg is actually a PNG/],
    ['a truncated DICOM', { contentType: 'application/dicom', dataBase64: base64(dicomBytes(128, 128).subarray(0, 2_000)) }, 400, /DICOM .*(truncated|holds \d+ bytes)/],
    ['a compressed DICOM', { contentType: 'application/dicom', dataBase64: base64(buildDicom({ rows: 96, columns: 96, transferSyntaxUid: '1.2.840.10008.1.2.4.50' })) }, 400, /JPEG Baseline.*not supported/],
    ['an image under 64×64', { contentType: 'image/png', dataBase64: base64(pngBytes(32, 32)) }, 400, /32.*64|64.*32/],
    ['invalid base64 (misplaced padding)', { contentType: 'image/png', dataBase64: 'iVBORw0KGgoR==' }, 400, /not valid base64/],
    ['invalid base64 (stray trailing bits)', { contentType: 'image/png', dataBase64: 'iVBORw0KGgp=' }, 400, /not valid base64/],
    ['bytes that are no image', { contentType: 'image/png', dataBase64: base64(new Uint8Array(512).fill(7)) }, 415, /not a JPEG, PNG or DICOM/],
    ['a JPEG with one byte of image data and an end-of-image marker', { contentType: 'image/jpeg', dataBase64: base64(jpegWithOneCodedByte(256, 256)) }, 400, /JPEG file is truncated: 1 bytes of image data cannot hold 256×256 pixels/],
    ['a JPEG cut at a restart marker', { contentType: 'image/jpeg', dataBase64: base64(jpegWithRestarts(128, 128, 100)) }, 400, /stops after 100 of 256 restart intervals/],
    ['a PNG with no IDAT chunk', { contentType: 'image/png', dataBase64: base64(Buffer.concat([pngBytes(100, 100).subarray(0, 33), pngChunk('IEND', new Uint8Array())])) }, 400, /no IDAT chunk/],
  ])('refuses %s with a clear 4xx and leaves nothing behind', async (_label, image, statusCode, message) => {
    const before = await footprint();
    const res = await submit({ modality: 'periapical', image });
    expect(res.statusCode).toBe(statusCode);
    expect(res.json.error.message).toMatch(message);
    expect(await footprint()).toEqual(before);
  });

  describe('answers 413 at every inline size above the limit', () => {
    const bodyLimit = ANALYSIS_MAX_BODY_BYTES;
    const bodyWith = (dataBase64: string) => JSON.stringify({ modality: 'panoramic', image: { contentType: 'image/png', dataBase64 } });
    /** Base64 of `bytes` bytes behind a PNG signature: sized exactly, whatever follows is never read. */
    const base64Of = (bytes: number) => {
      const data = Buffer.alloc(bytes, 0x41);
      data.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      return data.toString('base64');
    };
    const padTo = (bodyBytes: number) => {
      const overhead = bodyWith('').length;
      return 'A'.repeat(Math.floor((bodyBytes - overhead) / 4) * 4);
    };
    it.each([
      ['one byte over', () => base64Of(INLINE_IMAGE_MAX_BYTES + 1)],
      ['one base64 quantum over the longest base64 of the limit', () => base64Of(INLINE_IMAGE_MAX_BYTES + 3)],
      ['32 KiB over', () => base64Of(INLINE_IMAGE_MAX_BYTES + 32 * 1024)],
      ['a body just under the route body limit', () => padTo(bodyLimit)],
    ])('%s', async (_label, data) => {
      const dataBase64 = data();
      expect(bodyWith(dataBase64).length).toBeLessThanOrEqual(bodyLimit);
      const before = await footprint();
      const res = await call({ resource: '/v1/imaging/analyses', rawBody: bodyWith(dataBase64) });
      expect(res.statusCode).toBe(413);
      expect(res.json.error.code).toBe('PayloadTooLarge');
      expect(res.json.error.message).toMatch(/at most 4194304 bytes: upload it with POST \/v1\/imaging\/uploads/);
      expect(await footprint()).toEqual(before);
    });
    it.each([
      ['one byte over the route body limit', () => 'A'.repeat(bodyLimit + 1 - bodyWith('').length)],
      ['well above it (6 MB of image)', () => base64Of(6 * 1024 * 1024)],
    ])('%s', async (_label, data) => {
      const dataBase64 = data();
      expect(bodyWith(dataBase64).length).toBeGreaterThan(bodyLimit);
      const res = await call({ resource: '/v1/imaging/analyses', rawBody: bodyWith(dataBase64) });
      expect(res.statusCode).toBe(413);
      expect(res.json.error.message).toMatch(/this route accepts at most/);
    });
    it('accepts a base64 string at exactly the limit as far as its size goes', async () => {
      // 4 MiB of a real PNG would take long to build; a valid PNG padded after IEND is as large.
      const png = Buffer.from(pngBytes(80, 80));
      const padded = Buffer.concat([png, Buffer.alloc(INLINE_IMAGE_MAX_BYTES - png.length)]);
      const res = await submit({ modality: 'bitewing', image: { contentType: 'image/png', dataBase64: padded.toString('base64') } });
      expect(res.statusCode).toBe(202);
    });
  });

  it('refuses a body over the inline limit with 413 before reading it', async () => {
    const before = await footprint();
    const huge = 'A'.repeat(6 * 1024 * 1024);
    const res = await call({ resource: '/v1/imaging/analyses', rawBody: JSON.stringify({ modality: 'panoramic', image: { contentType: 'image/png', dataBase64: huge } }) });
    expect(res.statusCode).toBe(413);
    expect(res.json.error.message).toMatch(/at most/);
    expect(await footprint()).toEqual(before);
  });

  it('refuses a body with both or neither of image and uploadKey', async () => {
    const neither = await submit({ modality: 'bitewing' });
    const both = await submit({ modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(pngBytes(80, 80)) }, uploadKey: 'uploads/practice-a/0123456789abcdef0123456789abcdef.png' });
    for (const res of [neither, both]) {
      expect(res.statusCode).toBe(400);
      expect(res.json.error.message).toMatch(/exactly one of image/);
    }
  });

  it('replays the first answer for a retried Idempotency-Key and creates no second job', async () => {
    const body = { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(pngBytes(90, 90)) } };
    const first = await submit(body, 'practice-a', { 'Idempotency-Key': 'submit-xray-1' });
    const jobsAfterFirst = await jobCount();
    const retry = await submit(body, 'practice-a', { 'Idempotency-Key': 'submit-xray-1' });
    expect(first.statusCode).toBe(202);
    expect(retry.statusCode).toBe(202);
    expect(retry.json.jobId).toBe(first.json.jobId);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await jobCount()).toBe(jobsAfterFirst);
    expect(imaging.queue.depth().depth).toBe(1);

    const reused = await submit({ ...body, modality: 'panoramic' }, 'practice-a', { 'Idempotency-Key': 'submit-xray-1' });
    expect(reused.statusCode).toBe(422);
  });
});

describe('uploads', () => {
  it('presigns a size-limited POST; the uploaded image is analysed by its uploadKey', async () => {
    const image = pngBytes(400, 300);
    const presigned = await presign({ contentType: 'image/png', sizeBytes: image.length });
    expect(presigned.statusCode).toBe(200);
    expect(presigned.json).toEqual({
      uploadKey: expect.stringMatching(/^uploads\/practice-a\/[0-9a-f]{32}\.png$/),
      url: `${imaging.objects.endpoint}/${imaging.bucket}`,
      fields: expect.objectContaining({ 'Content-Type': 'image/png', Policy: expect.any(String), 'X-Amz-Signature': expect.any(String) }),
      expiresAt: expect.any(String),
      maxBytes: image.length,
    });
    expect(presigned.json.fields.key).toBe(presigned.json.uploadKey);
    expect(Date.parse(presigned.json.expiresAt)).toBeGreaterThan(Date.now());

    expect(await browserUpload(presigned.json, new Uint8Array(image.length + 1))).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect((await browserUpload(presigned.json, image)).status).toBe(204);

    const res = await submit({ modality: 'cephalometric', uploadKey: presigned.json.uploadKey });
    expect(res.statusCode).toBe(202);
    const job = await jobs.get(res.json.jobId, 'practice-a');
    expect(job).toMatchObject({ status: 'queued', modality: 'cephalometric', imageKey: presigned.json.uploadKey });
    expect(imaging.queue.peek().map((m) => JSON.parse(m.body))).toEqual([{ jobId: res.json.jobId, practiceId: 'practice-a' }]);
  });

  it('checks the uploaded bytes against the type the upload was asked for', async () => {
    const presigned = await presign({ contentType: 'image/jpeg', sizeBytes: 100_000 });
    expect((await browserUpload(presigned.json, pngBytes(100, 100))).status).toBe(204);
    const before = await footprint();
    const res = await submit({ modality: 'bitewing', uploadKey: presigned.json.uploadKey });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toMatch(/actually a PNG/);
    expect(await footprint()).toEqual(before);
  });

  it("answers another practice's upload key exactly like a key that was never uploaded", async () => {
    const image = pngBytes(100, 100);
    const presigned = await presign({ contentType: 'image/png', sizeBytes: image.length }, 'practice-b');
    expect((await browserUpload(presigned.json, image)).status).toBe(204);
    const before = await footprint();

    const stolen = await submit({ modality: 'bitewing', uploadKey: presigned.json.uploadKey }, 'practice-a');
    const neverUploaded = await submit({ modality: 'bitewing', uploadKey: (await presign({ contentType: 'image/png', sizeBytes: 10 })).json.uploadKey });
    const madeUp = await submit({ modality: 'bitewing', uploadKey: 'images/practice-a/0123456789abcdef0123456789abcdef.png' });
    for (const res of [stolen, neverUploaded, madeUp]) {
      expect(res.statusCode).toBe(400);
      expect(res.json.error.message).toMatch(/No upload with that key/);
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses with 413 an uploaded object over 25 MB, should one get into the bucket past the POST policy', async () => {
    const uploadKey = 'uploads/practice-a/00000000000000000000000000000025.png';
    const oversized = new Uint8Array(25 * 1024 * 1024 + 1);
    oversized.set(pngBytes(64, 64));
    // Written with the bucket owner's credentials, which no policy limits.
    const owner = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: imaging.objects.endpoint });
    await owner.send(new PutObjectCommand({ Bucket: imaging.bucket, Key: uploadKey, Body: oversized, ContentType: 'image/png' }));
    owner.destroy();
    const before = await footprint();
    const res = await submit({ modality: 'panoramic', uploadKey });
    expect(res.statusCode).toBe(413);
    expect(res.json.error.message).toMatch(/over 26214400 bytes/);
    expect(await footprint()).toEqual(before);
  });

  it('refuses an upload request over 25 MB', async () => {
    const res = await presign({ contentType: 'image/png', sizeBytes: 26 * 1024 * 1024 });
    expect(res.statusCode).toBe(400);
    expect(res.json.error.message).toMatch(/sizeBytes/);
  });
});

describe('GET /v1/imaging/analyses/{jobId}', () => {
  it("answers 404 for another practice's job, an unknown id and a malformed id", async () => {
    const created = await submit({ modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(pngBytes(80, 80)) } });
    expect((await status(created.json.jobId)).statusCode).toBe(200);
    for (const res of [await status(created.json.jobId, 'practice-b'), await status('0123456789abcdef0123456789abcdef'), await status('../../etc')]) {
      expect(res.statusCode).toBe(404);
      expect(res.json.error.code).toBe('NotFound');
    }
  });
});

describe('when the queue refuses the job', () => {
  it('answers 503, marks the job failed and removes its image', async () => {
    const broken = standIns.loadHandler<Handler>('imaging', 'handler', { IMAGING_QUEUE_URL: imaging.sqs.queueUrl('no-such-queue') });
    const before = await footprint();
    const res = await broken(
      apiEvent({ resource: '/v1/imaging/analyses', body: { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(pngBytes(70, 70)) } } }),
      lambdaContext(9_000),
    );
    expect(res.statusCode).toBe(503);
    expect(res.headers['Retry-After'] ?? res.headers['retry-after']).toBeDefined();
    const after = await footprint();
    expect(after.images).toBe(before.images);
    expect(after.queued).toBe(0);
    // The job row exists (ids are never reused) but can never be mistaken for pending work.
    const scan = await standIns.dynamo.doc.send(new ScanCommand({ TableName: standIns.dynamo.tables.jobs }));
    const notQueued = (scan.Items ?? []).filter((item) => item.errorCode === 'NotQueued');
    expect(notQueued).toHaveLength(1);
    expect(notQueued[0]!.status).toBe('failed');
  });
});
