/**
 * Imaging jobs in DynamoDB (`pk = JOB#<jobId>`). Every transition is one conditional write, so a
 * redelivered or duplicated queue message cannot move a job backwards or finish it twice:
 *
 *   create       only when the id is new
 *   markRunning  only from queued or running (a redelivery after a crash), counting the attempt
 *   succeed/fail only while not yet final; the first one wins, later ones get `false`
 *
 * Jobs expire (`expiresAt`, epoch seconds) 30 days after they were created or finished.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from './errors';
import type { ImagingJob, ImagingJobStatus, JobStore } from './ports';

export const JOB_RETENTION_SECONDS = 30 * 24 * 3600;

/** A job id was reused: a caller bug (ids are generated), never a caller's input. */
export class ImagingJobExistsError extends Error {
  override name = 'ImagingJobExistsError';
}

export interface DynamoJobStoreOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}` });

/** Ids come from the URL; DynamoDB refuses empty or huge keys with an error that is not the caller's. */
const LOOKUP_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class DynamoJobStore implements JobStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: DynamoJobStoreOptions) {
    this.doc = options.doc;
    this.tableName = options.tableName;
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
    const result = await this.guard(() => this.doc.send(new GetCommand({ TableName: this.tableName, Key: jobKey(jobId), ConsistentRead: true })));
    const item = result.Item;
    // Another practice's job reads exactly like a job that does not exist.
    if (!item || item.practiceId !== practiceId) return undefined;
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
    if (typeof item.resultJson === 'string') job.result = JSON.parse(item.resultJson);
    if (typeof item.errorCode === 'string') job.error = { code: item.errorCode, message: String(item.errorMessage ?? '') };
    return job;
  }

  markRunning(jobId: string, now: number): Promise<boolean> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #status = :running, updatedAt = :now ADD attempts :one',
      ConditionExpression: 'attribute_exists(pk) AND (#status = :queued OR #status = :running)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':now': new Date(now).toISOString(), ':one': 1 },
    });
    return this.conditional(() => this.doc.send(command));
  }

  succeed(jobId: string, result: unknown, now: number): Promise<boolean> {
    return this.finish(jobId, 'succeeded', now, 'resultJson = :result', { ':result': JSON.stringify(result ?? null) });
  }

  fail(jobId: string, error: { code: string; message: string }, now: number): Promise<boolean> {
    return this.finish(jobId, 'failed', now, 'errorCode = :code, errorMessage = :message', { ':code': error.code, ':message': error.message || error.code });
  }

  private finish(jobId: string, status: 'succeeded' | 'failed', now: number, set: string, values: Record<string, string>): Promise<boolean> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: jobKey(jobId),
      UpdateExpression: `SET #status = :status, updatedAt = :now, expiresAt = :expiresAt, ${set}`,
      ConditionExpression: 'attribute_exists(pk) AND #status <> :succeeded AND #status <> :failed',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ...values,
        ':status': status,
        ':now': new Date(now).toISOString(),
        ':expiresAt': Math.floor(now / 1000) + JOB_RETENTION_SECONDS,
        ':succeeded': 'succeeded',
        ':failed': 'failed',
      },
    });
    return this.conditional(() => this.doc.send(command));
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
