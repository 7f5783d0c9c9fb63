/**
 * Issue 13: a presigned upload is held to its limits by the object store itself, not only by
 * the API afterwards. The real imaging API and worker modules run with the stack's environment
 * against the stand-ins; the file goes up as a browser sends it, a multipart/form-data POST over
 * a real socket to the local object store, which checks the signed policy as S3 does.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoJobStore } from '../../../functions/core/job-store';
import { S3ObjectStore } from '../../../functions/core/object-store';
import { ImagingJobIntake, UPLOAD_URL_TTL_SECONDS } from '../../../functions/imaging/job-intake';
import { UPLOAD_MAX_BYTES, uploadResponseSchema } from '../../../functions/imaging/schemas';
import { toSqsEvent } from '../../../local/sqs';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { browserUpload, policyOf, withTamperedPolicy, type PresignedUpload } from '../../support/browser-upload';
import { startStandIns, type ImagingStandIns, type StandIns } from '../../support/stand-ins';
import { pngBytes } from './radiographs';

type ApiHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
type Worker = (event: unknown, context: unknown) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

let standIns: StandIns;
let imaging: ImagingStandIns;
let api: ApiHandler;
let worker: Worker;
let jobs: DynamoJobStore;

async function call(resource: string, body: unknown, practiceId = 'practice-a') {
  const res = await api(apiEvent({ resource, body, practiceId }), lambdaContext(9_000));
  return { statusCode: res.statusCode, json: JSON.parse(res.body) };
}
const askForUpload = (contentType: string, sizeBytes: number, practiceId = 'practice-a') => call('/v1/imaging/uploads', { contentType, sizeBytes }, practiceId);
const submit = (uploadKey: string, practiceId = 'practice-a') => call('/v1/imaging/analyses', { modality: 'periapical', uploadKey }, practiceId);

/** One event source poll of the imaging queue into the real worker module. */
async function deliver(): Promise<void> {
  const batch = imaging.queue.receive(10);
  const response = await worker(toSqsEvent(imaging.queue, batch), lambdaContext(60_000));
  expect(response.batchItemFailures).toEqual([]);
  for (const message of batch) imaging.queue.delete(message.receiptHandle!);
}

/** A refused upload stores nothing, so the analysis that names its key is refused too. */
async function expectNothingStoredFor(upload: { uploadKey: string }) {
  expect(await imaging.objects.getObject(imaging.bucket, upload.uploadKey)).toBeUndefined();
  const res = await submit(upload.uploadKey);
  expect(res.statusCode).toBe(400);
  expect(res.json.error.message).toMatch(/No upload with that key/);
}

beforeAll(async () => {
  standIns = await startStandIns({ imaging: true });
  imaging = standIns.imaging!;
  api = standIns.loadHandler<ApiHandler>('imaging', 'handler');
  worker = standIns.loadHandler<Worker>('imaging', 'worker', { FUNCTION_ROLE: 'worker' });
  jobs = new DynamoJobStore({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.jobs });
});
afterAll(() => standIns.close());
beforeEach(() => imaging.queue.purge());

describe('POST /v1/imaging/uploads → browser POST → analysis by uploadKey', () => {
  it('takes an uploaded radiograph to a succeeded job', async () => {
    const image = pngBytes(640, 480);
    const upload = await askForUpload('image/png', image.length);
    expect(upload.statusCode).toBe(200);
    expect(uploadResponseSchema.safeParse(upload.json).success).toBe(true);

    const stored = await browserUpload(upload.json, image, { fileName: 'bitewing.png' });
    expect(stored.status).toBe(204);

    const accepted = await submit(upload.json.uploadKey);
    expect(accepted.statusCode).toBe(202);
    await deliver();
    const job = await jobs.get(accepted.json.jobId, 'practice-a');
    expect(job).toMatchObject({ status: 'succeeded', imageKey: upload.json.uploadKey });
    expect(job!.result).toMatchObject({ findings: expect.any(Array), summary: expect.any(String) });
  });

  it('signs content-length-range 1..the announced size, the exact key and the announced Content-Type', async () => {
    const upload = await askForUpload('application/dicom', UPLOAD_MAX_BYTES);
    const { conditions, expiration } = policyOf(upload.json.fields);
    expect(conditions).toEqual(
      expect.arrayContaining([['content-length-range', 1, UPLOAD_MAX_BYTES], { key: upload.json.uploadKey }, { 'Content-Type': 'application/dicom' }]),
    );
    expect(conditions).not.toContainEqual(expect.arrayContaining(['starts-with']));
    expect(upload.json.maxBytes).toBe(UPLOAD_MAX_BYTES);
    // The policy's expiry is the one announced (the policy has whole seconds, the two clocks read apart by milliseconds).
    expect(Math.abs(Date.parse(expiration) - Date.parse(upload.json.expiresAt))).toBeLessThan(2_000);
  });

  it('refuses a file one byte over the announced size with 400 EntityTooLarge', async () => {
    const image = pngBytes(200, 200);
    const upload = await askForUpload('image/png', image.length);
    const oversized = new Uint8Array(image.length + 1);
    oversized.set(image);
    expect(await browserUpload(upload.json, oversized)).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    await expectNothingStoredFor(upload.json);
  });

  it('refuses another Content-Type than the one announced with 403 AccessDenied', async () => {
    const image = pngBytes(120, 120);
    const upload = await askForUpload('image/png', image.length);
    expect(await browserUpload(upload.json, image, { fields: { 'Content-Type': 'text/html' } })).toMatchObject({ status: 403, code: 'AccessDenied' });
    await expectNothingStoredFor(upload.json);
  });

  it("refuses another key with 403 AccessDenied: a practice cannot write into another practice's uploads", async () => {
    const image = pngBytes(120, 120);
    const victim = await askForUpload('image/png', image.length, 'practice-b');
    const attacker = await askForUpload('image/png', image.length, 'practice-a');
    expect(await browserUpload(attacker.json, image, { fields: { key: victim.json.uploadKey } })).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(await imaging.objects.getObject(imaging.bucket, victim.json.uploadKey)).toBeUndefined();
    await expectNothingStoredFor(attacker.json);
  });

  it('refuses a policy edited after signing (a larger range) with 403 SignatureDoesNotMatch', async () => {
    const image = pngBytes(120, 120);
    const upload = await askForUpload('image/png', 10);
    const widened = withTamperedPolicy(upload.json.fields, (policy) => {
      policy.conditions = policy.conditions.map((c) => (Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 1, 5 * 1024 ** 3] : c));
    });
    expect(await browserUpload({ url: upload.json.url, fields: widened }, image)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    await expectNothingStoredFor(upload.json);
  });

  it('refuses an upload after the policy expired (intake and signer clocks set back past the TTL)', async () => {
    const backMs = (UPLOAD_URL_TTL_SECONDS + 60) * 1000;
    const client = new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', systemClockOffset: -backMs });
    const intake = new ImagingJobIntake({
      jobs: {} as never,
      queue: {} as never,
      images: new S3ObjectStore({ bucket: imaging.bucket, client }),
      readUpload: async () => undefined,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => Date.now() - backMs,
    });
    const image = pngBytes(120, 120);
    const upload = await intake.presignUpload('practice-a', { contentType: 'image/png', sizeBytes: image.length });
    expect(Date.parse(upload.expiresAt)).toBeLessThan(Date.now());
    const refused = await browserUpload(upload as PresignedUpload, image);
    expect(refused).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(refused.body).toContain('Policy expired');
    client.destroy();
    await expectNothingStoredFor(upload);
  });
});
