import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { S3ObjectStore } from '../../functions/core/object-store';
import { startObjectStore, type LocalObjectStore } from '../../local/object-store';
import { browserUpload, policyOf, withTamperedPolicy } from '../support/browser-upload';

const BUCKET = 'bucket';

function clientFor(store: LocalObjectStore, options: { secret?: string; clockOffsetMs?: number } = {}): S3Client {
  return new S3Client({
    endpoint: store.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: options.secret ?? 'local' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    systemClockOffset: options.clockOffsetMs ?? 0,
  });
}

async function s3Error(promise: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to be refused');
}

describe('local object store', () => {
  it('keeps objects in a folder across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'objects-'));
    try {
      const first = await startObjectStore({ dataDir });
      const writer = clientFor(first);
      await writer.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a/b.png', Body: 'png-bytes', ContentType: 'image/png' }));
      writer.destroy();
      await first.close();

      const second = await startObjectStore({ dataDir });
      const reader = clientFor(second);
      const got = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a/b.png' }));
      expect(got.ContentType).toBe('image/png');
      expect(await got.Body!.transformToString()).toBe('png-bytes');
      expect(await second.listKeys(BUCKET)).toEqual(['a/b.png']);
      reader.destroy();
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  describe('signed requests', () => {
    let store: LocalObjectStore;
    let client: S3Client;
    beforeAll(async () => {
      store = await startObjectStore({ maxObjectBytes: 64 });
      client = clientFor(store);
    });
    afterAll(async () => {
      client.destroy();
      await store.close();
    });

    it('enforces the configured maximum object size', async () => {
      expect(await s3Error(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big', Body: new Uint8Array(65) })))).toEqual({ name: 'EntityTooLarge', status: 400 });
      expect(await store.getObject(BUCKET, 'big')).toBeUndefined();
    });

    it('answers 404 NoSuchKey for a missing object', async () => {
      expect(await s3Error(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'missing' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    });

    it('refuses unsigned requests, as a private bucket does', async () => {
      const put = await fetch(`${store.endpoint}/${BUCKET}/anonymous.png`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: 'x' });
      expect(put.status).toBe(403);
      expect(await put.text()).toContain('<Code>AccessDenied</Code>');
      expect(await store.getObject(BUCKET, 'anonymous.png')).toBeUndefined();
    });

    it('refuses a request signed with the wrong secret, and a body that is not the signed one', async () => {
      const forger = clientFor(store, { secret: 'guessed' });
      expect(await s3Error(forger.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'forged', Body: 'x' })))).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
      forger.destroy();

      // A signed PUT whose body is swapped in flight: the signature covers the SHA-256 of the body.
      const swapper = clientFor(store);
      swapper.middlewareStack.add(
        (next) => async (args) => {
          (args.request as { body: unknown }).body = Buffer.from('y');
          return next(args);
        },
        { step: 'finalizeRequest', name: 'swapBody', priority: 'low' },
      );
      expect(await s3Error(swapper.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'swapped', Body: 'x' })))).toEqual({ name: 'XAmzContentSHA256Mismatch', status: 400 });
      swapper.destroy();
      expect(await store.listKeys(BUCKET)).toEqual([]);
    });

    it('serves a presigned GET only with its signature intact and before it expires', async () => {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'shared.png', Body: 'png', ContentType: 'image/png' }));
      const url = new URL(await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.png' }), { expiresIn: 60 }));
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('png');

      const otherKey = new URL(url);
      otherKey.pathname = `/${BUCKET}/other.png`;
      expect((await fetch(otherKey)).status).toBe(403);

      const longer = new URL(url);
      longer.searchParams.set('X-Amz-Expires', '604800');
      const tampered = await fetch(longer);
      expect(tampered.status).toBe(403);
      expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');

      const signedAnHourAgo = { expiresIn: 60, signingDate: new Date(Date.now() - 3_600_000) };
      const expired = await fetch(await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'shared.png' }), signedAnHourAgo));
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain('Request has expired');
    });
  });

  describe('browser POST uploads under a signed policy', () => {
    let store: LocalObjectStore;
    let client: S3Client;
    let images: S3ObjectStore;
    const file = (size: number) => new Uint8Array(size).fill(0x42);

    beforeAll(async () => {
      store = await startObjectStore();
      client = clientFor(store);
      images = new S3ObjectStore({ bucket: BUCKET, client });
    });
    afterAll(async () => {
      client.destroy();
      await store.close();
    });

    it('stores a file within the range under the policy key and Content-Type, answering 204', async () => {
      const upload = await images.presignPost('uploads/p/exact.png', 'image/png', 100, 300);
      const result = await browserUpload(upload, file(100));
      expect(result.status).toBe(204);
      const stored = await store.getObject(BUCKET, 'uploads/p/exact.png');
      expect(stored?.contentType).toBe('image/png');
      expect(stored?.body).toEqual(Buffer.from(file(100)));
    });

    it('answers success_action_status 201 with S3 PostResponse XML when the policy allows that field', async () => {
      const { url, fields } = await createPresignedPostWith201(client, 'uploads/p/created.png');
      const result = await browserUpload({ url, fields }, file(1));
      expect(result.status).toBe(201);
      expect(result.body).toContain('<Key>uploads/p/created.png</Key>');
    });

    it('refuses a file one byte over the announced size with 400 EntityTooLarge, and an empty one with EntityTooSmall', async () => {
      const upload = await images.presignPost('uploads/p/big.png', 'image/png', 100, 300);
      const tooLarge = await browserUpload(upload, file(101));
      expect(tooLarge).toMatchObject({ status: 400, code: 'EntityTooLarge' });
      expect(tooLarge.body).toContain('<MaxSizeAllowed>100</MaxSizeAllowed>');
      expect(tooLarge.body).toContain('<ProposedSize>101</ProposedSize>');
      expect(await browserUpload(upload, file(0))).toMatchObject({ status: 400, code: 'EntityTooSmall' });
      expect(await store.getObject(BUCKET, 'uploads/p/big.png')).toBeUndefined();
    });

    it('refuses another key or Content-Type than the policy names with 403 AccessDenied', async () => {
      const upload = await images.presignPost('uploads/p/mine.png', 'image/png', 100, 300);
      const otherKey = await browserUpload(upload, file(10), { fields: { key: 'uploads/other-practice/theirs.png' } });
      expect(otherKey).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(otherKey.body).toContain('[&#34;eq&#34;, &#34;$key&#34;, &#34;uploads/p/mine.png&#34;]');
      const otherType = await browserUpload(upload, file(10), { fields: { 'Content-Type': 'text/html' } });
      expect(otherType).toMatchObject({ status: 403, code: 'AccessDenied' });
      const extraField = await browserUpload(upload, file(10), { fields: { 'x-amz-meta-patient': 'someone' } });
      expect(extraField).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(extraField.body).toContain('Extra input fields: x-amz-meta-patient');
      expect(await store.listKeys(BUCKET)).not.toEqual(expect.arrayContaining(['uploads/other-practice/theirs.png', 'uploads/p/mine.png']));
    });

    it('refuses an expired policy (signed by a client whose clock is an hour behind)', async () => {
      const past = new S3ObjectStore({ bucket: BUCKET, client: clientFor(store, { clockOffsetMs: -3_600_000 }) });
      const upload = await past.presignPost('uploads/p/late.png', 'image/png', 100, 900);
      expect(Date.parse(policyOf(upload.fields).expiration)).toBeLessThan(Date.now());
      const result = await browserUpload(upload, file(10));
      expect(result).toMatchObject({ status: 403, code: 'AccessDenied' });
      expect(result.body).toContain('Policy expired');
      expect(await store.getObject(BUCKET, 'uploads/p/late.png')).toBeUndefined();
    });

    it('refuses a policy edited after signing, and one signed with an unknown secret', async () => {
      const upload = await images.presignPost('uploads/p/edited.png', 'image/png', 100, 300);
      const bigger = withTamperedPolicy(upload.fields, (policy) => {
        policy.conditions = policy.conditions.map((c) => (Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 1, 5 * 1024 ** 3] : c));
      });
      expect(await browserUpload({ url: upload.url, fields: bigger }, file(101))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });

      const forged = new S3ObjectStore({ bucket: BUCKET, client: clientFor(store, { secret: 'guessed' }) });
      expect(await browserUpload(await forged.presignPost('uploads/p/edited.png', 'image/png', 100, 300), file(10))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
      expect(await store.getObject(BUCKET, 'uploads/p/edited.png')).toBeUndefined();
    });

    it('judges the expiry by its own clock', async () => {
      const later = await startObjectStore({ now: () => Date.now() + 16 * 60 * 1000 });
      try {
        const laterClient = clientFor(later);
        const upload = await new S3ObjectStore({ bucket: BUCKET, client: laterClient }).presignPost('uploads/p/slow.png', 'image/png', 100, 15 * 60);
        expect(await browserUpload(upload, file(10))).toMatchObject({ status: 403, code: 'AccessDenied' });
        laterClient.destroy();
      } finally {
        await later.close();
      }
    });

    it('refuses a POST that is not multipart/form-data with 412, over a raw socket', async () => {
      const { port } = new URL(store.endpoint);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: `/${BUCKET}`, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{"key":"uploads/p/x.png"}');
      });
      expect(status).toBe(412);
    });
  });
});

/** A policy that also allows `success_action_status: 201`, as a form asking for S3's XML answer would carry. */
async function createPresignedPostWith201(client: S3Client, key: string) {
  const { createPresignedPost } = await import('@aws-sdk/s3-presigned-post');
  return createPresignedPost(client, { Bucket: BUCKET, Key: key, Fields: { success_action_status: '201' }, Conditions: [['content-length-range', 1, 10]], Expires: 60 });
}
