/**
 * The task catalog: the single source of truth for the five AI tasks.
 *
 * The stack, the local runtime (`npm start`), the usage report and the benchmark all read it.
 * Adding a sixth task is one entry here plus one handler folder under `functions/`, whose
 * `routes.ts` declares its routes once (functions/core/route-declaration.ts); `routes` below derive from it.
 *
 * Values can be changed per stage through CDK context (see {@link resolveCatalog}):
 *   -c stage=prod                                  picks the `prod` preset below
 *   -c reservedConcurrency=off                     no reserved concurrency (new accounts, quota 10)
 *   -c taskOverrides='{"chat":{"reservedConcurrency":5,"dailyTokenBudget":2000000}}'
 *   -c providers=bedrock                           every task's chain on Amazon Bedrock (PHI stays in AWS)
 */
import { z } from 'zod';
import {
  TASK_NAMES,
  modelPriceSchema,
  taskConfigSchema,
  type FunctionTaskConfig,
  type ModelPrice,
  type ProviderTarget,
  type TaskConfig,
  type TaskConfigInput,
  type TaskName,
} from '../functions/core/task-config';
import { endpointReach } from '../functions/core/model-endpoint';
import { catalogRoutesOf } from '../functions/core/route-declaration';
import { ROUTES as BILLING_ROUTES } from '../functions/billing/routes';
import { ROUTES as CHAT_ROUTES } from '../functions/chat/routes';
import { ROUTES as CLINICAL_ROUTES } from '../functions/clinical/routes';
import { ROUTES as IMAGING_ROUTES } from '../functions/imaging/routes';
import { ROUTES as SCHEDULING_ROUTES } from '../functions/scheduling/routes';

export { TASK_NAMES, type TaskConfig, type TaskName };

/**
 * Default models, taken from the installed SDKs' model lists (`ChatModel` in openai,
 * `Model` in @anthropic-ai/sdk), none of them in the SDKs' deprecation lists. A test pins this.
 */
export const DEFAULT_MODELS = {
  openaiVision: 'gpt-5.4',
  openaiSmall: 'gpt-5.4-mini',
  openaiNano: 'gpt-5.4-nano',
  anthropicLarge: 'claude-sonnet-5-5',
  anthropicSmall: 'claude-haiku-5-5',
  /** What a self-hosted OpenAI-compatible server (vLLM, Ollama, llama.cpp) typically serves. */
  local: 'llama-3.1-8b-instruct',
} as const;

/**
 * Models on Amazon Bedrock for the `providers=bedrock` preset ({@link BEDROCK_CHAINS}). Claude 4.5
 * models are served on demand only through a cross-Region inference profile, so they carry the
 * `us.` geography prefix (a stage outside the US names its own with taskOverrides); Nova models
 * are invoked in the stack's own Region. Claude and Nova Pro/Lite read images; Nova Micro is text only.
 */
export const BEDROCK_MODELS = {
  claudeSonnet: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  claudeHaiku: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  novaPro: 'amazon.nova-pro-v1:0',
  novaLite: 'amazon.nova-lite-v1:0',
  novaMicro: 'amazon.nova-micro-v1:0',
} as const;

/**
 * The self-hosted model server used as scheduling's last resort. A loopback address works for
 * `npm start` only: a deployed stage sets its own with `-c localModelUrl=…` (see {@link ResolveOptions}).
 */
export const DEFAULT_LOCAL_MODEL_URL = 'http://127.0.0.1:8000/v1';

/** REST API Gateway stops waiting for an integration after this long (more needs a quota increase). */
export const API_GATEWAY_TIMEOUT_SECONDS = 29;
/**
 * Lambda's timeout does not count a cold start's init, API Gateway's clock does: an API function
 * must finish this much before the gateway gives up, and its route waits this much longer.
 */
export const COLD_START_ALLOWANCE_SECONDS = 2;
/** The longest timeout an API function may have: a 504 while it still runs would spend tokens for nobody. */
export const MAX_API_TIMEOUT_SECONDS = API_GATEWAY_TIMEOUT_SECONDS - COLD_START_ALLOWANCE_SECONDS;
/**
 * A streamed REST response may last up to 15 minutes and its integration timeout may be raised to
 * match, without a quota increase:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html
 * ("You can stream your response for up to 15 minutes"; "Exceed API Gateway's 29 second timeout
 * limit without requesting an integration timeout limit increase"). The idle timeout of a Regional
 * endpoint is 5 minutes, far above the gap between two tokens of a model's answer.
 */
