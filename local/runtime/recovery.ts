/**
 * What `npm start --data-dir` does before it serves again after being killed (kill -9, a crash,
 * a closed laptop lid that never came back): nothing of the previous process survives, so
 *
 * - every token reservation still outstanding is given back (the ledger's own sweep, with
 *   `noCallInFlight`: in AWS the same sweep runs lazily on a budget refusal);
 * - every `queued` or `running` job whose message is in neither queue (the process died between
 *   writing the job and sending its message) gets its message again. A job whose message is in
 *   flight is left alone: the durable queue redelivers it after its visibility timeout, as SQS
 *   does, and by then the dead worker's lease has run out (the job store's takeover rule);
 * - an inline image without a job (died between storing it and writing the job) or of a failed
 *   job is deleted. Uploads are not: the caller may still submit one, or submit it again.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoUsageLedger } from '../../functions/core/usage-ledger';
import type { TaskName } from '../../functions/core/task-config';
import type { LocalObjectStore } from '../object-store';
import type { LocalQueue } from '../sqs';

export interface RecoveryReport {
  releasedTokens: number;
  requeuedJobs: string[];
  deletedImages: string[];
}

export interface RecoveryDeps {
  doc: DynamoDBDocumentClient;
  jobsTable: string;
  ledger: DynamoUsageLedger;
  tasks: TaskName[];
  queue: LocalQueue;
  deadLetterQueue: LocalQueue;
  objects: LocalObjectStore;
  bucket: string;
  now?: number;
}

interface JobRow {
  jobId: string;
  practiceId: string;
  status: string;
  imageKey: string;
}

const INLINE_IMAGE_KEY = /^images\/[A-Za-z0-9_-]{1,64}\/([0-9a-f]{32})\.[a-z]+$/;

export async function recoverAfterRestart(deps: RecoveryDeps): Promise<RecoveryReport> {
  const now = deps.now ?? Date.now();
  let releasedTokens = 0;
  for (const task of deps.tasks) releasedTokens += await deps.ledger.releaseStaleReservations({ task, now, noCallInFlight: true });

  const jobs = await scanJobs(deps.doc, deps.jobsTable);
  const queuedIds = new Set([...deps.queue.peek(), ...deps.deadLetterQueue.peek()].map((m) => jobIdOf(m.body)));
  const requeuedJobs: string[] = [];
  for (const job of jobs.values()) {
    if ((job.status !== 'queued' && job.status !== 'running') || queuedIds.has(job.jobId)) continue;
    // The body and group SqsJobQueue sends: the worker cannot tell it from the one that was lost.
    deps.queue.send(JSON.stringify({ jobId: job.jobId, practiceId: job.practiceId }), { messageGroupId: job.practiceId });
    requeuedJobs.push(job.jobId);
  }

  const deletedImages: string[] = [];
  for (const key of await deps.objects.listKeys(deps.bucket)) {
    const jobId = INLINE_IMAGE_KEY.exec(key)?.[1];
    if (jobId === undefined) continue;
    const job = jobs.get(jobId);
    if (job && job.status !== 'failed') continue;
    await deps.objects.deleteObject(deps.bucket, key);
    deletedImages.push(key);
  }
  return { releasedTokens, requeuedJobs, deletedImages };
}

async function scanJobs(doc: DynamoDBDocumentClient, tableName: string): Promise<Map<string, JobRow>> {
  const jobs = new Map<string, JobRow>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      if (typeof item.jobId !== 'string') continue;
      jobs.set(item.jobId, { jobId: item.jobId, practiceId: String(item.practiceId), status: String(item.status), imageKey: String(item.imageKey) });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return jobs;
}

function jobIdOf(body: string): string | undefined {
  try {
    const value = JSON.parse(body) as { jobId?: unknown };
    return typeof value.jobId === 'string' ? value.jobId : undefined;
  } catch {
    return undefined;
  }
}
