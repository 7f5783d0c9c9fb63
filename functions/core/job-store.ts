/**
 * Imaging jobs in DynamoDB (`pk = JOB#<jobId>`). Every transition is one conditional write, so a
 * redelivered or duplicated queue message cannot move a job backwards, run it twice at once, or
 * finish it twice:
 *
 *   create   only when the id is new
 *   claim    queued, or running under an expired lease → running under a new lease
 *            (`leaseId`, `leaseUntil` epoch ms), counting the attempt
 *   release  running under this lease → queued (a throttled or failed attempt waiting to come back)
 *   succeed/fail
 *            with a lease: only while that lease holds the job; without one: only while no live
 *            lease holds it. Never once final; the first one wins, later ones get `false`
 *
 * The lease runs until the claiming worker is killed by its Lambda timeout, so a copy of the same
 * message delivered meanwhile finds it held, and a delivery after a crash finds it expired and
 * takes over. A worker killed on the message's last delivery leaves nobody to take over (the
 * message goes to the dead-letter queue): the first read after that lease ran out fails the job
 * with `WorkerStopped`, one conditional write, so it never reads `running` for ever. Jobs expire (`expiresAt`, epoch seconds) 30 days after they were created or finished.
 *
 * Each practice has one in-flight item (`pk = INFLIGHT#<practiceId>`): the decoded pixels and the
 * count of its unfinished jobs, and one attribute per job (`j_<jobId>` = its pixels and when it was
 * reserved). A reservation is one conditional write that adds the job only while the sum stays
 * within the budget, so concurrent submissions land exactly; a job's final transition (whoever
 * makes it: the worker, the dead-letter path, a read after a dead worker) removes its attribute and
 * subtracts its pixels in one write that only happens while the attribute exists, so it is given
 * back exactly once. Whatever a crash left held (a job that finished while the release could not be
 * written, a reservation whose job was never created, a dead worker's job nobody read) is swept
 * when a reservation is refused: jobs that are final, missing or abandoned give their pixels back.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from './errors';
import type { ImagingJob, ImagingJobStatus, InflightBudget, JobClaim, JobLease, JobStore, PixelReservation } from './ports';

export const JOB_RETENTION_SECONDS = 30 * 24 * 3600;

/** A job id was reused: a caller bug (ids are generated), never a caller's input. */
export class ImagingJobExistsError extends Error {
  override name = 'ImagingJobExistsError';
}

export interface DynamoJobStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Clock for reading leases. @default Date.now */
  now?: () => number;
}

/** What a job reads when its worker was killed on the last delivery of its message. */
export const WORKER_STOPPED = {
  code: 'WorkerStopped',
  message: 'The analysis was stopped on its last attempt before it finished (the worker ran out of time or memory)',
} as const;

const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}` });
const inflightKey = (practiceId: string) => ({ pk: `INFLIGHT#${practiceId}` });
const ENTRY_PREFIX = 'j_';
/** A reservation younger than this may have its job still being created (the API function's timeout is seconds). */
export const RESERVATION_SETTLE_MS = 60_000;
/** Entries a refused reservation looks at, oldest first (one GetItem each, in parallel). */
const SWEEP_BATCH = 25;

interface InflightEntry {
  px: number;
  at: number;
}

/**
 * Nobody is working on the job: queued, or running under a lease that has run out (its worker was
 * killed). A running job without a lease predates leases and counts as abandoned.
 */
const UNHELD = '(#status = :queued OR (#status = :running AND (attribute_not_exists(leaseUntil) OR leaseUntil < :nowMs)))';

