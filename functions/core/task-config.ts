/**
 * The configuration one task function runs with: the resolved catalog entry for its task.
 *
 * The catalog (`lib/catalog.ts`) is the single source of truth; the stack (and the local runtime)
 * serialise the resolved entry into the function's `TASK_CONFIG` environment variable, and the
 * function parses it once at cold start with {@link parseTaskConfig}. The schema lives here, beside
 * the runtime code, because it is the contract between the infrastructure and the functions.
 */
import * as z from './zod';

export const TASK_NAMES = ['imaging', 'clinical', 'billing', 'scheduling', 'chat'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

/**
 * `bedrock`: Amazon Bedrock's Converse API, called with the function's own execution role (no key
 * in the secret), so clinical text stays inside the AWS business-associate boundary.
 */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'openai-compatible', 'bedrock'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const providerTargetSchema = z.strictObject({
  provider: z.enum(PROVIDER_KINDS),
  model: z.string().check(z.minLength(1)),
  /**
   * Required for `openai-compatible` (a self-hosted model server); optional override otherwise
   * (for `bedrock`, a Bedrock Runtime endpoint such as a VPC interface endpoint).
   */
  baseUrl: z.optional(z.url()),
  /**
   * Which entry of the task's secret holds the key for this provider. Defaults to the provider
   * kind (`openai`, `anthropic`, `openai-compatible`).
   */
  keyName: z.optional(z.string().check(z.minLength(1))),
}).check(z.refine((t) => t.provider !== 'openai-compatible' || t.baseUrl !== undefined, {
  message: 'an openai-compatible provider needs a baseUrl (the model server, e.g. http://10.0.0.5:8000/v1)',
  path: ['baseUrl'],
}), z.refine((t) => t.provider !== 'bedrock' || t.keyName === undefined, {
  message: "a bedrock provider has no key: the function's execution role is its credential (remove keyName)",
  path: ['keyName'],
}));
export type ProviderTarget = z.infer<typeof providerTargetSchema>;

/**
 * What a task does with patient identifiers bound for a provider outside the BAA boundary
 * (functions/core/phi/boundary.ts): `scrub` them into placeholders and restore them in the answer,
 * `block` the request (422 `PhiNotAllowed`, or only the inside targets are tried), or `allow` them.
 */
export const PHI_POLICIES = ['scrub', 'block', 'allow'] as const;
export type PhiPolicy = (typeof PHI_POLICIES)[number];

export const HTTP_METHODS = ['GET', 'POST'] as const;

export const routeSchema = z.strictObject({
  method: z.enum(HTTP_METHODS),
  /** API Gateway resource path, e.g. `/v1/imaging/analyses/{jobId}`. */
  path: z.string().check(z.regex(/^\/v1\/[a-z-]+(\/[a-z-]+|\/\{[a-zA-Z]+\})*$/, 'must look like /v1/<task>/<resource>')),
  /** Whether this route calls a model (false: plain code such as billing estimates). */
  ai: z.boolean(),
  /** Answer as a response stream (server-sent events) when the client asks for it. */
  streaming: z._default(z.boolean(), false),
});
export type Route = z.infer<typeof routeSchema>;

export const cachePolicySchema = z.strictObject({
  enabled: z.boolean(),
  ttlSeconds: z.number().check(z.int(), z.gte(1), z.lte(7 * 24 * 3600)),
});

const positiveInt = z.number().check(z.int(), z.positive());

/**
 * The share of a task's limits one dental practice may use by default, so one practice can never
 * take the whole task (overrides per practice live in the PracticeOverrides table, see
 * functions/core/practice-overrides.ts). Percentages are whole numbers in (0, 100].
 */
export const practiceShareSchema = z.strictObject({
  /** Percent of the task's `dailyTokenBudget` one practice may commit per UTC day. */
  dailyTokensPercent: z.number().check(z.int(), z.gte(1), z.lte(100)),
  /** Percent of the task's `tokensPerMinute` one practice may commit per UTC minute. */
  tokensPerMinutePercent: z.number().check(z.int(), z.gte(1), z.lte(100)),
  /** Requests of one practice that may be in flight at once. */
  concurrentRequests: positiveInt,
});
export type PracticeShare = z.infer<typeof practiceShareSchema>;

export const workerSchema = z.strictObject({
  /** Reserved concurrency of the worker; `null` when the stage turns reservations off. */
  reservedConcurrency: z.nullable(positiveInt),
  timeoutSeconds: positiveInt.check(z.lte(900)),
  memoryMb: positiveInt.check(z.gte(128), z.lte(10240)),
  batchSize: positiveInt.check(z.lte(10)),
  /** SQS event source maximum concurrency (2–1000); must not exceed reservedConcurrency. */
  maxConcurrency: z.number().check(z.int(), z.gte(2), z.lte(1000)),
  maxReceiveCount: z.number().check(z.int(), z.gte(3), z.lte(5)),
  /** Imaging jobs one practice may have queued or running at once; the next is a 429 ImagingPracticeBusy. */
  practiceMaxJobs: positiveInt.check(z.lte(1000)),
});

export const taskConfigSchema = z.strictObject({
  name: z.enum(TASK_NAMES),
  description: z.string().check(z.minLength(1)),
  routes: z.array(routeSchema).check(z.minLength(1)),
  providers: z.array(providerTargetSchema).check(z.minLength(1)),
  secretName: z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a valid Secrets Manager name')),
  /** Reserved concurrency of the task's API function; `null` when the stage turns reservations off. */
  reservedConcurrency: z.nullable(positiveInt),
  timeoutSeconds: positiveInt.check(z.lte(900)),
  memoryMb: positiveInt.check(z.gte(128), z.lte(10240)),
  dailyTokenBudget: positiveInt,
  tokensPerMinute: positiveInt,
  /** Ceiling on completion tokens per model call; also the reservation made before a call. */
  maxOutputTokens: positiveInt,
  cache: cachePolicySchema,
  /** The default per-practice share of this task's limits. */
  practiceShare: practiceShareSchema,
  phi: z._default(z.enum(PHI_POLICIES), 'scrub'),
  worker: z.optional(workerSchema),
});
export type TaskConfig = z.infer<typeof taskConfigSchema>;
export type TaskConfigInput = z.input<typeof taskConfigSchema>;

/** Price of a model in US dollars per million tokens (= micro-dollars per token). */
export const modelPriceSchema = z.strictObject({
  inputUsdPerMTok: z.number().check(z.nonnegative()),
  outputUsdPerMTok: z.number().check(z.nonnegative()),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** What a function receives in `TASK_CONFIG`: its task plus the prices of the models it may call. */
export const functionTaskConfigSchema = z.extend(taskConfigSchema, {
  prices: z.record(z.string(), modelPriceSchema),
});
export type FunctionTaskConfig = z.infer<typeof functionTaskConfigSchema>;

/** Parses `TASK_CONFIG`; a broken value is a deployment bug, so the message says where to look. */
export function parseTaskConfig(json: string | undefined): FunctionTaskConfig {
  if (!json) throw new Error('TASK_CONFIG is not set: the stack (or the local runtime) must set it from the catalog');
  const parsed = functionTaskConfigSchema.safeParse(JSON.parse(json));
  if (!parsed.success) {
    throw new Error(`TASK_CONFIG is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
