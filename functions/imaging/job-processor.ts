/**
 * The worker side of the imaging pipeline: one queue record → one finished (or deferred) job.
 *
 * Every accepted job ends `succeeded` or `failed` with a reason, exactly once:
 * - before the model is asked, the job is claimed under a lease that lasts until this Lambda is
 *   killed by its timeout. A copy of the same message delivered meanwhile (SQS delivers at least
 *   once) finds it held and goes back to the queue as a batch item failure; once the job is final
 *   a copy is acknowledged. Either way there is no second model call, charge or result. A worker
 *   killed mid-job leaves a lease that runs out before the visibility timeout (6 × the worker
 *   timeout) returns its message, so that delivery takes the job over;
 * - a job waiting to come back (throttled, or a failed attempt SQS will redeliver) is released to
 *   `queued`, so its status reads truthfully and the next delivery need not wait for the lease;
 * - a provider 429 or our own budget 429 is not a failure: the reference is sent again with
 *   `DelaySeconds` = the provider's retry-after and the original is acknowledged. That waits
 *   exactly as long as the provider asked (a batch item failure would wait the whole visibility
 *   timeout, 6 × the worker timeout) and does not count towards the dead-letter threshold, so a
 *   429 storm cannot push healthy jobs into the dead-letter queue. It is bounded by the job's
 *   attempt count, so a permanent throttle still ends in `failed`;
 * - what cannot succeed on a retry (an image that does not decode, a model answer that does not
 *   fit the schema even after its repair) fails the job at once;
 * - anything else is retried through SQS; on the catalog's last receive the job is failed with
 *   the reason, and the message still goes on to the dead-letter queue, where the alarm sees it.
 *   (A copy that finds the job held on its last receive also goes there; the holder finishes it.)
 *   A worker killed on the last receive cannot fail the job itself: its lease says so, and the
 *   job store fails the job on the first read after that lease ran out.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import { GatewayError, InvalidModelOutputError, OverBudgetError, PracticeOverShareError, ProviderThrottledError } from '#core/errors';
import { redactForLog } from '#core/observability';
import type { ImagingJob, JobLease, JobQueue, JobStore } from '#core/ports';
import type { GenerateInput, GenerateResult } from '#core/task-runtime';
import { DEFAULT_MAX_LONG_EDGE, checkImageHeader, checkPixelRows, inspectImage } from './image-intake';
import { contentTypeOfKey } from './image-objects';
import { IMAGING_MAX_PIXELS } from './job-intake';
import { IMAGING_FINDINGS_OUTPUT_KIND, IMAGING_SYSTEM_PROMPT, buildImagingUserPrompt } from './prompts';
import { UPLOAD_MAX_BYTES, findingsModelOutputSchema, jobIdSchema, modalitySchema, type FindingsModelOutput } from './schemas';

/** Throttled attempts (re-sends) a job gets before it is failed; with delays of seconds to minutes. */
export const MAX_THROTTLED_ATTEMPTS = 20;
/** Time kept back from the Lambda timeout for writing the result and answering the batch. */
export const WORKER_DEADLINE_MARGIN_MS = 3_000;
const MAX_DELAY_SECONDS = 900;

export type RecordOutcome =
  /** Done with this message: delete it (the job is final, or was already). */
  | { kind: 'done'; jobId?: string; status: 'succeeded' | 'failed' | 'already-final' }
  /** Sent again with a delay; delete this copy. */
  | { kind: 'deferred'; jobId: string; delaySeconds: number }
  /** Leave it on the queue: report a batch item failure. */
  | { kind: 'retry'; jobId?: string; reason: string };

export interface ImagingModel {
  generate(input: GenerateInput<FindingsModelOutput>): Promise<Pick<GenerateResult<FindingsModelOutput>, 'data'>>;
}

export interface JobProcessorDeps {
  jobs: JobStore;
  queue: JobQueue;
  /** Reads the job's image, bounded to the upload limit. */
  readImage(key: string): Promise<Uint8Array | undefined>;
  model: ImagingModel;
  /** The catalog's worker.maxReceiveCount: the receive after which SQS dead-letters the message. */
  maxReceiveCount: number;
  logger: Logger;
  now?: () => number;
  /** 0–1; spreads re-sent messages so a storm does not come back all at once. @default Math.random */
  jitter?: () => number;
}

/** A failure that no retry can fix; the job fails with it at once. */
class FinalFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ImagingJobProcessor {
  private readonly now: () => number;
  private readonly jitter: () => number;

  constructor(private readonly deps: JobProcessorDeps) {
    this.now = deps.now ?? Date.now;
    this.jitter = deps.jitter ?? Math.random;
  }

