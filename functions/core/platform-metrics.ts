/**
 * What AWS itself counts for the usage report and the ledger cannot: in AWS a throttled Lambda
 * invoke never reaches the function, so nothing of ours runs to write it down. The report asks
 * CloudWatch for each function's `Throttles` and for the REST API's requests, 4XX/5XX errors and
 * p95 latency, in one GetMetricData call; locally (`npm start`) the runtime counts its throttles
 * into the ledger instead and no {@link PlatformMetrics} is given.
 *
 * AWS documentation this depends on:
 * - Lambda `Throttles` (AWS/Lambda, Sum): "the number of invocation requests that are throttled";
 *   throttled requests are not counted as `Invocations`, and the `FunctionName` dimension sums
 *   all versions and aliases of a function:
 *   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html,
 *   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html
 * - API Gateway (AWS/ApiGateway): `Count` (SampleCount), `4XXError` and `5XXError` (Sum) and
 *   `Latency` (ms) per REST API and stage with the `ApiName` + `Stage` dimensions; "API Gateway
 *   counts modified gateway response status codes as 4XXError errors", so its own 429s are there:
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
 * - GetMetricData takes up to 500 metrics per call and returns up to 100,800 data points before
 *   paginating with NextToken; a period must be a multiple of 60 s for a start time up to 15 days
 *   ago, of 300 s up to 63 days ago and of 3600 s beyond, or no data points are returned:
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html,
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricStat.html
 */
import { CloudWatchClient, GetMetricDataCommand, type CloudWatchClientConfig, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { deployedApiName, deployedFunctionName } from './function-names';

/** The report's period as CloudWatch is asked for it: epoch ms, `end` exclusive. */
export interface MetricsWindow {
  start: number;
  end: number;
  /** For the period granularity CloudWatch still keeps for `start`. */
  now: number;
}

/** The API stage's own figures: what reached API Gateway, including what never reached a function. */
export interface ApiGatewayCounts {
  requests: number;
  /** 4XX answers, API Gateway's own (throttling 429, authorizer 401/403, validation 400) included. */
  clientErrors: number;
  /** 5XX answers, integration timeouts (504) included. */
  serverErrors: number;
  /** p95 of API Gateway's `Latency` over the period, in ms; null without requests. */
  p95LatencyMs: number | null;
}

export interface PlatformCounts {
  /** Lambda `Throttles` per task: its API function plus, for imaging, its queue worker. */
  lambdaThrottles: Record<string, number>;
  api: ApiGatewayCounts;
}

/** The tasks whose functions are asked about; imaging's worker is a function of its own. */
export type MetricsTask = { name: string; worker?: unknown };

/** Port: what the platform counted, for a deployed stage. */
export interface PlatformMetrics {
  read(window: MetricsWindow, tasks: ReadonlyArray<MetricsTask>): Promise<PlatformCounts>;
}

/** CloudWatch answered, but not with every series asked for (a per-query `Forbidden` or `InternalError`). */
export class IncompleteMetricsError extends Error {
  override readonly name = 'IncompleteMetrics';
}

const DAY_MS = 86_400_000;
const API_METRICS = [
  { id: 'apiRequests', metricName: 'Count', stat: 'SampleCount' },
  { id: 'api4xx', metricName: '4XXError', stat: 'Sum' },
  { id: 'api5xx', metricName: '5XXError', stat: 'Sum' },
  { id: 'apiLatencyP95', metricName: 'Latency', stat: 'p95' },
] as const;

/**
 * The shortest period CloudWatch still answers for data that starts at `start` (see the module
 * comment), stretched to cover the whole window so every series is one data point (a p95 over
 * the period, not a p95 per minute).
 */
export function metricsPeriodSeconds(window: MetricsWindow): number {
  const age = window.now - window.start;
  const granularity = age > 63 * DAY_MS ? 3600 : age > 15 * DAY_MS ? 300 : 60;
  return Math.max(1, Math.ceil((window.end - window.start) / 1000 / granularity)) * granularity;
}

/** Reads the deployed stage's function and API metrics from CloudWatch, one GetMetricData call per page. */
export class CloudWatchPlatformMetrics implements PlatformMetrics {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly stage: string,
  ) {}

  async read(window: MetricsWindow, tasks: ReadonlyArray<MetricsTask>): Promise<PlatformCounts> {
    const period = metricsPeriodSeconds(window);
    const functions = tasks.flatMap((task) => [
      { task: task.name, name: deployedFunctionName(this.stage, task.name, 'api') },
      ...(task.worker ? [{ task: task.name, name: deployedFunctionName(this.stage, task.name, 'worker') }] : []),
    ]);
    const apiDimensions = [
      { Name: 'ApiName', Value: deployedApiName(this.stage) },
      { Name: 'Stage', Value: this.stage },
    ];
    // 6 function series and 4 API series today, far below the 500 per call.
    const queries: MetricDataQuery[] = [
      ...functions.map((fn, i) => ({
        Id: `throttles${i}`,
        MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: fn.name }] }, Period: period, Stat: 'Sum' },
      })),
      ...API_METRICS.map((m) => ({ Id: m.id, MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: m.metricName, Dimensions: apiDimensions }, Period: period, Stat: m.stat } })),
    ];

    const values = new Map<string, number[]>();
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(window.start), EndTime: new Date(window.end), ScanBy: 'TimestampDescending', NextToken: nextToken }),
      );
      for (const result of page.MetricDataResults ?? []) {
        if (result.StatusCode === 'Forbidden' || result.StatusCode === 'InternalError') throw new IncompleteMetricsError(`${result.Id}: ${result.StatusCode}`);
        values.set(result.Id!, [...(values.get(result.Id!) ?? []), ...(result.Values ?? [])]);
      }
      nextToken = page.NextToken;
    } while (nextToken);

    const sum = (id: string) => Math.round((values.get(id) ?? []).reduce((total, v) => total + v, 0));
    const lambdaThrottles: Record<string, number> = Object.fromEntries(tasks.map((t) => [t.name, 0]));
    functions.forEach((fn, i) => (lambdaThrottles[fn.task]! += sum(`throttles${i}`)));
    const latency = values.get('apiLatencyP95') ?? [];
    return {
      lambdaThrottles,
      api: {
        requests: sum('apiRequests'),
        clientErrors: sum('api4xx'),
        serverErrors: sum('api5xx'),
        // One data point per series (the period spans the window); the largest if CloudWatch split it.
        p95LatencyMs: latency.length === 0 ? null : Math.round(Math.max(...latency)),
      },
    };
  }
}

/**
 * A CloudWatch client for the report: short timeouts and one retry, so an unreachable or slow
 * CloudWatch costs the ops function (10 s timeout) a few seconds at most before the report falls
 * back to the ledger. The SDK honours `AWS_ENDPOINT_URL_CLOUDWATCH`, which tests use.
 */
export function createCloudWatchClient(config: CloudWatchClientConfig = {}): CloudWatchClient {
  return new CloudWatchClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 }, ...config });
}
