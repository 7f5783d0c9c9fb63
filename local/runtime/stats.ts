/**
 * What the local runtime reports about itself (`GET /_local/stats`, the operations page, the
 * benchmark): kept apart from the runtime so the page can read the shape without importing it.
 */
import type { QueueDepth } from '../sqs';
import type { FunctionStats } from './lambda-function';

export interface ImagingQueueStats extends QueueDepth {
  deadLetters: number;
  /** Worker invocations running now (never above `maxConcurrency`). */
  workerInvocationsInFlight: number;
  maxConcurrency: number;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export interface RuntimeStats {
  startedAt: string;
  functions: Record<string, FunctionStats>;
  imagingQueue: ImagingQueueStats;
}
