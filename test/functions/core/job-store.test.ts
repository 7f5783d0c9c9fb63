import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../../../functions/core/errors';
import { DynamoJobStore, ImagingJobExistsError, JOB_RETENTION_SECONDS, WORKER_STOPPED } from '../../../functions/core/job-store';
import type { ImagingJob } from '../../../functions/core/ports';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

let harness: DynamoHarness;
let store: DynamoJobStore;
const T0 = Date.parse('2026-11-26T09:00:00Z');

beforeAll(async () => {
  harness = await startDynamoHarness();
  store = new DynamoJobStore({ doc: harness.doc, tableName: harness.tables.jobs });
});
afterAll(() => harness.close());

let sequence = 0;
function newJob(overrides: Partial<ImagingJob> = {}): ImagingJob {
  sequence += 1;
  return {
    jobId: `job-${sequence}`,
    practiceId: 'practice-a',
    status: 'queued',
    modality: 'bitewing',
    imageKey: `images/practice-a/job-${sequence}.png`,
    createdAt: new Date(T0).toISOString(),
    updatedAt: new Date(T0).toISOString(),
    attempts: 0,
    ...overrides,
  };
}

const lease = (id: string, until: number) => ({ id, until });
const rawItem = async (jobId: string) =>
  (await harness.doc.send(new GetCommand({ TableName: harness.tables.jobs, Key: { pk: `JOB#${jobId}` }, ConsistentRead: true }))).Item;

