/**
 * The API side of the imaging pipeline: accept a radiograph, create its job, queue it.
 *
 * The API function only runs the header checks ({@link checkImageHeader}: real format against
 * the declared one, complete structure walked to its end, dimensions, byte size) and stores the
 * image as sent; decoding and downscaling happen in the worker. Decoding a 16-megapixel
 * radiograph takes about 600 MB and seconds of CPU, which the worker has (1 GB, 120 s) and the API
 * function, which must answer 202 quickly in 512 MB, does not. Both sides use the same pixel cap,
 * the most the worker can decode, so a job accepted here is one the worker can decode.
 *
 * Before anything is stored, the image's decoded pixels and one job are held against the practice's
 * in-flight budget (its queued and running jobs, by pixels and by count): past either the answer
 * is a 429 `ImagingPracticeBusy` saying which, so one practice's burst cannot fill the queue ahead
 * of other practices' jobs. How the worker then takes jobs fairly is the queue's part (job-queue.ts).
 *
 * Nothing is left half-written: the image is stored first, then the job, then the message; a
 * failure at any step undoes what came before it (or, once the job exists, marks it failed), so
 * a caller who saw a 5xx owns no job, and a job that exists is one the worker will finish.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { BadRequestError, DependencyUnavailableError, ImagingPracticeBusyError, NotFoundError, PayloadTooLargeError } from '#core/errors';
import { redactForLog } from '#core/observability';
import type { ImagingJob, InflightBudget, JobQueue, JobStore, ObjectStore } from '#core/ports';
import { DEFAULT_MAX_PIXELS, checkImageHeader, type ImageHeader } from './image-intake';
import { contentTypeOfKey, imageKeyFor, isUploadKeyOf, uploadKeyFor } from './image-objects';
import {
  INLINE_BASE64_MAX_CHARS,
  INLINE_IMAGE_MAX_BYTES,
  UPLOAD_MAX_BYTES,
  jobIdSchema,
  type AnalysisAccepted,
  type AnalysisJob,
  type AnalysisRequest,
  type UploadRequest,
  type UploadResponse,
} from './schemas';

/** Pixel cap shared with the worker: the decompression-bomb guard, checked from the header. */
export const IMAGING_MAX_PIXELS = DEFAULT_MAX_PIXELS;
/** How long a presigned upload policy stays valid: long enough for 25 MB on a slow practice line. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
/**
 * What one practice may have queued or running at once, so that a burst of small files that
 * decode to huge images cannot hold the workers while other practices' jobs wait: 160 MP is ten
 * images at the pixel limit, about forty panoramics or a hundred bitewings. Overridden by
 * IMAGING_PRACTICE_INFLIGHT_PIXELS. The job count is the catalog's `worker.practiceMaxJobs`
 * (IMAGING_PRACTICE_INFLIGHT_JOBS overrides it); the 20 here is for callers without a catalog.
 * It also keeps the practice's in-flight item small.
 */
export const DEFAULT_INFLIGHT_BUDGET: InflightBudget = { maxPixels: 160_000_000, maxJobs: 20 };
/** A worker finishes a job in seconds to a minute; by then some of the practice's jobs have ended. */
export const PRACTICE_BUSY_RETRY_AFTER_SECONDS = 30;

export interface JobIntakeDeps {
  jobs: JobStore;
  queue: JobQueue;
  images: ObjectStore;
  /** Reads an upload, refusing more than `maxBytes` (see readObjectBounded). */
  readUpload(key: string, maxBytes: number): Promise<Uint8Array | undefined>;
  logger: Logger;
  now?: () => number;
  /** @default DEFAULT_INFLIGHT_BUDGET */
  inflightBudget?: InflightBudget;
}

export interface AcceptedAnalysis extends AnalysisAccepted {
  header: ImageHeader;
}

export class ImagingJobIntake {
  private readonly now: () => number;
  private readonly budget: InflightBudget;

  constructor(private readonly deps: JobIntakeDeps) {
    this.now = deps.now ?? Date.now;
    this.budget = deps.inflightBudget ?? DEFAULT_INFLIGHT_BUDGET;
    if (!(this.budget.maxPixels >= IMAGING_MAX_PIXELS) || !(this.budget.maxJobs >= 1)) {
      throw new Error(`the imaging in-flight budget (${this.budget.maxPixels} pixels, ${this.budget.maxJobs} jobs) must take at least one image at the ${IMAGING_MAX_PIXELS}-pixel limit`);
    }
  }

