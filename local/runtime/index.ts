/**
 * `npm start` in one call: the whole gateway on one machine. Starts the stand-ins (dynalite, the
 * Secrets Manager stand-in, the local queue and object store, the provider simulator), each Lambda
 * function as a pool of execution environments with the environment the stack would give it
 * (lambda-function.ts), and the local API Gateway in front. Used by `bin/local.ts`, the integration tests and the benchmark.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolveCatalog, functionConfigFor, opsReservedConcurrency, type ResolveOptions, type TaskConfig } from '../../lib/catalog';
import { ENV } from '../../functions/core/env';
import { opsCatalogJson } from '../../functions/ops/catalog-env';
import { OPS_ROUTES } from '../../functions/ops/route-schemas';
import { createDocumentClient } from '../../functions/core/dynamo';
import { DynamoUsageLedger } from '../../functions/core/usage-ledger';
import type { TaskName } from '../../functions/core/task-config';
import { createTables, startDynamoDb } from '../dynamodb';
import { createOpsSnapshotReader, opsPageRoutes } from '../ops-page';
import { startObjectStore } from '../object-store';
import { startSecretsManager } from '../secrets-manager';
import { startProviderSimulator, type ProviderSimulator, type ProviderSimulatorOptions } from '../simulator';
import { LocalQueue, QueuePoller, startSqsEndpoint, type LocalMessage } from '../sqs';
import { startApiGateway, type ApiGatewayOptions, type ApiRoute, type LocalRoute } from './api-gateway';
import { devIdentities, type DevIdentity } from './dev-tokens';
import { LocalLambdaFunction, type LocalFunctionSpec } from './lambda-function';
import { recoverAfterRestart, type RecoveryReport } from './recovery';
import type { RuntimeStats } from './stats';
import { planTaskKeys, readLocalSecretsFile, type TaskKeyPlan } from './task-keys';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const LOCAL_STAGE = 'local';
/** Concurrency of a function without a reservation: the default account limit. */
export const UNRESERVED_CONCURRENCY = 1000;
export const IMAGING_WORKER_ID = 'imaging-worker';
export const OPS_FUNCTION_ID = 'ops';
/** Ops routes that API Gateway serves without the authorizer. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/health', '/openapi.json']);

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

/** Handler file of a function, by the layout every task folder follows. */
function handlerFileOf(task: string, file = 'handler.ts'): string {
  return join(REPO_ROOT, 'functions', task, file);
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

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const startedAt = Date.now();
  let warmMs: number | undefined;
  const env = options.env ?? process.env;
  const catalog = resolveCatalog({ stage: LOCAL_STAGE, taskOverrides: options.taskOverrides });
  const closers: Array<() => Promise<unknown>> = [];
  const closeAll = async () => {
    // Reverse order: the API stops taking requests before the stand-ins behind it go.
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };

  try {
    const imaging = catalog.byName.imaging;
    const worker = imaging.worker;
    if (!worker) throw new Error("the catalog's imaging task has no worker settings");

    // ---- stand-ins, started side by side
    const [dynamo, objectStore, simulator] = await Promise.all([
      startDynamoDb({ dataDir: options.dataDir ? join(options.dataDir, 'dynamodb') : undefined }),
      startObjectStore({ dataDir: options.dataDir ? join(options.dataDir, 'objects') : undefined }),
      startProviderSimulator({ ...options.simulator }),
    ]);
    closers.push(() => dynamo.close(), () => objectStore.close(), () => simulator.close());

    const plans = planTaskKeys({
      tasks: catalog.tasks,
      simulator,
      env,
      secretsFile: readLocalSecretsFile(options.secretsFile ?? join(REPO_ROOT, 'local', 'secrets.json')),
    });
    const simulatedKeys = Object.fromEntries(plans.filter((p) => p.simulatedKey).map((p) => [p.simulatedKey!, {}]));
    simulator.configure({ keys: { ...simulatedKeys, ...(options.simulator?.keys ?? {}) } });

    const secrets = await startSecretsManager({ secrets: Object.fromEntries(plans.map((p) => [p.secretName, p.secretString])) });
    closers.push(() => secrets.close());

    const visibilityTimeoutSeconds = options.imagingVisibilityTimeoutSeconds ?? 6 * worker.timeoutSeconds;
    // SQS is durable; with a data dir, so are the local queues.
    const journalOf = (name: string) => (options.dataDir ? join(options.dataDir, 'queues', `${name}.jsonl`) : undefined);
    const deadLetterQueue = new LocalQueue({ name: LOCAL_DEAD_LETTER_QUEUE, visibilityTimeoutMs: visibilityTimeoutSeconds * 1000, journalFile: journalOf(LOCAL_DEAD_LETTER_QUEUE) });
    const imagingQueue = new LocalQueue({
      name: LOCAL_QUEUE,
      visibilityTimeoutMs: visibilityTimeoutSeconds * 1000,
      redrive: { deadLetterQueue, maxReceiveCount: worker.maxReceiveCount },
      journalFile: journalOf(LOCAL_QUEUE),
    });
    const sqs = await startSqsEndpoint({ queues: [imagingQueue, deadLetterQueue] });
    closers.push(() => sqs.close());

    const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    closers.push(async () => dynamoClient.destroy());
    await createTables(dynamoClient, LOCAL_TABLES);
    const ledgerDoc = createDocumentClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    closers.push(async () => ledgerDoc.destroy());
    const ledger = new DynamoUsageLedger({ doc: ledgerDoc, tableName: LOCAL_TABLES.usage });
    // Before any function runs: whatever the folder holds from a killed process is dead now.
    const recovery: RecoveryReport = options.dataDir
      ? await recoverAfterRestart({
          doc: ledgerDoc,
          jobsTable: LOCAL_TABLES.jobs,
          ledger,
          tasks: catalog.tasks.map((t) => t.name),
          queue: imagingQueue,
          deadLetterQueue,
          objects: objectStore,
          bucket: LOCAL_BUCKET,
        })
      : { releasedTokens: 0, requeuedJobs: [], deletedImages: [] };

    // ---- functions
    const identities = devIdentities(env);
    const allowedOrigin = env.SMARTDENTAL_ALLOWED_ORIGIN || 'http://localhost:5173';
    const sharedEnv: Record<string, string> = {
      ...passThroughEnv(env),
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_S3: objectStore.endpoint,
      TZ: 'UTC',
      [ENV.usageTable]: LOCAL_TABLES.usage,
      [ENV.cacheTable]: LOCAL_TABLES.cache,
      [ENV.jobsTable]: LOCAL_TABLES.jobs,
      [ENV.practiceOverridesTable]: LOCAL_TABLES.practiceOverrides,
      [ENV.allowedOrigin]: allowedOrigin,
      ...(options.quiet ? { POWERTOOLS_LOG_LEVEL: 'ERROR' } : {}),
      ...options.functionEnv,
    };
    const { [ENV.cacheTable]: _cache, [ENV.jobsTable]: _jobs, ...opsEnv } = sharedEnv;
    const limitOf = (id: string, reserved: number | null) => options.concurrencyOverrides?.[id] ?? reserved ?? UNRESERVED_CONCURRENCY;

    const specs: LocalFunctionSpec[] = [];
    const taskEnv = (task: TaskConfig, role: 'api' | 'worker'): Record<string, string> => {
      const plan = plans.find((p) => p.task === task.name)!;
      const vars: Record<string, string> = {
        ...sharedEnv,
        [ENV.task]: task.name,
        [ENV.taskConfig]: JSON.stringify(functionConfigFor(task)),
        [ENV.functionRole]: role,
        [ENV.secretId]: task.secretName,
        [ENV.providerBaseUrls]: JSON.stringify(plan.providerBaseUrls),
        // Bedrock: AWS_ENDPOINT_URL_BEDROCK_RUNTIME and the task's own access key id (simulated), or real credentials.
        ...plan.awsEnvironment,
      };
      if (task.name === 'imaging') {
        vars[ENV.imagingQueueUrl] = sqs.queueUrl(LOCAL_QUEUE);
        vars[ENV.imagesBucket] = LOCAL_BUCKET;
      }
      return vars;
    };
    for (const task of catalog.tasks) {
      specs.push({
        id: task.name,
        functionName: `smartdental-${LOCAL_STAGE}-${task.name}`,
        handlerFile: handlerFileOf(task.name),
        env: taskEnv(task, 'api'),
        timeoutSeconds: task.timeoutSeconds,
        memoryMb: task.memoryMb,
        concurrencyLimit: limitOf(task.name, task.reservedConcurrency),
        quiet: options.quiet,
      });
    }
    const workerLimit = limitOf(IMAGING_WORKER_ID, worker.reservedConcurrency);
    specs.push({
      id: IMAGING_WORKER_ID,
      functionName: `smartdental-${LOCAL_STAGE}-imaging-worker`,
      handlerFile: handlerFileOf('imaging', 'worker.ts'),
      env: taskEnv(imaging, 'worker'),
      timeoutSeconds: worker.timeoutSeconds,
      memoryMb: worker.memoryMb,
      concurrencyLimit: workerLimit,
      quiet: options.quiet,
    });
    specs.push({
      id: OPS_FUNCTION_ID,
      functionName: `smartdental-${LOCAL_STAGE}-ops`,
      handlerFile: handlerFileOf('ops'),
      // As the stack sets it: the usage table only (no cache, jobs or queue), and its reservation.
      env: { ...opsEnv, [ENV.functionRole]: 'ops', [ENV.catalog]: opsCatalogJson(catalog.tasks) },
      timeoutSeconds: 10,
      memoryMb: 256,
      concurrencyLimit: limitOf(OPS_FUNCTION_ID, opsReservedConcurrency(catalog)),
      quiet: options.quiet,
    });

    for (const spec of specs) spec.handlerFile = options.handlerOverrides?.[spec.id] ?? spec.handlerFile;
    const functions = new Map(specs.map((spec) => [spec.id, new LocalLambdaFunction(spec)]));
    closers.push(() => Promise.all([...functions.values()].map((fn) => fn.close())));
    for (const fn of functions.values()) {
      // Counted where AWS counts it: the Lambda Throttles metric, and here the task's ledger item.
      const task = fn.spec.id === IMAGING_WORKER_ID ? 'imaging' : (fn.spec.id as TaskName);
      if (fn.spec.id !== OPS_FUNCTION_ID) fn.on('throttle', () => void ledger.record(task, { lambdaThrottles: 1 }).catch(() => undefined));
    }
    // Cold-start every function now, so the first request is not the slow one; as many at once
    // as there are cores, since loading the SDKs is CPU-bound and more only thrash.
    const warmQueue = [...functions.values()].sort((a, b) => Number(b.spec.id === OPS_FUNCTION_ID) - Number(a.spec.id === OPS_FUNCTION_ID));
    const warmers = Array.from({ length: Math.max(1, Math.min(availableParallelism(), warmQueue.length)) }, async () => {
      for (let fn = warmQueue.shift(); fn; fn = warmQueue.shift()) {
        const began = Date.now();
        await fn.start();
        options.onProgress?.(`${fn.spec.functionName} loaded in ${((Date.now() - began) / 1000).toFixed(1)} s`);
      }
    });
    const warm = Promise.all(warmers).then(() => {
      warmMs = Date.now() - startedAt;
    });
    // A failed cold start surfaces on the first invocation of that function, as in Lambda.
    warm.catch(() => undefined);
    if ((options.warmUp ?? 'wait') === 'wait') await warm;

    // ---- imaging event source mapping
    const maxConcurrency = Math.min(worker.maxConcurrency, workerLimit);
    const imagingWorker = functions.get(IMAGING_WORKER_ID)!;
    const poller = new QueuePoller(
      imagingQueue,
      async (event) => {
        const outcome = await imagingWorker.invoke(event);
        return outcome.kind === 'result' ? (outcome.result as { batchItemFailures: Array<{ itemIdentifier: string }> } | undefined) : undefined;
      },
      { batchSize: worker.batchSize, maxConcurrency },
    );
    poller.start();
    closers.push(() => poller.stop());

    // ---- API
    const routes: ApiRoute[] = [
      ...catalog.tasks.flatMap((task) => task.routes.map((r): ApiRoute => ({ method: r.method, path: r.path, functionId: task.name, public: false }))),
      ...OPS_ROUTES.map((r): ApiRoute => ({ method: r.method, path: r.path, functionId: OPS_FUNCTION_ID, public: PUBLIC_PATHS.has(r.path) })),
    ];
    const stats = (): RuntimeStats => ({
      startedAt: new Date(startedAt).toISOString(),
      functions: Object.fromEntries([...functions].map(([id, fn]) => [id, fn.stats()])),
      imagingQueue: {
        ...imagingQueue.depth(),
        deadLetters: deadLetterQueue.depth().depth + deadLetterQueue.depth().inFlight,
        workerInvocationsInFlight: poller.stats().inFlightInvocations,
        maxConcurrency,
        visibilityTimeoutSeconds,
        maxReceiveCount: worker.maxReceiveCount,
      },
    });
    const statsRoute: LocalRoute = {
      method: 'GET',
      path: '/_local/stats',
      handle: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(stats()));
      },
    };
    const api = await startApiGateway({
      routes,
      functions,
      identities,
      port: options.port ?? 3000,
      stage: LOCAL_STAGE,
      allowedOrigin,
      ...options.http,
      localRoutes: [
        statsRoute,
        ...opsPageRoutes(createOpsSnapshotReader({ doc: ledgerDoc, usageTable: LOCAL_TABLES.usage, practiceOverridesTable: LOCAL_TABLES.practiceOverrides, catalog: catalog.tasks, stats, imagingWorkerId: IMAGING_WORKER_ID })),
        ...(options.localRoutes ?? []),
      ],
    });
    closers.push(() => api.close());

    const startupMs = Date.now() - startedAt;
    const description: RuntimeDescription = {
      url: api.url,
      routes: routes.map((r) => ({ ...r, limit: functions.get(r.functionId)!.spec.concurrencyLimit })),
      identities,
      dataDir: options.dataDir,
      tasks: catalog.tasks.map((t) => ({ task: t.name, limit: functions.get(t.name)!.spec.concurrencyLimit, providers: plans.find((p) => p.task === t.name)!.providers })),
      imagingWorker: { limit: workerLimit, maxConcurrency, batchSize: worker.batchSize, visibilityTimeoutSeconds, maxReceiveCount: worker.maxReceiveCount },
      simulatorUrl: simulator.url,
      startupMs,
    };

    let closing: Promise<void> | undefined;
    return {
      url: api.url,
      port: api.port,
      ready: warm.then(() => warmMs ?? Date.now() - startedAt),
      stats,
      deadLetters: () => deadLetterQueue.peek(),
      simulator,
      describe: () => description,
      endpoints: { dynamodb: dynamo.endpoint, secretsManager: secrets.endpoint, sqs: sqs.endpoint, s3: objectStore.endpoint },
      tables: LOCAL_TABLES,
      recovery,
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
