import { Annotations, CfnOutput, Duration, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ENV } from '../functions/core/env';
import { opsCatalogJson } from '../functions/ops/catalog-env';
import { USAGE_BY_SORT_KEY_INDEX } from '../functions/core/tables';
import { deployedFunctionName } from '../functions/core/function-names';
import type { TaskConfig } from '../functions/core/task-config';
import {
  CatalogError,
  functionConfigFor,
  opsReservedConcurrency,
  resolveCatalog,
  resolveOptionsFromContext,
  type ResolvedCatalog,
} from './catalog';
import { GatewayAlarms } from './constructs/gateway-alarms';
import { API_GATEWAY_ACCOUNT_ROLES, GatewayApi, type ApiGatewayAccountRole } from './constructs/gateway-api';
import { GatewayFirewall } from './constructs/gateway-firewall';
import { GatewayIdentity } from './constructs/gateway-identity';
import { GatewayTables } from './constructs/gateway-tables';
import { ImagingPipeline } from './constructs/imaging-pipeline';
import { LogEncryptionKey } from './constructs/log-encryption-key';
import { ModelNetwork, VPC_ENDPOINT_MODES, type ModelNetworkProps } from './constructs/model-network';
import { TaskDashboard, type DashboardTaskRow } from './constructs/task-dashboard';
import { TaskFunction, type FunctionNetwork } from './constructs/task-function';
import { endpointReach } from '../functions/core/model-endpoint';
import { TaskSecret } from './constructs/task-secret';

/** The front end's origin during development (Vite's default port). */
export const DEFAULT_ALLOWED_ORIGIN = 'http://localhost:5173';

/** Lambda rejects a function whose environment variables (keys and values) exceed 4 KB. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/** What a token (table name, queue URL, secret ARN) is counted as before it resolves at deploy time. */
export const ENVIRONMENT_TOKEN_ESTIMATE_BYTES = 128;
/** Id of the synth warning for a model target on a loopback address (acknowledge with this id). */
export const LOOPBACK_MODEL_URL_WARNING = 'SmartDental-LoopbackModelUrl';
/** Id of the synth warning for a private model server with no VPC to reach it from. */
export const UNREACHABLE_MODEL_URL_WARNING = 'SmartDental-PrivateModelWithoutVpc';

export interface SmartDentalStackProps extends StackProps {
  /** The resolved, validated task catalog (see lib/catalog.ts). */
  readonly catalog: ResolvedCatalog;
  /** Origin allowed by CORS and by the images bucket. @default http://localhost:5173 */
  readonly allowedOrigin?: string;
  /** An existing Cognito user pool; one is created when absent. */
  readonly userPoolId?: string;
  readonly userPoolClientId?: string;
  /** Stage-wide API Gateway rate limit (requests per second). @default 100 */
  readonly apiRateLimit?: number;
  /** Stage-wide API Gateway burst. @default 200 */
  readonly apiBurstLimit?: number;
  /** Upper bound for integration timeouts; above 29 needs an API Gateway quota increase. @default 29 */
  readonly apiTimeoutSeconds?: number;
  /** Days an image stays in the bucket. @default 30 */
  readonly imageRetentionDays?: number;
  /** Who owns API Gateway's account-wide CloudWatch role. @default 'create' */
  readonly apiGatewayAccountRole?: ApiGatewayAccountRole;
  /**
   * The stage's VPC, for tasks whose chain names a self-hosted model server on a private address.
   * @default no VPC: every function runs outside one
   */
  readonly network?: ModelNetworkProps;
}

/** What the stack built for one task, for tests and for wiring. */
export interface TaskResources {
  readonly config: TaskConfig;
  readonly secret: TaskSecret;
  readonly api: TaskFunction;
  /** The imaging queue consumer; only imaging has one. */
  readonly worker?: TaskFunction;
}

/**
 * The SmartDental AI gateway: for every task in the catalog, its own function(s), secret and
 * concurrency ceiling; the imaging queue pipeline; the usage, jobs and cache tables; the REST API
 * behind Cognito; alarms and a dashboard. Environment-agnostic: no lookups, so synth is offline.
 */
