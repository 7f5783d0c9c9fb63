/**
 * Every local stand-in a task function talks to, on random loopback ports: dynalite with the
 * gateway's tables, the Secrets Manager stand-in holding one simulated key per task and provider,
 * and the provider simulator. `loadHandler` imports a function module fresh with the exact
 * environment the stack would give it, so module-scope clients are built as in a cold start.
 */
import { resolveCatalog, functionConfigFor, type TaskName } from '../../lib/catalog';
import { ENV } from '../../functions/core/env';
import { startSecretsManager, type SecretsManagerStandIn } from '../../local/secrets-manager';
import { startProviderSimulator, type ProviderSimulator, type ProviderSimulatorOptions } from '../../local/simulator/index';
import { startDynamoHarness, type DynamoHarness } from './dynamo';
import { installAwsLambdaGlobal } from './awslambda';

export interface StandIns {
  dynamo: DynamoHarness;
  secrets: SecretsManagerStandIn;
  simulator: ProviderSimulator;
  /** The simulated key of a task and provider entry (`sim-clinical-openai`). */
  keyOf(task: TaskName, entry: string): string;
  envFor(task: TaskName, overrides?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /**
   * Imports `functions/<task>/<file>` fresh with the task's environment and returns its `handler`.
   * The environment stays set afterwards, as in a Lambda sandbox: SDK clients are created lazily.
   */
  loadHandler<T = (...args: any[]) => Promise<any>>(task: TaskName, file?: string, overrides?: NodeJS.ProcessEnv): T;
  close(): Promise<void>;
}

const PROVIDER_ENTRIES = ['openai', 'anthropic', 'openai-compatible'];

export async function startStandIns(options: { simulator?: ProviderSimulatorOptions; catalog?: Parameters<typeof resolveCatalog>[0] } = {}): Promise<StandIns> {
  installAwsLambdaGlobal();
  const catalog = resolveCatalog(options.catalog);
  const keyOf = (task: TaskName, entry: string) => `sim-${task}-${entry}`;
  const keys: Record<string, { rpm?: number; tpm?: number }> = {};
  const secretValues: Record<string, string> = {};
  for (const task of catalog.tasks) {
    const entries = Object.fromEntries(PROVIDER_ENTRIES.map((entry) => [entry, [keyOf(task.name, entry)]]));
    for (const entry of PROVIDER_ENTRIES) keys[keyOf(task.name, entry)] = {};
    secretValues[task.secretName] = JSON.stringify(entries);
  }
  const [dynamo, secrets, simulator] = await Promise.all([
    startDynamoHarness(),
    startSecretsManager({ secrets: secretValues }),
    startProviderSimulator({ keys, latency: { fixedMs: 0, jitterMs: 0 }, ...options.simulator }),
  ]);

  const envFor = (task: TaskName, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const config = catalog.byName[task];
    return {
      ...process.env,
      [ENV.task]: task,
      [ENV.taskConfig]: JSON.stringify(functionConfigFor(config)),
      [ENV.functionRole]: 'api',
      [ENV.secretId]: config.secretName,
      [ENV.secretMaxAgeSeconds]: '300',
      [ENV.usageTable]: dynamo.tables.usage,
      [ENV.cacheTable]: dynamo.tables.cache,
      [ENV.jobsTable]: dynamo.tables.jobs,
      [ENV.providerBaseUrls]: JSON.stringify({ openai: simulator.openaiBaseUrl, anthropic: simulator.anthropicBaseUrl, 'openai-compatible': simulator.openaiBaseUrl }),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      ...overrides,
    };
  };

  return {
    dynamo,
    secrets,
    simulator,
    keyOf,
    envFor,
    loadHandler<T>(task: TaskName, file = 'handler', overrides: NodeJS.ProcessEnv = {}): T {
      process.env = envFor(task, overrides);
      let loaded: { handler: T } | undefined;
      jest.isolateModules(() => {
        loaded = require(`../../functions/${task}/${file}`) as { handler: T };
      });
      return loaded!.handler;
    },
    async close() {
      await Promise.all([dynamo.close(), secrets.close(), simulator.close()]);
    },
  };
}
