import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../../../functions/core/errors';
import { DynamoJobStore, ImagingJobExistsError, JOB_RETENTION_SECONDS } from '../../../functions/core/job-store';
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

  it('moves queued → running → succeeded, counting attempts, and keeps the result', async () => {
    const job = newJob();
    await store.create(job);
    expect(await store.markRunning(job.jobId, T0 + 1_000)).toBe(true);
    // A redelivery after a crashed attempt may run it again.
    expect(await store.markRunning(job.jobId, T0 + 2_000)).toBe(true);
    const result = { findings: [{ type: 'caries', toothNumber: '14', confidence: 0.82 }], summary: 'One carious lesion.' };
    expect(await store.succeed(job.jobId, result, T0 + 3_000)).toBe(true);
    expect(await store.get(job.jobId, 'practice-a')).toMatchObject({
      status: 'succeeded',
      attempts: 2,
      result,
      updatedAt: new Date(T0 + 3_000).toISOString(),
    });
  });

  it('finishes a job exactly once, even when many workers race to finish it', async () => {
    const job = newJob();
    await store.create(job);
    await store.markRunning(job.jobId, T0);
    const outcomes = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => store.succeed(job.jobId, { worker: i }, T0 + 1_000)),
      ...Array.from({ length: 10 }, () => store.fail(job.jobId, { code: 'ProviderUnavailable', message: 'every provider failed' }, T0 + 1_000)),
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
    expect(await store.markRunning(job.jobId, T0 + 1_000)).toBe(false);
    expect(await store.succeed(job.jobId, { late: true }, T0 + 1_000)).toBe(false);
    expect(await store.fail(job.jobId, { code: 'Other', message: 'second failure' }, T0 + 1_000)).toBe(false);
    expect(await store.get(job.jobId, 'practice-a')).toMatchObject({
      status: 'failed',
      attempts: 0,
      error: { code: 'InvalidImage', message: 'the image could not be decoded' },
    });
  });

  it('answers false for transitions of a job that does not exist, and creates nothing', async () => {
    expect(await store.markRunning('ghost', T0)).toBe(false);
    expect(await store.succeed('ghost', {}, T0)).toBe(false);
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
