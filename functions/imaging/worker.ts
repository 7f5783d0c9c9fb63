/**
 * Imaging queue worker (scaffolding): reports every record as failed until the worker lands,
 * so nothing is silently dropped.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
}