  /**
   * @param deadline epoch ms by which the model call must have answered
   * @param leaseUntil epoch ms at which this Lambda is killed: nobody else runs the job before.
   *   @default deadline + WORKER_DEADLINE_MARGIN_MS
   */
  async process(record: SQSRecord, deadline: number, leaseUntil = deadline + WORKER_DEADLINE_MARGIN_MS): Promise<RecordOutcome> {
    const { logger } = this.deps;
    const receiveCount = receiveCountOf(record);
    const lastTry = receiveCount >= this.deps.maxReceiveCount;

    const reference = parseReference(record.body);
    if (!reference) {
      // Nothing to fail: let SQS move it to the dead-letter queue, where the alarm sees it.
      logger.error('imaging message is not a job reference', { messageId: record.messageId, receiveCount, bodyBytes: Buffer.byteLength(record.body ?? '') });
      return { kind: 'retry', reason: 'unparseable message' };
    }
    const { jobId, practiceId } = reference;
    logger.appendKeys({ jobId });
    try {
      const job = await this.deps.jobs.get(jobId, practiceId);
      if (!job) {
        logger.error('imaging message names no job of its practice', { messageId: record.messageId, receiveCount });
        return { kind: 'retry', jobId, reason: 'unknown job' };
      }
      if (job.status === 'succeeded' || job.status === 'failed') return { kind: 'done', jobId, status: 'already-final' };
      return await this.run(job, record, deadline, leaseUntil, lastTry);
    } catch (error) {
      return this.retryOrFail(jobId, undefined, error, lastTry, receiveCount);
    } finally {
      logger.removeKeys(['jobId']);
    }
  }

  private async run(job: ImagingJob, record: SQSRecord, deadline: number, leaseUntil: number, lastTry: boolean): Promise<RecordOutcome> {
    const { jobs, logger } = this.deps;
    const lease: JobLease = { id: randomUUID(), until: leaseUntil, lastDelivery: lastTry };
    const claim = await jobs.claim(job.jobId, lease, this.now());
    switch (claim.outcome) {
      case 'final':
        return { kind: 'done', jobId: job.jobId, status: 'already-final' };
      case 'missing':
        return { kind: 'retry', jobId: job.jobId, reason: 'unknown job' };
      case 'held':
        // Another delivery of this job is running it now: come back after the visibility timeout,
        // by which time it is final (acknowledged then) or its worker died (taken over then).
        logger.info('imaging job is held by another delivery; leaving this copy on the queue', { messageId: record.messageId, heldUntil: new Date(claim.until).toISOString() });
        return { kind: 'retry', jobId: job.jobId, reason: 'held' };
    }

    let findings: FindingsModelOutput;
    try {
      const image = await this.loadImage(job);
      const modality = modalitySchema.safeParse(job.modality);
      if (!modality.success) throw new FinalFailure('InvalidJob', `The job's modality ${JSON.stringify(job.modality.slice(0, 32))} is not one we analyse`);
      const answer = await this.deps.model.generate({
        practiceId: job.practiceId,
        outputKind: IMAGING_FINDINGS_OUTPUT_KIND,
        system: IMAGING_SYSTEM_PROMPT,
        messages: [{ role: 'user', content: buildImagingUserPrompt({ modality: modality.data }) }],
        images: [{ mediaType: 'image/jpeg', dataBase64: Buffer.from(image).toString('base64') }],
        schema: findingsModelOutputSchema,
        deadline,
      });
      findings = answer.data;
    } catch (error) {
      if (error instanceof FinalFailure) return this.failJob(job.jobId, lease.id, error.code, error.message);
      if (error instanceof InvalidModelOutputError) return this.failJob(job.jobId, lease.id, error.code, error.message);
      if (isThrottle(error)) return this.defer(job, lease.id, claim.attempts, error, record, lastTry);
      return this.retryOrFail(job.jobId, lease.id, error, lastTry, receiveCountOf(record));
    }
    const written = await jobs.succeed(job.jobId, findings, this.now(), lease.id);
    if (!written) logger.warn('imaging job was no longer held by this worker; this result was not kept');
    return { kind: 'done', jobId: job.jobId, status: written ? 'succeeded' : 'already-final' };
  }

  /** The normalised image: decoded, downscaled to the vision model's size, one JPEG. */
  private async loadImage(job: ImagingJob): Promise<Uint8Array> {
    const contentType = contentTypeOfKey(job.imageKey);
    if (!contentType) throw new FinalFailure('InvalidJob', 'The job names an image of an unknown type');
    const bytes = await this.deps.readImage(job.imageKey);
    if (!bytes) throw new FinalFailure('ImageMissing', 'The image of this job is no longer stored; submit it again');
    try {
      const options = { maxBytes: UPLOAD_MAX_BYTES, maxPixels: IMAGING_MAX_PIXELS, maxLongEdge: DEFAULT_MAX_LONG_EDGE };
      // A decoder that fills missing rows would send the model an image that is partly black.
      await checkPixelRows(bytes, checkImageHeader(bytes, contentType, options));
      return inspectImage(bytes, contentType, options).normalized.bytes;
    } catch (error) {
      // The header passed at intake; what fails now is the compressed data itself.
      if (error instanceof GatewayError && error.statusCode < 500) throw new FinalFailure('InvalidImage', error.message);
      throw error;
    }
  }

