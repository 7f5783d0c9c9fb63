/**
 * The function plan: one pure derivation of the resolved catalog into the functions to run.
 *
 * The CDK stack (lib/stack.ts) turns each planned function into a `TaskFunction` with its grants,
 * routes and event source; `npm start` (local/runtime) turns the same plan into local functions,
 * their environment and the access each stand-in allows them. Neither adds a variable or a grant
 * of its own, so the laptop and AWS cannot drift: a grant missing here fails locally as in AWS.
 */
import { ENV } from '../functions/core/env';
import { METRICS_NAMESPACE, serviceNameOf } from '../functions/core/metric-names';
import { endpointReach } from '../functions/core/model-endpoint';
import type { RouteAuth } from '../functions/core/route-declaration';
import { USAGE_BY_SORT_KEY_INDEX } from '../functions/core/tables';
import type { TaskConfig, TaskName } from '../functions/core/task-config';
import { opsCatalogJson } from '../functions/ops/catalog-env';
import { OPS_ROUTES } from '../functions/ops/route-schemas';
import { functionConfigFor, opsReservedConcurrency, type ResolvedCatalog } from './catalog';

/** The front end's origin during development (Vite's default port). */
export const DEFAULT_ALLOWED_ORIGIN = 'http://localhost:5173';

/** AWS guidance: a queue's visibility timeout at least six times its consumer's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** The shared tables, by the name the plan uses for them. */
export const PLAN_TABLES = ['usage', 'cache', 'jobs', 'practiceOverrides'] as const;
export type PlanTable = (typeof PLAN_TABLES)[number];
/** The variable that names each table. */
export const TABLE_ENV = {
  usage: ENV.usageTable,
  cache: ENV.cacheTable,
  jobs: ENV.jobsTable,
  practiceOverrides: ENV.practiceOverridesTable,
} as const satisfies Record<PlanTable, string>;

/** How a function uses a table: the ops report only reads; task functions update counters. */
export type TableAccess = 'read' | 'readWrite';
export type BucketAccess = 'read' | 'readWrite';
export type QueueAccess = 'send' | 'consume';

/**
 * DynamoDB actions per access level, listed one by one instead of CDK's grantReadData /
 * grantReadWriteData, which add Scan, BatchGetItem and BatchWriteItem. The local DynamoDB
 * stand-in allows exactly these, so the laptop refuses what IAM would.
 * - read: the usage report (functions/core/usage-report.ts) queries and gets ledger items.
 * - readWrite: the ledger (conditional UpdateItem, GetItem, and the Query of its stale-reservation
 *   sweep), the cache (GetItem, PutItem), the job store (conditional PutItem/UpdateItem, GetItem)
 *   and Powertools Idempotency's DynamoDBPersistenceLayer (GetItem, PutItem, UpdateItem, and
 *   DeleteItem when a request fails).
 */
export const TABLE_ACTIONS: Record<TableAccess, readonly string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query', 'dynamodb:DescribeTable'],
};

/**
 * What a grant on one index of a table allows: Query, on `<table>/index/<name>` only. A table's
 * own grant never covers its indexes (IAM names an index by its own ARN), so the per-practice
 * report's `bySortKey` is granted by name to the one function that queries it.
 */
export const INDEX_ACTIONS = ['dynamodb:Query'] as const;

/** S3 object actions per access level; `readWrite` also covers presigned POSTs signed by the function. */
export const BUCKET_ACTIONS: Record<BucketAccess, readonly string[]> = {
  read: ['s3:GetObject', 's3:DeleteObject'],
  readWrite: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
};

/**
 * SQS actions per access level: what CDK's grantSendMessages and the event source's
 * grantConsumeMessages give a role (the stack uses those; a test pins them to the template).
 */
export const QUEUE_ACTIONS: Record<QueueAccess, readonly string[]> = {
  send: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
  consume: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
};

/** Secrets Manager actions the task's own secret is read with. */
export const SECRET_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] as const;

/** One resource a function may touch, with its access level. */
export type ResourceGrant =
  | { kind: 'secret'; task: TaskName; secretName: string; access: 'read' }
  | { kind: 'table'; table: PlanTable; access: TableAccess }
  | { kind: 'index'; table: PlanTable; index: string; access: 'query' }
  | { kind: 'queue'; queue: 'imaging'; access: QueueAccess }
  | { kind: 'bucket'; bucket: 'images'; access: BucketAccess };

/** What a route asks of the caller: nothing, a signed-in user of a practice, or the admin group. */
export type { RouteAuth };

export interface PlannedRoute {
  method: 'GET' | 'POST';
  path: string;
  auth: RouteAuth;
  streaming: boolean;
}

