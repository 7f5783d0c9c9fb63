/**
 * Imaging task, queue worker: reads each queued radiograph with the vision model and writes the
 * job's result. The SQS event source runs it with `reportBatchItemFailures`, so only the records
 * listed in the answer come back; the rules per record are in job-processor.ts. This function
 * holds the imaging key; the API function does not.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV, requireEnv } from '#core/env';
import { SqsJobQueue } from '#core/job-queue';
import { DynamoJobStore } from '#core/job-store';
import { s3ClientFromEnv } from '#core/object-store';
import { taskFunctionFromEnv } from '#core/task-function';
import { readObjectBounded } from './image-objects';
import { ImagingJobProcessor, WORKER_DEADLINE_MARGIN_MS } from './job-processor';
import { UPLOAD_MAX_BYTES } from './schemas';

const { config, observability, doc, runtime } = taskFunctionFromEnv();
if (!config.worker) throw new Error(`the ${config.name} task has no worker settings in TASK_CONFIG`);
const bucket = requireEnv(ENV.imagesBucket);
const s3 = s3ClientFromEnv();
const processor = new ImagingJobProcessor({
  jobs: new DynamoJobStore({ doc, tableName: requireEnv(ENV.jobsTable) }),
  queue: new SqsJobQueue({ queueUrl: requireEnv(ENV.imagingQueueUrl) }),
  readImage: (key) => readObjectBounded(s3, bucket, key, UPLOAD_MAX_BYTES),
  model: runtime,
  maxReceiveCount: config.worker.maxReceiveCount,
  logger: observability.logger,
});

async function processBatch(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  // One at a time: each record gets the whole remaining time for its model call.
  for (const record of event.Records) {
    const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 60_000;
    const deadline = Date.now() + Math.max(1_000, remaining - WORKER_DEADLINE_MARGIN_MS);
    // The job's lease ends when Lambda kills this invocation: until then no other delivery runs it.
    const outcome = await processor.process(record, deadline, deadline + WORKER_DEADLINE_MARGIN_MS);
    observability.logger.info('imaging record', { messageId: record.messageId, jobId: outcome.jobId, outcome: outcome.kind, ...('status' in outcome ? { status: outcome.status } : {}) });
    if (outcome.kind === 'retry') batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(observability.logger, { resetKeys: true }))
  .use(logMetrics(observability.metrics))
  .handler(processBatch);
