import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { cacheKey, normalisedJson, ResponseCache, type CacheScope } from '../../../functions/core/response-cache';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

let harness: DynamoHarness;
let now = Date.parse('2026-11-26T10:00:00Z');
let cache: ResponseCache;

const practiceA: CacheScope = { practiceId: 'practice-a', task: 'clinical', model: 'claude-sonnet-5-5' };
const practiceB: CacheScope = { ...practiceA, practiceId: 'practice-b' };
const input = { chiefComplaint: 'cold sensitivity', teeth: ['3', '14'], history: { allergies: ['penicillin'] } };
const answer = { differentials: [{ diagnosis: 'reversible pulpitis', confidence: 0.7 }] };

beforeAll(async () => {
  harness = await startDynamoHarness();
  cache = new ResponseCache({ doc: harness.doc, tableName: harness.tables.cache, clock: () => now });
});
afterAll(() => harness.close());

describe('cache keys', () => {
  it('treat the same input with keys in another order as one request', () => {
    const reordered = { history: { allergies: ['penicillin'] }, teeth: ['3', '14'], chiefComplaint: 'cold sensitivity' };
    expect(normalisedJson(reordered)).toBe(normalisedJson(input));
    expect(cacheKey(practiceA, reordered)).toBe(cacheKey(practiceA, input));
    expect(cacheKey(practiceA, { ...input, teeth: ['14', '3'] })).not.toBe(cacheKey(practiceA, input));
  });

  it('start with the practice, task and model, and hold only a hash of the input', () => {
    const key = cacheKey(practiceA, input);
    expect(key).toMatch(/^CACHE#practice-a#clinical#claude-sonnet-5-5#[0-9a-f]{64}$/);
    expect(key).not.toContain('penicillin');
    expect(cacheKey({ ...practiceA, model: 'chain#1' }, input)).toContain('#chain%231#');
  });

  it('refuse a practice id that could reach into another practice', () => {
    expect(() => cacheKey({ ...practiceA, practiceId: 'practice-b#clinical' }, input)).toThrow(/practice id/);
  });
});

describe('ResponseCache over dynalite', () => {
  it('answers a hit after a put, and a miss for other input, task or model', async () => {
    await cache.put(practiceA, input, answer, 900);
    expect(await cache.get(practiceA, { ...input })).toEqual(answer);
    expect(await cache.get(practiceA, { ...input, chiefComplaint: 'swelling' })).toBeUndefined();
    expect(await cache.get({ ...practiceA, task: 'billing' }, input)).toBeUndefined();
    expect(await cache.get({ ...practiceA, model: 'gpt-5.4' }, input)).toBeUndefined();
  });

  it('never serves one practice the answer of another', async () => {
    await cache.put(practiceA, input, answer, 900);
    expect(await cache.get(practiceB, input)).toBeUndefined();
    let calls = 0;
    const result = await cache.readThrough(practiceB, input, 900, async () => {
      calls += 1;
      return { differentials: [] };
    });
    expect(result).toEqual({ value: { differentials: [] }, source: 'computed' });
    expect(calls).toBe(1);
    expect(await cache.get(practiceA, input)).toEqual(answer);
  });

  it('ignores an entry past its expiration although TTL has not deleted it yet', async () => {
    const scope = { ...practiceA, task: 'scheduling' as const };
    await cache.put(scope, input, answer, 60);
    const stored = await harness.doc.send(new GetCommand({ TableName: harness.tables.cache, Key: { id: cacheKey(scope, input) } }));
    expect(stored.Item?.expiration).toBe(Math.floor(now / 1000) + 60);
    now += 59_000;
    expect(await cache.get(scope, input)).toEqual(answer);
    now += 1_000;
    expect(await cache.get(scope, input)).toBeUndefined();
  });

  it('stores the value it was given and nothing of the input but its hash', async () => {
    const scope = { ...practiceA, task: 'billing' as const };
    await cache.put(scope, { patientName: 'Jane Example' }, { narrative: 'crown on #3' }, 900);
    const stored = await harness.doc.send(new GetCommand({ TableName: harness.tables.cache, Key: { id: cacheKey(scope, { patientName: 'Jane Example' }) } }));
    expect(JSON.stringify(stored.Item)).not.toContain('Jane Example');
    expect(JSON.parse(stored.Item?.body as string)).toEqual({ narrative: 'crown on #3' });
  });

  it('does not cache an answer too large for one item', async () => {
    expect(await cache.put(practiceA, { big: true }, { text: 'x'.repeat(400_000) }, 900)).toBe(false);
    expect(await cache.get(practiceA, { big: true })).toBeUndefined();
  });
});

describe('in-flight dedup', () => {
  it('runs fn once for N identical concurrent calls and shares its result', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fn = async () => {
      calls += 1;
      await gate;
      return 42;
    };
    const results = Array.from({ length: 20 }, () => cache.shared('same-key', fn));
    release();
    expect(await Promise.all(results)).toEqual(Array(20).fill(42));
    expect(calls).toBe(1);
    // Once settled, the next call runs again.
    await cache.shared('same-key', fn);
    expect(calls).toBe(2);
  });

  it('shares a failure among the callers that joined it, and does not keep it', async () => {
    let calls = 0;
    const fn = async () => {
      calls += 1;
      throw new Error('provider down');
    };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => cache.shared('failing', fn)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
    await expect(cache.shared('failing', async () => 'ok')).resolves.toBe('ok');
  });

  it('readThrough makes one provider call for N identical concurrent requests, then answers from the cache', async () => {
    const scope: CacheScope = { practiceId: 'practice-c', task: 'chat', model: 'gpt-5.4-mini' };
    let providerCalls = 0;
    const compute = async () => {
      providerCalls += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { reply: 'Please call the practice.' };
    };
    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.readThrough(scope, { q: 'hours?' }, 300, compute)));
    expect(providerCalls).toBe(1);
    expect(answers.filter((a) => a.source === 'computed')).toHaveLength(1);
    expect(answers.filter((a) => a.source === 'in-flight')).toHaveLength(9);
    expect(new Set(answers.map((a) => JSON.stringify(a.value))).size).toBe(1);

    const later = await cache.readThrough(scope, { q: 'hours?' }, 300, compute);
    expect(later).toEqual({ value: { reply: 'Please call the practice.' }, source: 'cache' });
    expect(providerCalls).toBe(1);
  });
});