  async submit(practiceId: string, request: AnalysisRequest): Promise<AcceptedAnalysis> {
    const jobId = newJobId();
    let header: ImageHeader;
    let imageKey: string;
    let storedInline = false;
    let pixels: number;
    if (request.image) {
      if (request.image.dataBase64.length > INLINE_BASE64_MAX_CHARS) throw inlineTooLarge(Math.floor((request.image.dataBase64.length * 3) / 4));
      const bytes = decodeBase64(request.image.dataBase64);
      if (bytes.length > INLINE_IMAGE_MAX_BYTES) throw inlineTooLarge(bytes.length);
      header = checkImageHeader(bytes, request.image.contentType, { maxBytes: INLINE_IMAGE_MAX_BYTES, maxPixels: IMAGING_MAX_PIXELS });
      pixels = await this.reservePixels(practiceId, jobId, header);
      imageKey = imageKeyFor(practiceId, jobId, request.image.contentType);
      try {
        await this.deps.images.put(imageKey, bytes, request.image.contentType);
      } catch (error) {
        await this.quietly('give back the pixels of a job whose image was not stored', () => this.deps.jobs.releasePixels(practiceId, jobId, pixels));
        throw error;
      }
      storedInline = true;
    } else {
      const uploadKey = request.uploadKey!;
      const contentType = contentTypeOfKey(uploadKey);
      // Another practice's key reads exactly like a key that was never handed out.
      const noUpload = () => new BadRequestError('No upload with that key for this practice: POST the image to the url from POST /v1/imaging/uploads first');
      if (!isUploadKeyOf(uploadKey, practiceId) || !contentType) throw noUpload();
      const bytes = await this.deps.readUpload(uploadKey, UPLOAD_MAX_BYTES);
      if (!bytes) throw noUpload();
      header = checkImageHeader(bytes, contentType, { maxBytes: UPLOAD_MAX_BYTES, maxPixels: IMAGING_MAX_PIXELS });
      pixels = await this.reservePixels(practiceId, jobId, header);
      // The upload is the job's image: copying 25 MB would only cost time.
      imageKey = uploadKey;
    }

    const at = new Date(this.now()).toISOString();
    const job: ImagingJob = { jobId, practiceId, status: 'queued', modality: request.modality, imageKey, createdAt: at, updatedAt: at, attempts: 0, pixels };
    try {
      await this.deps.jobs.create(job);
    } catch (error) {
      if (storedInline) await this.quietly('delete the image of a job that was not created', () => this.deps.images.delete(imageKey));
      await this.quietly('give back the pixels of a job that was not created', () => this.deps.jobs.releasePixels(practiceId, jobId, pixels));
      throw asUnavailable(error, 'The imaging job store is unavailable; retry shortly');
    }

    try {
      await this.deps.queue.send({ jobId, practiceId });
    } catch (error) {
      // The caller gets a 503 and never sees this id; the job must not wait forever as queued.
      await this.quietly('fail a job that could not be queued', () =>
        this.deps.jobs.fail(jobId, { code: 'NotQueued', message: 'The imaging queue did not accept the job; it was not analysed' }, this.now()),
      );
      // Failing it gave them back; if that write failed, this one (a no-op otherwise) still may.
      await this.quietly('give back the pixels of a job that was not queued', () => this.deps.jobs.releasePixels(practiceId, jobId, pixels));
      if (storedInline) await this.quietly('delete the image of a job that was not queued', () => this.deps.images.delete(imageKey));
      throw asUnavailable(error, 'The imaging queue did not accept the job; retry shortly');
    }
    return { jobId, status: 'queued', header };
  }

