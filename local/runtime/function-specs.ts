/**
 * The function plan (lib/function-plan.ts) on the laptop: each planned function becomes a local
 * function spec with the environment the stack would give it (the plan's variables, one variable
 * per grant, naming the local resource), plus what only the laptop needs (the stand-ins'
 * endpoints, the simulator's base URLs), and its own access key id, which the access policy maps
 * to exactly its grants.
 */
import { join } from 'node:path';
import { ENV } from '../../functions/core/env';
import { SECRET_MAX_AGE_SECONDS, envNameOf, type PlannedFunction, type ResourceGrant } from '../../lib/function-plan';
import type { LocalAccessPolicy, LocalResourceNames } from '../access-policy';
import type { LocalCredentials } from '../s3-auth';
import type { LocalFunctionSpec } from './lambda-function';
import type { TaskKeyPlan } from './task-keys';

/** The runtime's own key (tables, recovery, the ops page, tests): unrestricted, as an administrator. */
export const RUNTIME_ACCESS_KEY_ID = 'local';
/** Every local key's secret: the stand-ins check signatures, and nothing here is secret. */
export const LOCAL_SECRET_ACCESS_KEY = 'local';
/** Concurrency of a function without a reservation: the default account limit. */
export const UNRESERVED_CONCURRENCY = 1000;

/** The access key id a local function signs with: its own, as each function has its own role. */
export function accessKeyIdOf(functionId: string): string {
  return `local-${functionId}`;
}

export interface LocalEndpoints {
  dynamodb: string;
  secretsManager: string;
  sqs: string;
  s3: string;
}

export interface FunctionSpecInput {
  plan: readonly PlannedFunction[];
  stage: string;
  repoRoot: string;
  names: LocalResourceNames;
  queueUrl: string;
  endpoints: LocalEndpoints;
  keyPlans: readonly TaskKeyPlan[];
  /** Variables every function inherits (the shell's logging knobs, `functionEnv`). */
  inherited: Record<string, string>;
  /** Applied last (`functionEnv`, the quiet log level). */
  extra: Record<string, string>;
  concurrencyOverrides?: Partial<Record<string, number>>;
  handlerOverrides?: Partial<Record<string, string>>;
  quiet?: boolean;
}

/** The local value of the resource a grant names. */
function localValueOf(grant: ResourceGrant, input: FunctionSpecInput): string {
  switch (grant.kind) {
    case 'secret':
      return input.names.secrets[grant.task] ?? grant.secretName;
    case 'table':
    case 'index': // no variable of its own (envNameOf): the table's grant names the table
      return input.names.tables[grant.table];
    case 'queue':
      return input.queueUrl;
    case 'bucket':
      return input.names.bucket;
  }
}

/** One variable per grant, as the stack's `use*` helpers set them. */
export function grantEnvironment(planned: PlannedFunction, input: FunctionSpecInput): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const grant of planned.grants) {
    const name = envNameOf(grant);
    if (name) vars[name] = localValueOf(grant, input);
    if (grant.kind === 'secret') vars[ENV.secretMaxAgeSeconds] = String(SECRET_MAX_AGE_SECONDS);
  }
  return vars;
}

/** The stand-ins' endpoints, the Region and the function's own credentials. */
function awsEnvironment(planned: PlannedFunction, endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: accessKeyIdOf(planned.id),
    AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    TZ: 'UTC',
  };
}

/**
 * What only a model caller gets on the laptop: the simulator's base URLs, and for a Bedrock chain
 * the simulated Bedrock endpoint with the task's simulated access key id (or real credentials).
 */
function modelEnvironment(planned: PlannedFunction, keyPlans: readonly TaskKeyPlan[]): Record<string, string> {
  const keyPlan = keyPlans.find((p) => p.task === planned.task);
  if (!keyPlan || !planned.grants.some((g) => g.kind === 'secret')) return {};
  return { [ENV.providerBaseUrls]: JSON.stringify(keyPlan.providerBaseUrls), ...(planned.bedrockModels.length > 0 ? keyPlan.awsEnvironment : {}) };
}

export function localEnvironmentOf(planned: PlannedFunction, input: FunctionSpecInput): Record<string, string> {
  return {
    ...input.inherited,
    ...awsEnvironment(planned, input.endpoints),
    ...planned.environment,
    ...grantEnvironment(planned, input),
    ...modelEnvironment(planned, input.keyPlans),
    ...input.extra,
  };
}

/** The local functions of the plan, each with its environment, limits and handler file. */
export function localFunctionSpecs(input: FunctionSpecInput): LocalFunctionSpec[] {
  return input.plan.map((planned) => ({
    id: planned.id,
    functionName: `smartdental-${input.stage}-${planned.id}`,
    handlerFile: input.handlerOverrides?.[planned.id] ?? join(input.repoRoot, planned.entry.file),
    handlerExport: planned.entry.export,
    env: localEnvironmentOf(planned, input),
    timeoutSeconds: planned.limits.timeoutSeconds,
    memoryMb: planned.limits.memoryMb,
    concurrencyLimit: input.concurrencyOverrides?.[planned.id] ?? planned.limits.reservedConcurrency ?? UNRESERVED_CONCURRENCY,
    quiet: input.quiet,
  }));
}

/**
 * Registers each function's access key with the policy and its secret with the object store's
 * signature check. A key shared by several functions (real Bedrock with the developer's own key)
 * gets all their grants; a function whose key the runtime cannot read (real Bedrock through
 * AWS_PROFILE) is served under the policy's unknown-key grants.
 */
export function registerAccess(plan: readonly PlannedFunction[], specs: readonly LocalFunctionSpec[], access: LocalAccessPolicy, credentials: Record<string, string>): void {
  for (const spec of specs) {
    const planned = plan.find((p) => p.id === spec.id)!;
    const principal = { functionName: spec.functionName, grants: planned.grants };
    const keyId = spec.env.AWS_ACCESS_KEY_ID;
    if (!keyId) {
      access.allowUnknownKeys(principal);
      continue;
    }
    access.allow(keyId, principal);
    if (spec.env.AWS_SECRET_ACCESS_KEY) credentials[keyId] = spec.env.AWS_SECRET_ACCESS_KEY;
  }
}

export type { LocalCredentials };
