/**
 * `npm start` in one call: the whole gateway on one machine, from the same function plan the stack
 * builds (lib/function-plan.ts). Starts the stand-ins (dynalite, the Secrets Manager stand-in, the
 * local queue and object store, the provider simulator) behind an access policy of the plan's
 * grants, each planned function as a pool of execution environments with the environment the
 * stack would give it (function-specs.ts, lambda-function.ts), its event source, and the local API
 * Gateway in front. Used by `bin/local.ts`, the integration tests and the benchmark.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { resolveCatalog, type ResolveOptions, type ResolvedCatalog, type TaskConfig } from '../../lib/catalog';
import { DEFAULT_ALLOWED_ORIGIN, VISIBILITY_TIMEOUT_FACTOR, planFunctions, type PlannedFunction } from '../../lib/function-plan';
import { createDocumentClient } from '../../functions/core/dynamo';
import { DynamoUsageLedger } from '../../functions/core/usage-ledger';
import { LocalAccessPolicy, type LocalResourceNames } from '../access-policy';
import { createTables, startDynamoDb, type EmbeddedDynamoDb } from '../dynamodb';
import { createOpsSnapshotReader, opsPageRoutes } from '../ops-page';
import { startObjectStore, type LocalObjectStore } from '../object-store';
import { startSecretsManager, type SecretsManagerStandIn } from '../secrets-manager';
import { startProviderSimulator, type ProviderSimulator, type ProviderSimulatorOptions } from '../simulator';
import { LocalQueue, QueuePoller, startSqsEndpoint, type LocalMessage, type SqsEndpoint } from '../sqs';
import { startApiGateway, type ApiGatewayOptions, type ApiRoute, type LocalApiGateway, type LocalRoute } from './api-gateway';
import { devIdentities, type DevIdentity } from './dev-tokens';
import { LOCAL_SECRET_ACCESS_KEY, RUNTIME_ACCESS_KEY_ID, localFunctionSpecs, registerAccess } from './function-specs';
import { LocalLambdaFunction, type LocalFunctionSpec } from './lambda-function';
import { recoverAfterRestart, type RecoveryReport } from './recovery';
import type { RuntimeStats } from './stats';
import { planTaskKeys, readLocalSecretsFile, type TaskKeyPlan } from './task-keys';

type WorkerConfig = NonNullable<TaskConfig['worker']>;

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const LOCAL_STAGE = 'local';
export const IMAGING_WORKER_ID = 'imaging-worker';
export const OPS_FUNCTION_ID = 'ops';

export const LOCAL_TABLES = {
  usage: 'smartdental-local-usage',
  cache: 'smartdental-local-cache',
  jobs: 'smartdental-local-jobs',
  practiceOverrides: 'smartdental-local-practice-overrides',
} as const;
export const LOCAL_BUCKET = 'smartdental-local-images';
export const LOCAL_QUEUE = 'smartdental-local-imaging';
export const LOCAL_DEAD_LETTER_QUEUE = 'smartdental-local-imaging-dlq';

export interface LocalRuntimeOptions {
  /** HTTP port of the local API; 0 picks a free one. @default 3000 */
  port?: number;
  /**
   * Keep DynamoDB data, images and the queues' messages in this folder; in memory when absent.
   * A start with a folder that a killed process left behind recovers it first (see recovery.ts).
   */
  dataDir?: string;
  /** Where to read `SMARTDENTAL_*` settings and keys. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Discard the functions' log output. @default false */
  quiet?: boolean;
  /** Concurrency limit per function id (`clinical`, `imaging-worker`, `ops`), overriding the catalog. */
  concurrencyOverrides?: Partial<Record<string, number>>;
  /** Catalog overrides, as `-c taskOverrides` would give them. */
  taskOverrides?: ResolveOptions['taskOverrides'];
  /** Options for the provider simulator (latency, fault rates, key limits). */
  simulator?: Omit<ProviderSimulatorOptions, 'port'>;
  /** Imaging queue visibility timeout; default 6 × the worker timeout, as the stack sets it. */
  imagingVisibilityTimeoutSeconds?: number;
  /** Extra variables for every function (e.g. `POWERTOOLS_LOG_LEVEL`). */
  functionEnv?: Record<string, string>;
  /** Routes the local server answers itself (the operations page). */
  localRoutes?: LocalRoute[];
  /** Path of the local secrets file. @default local/secrets.json */
  secretsFile?: string;
  /**
   * `wait` (default): resolve once every function has loaded its handler. `background`: start
   * serving as soon as the stand-ins are up while the functions load; a request that arrives
   * first waits for its function's cold start, as in Lambda. `ready` resolves when all are warm.
   */
  warmUp?: 'wait' | 'background';
  /** Called with a line of start-up progress (stand-ins up, each function loaded). */
  onProgress?: (line: string) => void;
  /** Handler file per function id, replacing `functions/<task>/handler.ts` (test probes). */
  handlerOverrides?: Partial<Record<string, string>>;
  /** Limits of the local HTTP server: header size, header and body timeouts (tests set them small). */
  http?: Pick<ApiGatewayOptions, 'maxHeaderBytes' | 'headersTimeoutMs' | 'bodyTimeoutMs'>;
}