export interface SqsEventSourcePlan {
  kind: 'sqs';
  queue: 'imaging';
  batchSize: number;
  maxConcurrency: number;
  reportBatchItemFailures: true;
}

export type FunctionRole = 'api' | 'worker';

export interface PlannedFunction {
  /** Short id: the task (`clinical`), `<task>-worker`, or `ops`; the local runtime's function id. */
  id: string;
  /** CDK construct id: `ClinicalApi`, `ImagingWorker`, `OpsApi`. */
  constructId: string;
  /** The task it serves, or `ops`. */
  service: string;
  /** The task whose catalog entry it carries (none for ops). */
  task?: TaskName;
  role: FunctionRole;
  /** Handler file relative to the repository root, and the name it exports. */
  entry: { file: string; export: string };
  /** Variables with a fixed value; the grants add the ones that name a resource. */
  environment: Record<string, string>;
  /** Everything the function may touch besides its logs; each grant also sets its variable. */
  grants: ResourceGrant[];
  /** Bedrock models its role may invoke (those of its own chain). */
  bedrockModels: string[];
  /** May read CloudWatch metric data (the usage report's throttles). */
  metricData: boolean;
  /** Model servers on a private address it must reach (a VPC placement in AWS). */
  privateModelUrls: string[];
  routes: PlannedRoute[];
  eventSources: SqsEventSourcePlan[];
  limits: { reservedConcurrency: number | null; memoryMb: number; timeoutSeconds: number };
}

export interface FunctionPlanOptions {
  /** Front-end origin; functions behind the API echo it in CORS headers. */
  allowedOrigin: string;
}

/** Seconds a warm function keeps its keys before reading its secret again. */
export const SECRET_MAX_AGE_SECONDS = 300;
/** The ops function's timeout and memory. */
export const OPS_LIMITS = { memoryMb: 256, timeoutSeconds: 10 } as const;

/** The functions of the gateway: per task its API function (and imaging's worker), then ops. */
export function planFunctions(catalog: ResolvedCatalog, options: FunctionPlanOptions): PlannedFunction[] {
  return [...catalog.tasks.flatMap((task) => taskFunctions(task, options)), opsFunction(catalog, options)];
}

/** The variables every function carries: its identity for logs and metrics. */
function baseEnvironment(service: string, role: FunctionRole): Record<string, string> {
  return { [ENV.functionRole]: role, POWERTOOLS_SERVICE_NAME: serviceNameOf(service), POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE };
}

function taskEnvironment(task: TaskConfig, role: FunctionRole, allowedOrigin: string | undefined): Record<string, string> {
  return {
    ...baseEnvironment(task.name, role),
    [ENV.task]: task.name,
    [ENV.taskConfig]: JSON.stringify(functionConfigFor(task)),
    ...(allowedOrigin ? { [ENV.allowedOrigin]: allowedOrigin } : {}),
  };
}

/**
 * What a function that calls the task's models holds: its key, the ledger and its models, and
 * read access to the practices' share overrides, which admission applies (only operators write them).
 */
function modelCallerGrants(task: TaskConfig): ResourceGrant[] {
  return [
    { kind: 'secret', task: task.name, secretName: task.secretName, access: 'read' },
    { kind: 'table', table: 'usage', access: 'readWrite' },
    { kind: 'table', table: 'practiceOverrides', access: 'read' },
  ];
}

function taskFunctions(task: TaskConfig, { allowedOrigin }: FunctionPlanOptions): PlannedFunction[] {
  if (!task.worker) return [apiFunction(task, allowedOrigin, [...modelCallerGrants(task), { kind: 'table', table: 'cache', access: 'readWrite' }])];
  // A queued task's API function validates, stores and enqueues; it calls no model, so it holds
  // neither the key nor the ledger, and needs no model network.
  const queuedApi = apiFunction(task, allowedOrigin, [
    { kind: 'table', table: 'cache', access: 'readWrite' },
    { kind: 'table', table: 'jobs', access: 'readWrite' },
    { kind: 'queue', queue: 'imaging', access: 'send' },
    { kind: 'bucket', bucket: 'images', access: 'readWrite' },
  ]);
  return [{ ...queuedApi, bedrockModels: [], privateModelUrls: [] }, workerFunction(task, task.worker)];
}

/** The function behind the task's routes. */
function apiFunction(task: TaskConfig, allowedOrigin: string, grants: ResourceGrant[]): PlannedFunction {
  return {
    id: task.name,
    constructId: `${pascal(task.name)}Api`,
    service: task.name,
    task: task.name,
    role: 'api',
    entry: { file: `functions/${task.name}/handler.ts`, export: 'handler' },
    environment: taskEnvironment(task, 'api', allowedOrigin),
    grants,
    bedrockModels: bedrockModelsOf(task),
    metricData: false,
    privateModelUrls: privateModelUrlsOf(task),
    routes: task.routes.map((route) => ({ method: route.method, path: route.path, auth: 'user', streaming: route.streaming })),
    eventSources: [],
    limits: { reservedConcurrency: task.reservedConcurrency, memoryMb: task.memoryMb, timeoutSeconds: task.timeoutSeconds },
  };
}