/** Ids come from the URL; DynamoDB refuses empty or huge keys with an error that is not the caller's. */
const LOOKUP_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class DynamoJobStore implements JobStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;

  constructor(options: DynamoJobStoreOptions) {
    this.doc = options.doc;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
  }

  async create(job: ImagingJob): Promise<void> {
    const item = {
      ...jobKey(job.jobId),
      jobId: job.jobId,
      practiceId: job.practiceId,
      status: job.status,
      modality: job.modality,
      imageKey: job.imageKey,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      attempts: job.attempts,
      pixels: job.pixels,
      resultJson: job.result === undefined ? undefined : JSON.stringify(job.result),
      errorCode: job.error?.code,
      errorMessage: job.error?.message,
      expiresAt: Math.floor(Date.parse(job.createdAt) / 1000) + JOB_RETENTION_SECONDS,
    };
    const command = new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' });
    const created = await this.conditional(() => this.doc.send(command));
    if (!created) throw new ImagingJobExistsError(`imaging job ${job.jobId} already exists`);
  }

  async get(jobId: string, practiceId: string): Promise<ImagingJob | undefined> {
    if (!LOOKUP_ID.test(jobId)) return undefined;
    let item = await this.read(jobId);
    // Another practice's job reads exactly like a job that does not exist.
    if (!item || item.practiceId !== practiceId) return undefined;
    const now = this.now();
    if (item.status === 'running' && item.lastDelivery === true && Number(item.leaseUntil) < now) {
      // Whether this write or a concurrent reader's wins, the job is failed once; read what won.
      await this.fail(jobId, WORKER_STOPPED, now);
      item = (await this.read(jobId)) ?? item;
    }
    const job: ImagingJob = {
      jobId: String(item.jobId),
      practiceId: String(item.practiceId),
      status: item.status as ImagingJobStatus,
      modality: String(item.modality),
      imageKey: String(item.imageKey),
      createdAt: String(item.createdAt),
      updatedAt: String(item.updatedAt),
      attempts: Number(item.attempts ?? 0),
    };
    if (typeof item.pixels === 'number') job.pixels = item.pixels;
    if (typeof item.resultJson === 'string') job.result = JSON.parse(item.resultJson);
    if (typeof item.errorCode === 'string') job.error = { code: item.errorCode, message: String(item.errorMessage ?? '') };
    return job;
  }

  async claim(jobId: string, lease: JobLease, now: number): Promise<JobClaim> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #status = :running, leaseId = :lease, leaseUntil = :until, lastDelivery = :last, updatedAt = :now ADD attempts :one',
      ConditionExpression: `attribute_exists(pk) AND ${UNHELD}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':queued': 'queued',
        ':lease': lease.id,
        ':until': lease.until,
        ':last': lease.lastDelivery === true,
        ':nowMs': now,
        ':now': new Date(now).toISOString(),
        ':one': 1,
      },
      ReturnValues: 'ALL_NEW',
    });
    let attempts: number | undefined;
    const claimed = await this.conditional(async () => {
      attempts = Number((await this.doc.send(command)).Attributes?.attempts ?? 0);
    });
    if (claimed) return { outcome: 'claimed', attempts: attempts ?? 0 };
    // Why it lost decides what the message does next; the write above alone decided who runs.
    const item = await this.read(jobId);
    if (!item) return { outcome: 'missing' };
    if (item.status === 'succeeded' || item.status === 'failed') return { outcome: 'final' };
    return { outcome: 'held', until: Number(item.leaseUntil ?? now) };
  }

  release(jobId: string, leaseId: string, now: number): Promise<boolean> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #status = :queued, updatedAt = :now REMOVE leaseId, leaseUntil, lastDelivery',
      ConditionExpression: '#status = :running AND leaseId = :lease',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':queued': 'queued', ':running': 'running', ':lease': leaseId, ':now': new Date(now).toISOString() },
    });
    return this.conditional(() => this.doc.send(command));
  }

  succeed(jobId: string, result: unknown, now: number, leaseId?: string): Promise<boolean> {
    return this.finish(jobId, 'succeeded', now, leaseId, 'resultJson = :result', { ':result': JSON.stringify(result ?? null) });
  }

  fail(jobId: string, error: { code: string; message: string }, now: number, leaseId?: string): Promise<boolean> {
    return this.finish(jobId, 'failed', now, leaseId, 'errorCode = :code, errorMessage = :message', {
      ':code': error.code,
      ':message': error.message || error.code,
    });
  }

  private async finish(jobId: string, status: 'succeeded' | 'failed', now: number, leaseId: string | undefined, set: string, values: Record<string, string>): Promise<boolean> {
    const held = leaseId !== undefined;
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: jobKey(jobId),
      UpdateExpression: `SET #status = :status, updatedAt = :now, expiresAt = :expiresAt, ${set} REMOVE leaseId, leaseUntil, lastDelivery`,
      // Neither form matches a final job, so the first finish wins.
      ConditionExpression: held ? '#status = :running AND leaseId = :lease' : `attribute_exists(pk) AND ${UNHELD}`,
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ...values,
        ':status': status,
        ':now': new Date(now).toISOString(),
        ':expiresAt': Math.floor(now / 1000) + JOB_RETENTION_SECONDS,
        ':running': 'running',
        ...(held ? { ':lease': leaseId } : { ':queued': 'queued', ':nowMs': now }),
      },
      ReturnValues: 'ALL_NEW',
    });
    let finished: Record<string, unknown> | undefined;
    const written = await this.conditional(async () => {
      finished = (await this.doc.send(command)).Attributes;
    });
    if (written && typeof finished?.pixels === 'number') {
      try {
        await this.releasePixels(String(finished.practiceId), jobId, finished.pixels);
      } catch {
        // The job is final whatever happens here; a refused reservation sweeps what stayed held.
      }
    }
    return written;
  }

  async reservePixels(practiceId: string, jobId: string, pixels: number, budget: InflightBudget, now: number): Promise<PixelReservation> {
    if (await this.tryReserve(practiceId, jobId, pixels, budget, now)) return { reserved: true };
    // Refused: first give back what finished jobs and crashes left held, then try once more.
    const item = await this.sweep(practiceId, now);
    if ((item === undefined || (Number(item.pixels ?? 0) + pixels <= budget.maxPixels && Number(item.jobs ?? 0) < budget.maxJobs)) && (await this.tryReserve(practiceId, jobId, pixels, budget, now))) {
      return { reserved: true };
    }
    return { reserved: false, inFlightPixels: Number(item?.pixels ?? 0), inFlightJobs: Number(item?.jobs ?? 0) };
  }

  releasePixels(practiceId: string, jobId: string, pixels: number): Promise<boolean> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: inflightKey(practiceId),
      UpdateExpression: 'REMOVE #entry ADD #pixels :minusPixels, #jobs :minusOne',
      ConditionExpression: 'attribute_exists(#entry)',
      ExpressionAttributeNames: { '#entry': ENTRY_PREFIX + jobId, '#pixels': 'pixels', '#jobs': 'jobs' },
      ExpressionAttributeValues: { ':minusPixels': -pixels, ':minusOne': -1 },
    });
    return this.conditional(() => this.doc.send(command));
  }

  private tryReserve(practiceId: string, jobId: string, pixels: number, budget: InflightBudget, now: number): Promise<boolean> {
    const entry: InflightEntry = { px: pixels, at: now };
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: inflightKey(practiceId),
      UpdateExpression: 'SET #entry = :entry ADD #pixels :pixels, #jobs :one',
      ConditionExpression: 'attribute_not_exists(#entry) AND (attribute_not_exists(#pixels) OR (#pixels <= :room AND #jobs < :maxJobs))',
      ExpressionAttributeNames: { '#entry': ENTRY_PREFIX + jobId, '#pixels': 'pixels', '#jobs': 'jobs' },
      ExpressionAttributeValues: { ':entry': entry, ':pixels': pixels, ':one': 1, ':room': budget.maxPixels - pixels, ':maxJobs': budget.maxJobs },
    });
    return this.conditional(() => this.doc.send(command));
  }

  /**
   * Gives back the oldest settled reservations whose job is final, missing, or abandoned by a
   * worker that died on its last delivery (reading it fails it, which gives its pixels back).
   * One consistent read, then the entries' jobs in parallel; returns the in-flight item as it is afterwards.
   */
  private async sweep(practiceId: string, now: number): Promise<Record<string, unknown> | undefined> {
    const read = async () => (await this.guard(() => this.doc.send(new GetCommand({ TableName: this.tableName, Key: inflightKey(practiceId), ConsistentRead: true })))).Item;
    const item = await read();
    if (!item) return undefined;
    const settled = Object.entries(item)
      .filter(([name, value]) => name.startsWith(ENTRY_PREFIX) && typeof (value as InflightEntry).at === 'number' && (value as InflightEntry).at < now - RESERVATION_SETTLE_MS)
      .map(([name, value]) => ({ jobId: name.slice(ENTRY_PREFIX.length), px: Number((value as InflightEntry).px) }))
      .sort((a, b) => Number((item[ENTRY_PREFIX + a.jobId] as InflightEntry).at) - Number((item[ENTRY_PREFIX + b.jobId] as InflightEntry).at))
      .slice(0, SWEEP_BATCH);
    if (settled.length === 0) return item;
    // GetItem in parallel rather than BatchGetItem: the functions' table grant has no BatchGetItem.
    const found = await Promise.all(settled.map((entry) => this.read(entry.jobId)));
    const jobs = new Map(found.filter((job) => job !== undefined).map((job) => [String(job.jobId), job]));
    let released = false;
    for (const entry of settled) {
      const job = jobs.get(entry.jobId);
      if (!job || job.practiceId !== practiceId || job.status === 'succeeded' || job.status === 'failed') {
        released = (await this.releasePixels(practiceId, entry.jobId, entry.px)) || released;
      } else if (job.status === 'running' && job.lastDelivery === true && Number(job.leaseUntil) < now) {
        await this.get(entry.jobId, practiceId);
        released = true;
      }
    }
    return released ? read() : item;
  }

  private async read(jobId: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.guard(() => this.doc.send(new GetCommand({ TableName: this.tableName, Key: jobKey(jobId), ConsistentRead: true })));
    return result.Item;
  }

  /** true when the write happened, false when its condition did not hold. */
  private async conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await this.guard(write);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new DependencyUnavailableError('The imaging job store is unavailable; retry shortly', { retryAfterSeconds: 5, cause: error });
    }
  }
}