/**
 * Lambda runs one request per instance, so identical requests that arrive together meet only in
 * the table. Each `ResponseCache` here is one instance (its own in-memory map), all on one
 * dynalite table over the wire, with the real clock (leases are real time).
 */
describe('in-flight dedup across instances', () => {
  const instances = () => Array.from({ length: 6 }, () => new ResponseCache({ doc: harness.doc, tableName: harness.tables.cache }));
  const scope: CacheScope = { practiceId: 'practice-d', task: 'clinical', model: 'claude-sonnet-5-5' };
  let question = 0;
  const fresh = () => ({ q: `question ${++question}`, at: Date.now() });

  it('N instances asking the same question together make one provider call; the others wait for its answer', async () => {
    const input = fresh();
    let providerCalls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const compute = async () => {
      providerCalls += 1;
      await gate;
      return { answer: 'reversible pulpitis' };
    };
    const [first, ...others] = instances();
    const leader = first!.readThrough(scope, input, 300, compute);
    // The leader's claim is in the table before the others ask.
    await waitForItem(cacheKey(scope, input), (item) => typeof item.holder === 'string');
    const followers = others.map((instance) => instance.readThrough(scope, input, 300, compute, { maxWaitMs: 20_000 }));
    release();
    const answers = await Promise.all([leader, ...followers]);
    expect(providerCalls).toBe(1);
    expect(answers.map((a) => a.source)).toEqual(['computed', ...others.map(() => 'in-flight')]);
    expect(new Set(answers.map((a) => JSON.stringify(a.value)))).toEqual(new Set([JSON.stringify({ answer: 'reversible pulpitis' })]));
  });

  it('takes over the claim of an instance that died mid-call once its lease runs out, and asks the model itself', async () => {
    const input = fresh();
    const [dying, survivor] = instances();
    // The dying instance plants a short claim and never answers (its process was recycled).
    void dying!.readThrough(scope, input, 300, () => new Promise<never>(() => {}), { leaseMs: 300 });
    await waitForItem(cacheKey(scope, input), (item) => typeof item.holder === 'string');
    let providerCalls = 0;
    const answer = await survivor!.readThrough(scope, input, 300, async () => ((providerCalls += 1), { answer: 'taken over' }), { maxWaitMs: 20_000 });
    expect(answer).toEqual({ value: { answer: 'taken over' }, source: 'computed' });
    expect(providerCalls).toBe(1);
    expect(await survivor!.get(scope, input)).toEqual({ answer: 'taken over' });
  });

  it('a holder whose call fails gives its claim up at once, so a waiter asks the model without waiting out the lease', async () => {
    const input = fresh();
    const [failing, waiter] = instances();
    let fail!: (error: Error) => void;
    const failed = failing!.readThrough(scope, input, 300, () => new Promise<never>((_resolve, reject) => (fail = reject)), { leaseMs: 600_000 });
    await waitForItem(cacheKey(scope, input), (item) => typeof item.holder === 'string');
    const waited = waiter!.readThrough(scope, input, 300, async () => ({ answer: 'second try' }), { maxWaitMs: 60_000 });
    fail(new Error('provider down'));
    await expect(failed).rejects.toThrow('provider down');
    // The lease had ten minutes left; the waiter answers long before that.
    await expect(waited).resolves.toEqual({ value: { answer: 'second try' }, source: 'computed' });
  });

  it('a waiter out of patience asks the model itself rather than fail or hang', async () => {
    const input = fresh();
    const [slow, impatient] = instances();
    void slow!.readThrough(scope, input, 300, () => new Promise<never>(() => {}), { leaseMs: 600_000 });
    await waitForItem(cacheKey(scope, input), (item) => typeof item.holder === 'string');
    await expect(impatient!.readThrough(scope, input, 300, async () => ({ answer: 'own call' }), { maxWaitMs: 200 })).resolves.toEqual({ value: { answer: 'own call' }, source: 'computed' });
  });

  it('a cache hit is one lookup and plants no claim that would make the next caller wait', async () => {
    const input = fresh();
    const [writer, reader] = instances();
    await writer!.put(scope, input, { answer: 'cached' }, 300);
    for (let i = 0; i < 3; i++) expect(await reader!.readThrough(scope, input, 300, async () => ({ answer: 'never' }))).toEqual({ value: { answer: 'cached' }, source: 'cache' });
  });
});

