/**
 * overhead: what the gateway adds to a model call. The simulator answers after a fixed latency;
 * the same kind of request (a clinical diagnosis, each one distinct so no cache answers it) goes
 *   (a) straight through the provider SDK to the simulator,
 *   (b) through the clinical handler called in process, with its ledger and cache on dynalite and
 *       its key from the Secrets Manager stand-in,
 *   (c) through the local runtime's HTTP API (API Gateway emulation, a worker thread per function).
 * The three are interleaved request by request, so drift in this machine's speed hits them alike.
 */
import Anthropic from '@anthropic-ai/sdk';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { functionConfigFor, resolveCatalog } from '../../lib/catalog';
import { DIAGNOSES_SYSTEM_PROMPT, buildDiagnosesUserPrompt } from '../../functions/clinical/prompts';
import { ENV } from '../../functions/core/env';
import { METRICS_NAMESPACE } from '../../functions/core/metric-names';
import { scrubModelRequest } from '../../functions/core/phi/model-request';
import { createTables, startDynamoDb } from '../../local/dynamodb';
import { startSecretsManager } from '../../local/secrets-manager';
import { startProviderSimulator } from '../../local/simulator';
import { apiGatewayEvent, lambdaContext } from '../api-event';
import { DynamoCallWatch } from '../dynamo-calls';
import { sendRequest } from '../http-load';
import { catalogRuntime, configureSimulator } from '../runtime-process';
import type { Scenario } from '../scenario';
import { percentile, round } from '../statistics';
import { verdict } from '../results';
import { clinicalDiagnosis } from '../workload';

export const MAX_HANDLER_MEDIAN_ADDED_MS = 3;
export const MAX_PHI_SCRUB_MEDIAN_MS = 0.5;
/** A 2 KB patient message with the identifiers a chat message carries (names, phone, DOB, email, MRN, address). */
const PHI_MESSAGE = (() => {
  const sentence = 'Hi, this is Maria Gonzalez (DOB 04/12/1961, MRN 4471902). My crown on the lower left came loose last night; call me at (512) 555-0142 or maria.gonzalez@example.com, I live at 1234 Oak Street, Austin TX 78701. ';
  return sentence.repeat(Math.ceil(2048 / sentence.length)).slice(0, 2048);
})();

/** Milliseconds to scrub one request with a 2 KB message (and restore an answer), per request. */
function phiScrubTimings(samples: number): number[] {
  const request = { task: 'chat' as const, system: 'You help the patients of a dental practice.', messages: [{ role: 'user' as const, content: PHI_MESSAGE }], responseFormat: 'text' as const, maxOutputTokens: 600 };
  const timings: number[] = [];
  for (let i = 0; i < samples + 50; i++) {
    const started = process.hrtime.bigint();
    const scrubbed = scrubModelRequest(request);
    scrubbed.restore(scrubbed.request.messages[0]!.content, 'text');
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (i >= 50) timings.push(ms);
  }
  return timings;
}
const FIXED_LATENCY_MS = 50;
const KEY = 'sim-bench-overhead-key';
const SECRET_NAME = 'smartdental/bench/clinical';
const TABLES = { usage: 'bench-overhead-usage', cache: 'bench-overhead-cache', jobs: 'bench-overhead-jobs' };

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Powertools writes a log line and the metrics (EMF) per invocation to stdout, as in Lambda,
 * where stdout is a pipe to the runtime. Here those lines would bury the progress output, so
 * they are built as usual and then dropped.
 */
async function withStdoutDropped<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as typeof process.stdout.write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}