/** The queue consumer of a queued task (imaging): it makes the model call the API function queued. */
function workerFunction(task: TaskConfig, worker: NonNullable<TaskConfig['worker']>): PlannedFunction {
  return {
    id: `${task.name}-worker`,
    constructId: `${pascal(task.name)}Worker`,
    service: task.name,
    task: task.name,
    role: 'worker',
    entry: { file: `functions/${task.name}/worker.ts`, export: 'handler' },
    environment: taskEnvironment(task, 'worker', undefined),
    grants: [
      ...modelCallerGrants(task),
      { kind: 'table', table: 'cache', access: 'readWrite' },
      { kind: 'table', table: 'jobs', access: 'readWrite' },
      // The worker re-sends a job with a delay when the provider answers 429.
      { kind: 'queue', queue: 'imaging', access: 'send' },
      { kind: 'queue', queue: 'imaging', access: 'consume' },
      { kind: 'bucket', bucket: 'images', access: 'read' },
    ],
    bedrockModels: bedrockModelsOf(task),
    metricData: false,
    privateModelUrls: privateModelUrlsOf(task),
    routes: [],
    eventSources: [{ kind: 'sqs', queue: 'imaging', batchSize: worker.batchSize, maxConcurrency: worker.maxConcurrency, reportBatchItemFailures: true }],
    limits: { reservedConcurrency: worker.reservedConcurrency, memoryMb: worker.memoryMb, timeoutSeconds: worker.timeoutSeconds },
  };
}

/** Health, the OpenAPI document and the usage reports: reads the ledger, the overrides and CloudWatch only. */
function opsFunction(catalog: ResolvedCatalog, { allowedOrigin }: FunctionPlanOptions): PlannedFunction {
  return {
    id: 'ops',
    constructId: 'OpsApi',
    service: 'ops',
    role: 'api',
    entry: { file: 'functions/ops/handler.ts', export: 'handler' },
    // The usage report compares each task with its budget, TPM ceiling and timeout. Without the
    // secret names and provider chains, which ops never reads: they would push its environment
    // over Lambda's 4 KB (functions/ops/catalog-env.ts).
    environment: { ...baseEnvironment('ops', 'api'), [ENV.allowedOrigin]: allowedOrigin, [ENV.catalog]: opsCatalogJson(catalog.tasks) },
    grants: [
      { kind: 'table', table: 'usage', access: 'read' },
      // The per-practice report reads the ledger by sort key (day and practice) through this index.
      { kind: 'index', table: 'usage', index: USAGE_BY_SORT_KEY_INDEX.indexName, access: 'query' },
      // The per-practice report compares each practice's use with its effective share.
      { kind: 'table', table: 'practiceOverrides', access: 'read' },
    ],
    bedrockModels: [],
    // In AWS a throttled invoke never reaches a function, so the report reads Throttles from CloudWatch.
    metricData: true,
    privateModelUrls: [],
    routes: OPS_ROUTES.map((route) => ({ method: route.method, path: route.path, auth: route.auth ?? 'user', streaming: route.streaming === true })),
    eventSources: [],
    limits: { reservedConcurrency: opsReservedConcurrency(catalog), ...OPS_LIMITS },
  };
}

/** The variable a grant sets, if any: consuming a queue happens through the event source. */
export function envNameOf(grant: ResourceGrant): string | undefined {
  switch (grant.kind) {
    case 'secret':
      return ENV.secretId;
    case 'table':
      return TABLE_ENV[grant.table];
    case 'index':
      return undefined; // the table's own grant names the table
    case 'queue':
      return grant.access === 'send' ? ENV.imagingQueueUrl : undefined;
    case 'bucket':
      return ENV.imagesBucket;
  }
}

/** The Bedrock model ids of the task's chain: all its role may invoke on Bedrock. */
export function bedrockModelsOf(task: TaskConfig): string[] {
  return [...new Set(task.providers.filter((target) => target.provider === 'bedrock').map((target) => target.model))];
}

/** The task's model servers on a private address: what its functions must reach from a VPC. */
export function privateModelUrlsOf(task: TaskConfig): string[] {
  return task.providers.flatMap((target) => (target.baseUrl && endpointReach(target.baseUrl) === 'private' ? [target.baseUrl] : []));
}

export function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}
