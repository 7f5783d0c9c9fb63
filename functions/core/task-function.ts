/**
 * Everything a task function needs, built once per cold start from the environment the stack (or
 * the local runtime) sets: its catalog entry, logger and metrics, the usage ledger, its own key
 * pool over its own secret, the provider chain and, when the task caches, the response cache.
 *
 * Handlers call {@link taskFunctionFromEnv} at module scope; tests call it with an explicit env.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { functionBasicsFromEnv, type FunctionBasics } from './function-basics';
import { circuitBreaker } from './circuit-breaker';
import { ENV, requireEnv } from './env';
import { KeyPool } from './key-pool';
import { METRIC } from './metric-names';
import { DynamoPracticeShares } from './practice-overrides';
import { phiGuardedClient, type PhiScrubListener } from './phi/guarded-client';
import { ProviderChain, type ProviderChainOptions } from './provider-chain';
import { providerBaseUrlsFromEnv, providerClientFor } from './providers/index';
import { ResponseCache } from './response-cache';
import { PowertoolsSecretStore } from './secret-store';
import type { ProviderTarget } from './task-config';
import { TaskRuntime } from './task-runtime';
import { DynamoUsageLedger } from './usage-ledger';

export interface TaskFunction extends FunctionBasics {
  ledger: DynamoUsageLedger;
  runtime: TaskRuntime;
}

export interface TaskFunctionOptions {
  env?: NodeJS.ProcessEnv;
  doc?: DynamoDBDocumentClient;
  chainOptions?: ProviderChainOptions;
}

export function taskFunctionFromEnv(options: TaskFunctionOptions = {}): TaskFunction {
  const env = options.env ?? process.env;
  const { config, observability, doc } = functionBasicsFromEnv(options);
  const ledger = new DynamoUsageLedger({ doc, tableName: requireEnv(ENV.usageTable, env) });

  const secrets = PowertoolsSecretStore.fromEnvironment(env);
  const baseUrls = providerBaseUrlsFromEnv(env);
  // Kinds and counts only: the identifiers themselves never leave the scrubber's closure.
  const onScrub: PhiScrubListener = ({ target, counts }) => {
    const total = Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
    observability.metrics.addMetric(METRIC.phiScrubbed, MetricUnit.Count, total);
    observability.logger.info('patient identifiers scrubbed before an outside provider', { provider: target.provider, model: target.model, phiCounts: counts });
  };
  const clientFor = (target: ProviderTarget) => phiGuardedClient(providerClientFor(target, baseUrls), target, config.phi, onScrub);
  const chain = new ProviderChain(config.providers, new KeyPool(secrets), clientFor, circuitBreaker, options.chainOptions);
  const cacheTable = env[ENV.cacheTable];
  const cache = config.cache.enabled && cacheTable ? new ResponseCache({ doc, tableName: cacheTable }) : undefined;

  // The catalog's share of the task per practice, overridden per practice in PracticeOverrides.
  const practiceLimits = DynamoPracticeShares.fromEnvironment([config], doc, env, { logger: observability.logger });

  const runtime = new TaskRuntime({ config, ledger, chain, cache, observability, practiceLimits });
  return { config, observability, doc, ledger, runtime };
}