describe('DynamoJobStore', () => {
  it('creates a job once and reads it back for its own practice', async () => {
    const job = newJob();
    await store.create(job);
    await expect(store.create(job)).rejects.toBeInstanceOf(ImagingJobExistsError);
    expect(await store.get(job.jobId, 'practice-a')).toEqual(job);
    const raw = await harness.doc.send(new GetCommand({ TableName: harness.tables.jobs, Key: { pk: `JOB#${job.jobId}` } }));
    expect(raw.Item?.expiresAt).toBe(T0 / 1000 + JOB_RETENTION_SECONDS);
  });

  it("reads another practice's job, an unknown job and a malformed id as not found", async () => {
    const job = newJob();
    await store.create(job);
    expect(await store.get(job.jobId, 'practice-b')).toBeUndefined();
    expect(await store.get('job-does-not-exist', 'practice-a')).toBeUndefined();
    expect(await store.get('', 'practice-a')).toBeUndefined();
    expect(await store.get('x'.repeat(5000), 'practice-a')).toBeUndefined();
  });

  it('moves queued → running → succeeded under one lease, counting attempts, and keeps the result', async () => {
    const job = newJob();
    await store.create(job);
    expect(await store.claim(job.jobId, lease('a', T0 + 60_000), T0 + 1_000)).toEqual({ outcome: 'claimed', attempts: 1 });
    const result = { findings: [{ type: 'caries', toothNumber: '14', confidence: 0.82 }], summary: 'One carious lesion.' };
    expect(await store.succeed(job.jobId, result, T0 + 3_000, 'a')).toBe(true);
    expect(await store.get(job.jobId, 'practice-a')).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      result,
      updatedAt: new Date(T0 + 3_000).toISOString(),
    });
    // The lease goes with the final write: nothing is left to expire or to take over.
    expect((await rawItem(job.jobId))).not.toHaveProperty('leaseId');
    expect((await rawItem(job.jobId))).not.toHaveProperty('leaseUntil');
  });

  it('lets exactly one of many racing claims hold a job; the others learn until when it is held', async () => {
    const job = newJob();
    await store.create(job);
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => store.claim(job.jobId, lease(`w${i}`, T0 + 60_000), T0)));
    expect(claims.filter((c) => c.outcome === 'claimed')).toEqual([{ outcome: 'claimed', attempts: 1 }]);
    expect(claims.filter((c) => c.outcome === 'held')).toHaveLength(11);
    for (const c of claims) if (c.outcome === 'held') expect(c.until).toBe(T0 + 60_000);
    expect(await store.get(job.jobId, 'practice-a')).toMatchObject({ status: 'running', attempts: 1 });
  });

  it('lets the next delivery take over a job whose lease ran out, and keeps the dead holder from finishing it', async () => {
    const job = newJob();
    await store.create(job);
    expect((await store.claim(job.jobId, lease('crashed', T0 + 5_000), T0)).outcome).toBe('claimed');
    // Still held a millisecond before the lease ends, taken over once it has.
    expect(await store.claim(job.jobId, lease('next', T0 + 70_000), T0 + 4_999)).toEqual({ outcome: 'held', until: T0 + 5_000 });
    expect(await store.claim(job.jobId, lease('next', T0 + 70_000), T0 + 5_001)).toEqual({ outcome: 'claimed', attempts: 2 });
    expect(await store.succeed(job.jobId, { late: true }, T0 + 6_000, 'crashed')).toBe(false);
    expect(await store.release(job.jobId, 'crashed', T0 + 6_000)).toBe(false);
    expect(await store.fail(job.jobId, { code: 'Other', message: 'no lease' }, T0 + 6_000)).toBe(false);
    expect(await store.succeed(job.jobId, { findings: [] }, T0 + 7_000, 'next')).toBe(true);
    expect(await store.get(job.jobId, 'practice-a')).toMatchObject({ status: 'succeeded', attempts: 2, result: { findings: [] } });
  });

  it('takes over a running job written before leases existed', async () => {
    const job = newJob({ status: 'running', attempts: 1 });
    await store.create(job);
    expect(await store.claim(job.jobId, lease('a', T0 + 60_000), T0)).toEqual({ outcome: 'claimed', attempts: 2 });
  });

  it('puts a released job back to queued, so it reads truthfully while it waits and any delivery may claim it', async () => {
    const job = newJob();
    await store.create(job);
    await store.claim(job.jobId, lease('a', T0 + 60_000), T0);
    expect(await store.release(job.jobId, 'someone-else', T0 + 1_000)).toBe(false);
    expect(await store.release(job.jobId, 'a', T0 + 1_000)).toBe(true);
    expect(await store.release(job.jobId, 'a', T0 + 1_000)).toBe(false);
    expect(await store.get(job.jobId, 'practice-a')).toMatchObject({ status: 'queued', attempts: 1, updatedAt: new Date(T0 + 1_000).toISOString() });
    expect(await rawItem(job.jobId)).not.toHaveProperty('leaseUntil');
    // Long before the old lease would have ended.
    expect(await store.claim(job.jobId, lease('b', T0 + 60_000), T0 + 2_000)).toEqual({ outcome: 'claimed', attempts: 2 });
  });

  it('fails a job whose worker died on the last delivery at the first read after its lease, once', async () => {
    let clock = T0;
    const reader = new DynamoJobStore({ doc: harness.doc, tableName: harness.tables.jobs, now: () => clock });
    const job = newJob();
    await store.create(job);
    await store.claim(job.jobId, { id: 'last', until: T0 + 5_000, lastDelivery: true }, T0);
    clock = T0 + 4_000;
    expect(await reader.get(job.jobId, 'practice-a')).toMatchObject({ status: 'running' });
    clock = T0 + 5_001;
    const reads = await Promise.all([reader.get(job.jobId, 'practice-a'), reader.get(job.jobId, 'practice-a')]);
    for (const read of reads) expect(read).toMatchObject({ status: 'failed', error: WORKER_STOPPED, updatedAt: new Date(T0 + 5_001).toISOString() });
    expect(await reader.get(job.jobId, 'practice-b')).toBeUndefined();

    // An earlier delivery's lease running out leaves the job to the next delivery instead.
    const earlier = newJob();
    await store.create(earlier);
    await store.claim(earlier.jobId, { id: 'first', until: T0 + 5_000, lastDelivery: false }, T0);
    expect(await reader.get(earlier.jobId, 'practice-a')).toMatchObject({ status: 'running' });
    // Released on the last delivery (throttled): it waits for its re-sent copy, not failed.
    await store.claim(earlier.jobId, { id: 'last', until: T0 + 9_000, lastDelivery: true }, T0 + 6_000);
    await store.release(earlier.jobId, 'last', T0 + 6_500);
    clock = T0 + 10_000;
    expect(await reader.get(earlier.jobId, 'practice-a')).toMatchObject({ status: 'queued' });
  });

  it('fails a job without a lease only while nobody holds it', async () => {
    const queued = newJob();
    await store.create(queued);
    expect(await store.fail(queued.jobId, { code: 'NotQueued', message: 'the queue refused it' }, T0)).toBe(true);

    const held = newJob();
    await store.create(held);
    await store.claim(held.jobId, lease('a', T0 + 60_000), T0);
    expect(await store.fail(held.jobId, { code: 'Other', message: 'from a duplicate' }, T0 + 1_000)).toBe(false);
    expect(await store.get(held.jobId, 'practice-a')).toMatchObject({ status: 'running' });
    expect(await store.fail(held.jobId, { code: 'Other', message: 'after the lease' }, T0 + 60_001)).toBe(true);
  });

  it('finishes a job exactly once, even when many workers race to finish it', async () => {
    const job = newJob();
    await store.create(job);
    await store.claim(job.jobId, lease('holder', T0 + 60_000), T0);
    const outcomes = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => store.succeed(job.jobId, { worker: i }, T0 + 1_000, 'holder')),
      ...Array.from({ length: 10 }, () => store.fail(job.jobId, { code: 'ProviderUnavailable', message: 'every provider failed' }, T0 + 1_000, 'holder')),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    const final = await store.get(job.jobId, 'practice-a');
    expect(['succeeded', 'failed']).toContain(final?.status);
    // The loser left no trace of itself.
    expect(final?.status === 'succeeded' ? final.error : final?.result).toBeUndefined();
  });

  it('does not run or reopen a final job', async () => {
    const job = newJob();
    await store.create(job);
    expect(await store.fail(job.jobId, { code: 'InvalidImage', message: 'the image could not be decoded' }, T0 + 500)).toBe(true);
    expect(await store.claim(job.jobId, lease('a', T0 + 60_000), T0 + 1_000)).toEqual({ outcome: 'final' });
    expect(await store.succeed(job.jobId, { late: true }, T0 + 1_000)).toBe(false);
    expect(await store.fail(job.jobId, { code: 'Other', message: 'second failure' }, T0 + 1_000)).toBe(false);
    expect(await store.release(job.jobId, 'a', T0 + 1_000)).toBe(false);
    expect(await store.get(job.jobId, 'practice-a')).toMatchObject({
      status: 'failed',
      attempts: 0,
      error: { code: 'InvalidImage', message: 'the image could not be decoded' },
    });
  });

  it('answers false for transitions of a job that does not exist, and creates nothing', async () => {
    expect(await store.claim('ghost', lease('a', T0 + 60_000), T0)).toEqual({ outcome: 'missing' });
    expect(await store.release('ghost', 'a', T0)).toBe(false);
    expect(await store.succeed('ghost', {}, T0)).toBe(false);
    expect(await store.succeed('ghost', {}, T0, 'a')).toBe(false);
    expect(await store.fail('ghost', { code: 'x', message: 'y' }, T0)).toBe(false);
    const raw = await harness.doc.send(new GetCommand({ TableName: harness.tables.jobs, Key: { pk: 'JOB#ghost' } }));
    expect(raw.Item).toBeUndefined();
  });

  it('answers a typed 503 when DynamoDB is down', async () => {
    const down = await startDynamoHarness();
    const downStore = new DynamoJobStore({ doc: down.doc, tableName: down.tables.jobs });
    await down.close();
    await expect(downStore.create(newJob())).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