export type { ImagingQueueStats, RuntimeStats } from './stats';

export interface LocalRuntime {
  url: string;
  port: number;
  /** Resolves when every function has loaded its handler, with the ms since the start began. */
  ready: Promise<number>;
  stats(): RuntimeStats;
  /** Messages in the imaging dead-letter queue. */
  deadLetters(): LocalMessage[];
  simulator: ProviderSimulator;
  /** What the banner prints. */
  describe(): RuntimeDescription;
  /** Endpoints of the stand-ins (for the usage report and tests). */
  endpoints: { dynamodb: string; secretsManager: string; sqs: string; s3: string };
  tables: typeof LOCAL_TABLES;
  /** What the start-up recovery did (with a data dir; all empty otherwise). */
  recovery: RecoveryReport;
  /** What each function was started with: its environment, limits and handler (the parity test reads it). */
  functionSpecs(): LocalFunctionSpec[];
  /** What the stand-ins allow each function's key (built from the plan's grants). */
  access: LocalAccessPolicy;
  close(): Promise<void>;
}

export interface RuntimeDescription {
  url: string;
  routes: Array<ApiRoute & { limit: number }>;
  identities: DevIdentity[];
  dataDir?: string;
  tasks: Array<{ task: string; limit: number; providers: TaskKeyPlan['providers'] }>;
  imagingWorker: { limit: number; maxConcurrency: number; batchSize: number; visibilityTimeoutSeconds: number; maxReceiveCount: number };
  simulatorUrl: string;
  startupMs: number;
}

/**
 * Variables every function inherits from the developer's shell: logging knobs, and the DynamoDB
 * connection timeout, which the laptop raises because dynalite answers from this busy process
 * (functions/core/dynamo.ts says why).
 */
function passThroughEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (name.startsWith('POWERTOOLS_') || name === 'LOG_LEVEL' || name === 'DYNAMODB_CONNECTION_TIMEOUT_MS' || name === 'PATH' || name === 'HOME' || name === 'TMPDIR')) kept[name] = value;
  }
  return kept;
}

/** What was started, closed in reverse order: the API stops taking requests before the stand-ins behind it go. */
class Closers {
  private readonly closers: Array<() => Promise<unknown>> = [];
  add(...closers: Array<() => Promise<unknown>>): void {
    this.closers.push(...closers);
  }
  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
  }
}

/** The names `npm start` gives the plan's resources, which the access policy is written in. */
function localResourceNames(catalog: ResolvedCatalog): LocalResourceNames {
  return { tables: LOCAL_TABLES, secrets: Object.fromEntries(catalog.tasks.map((t) => [t.name, t.secretName])), queue: LOCAL_QUEUE, bucket: LOCAL_BUCKET };
}

