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
import { startObjectStore, type LocalObjectStore } from '../../local/object-store';
import { LocalQueue, startSqsEndpoint, type SqsEndpoint } from '../../local/sqs';
import { startDynamoHarness, type DynamoHarness } from './dynamo';
import { installAwsLambdaGlobal } from './awslambda';

/** The imaging queue (with its dead-letter queue) behind a local SQS endpoint, and the images bucket. */
export interface ImagingStandIns {
  queue: LocalQueue;
  deadLetterQueue: LocalQueue;
  sqs: SqsEndpoint;
  objects: LocalObjectStore;
  bucket: string;
}

export interface StandIns {
  dynamo: DynamoHarness;
  /** Present when started with `{ imaging: true }`; its env (queue URL, bucket, endpoints) is in `envFor`. */
  imaging?: ImagingStandIns;
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

export interface StandInsOptions {
  simulator?: ProviderSimulatorOptions;
  catalog?: Parameters<typeof resolveCatalog>[0];
  /**
   * Also start the imaging queue (SQS JSON endpoint, redrive after the catalog's maxReceiveCount) and the object store.
   * `visibilityTimeoutMs` (default 60 000) lets a fault test see redeliveries within seconds.
   */
  imaging?: boolean | { visibilityTimeoutMs?: number };
}

export async function startStandIns(options: StandInsOptions = {}): Promise<StandIns> {
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
  // Bedrock has no key: the functions sign with the process's credentials (test/setup-env.ts), and
  // the simulator counts a Bedrock call against the access key id it was signed with.
  keys[bedrockAccessKeyId()] = {};
  const [dynamo, secrets, simulator] = await Promise.all([
    startDynamoHarness(),
    startSecretsManager({ secrets: secretValues }),
    startProviderSimulator({ keys, latency: { fixedMs: 0, jitterMs: 0 }, ...options.simulator }),
  ]);

  const imaging = options.imaging
    ? await startImagingStandIns(catalog.byName.imaging.worker?.maxReceiveCount ?? 4, (typeof options.imaging === 'object' && options.imaging.visibilityTimeoutMs) || 60_000)
    : undefined;

  const envFor = (task: TaskName, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
    const config = catalog.byName[task];
    const imagingEnv: NodeJS.ProcessEnv = imaging
      ? {
          [ENV.imagingQueueUrl]: imaging.sqs.queueUrl(imaging.queue.name),
          [ENV.imagesBucket]: imaging.bucket,
          AWS_ENDPOINT_URL_SQS: imaging.sqs.endpoint,
          AWS_ENDPOINT_URL_S3: imaging.objects.endpoint,
        }
      : {};
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
      [ENV.providerBaseUrls]: providerBaseUrlsAt(simulator.url),
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      ...imagingEnv,
      ...overrides,
    };
  };

  return {
    dynamo,
    imaging,
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
      await Promise.all([dynamo.close(), secrets.close(), simulator.close(), imaging?.sqs.close(), imaging?.objects.close()]);
    },
  };
}

/** `PROVIDER_BASE_URLS` for every provider kind served at `url`: the simulator, or a proxy in front of it. */
export function providerBaseUrlsAt(url: string): string {
  return JSON.stringify({ openai: `${url}/v1`, anthropic: url, 'openai-compatible': `${url}/v1`, bedrock: url });
}

/** The access key id a Bedrock call from a function under test is signed with: the simulator's key for it. */
export function bedrockAccessKeyId(): string {
  return process.env.AWS_ACCESS_KEY_ID ?? 'local';
}

async function startImagingStandIns(maxReceiveCount: number, visibilityTimeoutMs: number): Promise<ImagingStandIns> {
  const deadLetterQueue = new LocalQueue({ name: 'smartdental-test-imaging-dlq', visibilityTimeoutMs: 60_000 });
  const queue = new LocalQueue({ name: 'smartdental-test-imaging', visibilityTimeoutMs, redrive: { deadLetterQueue, maxReceiveCount } });
  const [sqs, objects] = await Promise.all([startSqsEndpoint({ queues: [queue, deadLetterQueue], port: 0 }), startObjectStore({ port: 0, credentials: functionCredentials() })]);
  return { queue, deadLetterQueue, sqs, objects, bucket: 'smartdental-test-images' };
}

/** The store checks signatures with the credentials the functions sign with: test/setup-env.ts's, or the caller's own. */
function functionCredentials(): Record<string, string> {
  const { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret } = process.env;
  return id && secret ? { [id]: secret } : { local: 'local' };
}