export const STREAMING_API_GATEWAY_TIMEOUT_SECONDS = 900;
/** The longest timeout of a function all of whose routes stream (chat). */
export const MAX_STREAMING_API_TIMEOUT_SECONDS = STREAMING_API_GATEWAY_TIMEOUT_SECONDS - COLD_START_ALLOWANCE_SECONDS;

/** True when every route of the task answers as a response stream, so no route is held to 29 s. */
export function streamsEveryRoute(task: Pick<TaskConfig, 'routes'>): boolean {
  return task.routes.length > 0 && task.routes.every((route) => route.streaming);
}

/** The longest timeout the task's API function may have behind its routes. */
export function maxApiTimeoutSecondsOf(task: Pick<TaskConfig, 'routes'>): number {
  return streamsEveryRoute(task) ? MAX_STREAMING_API_TIMEOUT_SECONDS : MAX_API_TIMEOUT_SECONDS;
}

/** The operations function (health, OpenAPI, usage report) is not an AI task; it gets a small reservation. */
export const OPS_RESERVED_CONCURRENCY = 2;

/** The ops function's reservation: none when the stage turns reservations off, as for every task. */
export function opsReservedConcurrency(catalog: ResolvedCatalog): number | null {
  return catalog.tasks.every((t) => t.reservedConcurrency === null) ? null : OPS_RESERVED_CONCURRENCY;
}

/**
 * List prices in USD per million tokens (= micro-dollars per token), used for the ledger's cost
 * column. Check them against your contract; a self-hosted model costs nothing per token.
 */