interface StandIns {
  dynamo: EmbeddedDynamoDb;
  objectStore: LocalObjectStore;
  simulator: ProviderSimulator;
  secrets: SecretsManagerStandIn;
  keyPlans: TaskKeyPlan[];
  queues: LocalQueues;
}

interface LocalQueues {
  imaging: LocalQueue;
  deadLetters: LocalQueue;
  sqs: SqsEndpoint;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

/** dynalite, the object store, the provider simulator, the task keys and Secrets Manager, the queues. */
async function startStandIns(options: LocalRuntimeOptions, catalog: ResolvedCatalog, access: LocalAccessPolicy, credentials: Record<string, string>, closers: Closers): Promise<StandIns> {
  const [dynamo, objectStore, simulator] = await Promise.all([
    startDynamoDb({ dataDir: options.dataDir ? join(options.dataDir, 'dynamodb') : undefined, access }),
    startObjectStore({ dataDir: options.dataDir ? join(options.dataDir, 'objects') : undefined, credentials, access }),
    startProviderSimulator({ ...options.simulator }),
  ]);
  closers.add(() => dynamo.close(), () => objectStore.close(), () => simulator.close());

  const keyPlans = planTaskKeys({
    tasks: catalog.tasks,
    simulator,
    env: options.env ?? process.env,
    secretsFile: readLocalSecretsFile(options.secretsFile ?? join(REPO_ROOT, 'local', 'secrets.json')),
  });
  const simulatedKeys = Object.fromEntries(keyPlans.filter((p) => p.simulatedKey).map((p) => [p.simulatedKey!, {}]));
  simulator.configure({ keys: { ...simulatedKeys, ...(options.simulator?.keys ?? {}) } });
  const secrets = await startSecretsManager({ secrets: Object.fromEntries(keyPlans.map((p) => [p.secretName, p.secretString])), access });
  closers.add(() => secrets.close());
  const queues = await startQueues(options, imagingWorkerOf(catalog), access, closers);
  return { dynamo, objectStore, simulator, secrets, keyPlans, queues };
}

/** The imaging queue and its dead-letter queue behind the SQS endpoint; durable with a data dir, as SQS is. */
async function startQueues(options: LocalRuntimeOptions, worker: WorkerConfig, access: LocalAccessPolicy, closers: Closers): Promise<LocalQueues> {
  const visibilityTimeoutSeconds = options.imagingVisibilityTimeoutSeconds ?? VISIBILITY_TIMEOUT_FACTOR * worker.timeoutSeconds;
  const journalOf = (name: string) => (options.dataDir ? join(options.dataDir, 'queues', `${name}.jsonl`) : undefined);
  const deadLetters = new LocalQueue({ name: LOCAL_DEAD_LETTER_QUEUE, visibilityTimeoutMs: visibilityTimeoutSeconds * 1000, journalFile: journalOf(LOCAL_DEAD_LETTER_QUEUE) });
  const imaging = new LocalQueue({
    name: LOCAL_QUEUE,
    visibilityTimeoutMs: visibilityTimeoutSeconds * 1000,
    redrive: { deadLetterQueue: deadLetters, maxReceiveCount: worker.maxReceiveCount },
    journalFile: journalOf(LOCAL_QUEUE),
  });
  const sqs = await startSqsEndpoint({ queues: [imaging, deadLetters], access });
  closers.add(() => sqs.close());
  return { imaging, deadLetters, sqs, visibilityTimeoutSeconds, maxReceiveCount: worker.maxReceiveCount };
}

function imagingWorkerOf(catalog: ResolvedCatalog): WorkerConfig {
  const worker = catalog.byName.imaging?.worker;
  if (!worker) throw new Error("the catalog's imaging task has no worker settings");
  return worker;
}

/** The tables, created with the runtime's own key, and the ledger the runtime itself writes (throttles, recovery). */
async function openLedger(dynamo: EmbeddedDynamoDb, closers: Closers): Promise<{ doc: DynamoDBDocumentClient; ledger: DynamoUsageLedger }> {
  const clientConfig = { endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: RUNTIME_ACCESS_KEY_ID, secretAccessKey: LOCAL_SECRET_ACCESS_KEY } };
  const client = new DynamoDBClient(clientConfig);
  closers.add(async () => client.destroy());
  await createTables(client, LOCAL_TABLES);
  const doc = createDocumentClient(clientConfig);
  closers.add(async () => doc.destroy());
  return { doc, ledger: new DynamoUsageLedger({ doc, tableName: LOCAL_TABLES.usage }) };
}