  /** Holds the image's decoded pixels against the practice's in-flight budget; 429 when over it. */
  private async reservePixels(practiceId: string, jobId: string, header: ImageHeader): Promise<number> {
    const pixels = header.width * header.height;
    let reservation;
    try {
      reservation = await this.deps.jobs.reservePixels(practiceId, jobId, pixels, this.budget, this.now());
    } catch (error) {
      throw asUnavailable(error, 'The imaging job store is unavailable; retry shortly');
    }
    if (!reservation.reserved) {
      const { inFlightJobs, inFlightPixels } = reservation;
      const { maxJobs, maxPixels } = this.budget;
      const retry = 'retry when some have finished';
      // Which limit it hit, so the caller knows whether smaller images would help.
      const full = inFlightJobs >= maxJobs;
      const message = full
        ? `This practice already has ${inFlightJobs} imaging jobs queued or running, the most one practice may have at once (${maxJobs}): ${retry}`
        : `This practice already has ${inFlightJobs} imaging jobs (${inFlightPixels} pixels) queued or running; ` +
          `this image adds ${pixels} pixels and a practice may have at most ${maxPixels} pixels and ${maxJobs} jobs in flight: ${retry}`;
      throw new ImagingPracticeBusyError(message, {
        retryAfterSeconds: PRACTICE_BUSY_RETRY_AFTER_SECONDS,
        details: { limit: full ? 'jobs' : 'pixels', inFlightJobs, maxJobs, inFlightPixels, maxPixels, imagePixels: pixels },
      });
    }
    return pixels;
  }

  /** The job as the caller may see it; an invalid id, an unknown job or another practice's job is a 404. */
  async status(jobId: string, practiceId: string): Promise<AnalysisJob> {
    const notFound = () => new NotFoundError('No imaging job with that id');
    if (!jobIdSchema.safeParse(jobId).success) throw notFound();
    const job = await this.deps.jobs.get(jobId, practiceId);
    if (!job) throw notFound();
    const view: AnalysisJob = { jobId: job.jobId, status: job.status };
    if (job.status === 'succeeded' && job.result !== undefined) view.result = job.result as AnalysisJob['result'];
    if (job.status === 'failed' && job.error) view.error = { code: job.error.code, message: job.error.message };
    return view;
  }

  /**
   * A presigned POST whose policy S3 enforces: this practice's upload key only, the announced
   * Content-Type only, 1..sizeBytes bytes (never over UPLOAD_MAX_BYTES), for UPLOAD_URL_TTL_SECONDS.
   */
  async presignUpload(practiceId: string, request: UploadRequest): Promise<UploadResponse> {
    const uploadKey = uploadKeyFor(practiceId, request.contentType);
    const maxBytes = Math.min(request.sizeBytes, UPLOAD_MAX_BYTES);
    const expiresAt = new Date(this.now() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString();
    const { url, fields } = await this.deps.images.presignPost(uploadKey, request.contentType, maxBytes, UPLOAD_URL_TTL_SECONDS);
    return { uploadKey, url, fields, expiresAt, maxBytes };
  }

  /** Undo steps are best effort: the caller's answer is already decided by the step that failed. */
  private async quietly(what: string, undo: () => Promise<unknown>): Promise<void> {
    try {
      await undo();
    } catch (error) {
      this.deps.logger.warn(`could not ${what}`, redactForLog(error));
    }
  }
}

const inlineTooLarge = (bytes: number) =>
  new PayloadTooLargeError(`The inline image is about ${bytes} bytes; inline images may be at most ${INLINE_IMAGE_MAX_BYTES} bytes: upload it with POST /v1/imaging/uploads and send its uploadKey`);

/** 32 hex characters: a UUID without dashes, which jobIdSchema and the job store both accept. */
export function newJobId(): string {
  return randomUUID().replace(/-/g, '');
}

/**
 * Strict base64: the schema already limits the alphabet; this refuses lengths that cannot be
 * base64 and non-canonical trailing bits, which Buffer.from would otherwise quietly drop.
 */
export function decodeBase64(text: string): Uint8Array {
  const unpadded = text.replace(/=+$/, '');
  const bytes = Buffer.from(text, 'base64');
  const padded = unpadded.length !== text.length;
  if (unpadded.length % 4 === 1 || (padded && text.length % 4 !== 0) || bytes.toString('base64').replace(/=+$/, '') !== unpadded) {
    throw new BadRequestError('image.dataBase64 is not valid base64');
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function asUnavailable(error: unknown, message: string): unknown {
  if (error instanceof DependencyUnavailableError) return error;
  return new DependencyUnavailableError(message, { retryAfterSeconds: 1, cause: error });
}
