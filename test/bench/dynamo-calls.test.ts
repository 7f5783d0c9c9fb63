import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallTimeline, coveredLength, requestProfile, roundTrips } from '../../bench/dynamo-calls';

describe('coveredLength', () => {
  it('counts overlapping calls once and gaps not at all', () => {
    expect(coveredLength([[0, 10], [5, 12], [20, 25]])).toBe(17);
  });

  it('ignores a call inside another and accepts any order', () => {
    expect(coveredLength([[20, 30], [0, 100], [40, 50]])).toBe(100);
  });

  it('is 0 for no calls', () => {
    expect(coveredLength([])).toBe(0);
  });
});

describe('roundTrips', () => {
  it('groups calls that overlapped into one round trip, and counts the ones one after another', () => {
    // Two calls together, then one alone, then three together (one starting inside the group).
    expect(roundTrips([[0, 10], [2, 8], [12, 20], [25, 30], [26, 40], [35, 41]])).toEqual([[0, 10], [12, 20], [25, 41]]);
  });

  it('treats a call that starts as the one before ends as the next round trip, in any order', () => {
    expect(roundTrips([[10, 20], [0, 10]])).toHaveLength(2);
    expect(roundTrips([])).toEqual([]);
  });
});

describe('requestProfile', () => {
  it('splits the round trips around the model call and counts only what the caller waited for after it', () => {
    const profile = requestProfile({
      // cache get, then admission (two together), the model, a settlement together with a cache put, and a counter after the answer
      dynamo: [[0, 4], [5, 9], [5, 8], [70, 74], [70, 75], [90, 94]],
      model: [[10, 60]],
      started: 0,
      callerDone: 80,
    });
    expect(profile).toEqual({ dynamoCalls: 6, roundTrips: 3, beforeModel: 2, afterModel: 1, dynamoWaitMs: 4 + 4 + 5 + 4, ownMs: 80 - (4 + 4 + 50 + 5) });
  });

  it('counts every round trip as before the model when no model was called (a cache hit)', () => {
    expect(requestProfile({ dynamo: [[0, 3], [4, 6]], model: [], started: 0, callerDone: 10 })).toMatchObject({ roundTrips: 2, beforeModel: 2, afterModel: 0, ownMs: 5 });
  });
});

describe('CallTimeline', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.write('first part ');
      // The body ends only when the client says so: the call lasts until its body is read.
      setImmediate(() => res.end('last part'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const viaHttp = () =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/', method: 'POST' }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end('{}');
    });

  it('sees node:http calls as DynamoDB calls and fetch calls as model calls, by port, each until its body was read', async () => {
    const dynamoSide = new CallTimeline(port);
    try {
      const before = performance.now();
      await viaHttp();
      await Promise.all([viaHttp(), viaHttp()]);
      const after = performance.now();
      await dynamoSide.settled();
      const { dynamo, model } = dynamoSide.take();
      expect(dynamo).toHaveLength(3);
      expect(model).toHaveLength(0);
      for (const [from, to] of dynamo) {
        expect(from).toBeGreaterThanOrEqual(before);
        expect(to).toBeLessThanOrEqual(after);
      }
      expect(dynamoSide.take().dynamo).toEqual([]);
    } finally {
      dynamoSide.close();
    }

    const modelSide = new CallTimeline(-1, port);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' });
      expect(await response.text()).toBe('first part last part');
      await modelSide.settled();
      expect(modelSide.take()).toEqual({ dynamo: [], model: [expect.any(Array)] });
    } finally {
      modelSide.close();
    }
  });

  it('ignores calls to other ports', async () => {
    const other = new CallTimeline(port + 1, port + 2);
    try {
      await viaHttp();
      await (await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' })).text();
      await other.settled();
      expect(other.take()).toEqual({ dynamo: [], model: [] });
    } finally {
      other.close();
    }
  });
});
