/**
 * Every function of the gateway in one process for the security tests: the five task handlers
 * and the ops handler, loaded fresh over the local stand-ins (dynalite, Secrets Manager, the
 * provider simulator, the imaging queue and object store), invoked in-process the way Lambda
 * and API Gateway would, plus a count of everything a request can leave behind.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { functionConfigFor, resolveCatalog, type ResolvedCatalog, type TaskName } from '../../lib/catalog';
import { ENV } from '../../functions/core/env';
import { lambdaContext } from '../support/api-event';
import { invokeStreaming } from '../support/awslambda';
import { toSqsEvent } from '../../local/sqs';
import { startStandIns, type StandIns, type StandInsOptions } from '../support/stand-ins';

export type FunctionName = TaskName | 'ops';

export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What requests can leave behind; a refused request must change none of it. */
export interface Leftovers {
  usageItems: number;
  cacheItems: number;
  jobItems: number;
  storedImages: number;
  queuedMessages: number;
  providerRequests: number;
}

export interface Gateway {
  standIns: StandIns;
  catalog: ResolvedCatalog;
  invoke(fn: FunctionName, event: APIGatewayProxyEvent, timeoutMs?: number): Promise<Answer>;
  leftovers(): Promise<Leftovers>;
  /** One poll of the imaging queue by the worker, as the SQS event source would; reported failures stay queued. */
  pollImagingQueue(timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

type PlainHandler = (event: APIGatewayProxyEvent, context: unknown) => Promise<Answer>;

export interface GatewayOptions extends StandInsOptions {
  /** Extra environment for every function (e.g. `POWERTOOLS_LOG_LEVEL`). */
  env?: NodeJS.ProcessEnv;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const standIns = await startStandIns({ ...options, imaging: true });
  const catalog = resolveCatalog(options.catalog);
  const extraEnv = options.env ?? {};
  const handlers = new Map<FunctionName, PlainHandler>();
  const streaming = new Set<FunctionName>();
  const envOf = new Map<FunctionName, NodeJS.ProcessEnv>();

  for (const task of catalog.tasks) {
    handlers.set(task.name, standIns.loadHandler<PlainHandler>(task.name, 'handler', extraEnv));
    envOf.set(task.name, standIns.envFor(task.name, extraEnv));
    if (task.routes.some((r) => r.streaming)) streaming.add(task.name);
  }
  const opsEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...extraEnv,
    [ENV.usageTable]: standIns.dynamo.tables.usage,
    [ENV.catalog]: JSON.stringify(catalog.tasks.map(functionConfigFor)),
    AWS_ENDPOINT_URL_DYNAMODB: standIns.dynamo.endpoint,
  };
  process.env = opsEnv;
  jest.isolateModules(() => {
    handlers.set('ops', (require('../../functions/ops/handler') as { handler: PlainHandler }).handler);
  });
  envOf.set('ops', opsEnv);
  const workerEnv = standIns.envFor('imaging', { ...extraEnv, [ENV.functionRole]: 'worker' });
  const worker = standIns.loadHandler<(event: unknown, context: unknown) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>>('imaging', 'worker', {
    ...extraEnv,
    [ENV.functionRole]: 'worker',
  });

  const count = async (table: string) => {
    let items = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await standIns.dynamo.doc.send(new ScanCommand({ TableName: table, Select: 'COUNT', ExclusiveStartKey: start }));
      items += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  return {
    standIns,
    catalog,
    async invoke(fn, event, timeoutMs = 29_000) {
      const handler = handlers.get(fn);
      if (!handler) throw new Error(`no function ${fn}`);
      // One sandbox per function in Lambda: its own environment while it runs.
      process.env = envOf.get(fn)!;
      if (streaming.has(fn)) return invokeStreaming(handler, event, lambdaContext(timeoutMs));
      const answer = await handler(event, lambdaContext(timeoutMs));
      return { ...answer, body: typeof answer.body === 'string' ? answer.body : String(answer.body) };
    },
    async leftovers() {
      const imaging = standIns.imaging!;
      const [usageItems, cacheItems, jobItems, storedImages] = await Promise.all([
        count(standIns.dynamo.tables.usage),
        count(standIns.dynamo.tables.cache),
        count(standIns.dynamo.tables.jobs),
        imaging.objects.listKeys(imaging.bucket).then((keys) => keys.length),
      ]);
      return { usageItems, cacheItems, jobItems, storedImages, queuedMessages: imaging.queue.depth().depth + imaging.queue.depth().inFlight, providerRequests: standIns.simulator.stats().totals.requests };
    },
    async pollImagingQueue(timeoutMs = 60_000) {
      const queue = standIns.imaging!.queue;
      const batch = queue.receive(10);
      if (batch.length === 0) return 0;
      process.env = workerEnv;
      const { batchItemFailures } = await worker(toSqsEvent(queue, batch), lambdaContext(timeoutMs));
      const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
      for (const message of batch) if (!failed.has(message.messageId)) queue.delete(message.receiptHandle!);
      return batch.length;
    },
    close: () => standIns.close(),
  };
}
