import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startObjectStore } from '../../local/object-store';

describe('local object store', () => {
  it('keeps objects in a folder across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'objects-'));
    try {
      const first = await startObjectStore({ dataDir });
      const put = await fetch(`${first.endpoint}/bucket/a/b.png`, { method: 'PUT', headers: { 'content-type': 'image/png' }, body: 'png-bytes' });
      expect(put.status).toBe(200);
      await first.close();

      const second = await startObjectStore({ dataDir });
      const get = await fetch(`${second.endpoint}/bucket/a/b.png`);
      expect(get.status).toBe(200);
      expect(get.headers.get('content-type')).toBe('image/png');
      expect(await get.text()).toBe('png-bytes');
      expect(await second.listKeys('bucket')).toEqual(['a/b.png']);
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('enforces the configured maximum object size', async () => {
    const store = await startObjectStore({ maxObjectBytes: 4 });
    try {
      const response = await fetch(`${store.endpoint}/bucket/big`, { method: 'PUT', body: '12345' });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('<Code>EntityTooLarge</Code>');
      expect(await store.getObject('bucket', 'big')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('answers 404 NoSuchKey for a missing object', async () => {
    const store = await startObjectStore();
    try {
      const response = await fetch(`${store.endpoint}/bucket/missing`);
      expect(response.status).toBe(404);
      expect(await response.text()).toContain('<Code>NoSuchKey</Code>');
    } finally {
      await store.close();
    }
  });
});