export const MODEL_PRICES: Record<string, ModelPrice> = {
  [DEFAULT_MODELS.openaiVision]: { inputUsdPerMTok: 2.5, outputUsdPerMTok: 15 },
  [DEFAULT_MODELS.openaiSmall]: { inputUsdPerMTok: 0.75, outputUsdPerMTok: 4.5 },
  [DEFAULT_MODELS.openaiNano]: { inputUsdPerMTok: 0.2, outputUsdPerMTok: 1.25 },
  [DEFAULT_MODELS.anthropicLarge]: { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  [DEFAULT_MODELS.anthropicSmall]: { inputUsdPerMTok: 1, outputUsdPerMTok: 5 },
  [DEFAULT_MODELS.local]: { inputUsdPerMTok: 0, outputUsdPerMTok: 0 },
  // Amazon Bedrock on-demand list prices (check https://aws.amazon.com/bedrock/pricing/ for your Region).
  [BEDROCK_MODELS.claudeSonnet]: { inputUsdPerMTok: 3, outputUsdPerMTok: 15 },
  [BEDROCK_MODELS.claudeHaiku]: { inputUsdPerMTok: 1, outputUsdPerMTok: 5 },
  [BEDROCK_MODELS.novaPro]: { inputUsdPerMTok: 0.8, outputUsdPerMTok: 3.2 },
  [BEDROCK_MODELS.novaLite]: { inputUsdPerMTok: 0.06, outputUsdPerMTok: 0.24 },
  [BEDROCK_MODELS.novaMicro]: { inputUsdPerMTok: 0.035, outputUsdPerMTok: 0.14 },
};

/**
 * Every task's chain on Amazon Bedrock, for practices whose patient data must stay inside the AWS
 * business-associate boundary (`-c providers=bedrock`). Imaging and clinical get vision-capable
 * models (Claude Sonnet, then Nova Pro); the small tasks get small models. No key is involved: each
 * task's role may invoke exactly these models of its own chain.
 */
export const BEDROCK_CHAINS: Record<TaskName, ProviderTarget[]> = {
  imaging: [
    { provider: 'bedrock', model: BEDROCK_MODELS.claudeSonnet },
    { provider: 'bedrock', model: BEDROCK_MODELS.novaPro },
  ],
  clinical: [
    { provider: 'bedrock', model: BEDROCK_MODELS.claudeSonnet },
    { provider: 'bedrock', model: BEDROCK_MODELS.novaPro },
  ],
  billing: [
    { provider: 'bedrock', model: BEDROCK_MODELS.claudeHaiku },
    { provider: 'bedrock', model: BEDROCK_MODELS.novaLite },
  ],
  scheduling: [
    { provider: 'bedrock', model: BEDROCK_MODELS.novaMicro },
    { provider: 'bedrock', model: BEDROCK_MODELS.novaLite },
  ],
  chat: [
    { provider: 'bedrock', model: BEDROCK_MODELS.claudeHaiku },
    { provider: 'bedrock', model: BEDROCK_MODELS.novaLite },
  ],
};

/** Where the tasks' chains come from: the catalog as written, or {@link BEDROCK_CHAINS}. */
export const PROVIDER_PRESETS = ['catalog', 'bedrock'] as const;
export type ProviderPreset = (typeof PROVIDER_PRESETS)[number];

/** The catalog as written (development defaults). Stage presets and overrides apply on top. */
export const TASK_CATALOG: Record<TaskName, TaskConfigInput> = {
  imaging: {
    name: 'imaging',
    description: 'Reads dental radiographs (bitewing, periapical, panoramic, cephalometric) with a vision model',
    routes: catalogRoutesOf(IMAGING_ROUTES),
    providers: [
      { provider: 'openai', model: DEFAULT_MODELS.openaiVision },
      { provider: 'anthropic', model: DEFAULT_MODELS.anthropicLarge },
    ],
    secretName: 'smartdental/{stage}/imaging',
    reservedConcurrency: 5,
    timeoutSeconds: 10,
    memoryMb: 512,
    dailyTokenBudget: 20_000_000,
    tokensPerMinute: 400_000,
    maxOutputTokens: 1_500,
    cache: { enabled: false, ttlSeconds: 3600 },
    // Between practices, imaging is kept fair by the queue (SQS fair queues, one message group per
    // practice) and the per-practice job and pixel caps: when another practice's job waits, it gets
    // the next free worker. A concurrency share below the worker's 4 would only re-send a practice's
    // jobs while workers sit idle, so the share is every worker; the token shares still apply.
    practiceShare: { dailyTokensPercent: 10, tokensPerMinutePercent: 25, concurrentRequests: 4 },
    phi: 'scrub',
    worker: {
      reservedConcurrency: 4,
      timeoutSeconds: 120,
      memoryMb: 1024,
      batchSize: 1,
      maxConcurrency: 4,
      maxReceiveCount: 4,
      // 20 jobs at a practice's pace are minutes of work; a burst past it waits at the practice, not in the shared queue.
      practiceMaxJobs: 20,
    },
  },
  clinical: {
    name: 'clinical',
    description: 'Differential diagnosis and sequenced treatment plans for the dentist',
    routes: catalogRoutesOf(CLINICAL_ROUTES),
    providers: [
      { provider: 'anthropic', model: DEFAULT_MODELS.anthropicLarge },
      { provider: 'openai', model: DEFAULT_MODELS.openaiVision },
    ],
    secretName: 'smartdental/{stage}/clinical',
    reservedConcurrency: 10,
    // API Gateway (REST) stops waiting after 29 s, cold start included: at most 27 (MAX_API_TIMEOUT_SECONDS).
    timeoutSeconds: 27,
    memoryMb: 512,
    dailyTokenBudget: 10_000_000,
    tokensPerMinute: 200_000,
    maxOutputTokens: 2_000,
    cache: { enabled: true, ttlSeconds: 900 },
    // Diagnosis is the dentist's work, not patients' traffic: a practice gets a larger share.
    practiceShare: { dailyTokensPercent: 20, tokensPerMinutePercent: 30, concurrentRequests: 4 },
    phi: 'scrub',
  },
  billing: {
    name: 'billing',
    description: 'CDT code suggestions and claim narratives; estimates are plain arithmetic in cents',
    routes: catalogRoutesOf(BILLING_ROUTES),
    providers: [
      { provider: 'anthropic', model: DEFAULT_MODELS.anthropicSmall },
      { provider: 'openai', model: DEFAULT_MODELS.openaiSmall },
    ],
    secretName: 'smartdental/{stage}/billing',
    reservedConcurrency: 5,
    timeoutSeconds: 27,
    memoryMb: 384,
    dailyTokenBudget: 5_000_000,
    tokensPerMinute: 100_000,
    maxOutputTokens: 1_200,
    cache: { enabled: true, ttlSeconds: 3600 },
    practiceShare: { dailyTokensPercent: 15, tokensPerMinutePercent: 25, concurrentRequests: 2 },
    phi: 'scrub',
  },
  scheduling: {
    name: 'scheduling',
    description: 'Free-slot search (plain code) and appointment reminder wording from a small model',
    routes: catalogRoutesOf(SCHEDULING_ROUTES),
    providers: [
      { provider: 'openai', model: DEFAULT_MODELS.openaiNano },
      { provider: 'openai-compatible', model: DEFAULT_MODELS.local, baseUrl: DEFAULT_LOCAL_MODEL_URL },
    ],
    secretName: 'smartdental/{stage}/scheduling',
    reservedConcurrency: 3,
    timeoutSeconds: 15,
    memoryMb: 256,
    dailyTokenBudget: 2_000_000,
    tokensPerMinute: 50_000,
    maxOutputTokens: 300,
    cache: { enabled: true, ttlSeconds: 86_400 },
    practiceShare: { dailyTokensPercent: 10, tokensPerMinutePercent: 20, concurrentRequests: 2 },
    phi: 'scrub',
  },
  chat: {
    name: 'chat',
    description: 'Patient-facing conversation with urgent-symptom escalation',
    routes: catalogRoutesOf(CHAT_ROUTES),
    providers: [
      { provider: 'openai', model: DEFAULT_MODELS.openaiSmall },
      { provider: 'anthropic', model: DEFAULT_MODELS.anthropicSmall },
    ],
    secretName: 'smartdental/{stage}/chat',
    reservedConcurrency: 10,
    // Chat's one route streams (STREAM transfer mode), so API Gateway waits up to 15 minutes, not
    // 29 s; 60 s leaves a long answer room after a slow first provider.
    timeoutSeconds: 60,
    memoryMb: 384,
    dailyTokenBudget: 8_000_000,
    tokensPerMinute: 150_000,
    maxOutputTokens: 600,
    cache: { enabled: false, ttlSeconds: 300 },
    // Patients' chat is where a hostile or runaway practice bursts: the tightest shares.
    practiceShare: { dailyTokensPercent: 10, tokensPerMinutePercent: 20, concurrentRequests: 4 },
    phi: 'scrub',
  },
};

type TaskOverride = Partial<Omit<TaskConfigInput, 'name' | 'worker'>> & { worker?: Partial<NonNullable<TaskConfigInput['worker']>> };

/** Stage presets, applied before `taskOverrides`. */
export const STAGE_PRESETS: Record<string, Partial<Record<TaskName, TaskOverride>>> = {
  dev: {},
  prod: {
    imaging: {
      reservedConcurrency: 20,
      worker: { reservedConcurrency: 10, maxConcurrency: 10 },
      practiceShare: { dailyTokensPercent: 10, tokensPerMinutePercent: 25, concurrentRequests: 10 },
    },
    clinical: {
      reservedConcurrency: 40,
      dailyTokenBudget: 60_000_000,
      tokensPerMinute: 800_000,
      practiceShare: { dailyTokensPercent: 20, tokensPerMinutePercent: 30, concurrentRequests: 12 },
    },
    billing: { reservedConcurrency: 20, dailyTokenBudget: 20_000_000 },
    scheduling: { reservedConcurrency: 10 },
    chat: {
      reservedConcurrency: 50,
      dailyTokenBudget: 40_000_000,
      tokensPerMinute: 600_000,
      practiceShare: { dailyTokensPercent: 10, tokensPerMinutePercent: 20, concurrentRequests: 20 },
    },
  },
};

export interface ResolveOptions {
  /** Stage name; picks a preset and fills `{stage}` in secret names. @default 'dev' */
  stage?: string;
  /** false turns every reserved concurrency off (a new account's quota of 10 rejects any). @default true */
  reservedConcurrency?: boolean;
  /** Per-task overrides, applied last. */
  taskOverrides?: Partial<Record<string, TaskOverride>>;
  /** The catalog to resolve. @default TASK_CATALOG */
  catalog?: Record<string, TaskConfigInput>;
  /**
   * The self-hosted model server of this stage; replaces {@link DEFAULT_LOCAL_MODEL_URL} in every
   * openai-compatible target that still points there. @default DEFAULT_LOCAL_MODEL_URL
   */
  localModelUrl?: string;
  /**
   * `bedrock` replaces every task's chain with its {@link BEDROCK_CHAINS} entry (after the stage
   * preset, before `taskOverrides`, so an override may still name other Bedrock models).
   * @default 'catalog'
   */
  providers?: ProviderPreset;
}

/** The catalog after stage presets, overrides and validation. */
export interface ResolvedCatalog {
  stage: string;
  tasks: TaskConfig[];
  byName: Record<TaskName, TaskConfig>;
}

export class CatalogError extends Error {
  override name = 'CatalogError';
}

const overridesSchema = z.record(z.string(), z.record(z.string(), z.unknown()));

/**
 * Applies the stage preset and overrides, validates every entry with zod and checks the rules
 * that span fields. Throws {@link CatalogError} naming the task and the field.
 */
export function resolveCatalog(options: ResolveOptions = {}): ResolvedCatalog {
  const stage = options.stage ?? 'dev';
  const catalog = options.catalog ?? TASK_CATALOG;
  const preset = STAGE_PRESETS[stage] ?? {};
  const overrides = options.taskOverrides ?? {};

  for (const name of Object.keys(overrides)) {
    if (!(name in catalog)) throw new CatalogError(`taskOverrides names an unknown task '${name}' (known: ${Object.keys(catalog).join(', ')})`);
  }

  const tasks: TaskConfig[] = [];
  for (const [key, entry] of Object.entries(catalog)) {
    const staged = mergeEntry(entry, preset[key as TaskName]);
    if (options.providers === 'bedrock') {
      const chain = (BEDROCK_CHAINS as Partial<Record<string, ProviderTarget[]>>)[key];
      if (!chain && overrides[key]?.providers === undefined) {
        throw new CatalogError(`task catalog: task '${key}', field 'providers': providers=bedrock has no Bedrock chain for this task; name one in taskOverrides ({"${key}":{"providers":[{"provider":"bedrock","model":"…"}]}})`);
      }
      if (chain) staged.providers = chain.map((target) => ({ ...target }));
    }
    const merged = mergeEntry(staged, overrides[key]);
    if (typeof merged.secretName === 'string') merged.secretName = merged.secretName.replaceAll('{stage}', stage);
    if (options.localModelUrl !== undefined && Array.isArray(merged.providers)) {
      const url = options.localModelUrl;
      merged.providers = merged.providers.map((p) => (p.provider === 'openai-compatible' && p.baseUrl === DEFAULT_LOCAL_MODEL_URL ? { ...p, baseUrl: url } : p));
    }
    if (options.reservedConcurrency === false) {
      merged.reservedConcurrency = null;
      if (merged.worker) merged.worker = { ...merged.worker, reservedConcurrency: null };
    }
    const parsed = taskConfigSchema.safeParse(merged);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join('.') || '(entry)';
      throw new CatalogError(`task catalog: task '${key}', field '${field}': ${issue.message}`);
    }
    const task = parsed.data;
    if (task.name !== key) throw new CatalogError(`task catalog: task '${key}', field 'name': must equal its key, got '${task.name}'`);
    checkCrossFieldRules(task);
    tasks.push(task);
  }

  const byName = Object.fromEntries(tasks.map((t) => [t.name, t])) as Record<TaskName, TaskConfig>;
  return { stage, tasks, byName };
}

