/**
 * The environment contract between the stack (or the local runtime) and every task function.
 * The stack sets these; `npm start` sets the same ones for its functions.
 */
export const ENV = {
  /** The task this function serves (`imaging`, `clinical`, …). */
  task: 'AI_TASK',
  /** The resolved catalog entry for the task, JSON (see task-config.ts). */
  taskConfig: 'TASK_CONFIG',
  /**
   * The whole resolved catalog, a JSON array of task configs (see task-config.ts), for the ops
   * function: health, the usage report's limits and the OpenAPI document's routes.
   */
  catalog: 'CATALOG',
  /** `api` for the function behind API Gateway, `worker` for the imaging queue consumer. */
  functionRole: 'FUNCTION_ROLE',
  /** Name or ARN of the task's own secret in Secrets Manager. */
  secretId: 'SECRET_ID',
  /** Seconds a warm function keeps its keys before reading the secret again (default 300). */
  secretMaxAgeSeconds: 'SECRET_MAX_AGE_SECONDS',
  usageTable: 'USAGE_TABLE',
  /** Response cache and idempotency records. */
  cacheTable: 'CACHE_TABLE',
  jobsTable: 'JOBS_TABLE',
  /** Per-practice overrides of the tasks' practice shares (read only). */
  practiceOverridesTable: 'PRACTICE_OVERRIDES_TABLE',
  /** Seconds a function keeps a practice's override before reading it again (default 60). */
  practiceOverridesMaxAgeSeconds: 'PRACTICE_OVERRIDES_MAX_AGE_SECONDS',
  imagingQueueUrl: 'IMAGING_QUEUE_URL',
  imagesBucket: 'IMAGES_BUCKET',
  /** Decoded pixels one practice may have in queued or running imaging jobs (default in job-intake.ts). */
  imagingPracticeInflightPixels: 'IMAGING_PRACTICE_INFLIGHT_PIXELS',
  /** Queued and running imaging jobs one practice may have (default: the catalog's worker.practiceMaxJobs). */
  imagingPracticeInflightJobs: 'IMAGING_PRACTICE_INFLIGHT_JOBS',
  /** Front-end origin allowed by CORS. */
  allowedOrigin: 'ALLOWED_ORIGIN',
  /**
   * JSON map from provider kind to base URL, overriding the SDK defaults. Set by the local
   * runtime to point `openai` and `anthropic` at the provider simulator; unset in AWS.
   */
  providerBaseUrls: 'PROVIDER_BASE_URLS',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Reads a required variable with a message that names it (a deployment bug, not a caller's). */
export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}
