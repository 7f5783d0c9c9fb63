/**
 * overhead: what the gateway adds to a model call. The simulator answers after a fixed latency;
 * the same kind of request (a clinical diagnosis, each one distinct so no cache answers it) goes
 *   (a) straight through the provider SDK to the simulator,
 *   (b) through the clinical handler called in process, with its ledger and cache on dynalite and
 *       its key from the Secrets Manager stand-in,
 *   (c) through the local runtime's HTTP API (API Gateway emulation, a worker thread per function).
 * (b) also runs per request kind: uncached, a cache hit (the same diagnosis again), an idempotent
 * claim (billing, with a fresh Idempotency-Key) and a streamed chat answer, each once as is and
 * once with a fixed delay added to every DynamoDB call by a TCP proxy in front of dynalite (to
 * model DynamoDB in AWS). Per request the DynamoDB calls and the model call are timed on the wire
 * (bench/dynamo-calls.ts): calls made, round trips in series, those before the model and those
 * after it that the caller waited for, and the handler's own time beyond those waits.
 * Everything is interleaved request by request, so drift in this machine's speed hits all alike.
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
import { CallTimeline, requestProfile, type RequestProfile } from '../dynamo-calls';
import { startDelayProxy } from '../delay-proxy';
import { installStreamingGlobal, invokeStreaming } from '../response-stream';
import { sendRequest } from '../http-load';
import { catalogRuntime, configureSimulator } from '../runtime-process';
import type { Scenario } from '../scenario';
import { percentile, round } from '../statistics';
import { verdict } from '../results';
import { billingClaim, chatMessage, clinicalDiagnosis } from '../workload';

export const MAX_HANDLER_MEDIAN_ADDED_MS = 3;
/** Issue 12's targets for the hot path. */
export const MAX_ROUND_TRIPS_BEFORE_MODEL = 1;
export const MAX_ROUND_TRIPS_AFTER_MODEL_STREAMED = 0;
export const MAX_HANDLER_OWN_MEDIAN_MS = 1;
export const MAX_HANDLER_ADDED_WITH_DELAY_MEDIAN_MS = 6;
export const MAX_HTTP_ADDED_OVER_IN_PROCESS_MEDIAN_MS = 1.5;
/** The request kinds (b) runs, in the order of each round. */
export const REQUEST_KINDS = ['uncached', 'cache hit', 'idempotent claim', 'chat stream (uncached)'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];
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
    // A round sends ten requests; quick keeps the scenario within its 2-minute limit on a busy machine.
    const samples = quick ? 10 : 100;
    const warmUp = quick ? 2 : 10;
    const delayMs = context.dynamoDelayMs;
    const configs = [0, delayMs] as const;

    const simulator = await startProviderSimulator({ keys: { [KEY]: {} }, latency: { fixedMs: FIXED_LATENCY_MS, jitterMs: 0 } });
    const dynamo = await startDynamoDb();
    // Every DynamoDB call of (b) goes through the proxy; its delay is switched per request.
    const proxy = await startDelayProxy(dynamo.endpoint);
    const secrets = await startSecretsManager({ secrets: { [SECRET_NAME]: JSON.stringify({ anthropic: [KEY], openai: [KEY] }) } });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const runtime = await catalogRuntime(context);
    const timeline = new CallTimeline(proxy.port, simulator.port);
    try {
      await createTables(client, TABLES);
      const catalog = resolveCatalog({ stage: 'bench' });
      const task = catalog.byName.clinical;
      const config = functionConfigFor(task);

      // (b): the environment the stack gives each function, pointed at the stand-ins. Every
      // handler reads it once, at module scope, as in a cold start.
      const load = async <T>(name: 'clinical' | 'billing' | 'chat'): Promise<T> => {
        Object.assign(process.env, {
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
          POWERTOOLS_SERVICE_NAME: `smartdental-${name}`,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          [ENV.task]: name,
          [ENV.taskConfig]: JSON.stringify(functionConfigFor(catalog.byName[name])),
          [ENV.functionRole]: 'api',
          [ENV.secretId]: SECRET_NAME,
          [ENV.usageTable]: TABLES.usage,
          [ENV.cacheTable]: TABLES.cache,
          [ENV.jobsTable]: TABLES.jobs,
          [ENV.providerBaseUrls]: JSON.stringify({ anthropic: simulator.anthropicBaseUrl, openai: simulator.openaiBaseUrl }),
        });
        return ((await import(`../../functions/${name}/handler`)) as { handler: T }).handler;
      };
      installStreamingGlobal();
      const handler = await load<Handler>('clinical');
      const billing = await load<Handler>('billing');
      const chat = await load<(...args: any[]) => Promise<unknown>>('chat');

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

      /** One request of (b): its time to the caller's last byte and what it did on the wire. */
      const measured = async (kind: RequestKind, delay: number, send: () => Promise<{ status: number; lastByteAt?: number; body: string }>) => {
        proxy.setDelayMs(delay);
        await timeline.settled();
        timeline.take();
        const started = performance.now();
        const answer = await withStdoutDropped(send);
        const callerDone = answer.lastByteAt ?? performance.now();
        if (answer.status !== 200) throw new Error(`${kind}: the handler answered ${answer.status}: ${answer.body.slice(0, 200)}`);
        await timeline.settled();
        const calls = timeline.take();
        if (kind === 'cache hit' && calls.model.length > 0) throw new Error('cache hit: the repeated diagnosis called the model (the cache did not answer it)');
        return { ms: callerDone - started, profile: requestProfile({ ...calls, started, callerDone }) };
      };
      const context = () => lambdaContext('smartdental-bench-clinical', task.timeoutSeconds * 1000);
      const jsonAnswer = async (h: Handler, event: ReturnType<typeof apiGatewayEvent>) => {
        const result = await h(event, context());
        return { status: result.statusCode, body: result.body };
      };
      const send: Record<RequestKind, (n: number) => Promise<{ status: number; lastByteAt?: number; body: string }>> = {
        uncached: (n) => jsonAnswer(handler, apiGatewayEvent('/v1/clinical/diagnoses', clinicalDiagnosis(n).body, 'practice-bench')),
        // The same diagnosis as the round's uncached one: answered from the response cache.
        'cache hit': (n) => jsonAnswer(handler, apiGatewayEvent('/v1/clinical/diagnoses', clinicalDiagnosis(n).body, 'practice-bench')),
        'idempotent claim': (n) => {
          // The fee makes each claim distinct (no cache answers it) and must stay a plausible amount.
          const event = apiGatewayEvent('/v1/billing/claims', billingClaim(n % 1_000_000).body, 'practice-bench');
          event.headers['Idempotency-Key'] = `bench-claim-${n}`;
          return jsonAnswer(billing, event);
        },
        'chat stream (uncached)': async (n) => {
          const event = apiGatewayEvent('/v1/chat/messages', chatMessage(n).body, 'practice-bench');
          event.headers.Accept = 'text/event-stream';
          const answer = await invokeStreaming(chat, event, context());
          if (!/event: done/.test(answer.body)) return { status: 502, body: `the stream did not end with done: ${answer.body.slice(-200)}` };
          return { status: answer.statusCode, body: answer.body, lastByteAt: answer.lastByteAt };
        },
      };
      const overHttp = async (n: number) => {
        const answer = await sendRequest(clinicalDiagnosis(n), { baseUrl: runtime.url, timeoutMs: 30_000 });
        if (answer.status !== 200) throw new Error(`the local API answered ${answer.status} (${answer.code ?? ''})`);
        return answer.latencyMs;
      };

      // The cache hit repeats the uncached request of its round and configuration.
      const OFFSET: Record<RequestKind, number> = { uncached: 0, 'cache hit': 0, 'idempotent claim': 1, 'chat stream (uncached)': 2 };
      const a: number[] = [];
      const c: number[] = [];
      const b = new Map<string, Array<{ ms: number; profile: RequestProfile }>>();
      const at = (kind: RequestKind, delay: number) => `${kind}@${delay}`;
      for (const kind of REQUEST_KINDS) for (const delay of configs) b.set(at(kind, delay), []);
      // Distinct numbers per path, configuration and run: no uncached request is ever a cache hit.
      const base = Date.now() % 1_000_000_000;
      for (let i = 0; i < warmUp + samples; i++) {
        const n = base + i * 8;
        const keep = i >= warmUp;
        const directMs = await direct(n);
        for (const [index, delay] of configs.entries()) {
          const m = n + 1 + index * 3;
          for (const kind of REQUEST_KINDS) {
            const sample = await measured(kind, delay, () => send[kind](m + OFFSET[kind]));
            if (keep) b.get(at(kind, delay))!.push(sample);
          }
        }
        const httpMs = await overHttp(n + 7);
        if (keep) {
          a.push(directMs);
          c.push(httpMs);
        }
        progress.tick('overhead', `overhead: ${Math.max(0, i + 1 - warmUp)}/${samples} rounds`);
      }
      proxy.setDelayMs(0);

      const median = (xs: number[]) => percentile(xs, 50);
      const of = (kind: RequestKind, delay: number) => b.get(at(kind, delay))!;
      const ms = (kind: RequestKind, delay: number) => of(kind, delay).map((s) => s.ms);
      const field = (kind: RequestKind, delay: number, pick: (p: RequestProfile) => number) => of(kind, delay).map((s) => pick(s.profile));
      const directMedian = median(a);
      const added = (kind: RequestKind, delay: number, p = 50) => round(percentile(ms(kind, delay), p) - percentile(a, p), 1);
      const callsTable: Record<string, Record<string, number>> = {};
      const timeTable: Record<string, Record<string, number>> = {};
      for (const kind of REQUEST_KINDS) {
        // Counted with the delay on: calls that overlap then surely went out together.
        callsTable[kind] = {
          'DynamoDB calls (median)': median(field(kind, delayMs, (p) => p.dynamoCalls)),
          'round trips in series (median)': median(field(kind, delayMs, (p) => p.roundTrips)),
          'in series before the model (median)': median(field(kind, delayMs, (p) => p.beforeModel)),
          'in series before the model (max)': Math.max(...field(kind, delayMs, (p) => p.beforeModel)),
          'in series after the model, before the last byte (median)': median(field(kind, delayMs, (p) => p.afterModel)),
          'in series after the model, before the last byte (max)': Math.max(...field(kind, delayMs, (p) => p.afterModel)),
        };
        const row: Record<string, number> = {};
        for (const delay of configs) {
          const label = delay === 0 ? 'no delay' : `${delay} ms delay`;
          row[`handler ms, ${label} (median)`] = round(median(ms(kind, delay)), 1);
          if (kind !== 'cache hit') row[`added over SDK direct, ${label} (median ms)`] = added(kind, delay);
          row[`own ms beyond DynamoDB and model waits, ${label} (median)`] = round(median(field(kind, delay, (p) => p.ownMs)), 2);
          row[`waiting on DynamoDB, ${label} (median ms)`] = round(median(field(kind, delay, (p) => p.dynamoWaitMs)), 1);
        }
        timeTable[kind] = row;
      }

      const bMedian = added('uncached', 0);
      const bDelayed = added('uncached', delayMs);
      const ownMedian = round(median(field('uncached', 0, (p) => p.ownMs)), 2);
      const httpOverInProcess = round(median(c) - median(ms('uncached', 0)), 1);
      const beforeModel = median(field('uncached', delayMs, (p) => p.beforeModel));
      const afterStream = median(field('chat stream (uncached)', delayMs, (p) => p.afterModel));
      const scrub = phiScrubTimings(quick ? 200 : 1_000);
      const scrubMedian = round(percentile(scrub, 50), 3);
      return {
        figures: {
          'simulator latency ms (fixed)': FIXED_LATENCY_MS,
          'DynamoDB delay of the second configuration, ms per call': delayMs,
          rounds: samples,
          '(a) SDK direct, median ms': round(directMedian, 1),
          '(a) SDK direct, p95 ms': round(percentile(a, 95), 1),
          '(b) handler in process, median added ms': bMedian,
          '(b) handler in process, p95 added ms': added('uncached', 0, 95),
          [`(b) handler in process with ${delayMs} ms per DynamoDB call, median added ms`]: bDelayed,
          [`(b) handler in process with ${delayMs} ms per DynamoDB call, p95 added ms`]: added('uncached', delayMs, 95),
          '(b) DynamoDB calls per request (median)': median(field('uncached', 0, (p) => p.dynamoCalls)),
          '(b) time waiting on DynamoDB (dynalite), median ms': round(median(field('uncached', 0, (p) => p.dynamoWaitMs)), 1),
          '(b) own ms beyond DynamoDB and model waits, median': ownMedian,
          '(c) local HTTP API, median added ms': round(median(c) - directMedian, 1),
          '(c) local HTTP API, p95 added ms': round(percentile(c, 95) - percentile(a, 95), 1),
          '(c) local HTTP API over (b) in process, median ms': httpOverInProcess,
          'PHI scrub + restore of a 2 KB message, median ms': scrubMedian,
          'PHI scrub + restore of a 2 KB message, p95 ms': round(percentile(scrub, 95), 3),
        },
        tables: {
          [`DynamoDB per request kind (with ${delayMs} ms per call)`]: callsTable,
          'handler time per request kind': timeTable,
        },
        targets: [
          verdict(`uncached: ≤ ${MAX_ROUND_TRIPS_BEFORE_MODEL} DynamoDB round trip in series before the model (median)`, beforeModel, MAX_ROUND_TRIPS_BEFORE_MODEL, (x) => `${x} round trips`),
          verdict(`streams: ${MAX_ROUND_TRIPS_AFTER_MODEL_STREAMED} DynamoDB round trips in series after the model, before the last byte (median)`, afterStream, MAX_ROUND_TRIPS_AFTER_MODEL_STREAMED, (x) => `${x} round trips`),
          verdict(`(b) handler's own time beyond DynamoDB and model waits ≤ ${MAX_HANDLER_OWN_MEDIAN_MS} ms at the median`, ownMedian, MAX_HANDLER_OWN_MEDIAN_MS, (x) => `${x} ms`),
          verdict(`(b) with ${delayMs} ms added to every DynamoDB call, the handler adds ≤ ${MAX_HANDLER_ADDED_WITH_DELAY_MEDIAN_MS} ms at the median${delayMs === 4 ? '' : ' (the target is set for 4 ms)'}`, bDelayed, MAX_HANDLER_ADDED_WITH_DELAY_MEDIAN_MS, (x) => `${x} ms`),
          verdict(`(c) the local HTTP path adds ≤ ${MAX_HTTP_ADDED_OVER_IN_PROCESS_MEDIAN_MS} ms over the in-process handler at the median`, httpOverInProcess, MAX_HTTP_ADDED_OVER_IN_PROCESS_MEDIAN_MS, (x) => `${x} ms`),
          verdict(`(b) handler adds ≤ ${MAX_HANDLER_MEDIAN_ADDED_MS} ms at the median`, bMedian, MAX_HANDLER_MEDIAN_ADDED_MS, (n) => `${n} ms`),
          verdict(`PHI scrubbing costs ≤ ${MAX_PHI_SCRUB_MEDIAN_MS} ms per request (2 KB message) at the median`, scrubMedian, MAX_PHI_SCRUB_MEDIAN_MS, (n) => `${n} ms`),
        ],
        notes: [
          '(b) does per request what the deployed function does: validate the body, look up the response cache and mark the request in flight, reserve tokens in the ledger, call the model through the provider chain, validate and check the answer, settle the ledger and store the answer in the cache; every DynamoDB call goes over a socket to dynalite, which is slower than DynamoDB itself in the same region.',
          `A round trip in series is a group of DynamoDB calls of one request that overlapped in time (they went out together); the next starts after every call before it has ended. "Before the model" counts those that started before the first model call; "after the model" those that started after the last model answer was read and before the caller had its last byte (the handler's return, or the end of the stream), i.e. what the caller waited for after the model. Calls after the last byte (work left running) count as calls made, not as round trips in series. The counts are taken with the ${delayMs} ms delay on.`,
          `The second configuration adds ${delayMs} ms to every DynamoDB call with a TCP proxy in front of dynalite (each chunk the client sends is held that long), to model DynamoDB in AWS (~3–5 ms per call from Lambda); both configurations go through the proxy, with no delay in the first. "Own ms" is the request's time minus the time a DynamoDB or model call was outstanding.`,
          'Kinds: uncached is a distinct diagnosis; cache hit repeats the round\'s uncached diagnosis (a model call there fails the run); idempotent claim is a billing claim with a fresh Idempotency-Key; chat stream is a distinct patient message with Accept: text/event-stream, timed to the end of the stream. "Added over SDK direct" compares each kind with (a), a clinical diagnosis through the Anthropic SDK, which is an approximation for billing and chat (same simulator latency, other prompts).',
          '(b) includes the PHI scrubbing of the request for the outside primary providers; the PHI figures time scrubModelRequest plus the restore of an answer as long as the message, in process, without I/O.',
          '(c) adds the local API Gateway emulation, the dev-token authorizer and the hop to the function\'s worker thread; the runtime runs in its own process with its own dynalite, without a delay. Each round sends (a), every kind of (b) in both configurations, and (c) once, in that order.',
        ],
      };
    } finally {
      timeline.close();
      client.destroy();
      await proxy.close();
      await secrets.close();
      await dynamo.close();
      await simulator.close();
    }
  },
};