/** open() is readThrough's first step, for a caller that sends its admission beside the lookup. */
describe('open', () => {
  const scope: CacheScope = { practiceId: 'practice-open', task: 'clinical', model: 'claude-sonnet-5-5' };

  it('claims an empty entry, makes a second caller wait for it, and a filled claim is the next hit', async () => {
    const input = { q: 'open then fill' };
    const first = await cache.open(scope, input, 300);
    expect(first.kind).toBe('claimed');
    const second = await new ResponseCache({ doc: harness.doc, tableName: harness.tables.cache, clock: () => now }).open(scope, input, 300, { maxWaitMs: 20_000 });
    expect(second.kind).toBe('held');
    if (first.kind !== 'claimed' || second.kind !== 'held') return;
    await first.fill({ answer: 'filled' });
    await expect(second.wait(async () => ({ answer: 'never asked' }))).resolves.toEqual({ value: { answer: 'filled' }, source: 'in-flight' });
    expect(await cache.open(scope, input, 300)).toEqual({ kind: 'hit', value: { answer: 'filled' } });
  });

  it('an abandoned claim (the admission was refused) leaves the entry free for the next caller at once', async () => {
    const input = { q: 'open then abandon' };
    const first = await cache.open(scope, input, 300, { leaseMs: 600_000 });
    if (first.kind !== 'claimed') throw new Error(`expected a claim, got ${first.kind}`);
    await first.abandon();
    expect((await cache.open(scope, input, 300)).kind).toBe('claimed');
  });
});

async function waitForItem(id: string, ready: (item: Record<string, unknown>) => boolean): Promise<void> {
  for (;;) {
    const { Item } = await harness.doc.send(new GetCommand({ TableName: harness.tables.cache, Key: { id }, ConsistentRead: true }));
    if (Item && ready(Item)) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
