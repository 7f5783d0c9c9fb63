/**
 * The imaging job queue over SQS (official SDK client). In AWS the queue URL comes from the
 * stack; locally `AWS_ENDPOINT_URL_SQS` points the same client at the local queue endpoint.
 *
 * Every job is sent with `MessageGroupId` = its practice, which makes the standard queue an SQS
 * fair queue with one tenant per practice: when a practice's jobs take a disproportionate share of
 * the workers (over 10 % of recent consumer processing time, or over 10 % of the in-flight messages
 * with at least 30 of them), SQS hands the next free worker another practice's message whenever
 * one is waiting, and among such noisy practices the one with the fewest messages in flight first
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues-detailed.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html).
 * With the worker's batch size of 1 and the event source receiving only for a free invocation
 * (its maximum concurrency), a practice's single X-ray waits at most for one running job to end,
 * however many another practice has queued. No consumer change is needed; local/sqs.ts models it.
 */
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DependencyUnavailableError } from './errors';
import type { ImagingJobMessage, JobQueue } from './ports';

export interface SqsJobQueueOptions {
  /** The imaging queue's URL (`IMAGING_QUEUE_URL`). */
  queueUrl: string;
  /** @default a client configured from the environment */
  client?: SQSClient;
}

export class SqsJobQueue implements JobQueue {
  private readonly queueUrl: string;
  private readonly client: SQSClient;

  constructor(options: SqsJobQueueOptions) {
    if (!options.queueUrl) throw new Error('SqsJobQueue needs the queue URL (IMAGING_QUEUE_URL)');
    this.queueUrl = options.queueUrl;
    this.client = options.client ?? new SQSClient({});
  }

  async send(message: ImagingJobMessage, delaySeconds?: number): Promise<void> {
    if (delaySeconds !== undefined && (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900)) {
      throw new RangeError(`delaySeconds must be an integer from 0 to 900 (SQS limit), got ${delaySeconds}`);
    }
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          // Only references travel through the queue: the image stays in the object store.
          MessageBody: JSON.stringify({ jobId: message.jobId, practiceId: message.practiceId }),
          // The fair queue's tenant (see above); on a standard queue it orders nothing else.
          MessageGroupId: message.practiceId,
          DelaySeconds: delaySeconds,
        }),
      );
    } catch (error) {
      throw new DependencyUnavailableError('The imaging queue did not accept the job; retry shortly', { retryAfterSeconds: 1, cause: error });
    }
  }
}