export class SmartDentalStack extends Stack {
  public readonly tasks: Record<string, TaskResources> = {};
  public readonly ops: TaskFunction;
  public readonly tables: GatewayTables;
  public readonly imaging: ImagingPipeline;
  public readonly gateway: GatewayApi;
  public readonly alarms: GatewayAlarms;
  public readonly identity: GatewayIdentity;
  /** Present when the stage names a VPC (context vpcId). */
  public readonly network?: ModelNetwork;

  constructor(scope: Construct, id: string, props: SmartDentalStackProps) {
    super(scope, id, props);
    const { catalog } = props;
    const allowedOrigin = props.allowedOrigin ?? DEFAULT_ALLOWED_ORIGIN;
    const imagingConfig = catalog.byName.imaging;
    if (!imagingConfig?.worker) throw new Error("task catalog: task 'imaging' needs a 'worker' entry: the stack builds the imaging queue from it");

    const logKey = new LogEncryptionKey(this, 'LogEncryption').key;
    this.tables = new GatewayTables(this, 'Tables', { stage: catalog.stage });
    if (props.network) this.network = new ModelNetwork(this, 'ModelNetwork', props.network);
    this.imaging = new ImagingPipeline(this, 'Imaging', { worker: imagingConfig.worker, allowedOrigin, imageRetentionDays: props.imageRetentionDays });
    this.identity = new GatewayIdentity(this, 'Identity', { userPoolId: props.userPoolId, userPoolClientId: props.userPoolClientId });
    this.gateway = new GatewayApi(this, 'Gateway', {
      stageName: catalog.stage,
      userPool: this.identity.userPool,
      allowedOrigin,
      logKey,
      rateLimit: props.apiRateLimit,
      burstLimit: props.apiBurstLimit,
      maxIntegrationTimeoutSeconds: props.apiTimeoutSeconds,
      accountRole: props.apiGatewayAccountRole,
    });
    new GatewayFirewall(this, 'Firewall', { stageArn: this.gateway.api.deploymentStage.stageArn, logKey });
    this.alarms = new GatewayAlarms(this, 'Alarms');

    const dashboardRows: DashboardTaskRow[] = [];
    for (const task of catalog.tasks) {
      const label = pascal(task.name);
      const taskConfig = functionConfigFor(task);
      const secret = new TaskSecret(this, `${label}Keys`, { task: task.name, secretName: task.secretName });
      const networkOf = (id: string) => this.functionNetwork(id, task);

      // Imaging's API function validates, stores and enqueues; only its worker calls a model, so
      // only the worker holds the key.
      const api = new TaskFunction(this, `${label}Api`, {
        service: task.name,
        functionName: deployedFunctionName(catalog.stage, task.name, 'api'),
        entry: `functions/${task.name}/handler.ts`,
        role: 'api',
        timeout: Duration.seconds(task.timeoutSeconds),
        memoryMb: task.memoryMb,
        reservedConcurrency: task.reservedConcurrency,
        taskConfig,
        logKey,
        allowedOrigin,
        // Imaging's API function calls no model, so only its worker needs the model's network.
        network: task.worker ? undefined : networkOf(`${label}Api`),
      }).useTable('CACHE_TABLE', this.tables.cache, 'readWrite');
      // Imaging's API function never calls a model, so it neither holds the key nor writes the ledger.
      if (!task.worker) {
        api
          .useSecret(secret.secret)
          .useTable('USAGE_TABLE', this.tables.usage, 'readWrite')
          // Admission reads the practice's share override; only operators write it.
          .useTable('PRACTICE_OVERRIDES_TABLE', this.tables.practiceOverrides, 'read')
          .useBedrockModels(bedrockModelsOf(task));
      }

      let worker: TaskFunction | undefined;
      if (task.worker) {
        api
          .useTable('JOBS_TABLE', this.tables.jobs, 'readWrite')
          .useImagingQueue(this.imaging.queue)
          .useImagesBucket(this.imaging.imagesBucket, 'readWrite');
        worker = new TaskFunction(this, `${label}Worker`, {
          service: task.name,
          functionName: deployedFunctionName(catalog.stage, task.name, 'worker'),
          entry: `functions/${task.name}/worker.ts`,
          role: 'worker',
          timeout: Duration.seconds(task.worker.timeoutSeconds),
          memoryMb: task.worker.memoryMb,
          reservedConcurrency: task.worker.reservedConcurrency,
          taskConfig,
          logKey,
          network: networkOf(`${label}Worker`),
        })
          .useSecret(secret.secret)
          .useBedrockModels(bedrockModelsOf(task))
          .useTable('USAGE_TABLE', this.tables.usage, 'readWrite')
          .useTable('CACHE_TABLE', this.tables.cache, 'readWrite')
          .useTable('JOBS_TABLE', this.tables.jobs, 'readWrite')
          .useTable('PRACTICE_OVERRIDES_TABLE', this.tables.practiceOverrides, 'read')
          // The worker re-sends a job with a delay when the provider answers 429.
          .useImagingQueue(this.imaging.queue)
          .useImagesBucket(this.imaging.imagesBucket, 'read');
        this.imaging.consumeWith(worker);
        this.alarms.watchFunction(worker, `${label}Worker`);
      }

      for (const route of task.routes) {
        this.gateway.addRoute(route, api, { timeout: Duration.seconds(task.timeoutSeconds) });
      }
      this.alarms.watchFunction(api, `${label}Api`);
      this.alarms.watchTask(task.name, label);
      dashboardRows.push({ task: task.name, functions: [{ label: 'api', fn: api }, ...(worker ? [{ label: 'worker', fn: worker }] : [])] });
      this.tasks[task.name] = { config: task, secret, api, worker };
    }

    this.alarms.watchQueueAge(this.imaging.queue, 'Imaging', Duration.seconds(imagingConfig.worker.timeoutSeconds * 5));
    this.alarms.watchDeadLetters(this.imaging.deadLetterQueue, 'Imaging');

    const opsTimeout = Duration.seconds(10);
    this.ops = new TaskFunction(this, 'OpsApi', {
      service: 'ops',
      // The ops function reads its stage back from its own name (functions/ops/handler.ts).
      functionName: deployedFunctionName(catalog.stage, 'ops', 'api'),
      entry: 'functions/ops/handler.ts',
      role: 'api',
      timeout: opsTimeout,
      memoryMb: 256,
      reservedConcurrency: opsReservedConcurrency(catalog),
      logKey,
      allowedOrigin,
    })
      .useTable('USAGE_TABLE', this.tables.usage, 'read')
      .useTableIndex(this.tables.usage, USAGE_BY_SORT_KEY_INDEX.indexName)
      // The per-practice report compares each practice's use with its effective share.
      .useTable('PRACTICE_OVERRIDES_TABLE', this.tables.practiceOverrides, 'read')
      // In AWS a throttled invoke never reaches a function, so the report reads Throttles from CloudWatch.
      .useMetricData();
    // The usage report compares each task with its budget, TPM ceiling and timeout.
    this.ops.addEnvironment(ENV.catalog, opsCatalogJson(catalog.tasks));
    this.gateway.addRoute({ method: 'GET', path: '/health' }, this.ops, { authorized: false, timeout: opsTimeout });
    this.gateway.addRoute({ method: 'GET', path: '/openapi.json' }, this.ops, { authorized: false, timeout: opsTimeout });
    this.gateway.addRoute({ method: 'GET', path: '/v1/usage' }, this.ops, { timeout: opsTimeout });
    this.alarms.watchFunction(this.ops, 'OpsApi');
    this.alarms.watchApi(this.gateway.api, 'Api');

    new TaskDashboard(this, 'Dashboard', {
      dashboardName: `smartdental-ai-${catalog.stage}`,
      rows: dashboardRows,
      imagingQueue: this.imaging.queue,
      imagingDeadLetters: this.imaging.deadLetterQueue,
    });

    this.checkEnvironmentSizes();
    this.warnOfUnreachableModels(catalog);

    new CfnOutput(this, 'ApiUrl', { value: this.gateway.api.url });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'UsageLedgerTableName', { value: this.tables.usage.tableName, description: 'for npm run usage -- --region <region> --table <this>' });
    new CfnOutput(this, 'PracticeOverridesTableName', { value: this.tables.practiceOverrides.tableName, description: 'for npm run practices -- --region <region> --table <this>' });
    for (const [name, resources] of Object.entries(this.tasks)) {
      new CfnOutput(this, `${pascal(name)}SecretName`, { value: resources.config.secretName, description: `put the ${name} task's provider keys here` });
    }
  }

  /** Every function built here: the task functions, the imaging worker and ops. */
  public functions(): Array<{ id: string; fn: TaskFunction }> {
    const out = Object.values(this.tasks).flatMap((t) => [t.api, ...(t.worker ? [t.worker] : [])]);
    return [...out, this.ops].map((fn) => ({ id: fn.node.id, fn }));
  }

  /**
   * Lambda rejects an environment over 4 KB only at deploy time; the ops function's CATALOG alone
   * is most of it, so a sixth task or long taskOverrides would pass synth and fail the deployment.
   */
  private checkEnvironmentSizes(): void {
    for (const { id, fn } of this.functions()) {
      const size = environmentSizeOf(this, fn);
      if (size > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
        throw new CatalogError(
          `function '${id}': its environment variables take about ${size} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit; ` +
            'shorten the catalog entries (descriptions, routes, providers) or the taskOverrides',
        );
      }
    }
  }

  /**
   * The VPC placement of a function of `task`: its private subnets and a security group of its
   * own, when the task's chain names a model server on a private address and the stage has a VPC.
   */
  private functionNetwork(id: string, task: TaskConfig): FunctionNetwork | undefined {
    const privateUrls = privateModelUrlsOf(task);
    if (!this.network || privateUrls.length === 0) return undefined;
    return { vpc: this.network.vpc, subnets: this.network.subnets, securityGroup: this.network.securityGroupFor(id, privateUrls) };
  }

  /**
   * A loopback model server is reachable from `npm start`, never from a Lambda function; a private
   * one only from a function in the stage's VPC.
   */
  private warnOfUnreachableModels(catalog: ResolvedCatalog): void {
    for (const task of catalog.tasks) {
      for (const target of task.providers) {
        if (!target.baseUrl) continue;
        const reach = endpointReach(target.baseUrl);
        const where = `task '${task.name}': provider '${target.provider}' (${target.model}) points at ${target.baseUrl}`;
        if (reach === 'loopback') {
          Annotations.of(this).addWarningV2(
            LOOPBACK_MODEL_URL_WARNING,
            `${where}, a loopback address no Lambda function can reach; set the stage's model server with -c localModelUrl=http://<host>:<port>/v1`,
          );
        } else if (reach === 'private' && !this.network) {
          Annotations.of(this).addWarningV2(
            UNREACHABLE_MODEL_URL_WARNING,
            `${where}, a private address that only a function inside its VPC can reach; place the task's functions there with -c vpcId=vpc-… -c privateSubnetIds=… -c availabilityZones=… -c privateSubnetRouteTableIds=…`,
          );
        }
      }
    }
  }
}

