/**
 * The ops function as deployed: named `smartdental-ai-<stage>-ops-api` (Lambda sets
 * AWS_LAMBDA_FUNCTION_NAME), it reads the task functions' Throttles from CloudWatch — here the
 * stand-in, over a socket, through AWS_ENDPOINT_URL_CLOUDWATCH — and when CloudWatch refuses it
 * still answers 200 with the ledger's counts and says so.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { functionConfigFor, resolveCatalog } from '../../../lib/catalog';
import { ENV } from '../../../functions/core/env';
import { deployedFunctionName } from '../../../functions/core/function-names';
import { DynamoUsageLedger } from '../../../functions/core/usage-ledger';
import { usageReportSchema } from '../../../functions/ops/schemas';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { startCloudWatchStandIn, type CloudWatchStandIn } from '../../support/cloudwatch';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

type Handler = (event: APIGatewayProxyEvent, context: ReturnType<typeof lambdaContext>) => Promise<{ statusCode: number; body: string }>;

const STAGE = 'dev';
const catalog = resolveCatalog({ stage: STAGE });
const saved = { ...process.env };
let harness: DynamoHarness;
let cloudWatch: CloudWatchStandIn;

function loadHandler(functionName: string): Handler {
  process.env.AWS_LAMBDA_FUNCTION_NAME = functionName;
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    handler = require('../../../functions/ops/handler').handler;
  });
  return handler!;
}

async function usage(handler: Handler) {
  const response = await handler({ ...apiEvent({ method: 'GET', resource: '/v1/usage', admin: true }), queryStringParameters: { since: '1h' } }, lambdaContext());
  return { statusCode: response.statusCode, report: usageReportSchema.parse(JSON.parse(response.body)) };
}

beforeAll(async () => {
  [harness, cloudWatch] = await Promise.all([startDynamoHarness(), startCloudWatchStandIn()]);
  const now = Date.now();
  const ledger = new DynamoUsageLedger({ doc: harness.doc, tableName: harness.tables.usage });
  // clinical: 75 % of its tokens-per-minute ceiling in the ledger, which tops the ranking without CloudWatch.
  const clinical = catalog.byName.clinical;
  const tokens = Math.round(clinical.tokensPerMinute * 0.75);
  const reservation = await ledger.reserve({ task: 'clinical', tokens, dailyTokenBudget: clinical.dailyTokenBudget, tokensPerMinute: clinical.tokensPerMinute, now });
  await ledger.settle(reservation, { keyFingerprint: 'fp-clin', model: 'm', inputTokens: tokens, outputTokens: 0, cachedTokens: 0, costMicroUsd: 1, latencyMs: 800 });
  // chat: throttled 7 times by Lambda, which only CloudWatch saw.
  cloudWatch.seed(
    ...Array.from({ length: 7 }, (_, i) => ({ namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: deployedFunctionName(STAGE, 'chat', 'api') }, at: now - (i + 1) * 60_000, value: 1 })),
  );

  process.env[ENV.usageTable] = harness.tables.usage;
  process.env[ENV.catalog] = JSON.stringify(catalog.tasks.map(functionConfigFor));
  process.env.AWS_ENDPOINT_URL_DYNAMODB = harness.endpoint;
  process.env.AWS_ENDPOINT_URL_CLOUDWATCH = cloudWatch.endpoint;
});

afterAll(async () => {
  process.env = saved;
  await Promise.all([harness.close(), cloudWatch.close()]);
});

describe('GET /v1/usage in AWS', () => {
  it('counts the Lambda throttles CloudWatch saw, puts that task first and names the source', async () => {
    const { statusCode, report } = await usage(loadHandler(deployedFunctionName(STAGE, 'ops', 'api')));
    expect(statusCode).toBe(200);
    expect(report.sources).toEqual({ lambdaThrottles: 'cloudwatch', api: 'cloudwatch' });
    expect(report.tasks[0]).toMatchObject({ task: 'chat', lambdaThrottles: 7, pressurePercent: 100 });
    expect(report.underMostPressure).toEqual({ task: 'chat', reason: '7 Lambda throttles at its concurrency limit' });
    expect(report.tasks[1]).toMatchObject({ task: 'clinical', lambdaThrottles: 0, peakTpmPercent: 75, pressurePercent: 75 });
    expect(report.api).toEqual({ requests: 0, clientErrors: 0, serverErrors: 0, p95LatencyMs: null });
  });

  it('answers 200 with the ledger counts, and says why, when CloudWatch denies access', async () => {
    cloudWatch.deny();
    try {
      const { statusCode, report } = await usage(loadHandler(deployedFunctionName(STAGE, 'ops', 'api')));
      expect(statusCode).toBe(200);
      expect(report.sources).toEqual({ lambdaThrottles: 'ledger', api: 'none', cloudWatchError: 'AccessDenied' });
      expect(report.api).toBeNull();
      expect(report.tasks[0]).toMatchObject({ task: 'clinical', peakTpmPercent: 75, pressurePercent: 75 });
      expect(report.tasks.find((t) => t.task === 'chat')!.lambdaThrottles).toBe(0);
    } finally {
      cloudWatch.deny(false);
    }
  });

  it('under the local runtime (its own function names) never asks CloudWatch', async () => {
    const calls = cloudWatch.requests.length;
    const { statusCode, report } = await usage(loadHandler('smartdental-local-ops'));
    expect(statusCode).toBe(200);
    expect(report.sources).toEqual({ lambdaThrottles: 'ledger', api: 'none' });
    expect(cloudWatch.requests.length).toBe(calls);
  });
});