function mergeEntry(entry: TaskConfigInput, override: TaskOverride | Record<string, unknown> | undefined): TaskConfigInput {
  if (!override) return { ...entry };
  const { worker, ...rest } = override as TaskOverride;
  const merged = { ...entry, ...rest } as TaskConfigInput;
  if (worker) merged.worker = { ...(entry.worker ?? {}), ...worker } as TaskConfigInput['worker'];
  return merged;
}

function checkCrossFieldRules(task: TaskConfig): void {
  const where = `task catalog: task '${task.name}'`;
  // The API function sits behind API Gateway; the imaging worker (task.worker) behind SQS does not.
  const maxTimeout = maxApiTimeoutSecondsOf(task);
  if (task.timeoutSeconds > maxTimeout) {
    const limit = streamsEveryRoute(task) ? STREAMING_API_GATEWAY_TIMEOUT_SECONDS : API_GATEWAY_TIMEOUT_SECONDS;
    const kind = streamsEveryRoute(task) ? 'streamed-response' : 'integration';
    throw new CatalogError(
      `${where}, field 'timeoutSeconds': ${task.timeoutSeconds} s leaves no room under API Gateway's ${limit} s ${kind} limit; ` +
        `at most ${maxTimeout} (a cold start's init counts on API Gateway's clock, not on Lambda's)`,
    );
  }
  if (task.worker) {
    const { reservedConcurrency, maxConcurrency } = task.worker;
    if (reservedConcurrency !== null && maxConcurrency > reservedConcurrency) {
      throw new CatalogError(
        `${where}, field 'worker.maxConcurrency': ${maxConcurrency} exceeds the worker's reserved concurrency ${reservedConcurrency}; ` +
          'SQS would invoke more workers than may run and the extra messages would be throttled back to the queue',
      );
    }
  }
  if (task.maxOutputTokens > task.tokensPerMinute) {
    throw new CatalogError(`${where}, field 'maxOutputTokens': ${task.maxOutputTokens} exceeds tokensPerMinute ${task.tokensPerMinute}, so no request could ever be admitted`);
  }
  const paths = new Set<string>();
  for (const route of task.routes) {
    const id = `${route.method} ${route.path}`;
    if (paths.has(id)) throw new CatalogError(`${where}, field 'routes': ${id} appears twice`);
    if (!route.path.startsWith(`/v1/${task.name}/`)) throw new CatalogError(`${where}, field 'routes': ${route.path} must start with /v1/${task.name}/`);
    paths.add(id);
  }
  for (const target of task.providers) {
    // A key or a patient's words must not cross the internet in the clear; a private address (a
    // model server in the stage's VPC) or this machine may be plain http.
    if (target.baseUrl && new URL(target.baseUrl).protocol !== 'https:' && endpointReach(target.baseUrl) === 'public') {
      throw new CatalogError(`${where}, field 'providers': ${target.provider} target '${target.model}' at ${target.baseUrl} must use https on a public address (plain http only on a private or loopback address)`);
    }
    if (!(target.model in MODEL_PRICES)) {
      throw new CatalogError(`${where}, field 'providers': model '${target.model}' has no price in MODEL_PRICES (add one, 0 for a self-hosted model)`);
    }
  }
}