/**
 * Bytes of a function's environment as Lambda counts them (keys plus values, UTF-8); a value that
 * is still a token counts as {@link ENVIRONMENT_TOKEN_ESTIMATE_BYTES}.
 */
export function environmentSizeOf(stack: Stack, fn: lambda.Function): number {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  const resolved = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
  let size = 0;
  for (const [key, value] of Object.entries(resolved?.variables ?? {})) {
    size += Buffer.byteLength(key, 'utf8');
    size += typeof value === 'string' && !Token.isUnresolved(value) ? Buffer.byteLength(value, 'utf8') : ENVIRONMENT_TOKEN_ESTIMATE_BYTES;
  }
  return size;
}

/** True for localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackUrl(url: string): boolean {
  return endpointReach(url) === 'loopback';
}

/** The Bedrock model ids of the task's chain: all its role may invoke on Bedrock. */
export function bedrockModelsOf(task: TaskConfig): string[] {
  return [...new Set(task.providers.filter((target) => target.provider === 'bedrock').map((target) => target.model))];
}

/** The task's model servers on a private address: what its functions must reach from a VPC. */
export function privateModelUrlsOf(task: TaskConfig): string[] {
  return task.providers.flatMap((target) => (target.baseUrl && endpointReach(target.baseUrl) === 'private' ? [target.baseUrl] : []));
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());
}

