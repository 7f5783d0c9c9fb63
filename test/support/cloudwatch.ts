/**
 * A CloudWatch stand-in on a real socket that answers `GetMetricData` the way the service does
 * for the installed @aws-sdk/client-cloudwatch (3.1164): the AWS JSON 1.0 protocol, i.e. a signed
 * `POST /` with `Content-Type: application/x-amz-json-1.0` and
 * `X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`, timestamps as epoch seconds, and
 * errors as `{ "__type", "message" }` with the awsQuery-compatible `x-amzn-query-error` header.
 *
 * Tests seed data points per metric (namespace, name, dimensions); a query gets them aggregated
 * into its period buckets within [StartTime, EndTime) with its statistic (Sum, SampleCount,
 * Average, Maximum or pNN), as CloudWatch aggregates raw samples. `deny()` makes every call
 * answer AccessDenied, as IAM does for a role without cloudwatch:GetMetricData.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricSample {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** Epoch ms. */
  at: number;
  value: number;
}

interface MetricDataQueryJson {
  Id: string;
  MetricStat?: {
    Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: string }> };
    Period: number;
    Stat: string;
  };
  ReturnData?: boolean;
}

export interface GetMetricDataRequestJson {
  MetricDataQueries: MetricDataQueryJson[];
  /** Epoch seconds. */
  StartTime: number;
  EndTime: number;
  NextToken?: string;
}

export interface CloudWatchStandIn {
  endpoint: string;
  seed(...samples: MetricSample[]): void;
  /** Every GetMetricData call answers AccessDenied from now on (`false` lifts it). */
  deny(denied?: boolean): void;
  /** The bodies of the GetMetricData calls received, in order. */
  readonly requests: GetMetricDataRequestJson[];
  /** The signing scope of the last call (`<date>/<region>/<service>/aws4_request`). */
  readonly lastCredentialScope: string | undefined;
  close(): Promise<void>;
}

const TARGET = 'GraniteServiceVersion20100801.GetMetricData';

export async function startCloudWatchStandIn(): Promise<CloudWatchStandIn> {
  const samples: MetricSample[] = [];
  const requests: GetMetricDataRequestJson[] = [];
  let denied = false;
  let lastCredentialScope: string | undefined;

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => fail(res, 500, 'InternalFailure', String(error)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (req.method !== 'POST' || req.url !== '/') return fail(res, 404, 'UnknownOperationException', `${req.method} ${req.url}`);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.0') return fail(res, 400, 'InvalidParameterValue', `unexpected content-type ${req.headers['content-type']}`);
    const auth = String(req.headers.authorization ?? '');
    const scope = /Credential=[^/]+\/([^,]+),/.exec(auth)?.[1];
    if (!auth.startsWith('AWS4-HMAC-SHA256 ') || !scope) return fail(res, 403, 'MissingAuthenticationToken', 'request is not signed with SigV4');
    lastCredentialScope = scope;
    if (req.headers['x-amz-target'] !== TARGET) return fail(res, 400, 'UnknownOperationException', `unsupported target ${req.headers['x-amz-target']}`);
    if (denied) return fail(res, 403, 'AccessDenied', 'User is not authorized to perform: cloudwatch:GetMetricData because no identity-based policy allows the cloudwatch:GetMetricData action', 'Sender');

    const input = JSON.parse(body) as GetMetricDataRequestJson;
    requests.push(input);
    if (!Array.isArray(input.MetricDataQueries) || input.MetricDataQueries.length === 0 || input.MetricDataQueries.length > 500) {
      return fail(res, 400, 'InvalidParameterValue', 'MetricDataQueries must have 1 to 500 entries');
    }
    if (typeof input.StartTime !== 'number' || typeof input.EndTime !== 'number' || !(input.StartTime < input.EndTime)) {
      return fail(res, 400, 'InvalidParameterValue', 'StartTime must be before EndTime (epoch seconds)');
    }
    const results = [];
    for (const query of input.MetricDataQueries) {
      if (!/^[a-z][A-Za-z0-9_]*$/.test(query.Id) || !query.MetricStat) return fail(res, 400, 'InvalidParameterValue', `bad query ${JSON.stringify(query)}`);
      const { Metric, Period, Stat } = query.MetricStat;
      if (!(Period >= 60 && Period % 60 === 0)) return fail(res, 400, 'InvalidParameterValue', `Period must be a multiple of 60, got ${Period}`);
      const dims = Object.fromEntries((Metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const matching = samples.filter(
        (s) => s.namespace === Metric.Namespace && s.metricName === Metric.MetricName && sameDimensions(s.dimensions, dims) && s.at >= input.StartTime * 1000 && s.at < input.EndTime * 1000,
      );
      const buckets = new Map<number, number[]>();
      for (const s of matching) {
        const bucket = input.StartTime + Math.floor((s.at / 1000 - input.StartTime) / Period) * Period;
        buckets.set(bucket, [...(buckets.get(bucket) ?? []), s.value]);
      }
      // CloudWatch returns the newest data point first (ScanBy TimestampDescending).
      const timestamps = [...buckets.keys()].sort((a, b) => b - a);
      results.push({ Id: query.Id, Label: Metric.MetricName, StatusCode: 'Complete', Timestamps: timestamps, Values: timestamps.map((t) => aggregate(buckets.get(t)!, Stat)) });
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `req-${requests.length}` });
    res.end(JSON.stringify({ MetricDataResults: results, Messages: [] }));
  }

  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seed: (...more) => void samples.push(...more),
    deny: (value = true) => void (denied = value),
    requests,
    get lastCredentialScope() {
      return lastCredentialScope;
    },
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}

function sameDimensions(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function aggregate(values: number[], stat: string): number {
  if (stat === 'Sum') return values.reduce((s, v) => s + v, 0);
  if (stat === 'SampleCount') return values.length;
  if (stat === 'Average') return values.reduce((s, v) => s + v, 0) / values.length;
  if (stat === 'Maximum') return Math.max(...values);
  const percentile = /^p(\d{1,2}(?:\.\d+)?)$/.exec(stat);
  if (percentile) {
    const sorted = [...values].sort((x, y) => x - y);
    return sorted[Math.max(0, Math.ceil((Number(percentile[1]) / 100) * sorted.length) - 1)]!;
  }
  throw new Error(`unsupported statistic ${stat}`);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, failed) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', failed);
  });
}

function fail(res: ServerResponse, status: number, code: string, message: string, fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender'): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${code};${fault}` });
  res.end(JSON.stringify({ __type: `com.amazonaws.cloudwatch#${code}`, message }));
}