  private async defer(job: ImagingJob, leaseId: string, attempts: number, error: GatewayError, record: SQSRecord, lastTry: boolean): Promise<RecordOutcome> {
    if (attempts >= MAX_THROTTLED_ATTEMPTS) {
      return this.failJob(job.jobId, leaseId, error.code, `Still rate-limited after ${attempts} attempts: ${error.message}`);
    }
    const base = Math.max(1, Math.ceil(error.retryAfterSeconds ?? 1));
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, base + Math.floor(this.jitter() * Math.max(1, base / 4)));
    try {
      await this.deps.queue.send({ jobId: job.jobId, practiceId: job.practiceId }, delaySeconds);
    } catch (sendError) {
      // Without a re-send, the original message is the only copy: keep it.
      this.deps.logger.warn('could not re-send a throttled imaging job; leaving it on the queue', redactForLog(sendError));
      return this.retryOrFail(job.jobId, leaseId, error, lastTry, receiveCountOf(record));
    }
    // The delayed copy may come back before this Lambda's lease would end; it must find the job free.
    await this.releaseLease(job.jobId, leaseId);
    this.deps.logger.info('imaging job deferred by a 429', { code: error.code, delaySeconds });
    return { kind: 'deferred', jobId: job.jobId, delaySeconds };
  }

  private async retryOrFail(jobId: string, leaseId: string | undefined, error: unknown, lastTry: boolean, receiveCount: number): Promise<RecordOutcome> {
    const details = redactForLog(error);
    if (!lastTry) {
      this.deps.logger.warn('imaging job attempt failed; SQS will redeliver it', { ...details, receiveCount });
      if (leaseId !== undefined) await this.releaseLease(jobId, leaseId);
      return { kind: 'retry', jobId, reason: String(details.code ?? details.name ?? 'error') };
    }
    const code = error instanceof GatewayError ? error.code : 'InternalError';
    const message = error instanceof GatewayError ? error.message : 'The analysis failed on every attempt';
    this.deps.logger.error('imaging job failed on its last attempt', { ...details, receiveCount });
    try {
      // Without a lease of our own this only fails a job nobody is running.
      await this.deps.jobs.fail(jobId, { code, message: `Gave up after ${receiveCount} attempts: ${message}` }, this.now(), leaseId);
    } catch (failError) {
      this.deps.logger.error('could not mark the imaging job failed', redactForLog(failError));
    }
    // Still a batch item failure: the message goes on to the dead-letter queue for the operator.
    return { kind: 'retry', jobId, reason: code };
  }

  /** Back to queued; when this fails, the lease simply runs out at the Lambda timeout. */
  private async releaseLease(jobId: string, leaseId: string): Promise<void> {
    try {
      if (!(await this.deps.jobs.release(jobId, leaseId, this.now()))) this.deps.logger.warn('imaging job was no longer held by this worker when releasing it');
    } catch (releaseError) {
      this.deps.logger.warn('could not release the imaging job; its lease will run out', redactForLog(releaseError));
    }
  }

  private async failJob(jobId: string, leaseId: string, code: string, message: string): Promise<RecordOutcome> {
    this.deps.logger.warn('imaging job failed', { code });
    const written = await this.deps.jobs.fail(jobId, { code, message }, this.now(), leaseId);
    return { kind: 'done', jobId, status: written ? 'failed' : 'already-final' };
  }
}

const receiveCountOf = (record: SQSRecord) => Number(record.attributes?.ApproximateReceiveCount ?? '1');

/** Refusals that pass with time (a provider's rate limit, the task's budget, the practice's share): the job waits. */
function isThrottle(error: unknown): error is GatewayError {
  return error instanceof ProviderThrottledError || error instanceof OverBudgetError || error instanceof PracticeOverShareError;
}

/** `{ jobId, practiceId }` as SqsJobQueue sends it; undefined for anything else. */
export function parseReference(body: string | undefined): { jobId: string; practiceId: string } | undefined {
  if (!body || body.length > 4096) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { jobId, practiceId } = value as Record<string, unknown>;
  if (typeof jobId !== 'string' || !jobIdSchema.safeParse(jobId).success) return undefined;
  if (typeof practiceId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(practiceId)) return undefined;
  return { jobId, practiceId };
}
