import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore, s3ClientFromEnv } from '../../../functions/core/object-store';
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

  it('presigns a POST whose signed policy names the key, the Content-Type and the size range', async () => {
    const { url, fields } = await store.presignPost('uploads/xray.png', 'image/png', 16, 300);
    expect(url).toBe(`${local.endpoint}/smartdental-images`);
    expect(fields).toMatchObject({ key: 'uploads/xray.png', 'Content-Type': 'image/png', bucket: 'smartdental-images', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' });
    const policy = JSON.parse(Buffer.from(fields.Policy!, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([['content-length-range', 1, 16], { key: 'uploads/xray.png' }, { 'Content-Type': 'image/png' }, { bucket: 'smartdental-images' }]),
    );
    const ttl = Date.parse(policy.expiration) - Date.now();
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);

    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([new Uint8Array(16).fill(7)]), 'xray.png');
    const ok = await fetch(url, { method: 'POST', body: form });
    expect(ok.status).toBe(204);
    expect(await store.get('uploads/xray.png')).toEqual(new Uint8Array(16).fill(7));
  });

  it('refuses a request signed with a secret the store does not know', async () => {
    const wrong = new S3Client({ endpoint: local.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'not-local' } });
    const intruder = new S3ObjectStore({ bucket: 'smartdental-images', client: wrong });
    await expect(intruder.put('uploads/forged.png', new Uint8Array([1]), 'image/png')).rejects.toThrow('image store is unavailable');
    expect(await local.getObject('smartdental-images', 'uploads/forged.png')).toBeUndefined();
    wrong.destroy();
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
