/**
 * Everything a task function needs, built once per cold start from the environment the stack (or
 * the local runtime) sets: its catalog entry, logger and metrics, the usage ledger, its own key
 * pool over its own secret, the provider chain and, when the task caches, the response cache.
 *
 * Handlers call {@link taskFunctionFromEnv} at module scope; tests call it with an explicit env.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { circuitBreaker } from './circuit-breaker';
import { documentClient } from './dynamo';
import { ENV, requireEnv } from './env';
import { KeyPool } from './key-pool';
import { createObservability, type Observability } from './observability';
import { ProviderChain, type ProviderChainOptions } from './provider-chain';
import { providerBaseUrlsFromEnv, providerClientFor } from './providers/index';
import { ResponseCache } from './response-cache';
import { PowertoolsSecretStore } from './secret-store';
import { parseTaskConfig, type FunctionTaskConfig } from './task-config';
import { TaskRuntime } from './task-runtime';
import { DynamoUsageLedger } from './usage-ledger';

export interface TaskFunction {
  config: FunctionTaskConfig;
  observability: Observability;
  doc: DynamoDBDocumentClient;
  ledger: DynamoUsageLedger;
  runtime: TaskRuntime;
}

export interface TaskFunctionOptions {
  env?: NodeJS.ProcessEnv;
  doc?: DynamoDBDocumentClient;
  chainOptions?: ProviderChainOptions;
  /** Whether this function calls models (the imaging API function does not; its worker does). */
  usesModels?: boolean;
}

export function taskFunctionFromEnv(options: TaskFunctionOptions = {}): TaskFunction {
  const env = options.env ?? process.env;
  const config = parseTaskConfig(env[ENV.taskConfig]);
  if (env[ENV.task] && env[ENV.task] !== config.name) {
    throw new Error(`${ENV.task} is '${env[ENV.task]}' but ${ENV.taskConfig} describes '${config.name}'`);
  }
  const observability = createObservability(config.name, env);
  const doc = options.doc ?? documentClient();
  const ledger = new DynamoUsageLedger({ doc, tableName: requireEnv(ENV.usageTable, env) });

  // A function without model access has no secret: the chain fails loudly if ever asked.
  const usesModels = options.usesModels ?? true;
  const secrets = usesModels ? PowertoolsSecretStore.fromEnvironment(env) : { getKeys: async () => ({}) };
  const baseUrls = providerBaseUrlsFromEnv(env);
  const chain = new ProviderChain(config.providers, new KeyPool(secrets), (target) => providerClientFor(target, baseUrls), circuitBreaker, options.chainOptions);
  const cacheTable = env[ENV.cacheTable];
  const cache = config.cache.enabled && cacheTable ? new ResponseCache({ doc, tableName: cacheTable }) : undefined;

  const runtime = new TaskRuntime({ config, ledger, chain, cache, observability });
  return { config, observability, doc, ledger, runtime };
}