/** Before any function runs: whatever the data dir holds from a killed process is dead now. */
async function recoverIfRestarted(options: LocalRuntimeOptions, catalog: ResolvedCatalog, standIns: StandIns, doc: DynamoDBDocumentClient, ledger: DynamoUsageLedger): Promise<RecoveryReport> {
  if (!options.dataDir) return { releasedTokens: 0, requeuedJobs: [], deletedImages: [] };
  return recoverAfterRestart({
    doc,
    jobsTable: LOCAL_TABLES.jobs,
    ledger,
    tasks: catalog.tasks.map((t) => t.name),
    queue: standIns.queues.imaging,
    deadLetterQueue: standIns.queues.deadLetters,
    objects: standIns.objectStore,
    bucket: LOCAL_BUCKET,
  });
}

/** The plan's functions as local execution-environment pools, each signing with its own key. */
function createFunctions(plan: PlannedFunction[], standIns: StandIns, catalog: ResolvedCatalog, options: LocalRuntimeOptions, grants: { access: LocalAccessPolicy; credentials: Record<string, string> }): Map<string, LocalLambdaFunction> {
  const specs = localFunctionSpecs({
    plan,
    stage: LOCAL_STAGE,
    repoRoot: REPO_ROOT,
    names: localResourceNames(catalog),
    queueUrl: standIns.queues.sqs.queueUrl(LOCAL_QUEUE),
    endpoints: { dynamodb: standIns.dynamo.endpoint, secretsManager: standIns.secrets.endpoint, sqs: standIns.queues.sqs.endpoint, s3: standIns.objectStore.endpoint },
    keyPlans: standIns.keyPlans,
    inherited: passThroughEnv(options.env ?? process.env),
    extra: { ...(options.quiet ? { POWERTOOLS_LOG_LEVEL: 'ERROR' } : {}), ...options.functionEnv },
    concurrencyOverrides: options.concurrencyOverrides,
    handlerOverrides: options.handlerOverrides,
    quiet: options.quiet,
  });
  registerAccess(plan, specs, grants.access, grants.credentials);
  return new Map(specs.map((spec) => [spec.id, new LocalLambdaFunction(spec)]));
}

/** Counted where AWS counts it: the Lambda Throttles metric, and here the task's ledger item. */
function countThrottles(plan: PlannedFunction[], functions: Map<string, LocalLambdaFunction>, ledger: DynamoUsageLedger): void {
  for (const planned of plan) {
    const task = planned.task;
    if (task) functions.get(planned.id)!.on('throttle', () => void ledger.record(task, { lambdaThrottles: 1 }).catch(() => undefined));
  }
}

/**
 * Cold-starts every function now, so the first request is not the slow one; as many at once as
 * there are cores, since loading the SDKs is CPU-bound and more only thrash. A failed cold start
 * surfaces on the first invocation of that function, as in Lambda. Resolves with the ms since start.
 */