export const overheadScenario: Scenario = {
  name: 'overhead',
  title: 'Overhead: what the gateway adds to a model call',
  async run(context) {
    const { quick, progress } = context;
    const samples = quick ? 30 : 100;
    const warmUp = quick ? 5 : 10;

    const simulator = await startProviderSimulator({ keys: { [KEY]: {} }, latency: { fixedMs: FIXED_LATENCY_MS, jitterMs: 0 } });
    const dynamo = await startDynamoDb();
    const secrets = await startSecretsManager({ secrets: { [SECRET_NAME]: JSON.stringify({ anthropic: [KEY], openai: [KEY] }) } });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const runtime = await catalogRuntime(context);
    const watch = new DynamoCallWatch(Number(new URL(dynamo.endpoint).port));
    try {
      await createTables(client, TABLES);
      const task = resolveCatalog({ stage: 'bench' }).byName.clinical;
      const config = functionConfigFor(task);

      // (b): the environment the stack gives the clinical function, pointed at the stand-ins.
      Object.assign(process.env, {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        POWERTOOLS_SERVICE_NAME: 'smartdental-clinical',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        [ENV.task]: 'clinical',
        [ENV.taskConfig]: JSON.stringify(config),
        [ENV.functionRole]: 'api',
        [ENV.secretId]: SECRET_NAME,
        [ENV.usageTable]: TABLES.usage,
        [ENV.cacheTable]: TABLES.cache,
        [ENV.jobsTable]: TABLES.jobs,
        [ENV.providerBaseUrls]: JSON.stringify({ anthropic: simulator.anthropicBaseUrl, openai: simulator.openaiBaseUrl }),
      });
      const { handler } = (await import('../../functions/clinical/handler')) as unknown as { handler: Handler };

      // (a): the same SDK the adapter uses, without retries, as the adapter configures it.
      const sdk = new Anthropic({ apiKey: KEY, baseURL: simulator.anthropicBaseUrl, maxRetries: 0 });
      const model = config.providers[0]!.model;
      // (c): the shared runtime's simulator, set to the same latency.
      await configureSimulator(runtime.simulatorUrl, { latency: { fixedMs: FIXED_LATENCY_MS, jitterMs: 0 } });

      const direct = async (n: number) => {
        const request = clinicalDiagnosis(n).body as Parameters<typeof buildDiagnosesUserPrompt>[0];
        const started = performance.now();
        await sdk.messages.create({ model, max_tokens: config.maxOutputTokens, system: DIAGNOSES_SYSTEM_PROMPT, messages: [{ role: 'user', content: buildDiagnosesUserPrompt(request) }] });
        return performance.now() - started;
      };
      const dynamoCalls: number[] = [];
      const dynamoWaitMs: number[] = [];
      const inProcess = async (n: number) => {
        const event = apiGatewayEvent('/v1/clinical/diagnoses', clinicalDiagnosis(n).body, 'practice-bench');
        watch.take();
        const started = performance.now();
        const result = await withStdoutDropped(() => handler(event, lambdaContext('smartdental-bench-clinical', task.timeoutSeconds * 1000)));
        const ms = performance.now() - started;
        const waited = watch.take();
        dynamoCalls.push(waited.calls);
        dynamoWaitMs.push(waited.waitMs);
        if (result.statusCode !== 200) throw new Error(`the clinical handler answered ${result.statusCode}: ${result.body.slice(0, 200)}`);
        return ms;
      };
      const overHttp = async (n: number) => {
        const answer = await sendRequest(clinicalDiagnosis(n), { baseUrl: runtime.url, timeoutMs: 30_000 });
        if (answer.status !== 200) throw new Error(`the local API answered ${answer.status} (${answer.code ?? ''})`);
        return answer.latencyMs;
      };

      const a: number[] = [];
      const b: number[] = [];
      const c: number[] = [];
      // Distinct numbers per path and per run: no request is ever answered from the cache.
      const base = Date.now() % 1_000_000_000;
      for (let i = 0; i < warmUp + samples; i++) {
        const n = base + i * 3;
        const timings = [await direct(n), await inProcess(n + 1), await overHttp(n + 2)];
        if (i < warmUp) {
          dynamoCalls.length = 0;
          dynamoWaitMs.length = 0;
        } else {
          a.push(timings[0]!);
          b.push(timings[1]!);
          c.push(timings[2]!);
        }
        progress.tick('overhead', `overhead: ${Math.max(0, i + 1 - warmUp)}/${samples} rounds`);
      }

      const added = (xs: number[], p: number) => round(percentile(xs, p) - percentile(a, p), 1);
      const bMedian = added(b, 50);
      const scrub = phiScrubTimings(quick ? 200 : 1_000);
      const scrubMedian = round(percentile(scrub, 50), 3);
      return {
        figures: {
          'simulator latency ms (fixed)': FIXED_LATENCY_MS,
          rounds: samples,
          '(a) SDK direct, median ms': round(percentile(a, 50), 1),
          '(a) SDK direct, p95 ms': round(percentile(a, 95), 1),
          '(b) handler in process, median added ms': bMedian,
          '(b) handler in process, p95 added ms': added(b, 95),
          '(b) DynamoDB calls per request (median)': percentile(dynamoCalls, 50),
          '(b) time waiting on DynamoDB (dynalite), median ms': round(percentile(dynamoWaitMs, 50), 1),
          '(b) added ms beyond DynamoDB waits, median': round(percentile(b, 50) - percentile(dynamoWaitMs, 50) - percentile(a, 50), 1),
          '(c) local HTTP API, median added ms': added(c, 50),
          '(c) local HTTP API, p95 added ms': added(c, 95),
          'PHI scrub + restore of a 2 KB message, median ms': scrubMedian,
          'PHI scrub + restore of a 2 KB message, p95 ms': round(percentile(scrub, 95), 3),
        },
        targets: [
          verdict(`(b) handler adds ≤ ${MAX_HANDLER_MEDIAN_ADDED_MS} ms at the median`, bMedian, MAX_HANDLER_MEDIAN_ADDED_MS, (n) => `${n} ms`),
          verdict(`PHI scrubbing costs ≤ ${MAX_PHI_SCRUB_MEDIAN_MS} ms per request (2 KB message) at the median`, scrubMedian, MAX_PHI_SCRUB_MEDIAN_MS, (n) => `${n} ms`),
        ],
        notes: [
          '(b) does per request what the deployed function does: validate the body, look up the response cache and mark the request in flight, reserve tokens in the ledger (two conditional updates), call the model through the provider chain, validate and check the answer, settle the ledger (task, key and key-reference items) and store the answer in the cache; every DynamoDB call goes over a socket to dynalite, which is slower than DynamoDB itself in the same region.',
          '(b) includes the PHI scrubbing of the request for clinical\'s outside primary (Anthropic); the PHI figures time scrubModelRequest plus the restore of an answer as long as the message, in process, without I/O.',
          '(c) adds the local API Gateway emulation, the dev-token authorizer and the hop to the function\'s worker thread; the runtime runs in its own process. Each round sends (a), (b) and (c) once, in that order.',
        ],
      };
    } finally {
      watch.close();
      client.destroy();
      await secrets.close();
      await dynamo.close();
      await simulator.close();
    }
  },
};