/** The config a task's functions receive in `TASK_CONFIG`: the entry plus the prices of its models. */
export function functionConfigFor(task: TaskConfig): FunctionTaskConfig {
  const prices = Object.fromEntries(task.providers.map((p) => [p.model, modelPriceSchema.parse(MODEL_PRICES[p.model])]));
  return { ...task, prices };
}

/** Reads the resolve options from CDK context values (strings on the command line, JSON in cdk.json). */
export function resolveOptionsFromContext(get: (key: string) => unknown): ResolveOptions {
  const stage = get('stage');
  // A misspelt stage must not deploy the dev preset's limits under a production name.
  if (stage !== undefined && (typeof stage !== 'string' || !Object.hasOwn(STAGE_PRESETS, stage))) {
    throw new CatalogError(`context 'stage': unknown stage ${JSON.stringify(stage)} (known: ${Object.keys(STAGE_PRESETS).join(', ')}); add a preset to STAGE_PRESETS in lib/catalog.ts for a new stage`);
  }
  const reserved = get('reservedConcurrency');
  const rawLocalModelUrl = get('localModelUrl');
  const localModelUrl = rawLocalModelUrl === '' ? undefined : rawLocalModelUrl;
  if (localModelUrl !== undefined && (typeof localModelUrl !== 'string' || !/^https?:\/\/\S+$/.test(localModelUrl))) {
    throw new CatalogError(`context 'localModelUrl' must be the model server's URL, e.g. http://10.0.0.5:8000/v1, got ${JSON.stringify(localModelUrl)}`);
  }
  let overrides = get('taskOverrides');
  if (typeof overrides === 'string') {
    try {
      overrides = JSON.parse(overrides);
    } catch {
      throw new CatalogError(`context 'taskOverrides' is not valid JSON: ${overrides}`);
    }
  }
  const parsedOverrides = overrides === undefined ? undefined : overridesSchema.safeParse(overrides);
  if (parsedOverrides && !parsedOverrides.success) {
    throw new CatalogError("context 'taskOverrides' must be an object of task name to field overrides, e.g. {\"chat\":{\"reservedConcurrency\":5}}");
  }
  const reservedOff = reserved === false || reserved === 'false' || reserved === 'off';
  const rawProviders = get('providers');
  const providers = rawProviders === '' ? undefined : rawProviders;
  if (providers !== undefined && (typeof providers !== 'string' || !(PROVIDER_PRESETS as readonly string[]).includes(providers))) {
    throw new CatalogError(`context 'providers' must be one of ${PROVIDER_PRESETS.join(', ')} (bedrock: every task on Amazon Bedrock), got ${JSON.stringify(rawProviders)}`);
  }
  return {
    stage: typeof stage === 'string' ? stage : undefined,
    reservedConcurrency: !reservedOff,
    taskOverrides: parsedOverrides?.data as ResolveOptions['taskOverrides'],
    localModelUrl,
    providers: providers as ProviderPreset | undefined,
  };
}
