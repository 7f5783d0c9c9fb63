import { S3Client } from '@aws-sdk/client-s3';
import { MAX_BYTES_QUERY, S3ObjectStore, s3ClientFromEnv } from '../../../functions/core/object-store';
import { startObjectStore, type LocalObjectStore } from '../../../local/object-store';

describe('S3ObjectStore against the local object store', () => {
  let local: LocalObjectStore;
  let client: S3Client;
  let store: S3ObjectStore;

  beforeAll(async () => {
    local = await startObjectStore({ port: 0 });
    client = new S3Client({
      endpoint: local.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    store = new S3ObjectStore({ bucket: 'smartdental-images', client });
  });
  afterAll(async () => {
    client.destroy();
    await local.close();
  });

  it('puts, gets and deletes an object', async () => {
    const body = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    await store.put('practice-demo/img-1.jpg', body, 'image/jpeg');
    expect(await store.get('practice-demo/img-1.jpg')).toEqual(body);
    expect((await local.getObject('smartdental-images', 'practice-demo/img-1.jpg'))?.contentType).toBe('image/jpeg');
    await store.delete('practice-demo/img-1.jpg');
    expect(await store.get('practice-demo/img-1.jpg')).toBeUndefined();
  });

  it('answers undefined for a missing key', async () => {
    expect(await store.get('nothing/here.png')).toBeUndefined();
  });

  it('presigns a PUT that a plain HTTP client can upload to, within the signed limit', async () => {
    const url = await store.presignPut('uploads/xray.png', 'image/png', 16, 300);
    expect(new URL(url).searchParams.get(MAX_BYTES_QUERY)).toBe('16');
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');

    const ok = await fetch(url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(16).fill(7) });
    expect(ok.status).toBe(200);
    expect(await store.get('uploads/xray.png')).toEqual(new Uint8Array(16).fill(7));

    const tooLarge = await fetch(url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(17) });
    expect(tooLarge.status).toBe(400);
    expect(await tooLarge.text()).toContain('EntityTooLarge');
  });

  it('refuses an expired presigned URL', async () => {
    const url = new URL(await store.presignPut('uploads/old.png', 'image/png', 16, 60));
    url.searchParams.set('X-Amz-Date', '20200101T000000Z');
    const response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: new Uint8Array(4) });
    expect(response.status).toBe(403);
  });

  it('uses path-style addressing when AWS_ENDPOINT_URL_S3 is set', async () => {
    const fromEnv = s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: local.endpoint });
    expect(await fromEnv.config.forcePathStyle).toBe(true);
    fromEnv.destroy();
    const aws = s3ClientFromEnv({});
    expect(await aws.config.forcePathStyle).toBe(false);
    aws.destroy();
  });
});