function warmUp(functions: Map<string, LocalLambdaFunction>, options: LocalRuntimeOptions, startedAt: number): Promise<number> {
  const queue = [...functions.values()].sort((a, b) => Number(b.spec.id === OPS_FUNCTION_ID) - Number(a.spec.id === OPS_FUNCTION_ID));
  const warmers = Array.from({ length: Math.max(1, Math.min(availableParallelism(), queue.length)) }, async () => {
    for (let fn = queue.shift(); fn; fn = queue.shift()) {
      const began = Date.now();
      await fn.start();
      options.onProgress?.(`${fn.spec.functionName} loaded in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }
  });
  const warm = Promise.all(warmers).then(() => Date.now() - startedAt);
  warm.catch(() => undefined);
  return warm;
}

/** The plan's SQS event sources: the imaging queue feeding its worker, at most maxConcurrency batches at once. */
function startEventSources(plan: PlannedFunction[], functions: Map<string, LocalLambdaFunction>, queues: LocalQueues, closers: Closers): { poller: QueuePoller; maxConcurrency: number } {
  const planned = plan.find((p) => p.eventSources.length > 0)!;
  const source = planned.eventSources[0]!;
  const consumer = functions.get(planned.id)!;
  const maxConcurrency = Math.min(source.maxConcurrency, consumer.spec.concurrencyLimit);
  const poller = new QueuePoller(
    queues.imaging,
    async (event) => {
      const outcome = await consumer.invoke(event);
      return outcome.kind === 'result' ? (outcome.result as { batchItemFailures: Array<{ itemIdentifier: string }> } | undefined) : undefined;
    },
    { batchSize: source.batchSize, maxConcurrency },
  );
  poller.start();
  closers.add(() => poller.stop());
  return { poller, maxConcurrency };
}

/** Every planned route, public where the plan says `auth: 'none'`. */
function routesOf(plan: PlannedFunction[]): ApiRoute[] {
  return plan.flatMap((planned) => planned.routes.map((r): ApiRoute => ({ method: r.method, path: r.path, functionId: planned.id, public: r.auth === 'none' })));
}

interface Running {
  startedAt: number;
  catalog: ResolvedCatalog;
  standIns: StandIns;
  functions: Map<string, LocalLambdaFunction>;
  poller: QueuePoller;
  maxConcurrency: number;
  access: LocalAccessPolicy;
}

function statsOf(running: Running): RuntimeStats {
  const { imaging, deadLetters, visibilityTimeoutSeconds, maxReceiveCount } = running.standIns.queues;
  return {
    startedAt: new Date(running.startedAt).toISOString(),
    functions: Object.fromEntries([...running.functions].map(([id, fn]) => [id, fn.stats()])),
    imagingQueue: {
      ...imaging.depth(),
      deadLetters: deadLetters.depth().depth + deadLetters.depth().inFlight,
      workerInvocationsInFlight: running.poller.stats().inFlightInvocations,
      maxConcurrency: running.maxConcurrency,
      visibilityTimeoutSeconds,
      maxReceiveCount,
    },
  };
}

/** The local API Gateway: the plan's routes, the runtime's stats and the operations page. */
async function startApi(running: Running, routes: ApiRoute[], doc: DynamoDBDocumentClient, options: LocalRuntimeOptions, allowedOrigin: string): Promise<LocalApiGateway> {
  const stats = () => statsOf(running);
  const statsRoute: LocalRoute = {
    method: 'GET',
    path: '/_local/stats',
    handle: (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(stats()));
    },
  };
  const opsPage = opsPageRoutes(createOpsSnapshotReader({ doc, usageTable: LOCAL_TABLES.usage, practiceOverridesTable: LOCAL_TABLES.practiceOverrides, catalog: running.catalog.tasks, stats, imagingWorkerId: IMAGING_WORKER_ID }));
  return startApiGateway({
    routes,
    functions: running.functions,
    identities: devIdentities(options.env ?? process.env),
    port: options.port ?? 3000,
    stage: LOCAL_STAGE,
    allowedOrigin,
    ...options.http,
    localRoutes: [statsRoute, ...opsPage, ...(options.localRoutes ?? [])],
  });
}

function describeRuntime(running: Running, url: string, routes: ApiRoute[], options: LocalRuntimeOptions): RuntimeDescription {
  const { functions, standIns, catalog } = running;
  const limitOf = (id: string) => functions.get(id)!.spec.concurrencyLimit;
  const worker = imagingWorkerOf(catalog);
  return {
    url,
    routes: routes.map((r) => ({ ...r, limit: limitOf(r.functionId) })),
    identities: devIdentities(options.env ?? process.env),
    dataDir: options.dataDir,
    tasks: catalog.tasks.map((t) => ({ task: t.name, limit: limitOf(t.name), providers: standIns.keyPlans.find((p) => p.task === t.name)!.providers })),
    imagingWorker: {
      limit: limitOf(IMAGING_WORKER_ID),
      maxConcurrency: running.maxConcurrency,
      batchSize: worker.batchSize,
      visibilityTimeoutSeconds: standIns.queues.visibilityTimeoutSeconds,
      maxReceiveCount: worker.maxReceiveCount,
    },
    simulatorUrl: standIns.simulator.url,
    startupMs: Date.now() - running.startedAt,
  };
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const startedAt = Date.now();
  const env = options.env ?? process.env;
  const catalog = resolveCatalog({ stage: LOCAL_STAGE, taskOverrides: options.taskOverrides });
  const allowedOrigin = env.SMARTDENTAL_ALLOWED_ORIGIN || DEFAULT_ALLOWED_ORIGIN;
  const plan = planFunctions(catalog, { allowedOrigin });
  const access = new LocalAccessPolicy(localResourceNames(catalog), new Set([RUNTIME_ACCESS_KEY_ID]));
  // The object store checks signatures; each function's key is added as it is created.
  const credentials: Record<string, string> = { [RUNTIME_ACCESS_KEY_ID]: LOCAL_SECRET_ACCESS_KEY };
  const closers = new Closers();
  try {
    const standIns = await startStandIns(options, catalog, access, credentials, closers);
    const { doc, ledger } = await openLedger(standIns.dynamo, closers);
    const recovery = await recoverIfRestarted(options, catalog, standIns, doc, ledger);

    const functions = createFunctions(plan, standIns, catalog, options, { access, credentials });
    closers.add(() => Promise.all([...functions.values()].map((fn) => fn.close())));
    countThrottles(plan, functions, ledger);
    const warm = warmUp(functions, options, startedAt);
    if ((options.warmUp ?? 'wait') === 'wait') await warm;

    const { poller, maxConcurrency } = startEventSources(plan, functions, standIns.queues, closers);
    const running: Running = { startedAt, catalog, standIns, functions, poller, maxConcurrency, access };
    const routes = routesOf(plan);
    const api = await startApi(running, routes, doc, options, allowedOrigin);
    closers.add(() => api.close());
    const description = describeRuntime(running, api.url, routes, options);
    return runtimeHandle(running, api, description, warm, recovery, closers);
  } catch (error) {
    await closers.closeAll();
    throw error;
  }
}

function runtimeHandle(running: Running, api: LocalApiGateway, description: RuntimeDescription, warm: Promise<number>, recovery: RecoveryReport, closers: Closers): LocalRuntime {
  const { standIns } = running;
  let closing: Promise<void> | undefined;
  return {
    url: api.url,
    port: api.port,
    ready: warm,
    stats: () => statsOf(running),
    deadLetters: () => standIns.queues.deadLetters.peek(),
    simulator: standIns.simulator,
    describe: () => description,
    endpoints: { dynamodb: standIns.dynamo.endpoint, secretsManager: standIns.secrets.endpoint, sqs: standIns.queues.sqs.endpoint, s3: standIns.objectStore.endpoint },
    tables: LOCAL_TABLES,
    recovery,
    functionSpecs: () => [...running.functions.values()].map((fn) => fn.spec),
    access: running.access,
    close: () => (closing ??= closers.closeAll()),
  };
}