/** Reads a positive integer context value (strings on the command line, numbers in cdk.json). */
function intContext(get: (key: string) => unknown, key: string): number | undefined {
  const value = get(key);
  if (value === undefined) return undefined;
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new CatalogError(`context '${key}' must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}

/** A comma-separated context value (or a JSON list in cdk.json) as a list of strings. */
function listContext(get: (key: string) => unknown, key: string): string[] {
  const value = get(key);
  if (value === undefined || value === '') return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  if (typeof value !== 'string') throw new CatalogError(`context '${key}' must be a comma-separated list, got ${JSON.stringify(value)}`);
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

function choiceContext<T extends string>(get: (key: string) => unknown, key: string, choices: readonly T[]): T | undefined {
  const value = stringContext(get, key);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new CatalogError(`context '${key}' must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

/** The stage's VPC from context, when `vpcId` is given. */
function networkFromContext(get: (key: string) => unknown): ModelNetworkProps | undefined {
  const vpcId = stringContext(get, 'vpcId');
  const endpoints = choiceContext(get, 'vpcEndpoints', VPC_ENDPOINT_MODES);
  if (vpcId === undefined) {
    for (const key of ['privateSubnetIds', 'availabilityZones', 'privateSubnetRouteTableIds', 'vpcEndpoints']) {
      if (get(key) !== undefined) throw new CatalogError(`context '${key}' needs 'vpcId' too`);
    }
    return undefined;
  }
  return {
    vpcId,
    privateSubnetIds: listContext(get, 'privateSubnetIds'),
    availabilityZones: listContext(get, 'availabilityZones'),
    privateSubnetRouteTableIds: listContext(get, 'privateSubnetRouteTableIds'),
    endpoints,
  };
}

function stringContext(get: (key: string) => unknown, key: string): string | undefined {
  const value = get(key);
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new CatalogError(`context '${key}' must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** The stack's props from CDK context; the catalog is resolved and validated here. */
export function stackPropsFromContext(get: (key: string) => unknown): SmartDentalStackProps {
  const allowedOrigin = stringContext(get, 'allowedOrigin');
  if (allowedOrigin !== undefined && !/^https?:\/\/[^/\s*]+$/.test(allowedOrigin)) {
    throw new CatalogError(`context 'allowedOrigin' must be one origin like https://app.example.com (no path, no wildcard), got '${allowedOrigin}'`);
  }
  return {
    catalog: resolveCatalog(resolveOptionsFromContext(get)),
    allowedOrigin,
    userPoolId: stringContext(get, 'userPoolId'),
    userPoolClientId: stringContext(get, 'userPoolClientId'),
    apiRateLimit: intContext(get, 'apiRateLimit'),
    apiBurstLimit: intContext(get, 'apiBurstLimit'),
    apiTimeoutSeconds: intContext(get, 'apiTimeoutSeconds'),
    imageRetentionDays: intContext(get, 'imageRetentionDays'),
    apiGatewayAccountRole: choiceContext(get, 'apiGatewayAccountRole', API_GATEWAY_ACCOUNT_ROLES),
    network: networkFromContext(get),
    description: 'SmartDental AI gateway: one Lambda, key, concurrency limit and budget per AI task',
  };
}

/** Builds the gateway stack into an app from the app's context; the stack is named by stage. */
export function createGatewayStack(scope: Construct): SmartDentalStack {
  const props = stackPropsFromContext((key) => scope.node.tryGetContext(key));
  return new SmartDentalStack(scope, `SmartDentalAi-${props.catalog.stage}`, props);
}

/**
 * Registers the cdk-nag AwsSolutions and HIPAA Security packs (cdk-nag 3: a validation plugin,
 * not an Aspect). Any finding that is not acknowledged in a construct makes synth fail.
 */
export function registerCompliancePacks(scope: Construct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope), new HIPAASecurityChecks(scope));
}
