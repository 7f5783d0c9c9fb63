/**
 * Imaging task, API function: accepts radiographs, answers job status, hands out upload URLs.
 *
 * `POST /v1/imaging/analyses` checks the image (format by its bytes, completeness, dimensions,
 * size), stores it, writes a `queued` job and queues a reference for the worker: 202 with the
 * job id. `GET /v1/imaging/analyses/{jobId}` reads the job (404 for an unknown id or another
 * practice's job). `POST /v1/imaging/uploads` presigns a size-limited POST for images over the
 * 4 MB inline limit. This function holds no provider key and never calls a model; the worker
 * (worker.ts) does.
 */
import { DynamoJobStore } from '#core/job-store';
import { ENV, requireEnv } from '#core/env';
import { createHttpHandler } from '#core/http';
import { RouteIdempotency } from '#core/idempotency';
import { SqsJobQueue } from '#core/job-queue';
import { S3ObjectStore, s3ClientFromEnv } from '#core/object-store';
import { functionBasicsFromEnv } from '#core/function-basics';
import { routeKey, serveRoute } from '#core/route-declaration';
import { readObjectBounded } from './image-objects';
import { DEFAULT_INFLIGHT_BUDGET, ImagingJobIntake } from './job-intake';
import { ROUTES } from './routes';

const { config, observability, doc } = functionBasicsFromEnv();
const bucket = requireEnv(ENV.imagesBucket);
const s3 = s3ClientFromEnv();
const intake = new ImagingJobIntake({
  jobs: new DynamoJobStore({ doc, tableName: requireEnv(ENV.jobsTable) }),
  queue: new SqsJobQueue({ queueUrl: requireEnv(ENV.imagingQueueUrl) }),
  images: new S3ObjectStore({ bucket, client: s3 }),
  readUpload: (key, maxBytes) => readObjectBounded(s3, bucket, key, maxBytes),
  logger: observability.logger,
  inflightBudget: inflightBudgetFromEnv(),
});
/**
 * The per-practice in-flight budget: IMAGING_PRACTICE_INFLIGHT_PIXELS and IMAGING_PRACTICE_INFLIGHT_JOBS
 * when set, else the default pixels and the catalog's `worker.practiceMaxJobs`.
 */
function inflightBudgetFromEnv() {
  const wholeNumber = (name: typeof ENV.imagingPracticeInflightPixels | typeof ENV.imagingPracticeInflightJobs, unit: string): number | undefined => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) throw new Error(`${name} must be a whole number of ${unit}, not ${JSON.stringify(raw.slice(0, 40))}`);
    return value;
  };
  return {
    maxPixels: wholeNumber(ENV.imagingPracticeInflightPixels, 'pixels') ?? DEFAULT_INFLIGHT_BUDGET.maxPixels,
    maxJobs: wholeNumber(ENV.imagingPracticeInflightJobs, 'jobs') ?? config.worker?.practiceMaxJobs ?? DEFAULT_INFLIGHT_BUDGET.maxJobs,
  };
}
const cacheTable = process.env[ENV.cacheTable];
const idempotency = cacheTable ? new RouteIdempotency({ tableName: cacheTable, doc }) : undefined;

const ANALYSES_ROUTE = routeKey(ROUTES.submitAnalysis);

export const handler = createHttpHandler({
  observability,
  routes: [
    serveRoute(ROUTES.submitAnalysis, async ({ body, identity, headers, deadline, annotate }) => {
      const accept = async () => {
        const accepted = await intake.submit(identity.practiceId, body);
        annotate({ jobId: accepted.jobId, format: accepted.header.format, width: accepted.header.width, height: accepted.header.height });
        return { statusCode: 202, body: { jobId: accepted.jobId, status: accepted.status } };
      };
      // A retried submit with the same Idempotency-Key gets the first job back, not a second job.
      if (!idempotency) return accept();
      return idempotency.run({ key: headers['idempotency-key'], practiceId: identity.practiceId, route: ANALYSES_ROUTE, body, deadline }, accept);
    }),
    serveRoute(ROUTES.analysisStatus, async ({ pathParameters, identity }) => ({ body: await intake.status(pathParameters.jobId ?? '', identity.practiceId) })),
    serveRoute(ROUTES.presignUpload, async ({ body, identity }) => ({ body: await intake.presignUpload(identity.practiceId, body) })),
  ],
});
