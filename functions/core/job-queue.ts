/**
 * The imaging job queue over SQS (official SDK client). In AWS the queue URL comes from the
 * stack; locally `AWS_ENDPOINT_URL_SQS` points the same client at the local queue endpoint.
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
          DelaySeconds: delaySeconds,
        }),
      );
    } catch (error) {
      throw new DependencyUnavailableError('The imaging queue did not accept the job; retry shortly', { retryAfterSeconds: 1, cause: error });
    }
  }
}
