/**
 * `npm run usage` as a user runs it: a child process (`npx tsx bin/usage.ts`) reading a dynalite
 * ledger over a real socket, seeded through DynamoUsageLedger; its JSON must say what was recorded.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolveCatalog } from '../../lib/catalog';
import { createDocumentClient } from '../../functions/core/dynamo';
import { deployedFunctionName } from '../../functions/core/function-names';
import type { TaskName } from '../../functions/core/task-config';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { defaultPracticeLimits } from '../../functions/core/practice-overrides';
import { DynamoUsageLedger, utcDay } from '../../functions/core/usage-ledger';
import { practiceUsageReportSchema } from '../../functions/ops/schemas';
import { usageReportSchema, type UsageReportResponse } from '../../functions/ops/schemas';
import { createTables, startDynamoDb } from '../../local/dynamodb';
import { startCloudWatchStandIn, type CloudWatchStandIn } from '../support/cloudwatch';
import { startDynamoHarness, type DynamoHarness } from '../support/dynamo';

const REPO_ROOT = resolve(__dirname, '..', '..');
const catalog = resolveCatalog({ stage: 'local' });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function usage(...args: string[]): Promise<Run> {
  return usageWith({}, ...args);
}

function usageWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  // Asynchronous on purpose: dynalite answers from this very process while the child runs.
  return new Promise((done) => {
    execFile('npx', ['tsx', 'bin/usage.ts', ...args], { cwd: REPO_ROOT, timeout: 45_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function usageJson(...args: string[]): Promise<UsageReportResponse> {
  const run = await usage(...args, '--json');
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return usageReportSchema.parse(JSON.parse(run.stdout));
}

/** Seeds: clinical 3 calls on one key; chat 1 call and 2 Lambda throttles; billing cache hits only. */
async function seed(ledger: DynamoUsageLedger, now: number): Promise<void> {
  const call = async (task: TaskName, key: string, inputTokens: number, outputTokens: number, latencyMs: number, costMicroUsd: number) => {
    const limits = catalog.byName[task];
    const reservation = await ledger.reserve({ task, tokens: inputTokens + outputTokens, dailyTokenBudget: limits.dailyTokenBudget, tokensPerMinute: limits.tokensPerMinute, now });
    await ledger.settle(reservation, { keyFingerprint: key, model: 'm', inputTokens, outputTokens, cachedTokens: 0, costMicroUsd, latencyMs });
  };
  for (const latency of [800, 900, 1_400]) await call('clinical', 'fp-clinical', 1_200, 300, latency, 10_500);
  await call('chat', 'fp-chat', 400, 100, 250, 750);
  await ledger.record('chat', { lambdaThrottles: 2 }, undefined, now);
  await ledger.record('billing', { cacheHits: 3, cacheMisses: 1 }, undefined, now);
}

let harness: DynamoHarness;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'usage-cli-'));
  harness = await startDynamoHarness();
  await seed(new DynamoUsageLedger({ doc: harness.doc, tableName: harness.tables.usage }), Date.now());
});

afterAll(async () => {
  await harness.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm run usage -- --region --table (a deployed stack)', () => {
  let cloudWatch: CloudWatchStandIn;
  // The SDK's service endpoints, as a test points the same CLI at dynalite and the CloudWatch stand-in.
  const deployed = () => ({ AWS_ENDPOINT_URL_DYNAMODB: harness.endpoint, AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatch.endpoint });
  const args = () => ['--region', 'us-east-1', '--table', harness.tables.usage, '--stage', 'dev', '--since', '2h'];

  beforeAll(async () => {
    cloudWatch = await startCloudWatchStandIn();
    const at = Date.now() - 10 * 60_000;
    cloudWatch.seed(
      { namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions: { FunctionName: deployedFunctionName('dev', 'scheduling', 'api') }, at, value: 5 },
      { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiName: 'smartdental-ai-dev', Stage: 'dev' }, at, value: 1 },
      { namespace: 'AWS/ApiGateway', metricName: '4XXError', dimensions: { ApiName: 'smartdental-ai-dev', Stage: 'dev' }, at, value: 1 },
      { namespace: 'AWS/ApiGateway', metricName: 'Latency', dimensions: { ApiName: 'smartdental-ai-dev', Stage: 'dev' }, at, value: 42 },
    );
  });
  afterAll(() => cloudWatch.close());

  it('takes the Lambda throttles from CloudWatch, which moves the throttled task to the top', async () => {
    const run = await usageWith(deployed(), ...args(), '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const report = usageReportSchema.parse(JSON.parse(run.stdout));
    expect(report.sources).toEqual({ lambdaThrottles: 'cloudwatch', api: 'cloudwatch' });
    expect(report.underMostPressure).toEqual({ task: 'scheduling', reason: '5 Lambda throttles at its concurrency limit' });
    // chat's 2 throttles were the local runtime's ledger count; a deployed ledger has none, CloudWatch is the truth.
    expect(Object.fromEntries(report.tasks.map((t) => [t.task, t.lambdaThrottles]))).toEqual({ scheduling: 5, chat: 0, clinical: 0, billing: 0, imaging: 0 });
    expect(report.tasks.find((t) => t.task === 'clinical')).toMatchObject({ requests: 3, inputTokens: 3_600 });
    expect(report.api).toEqual({ requests: 1, clientErrors: 1, serverErrors: 0, p95LatencyMs: 42 });
  });

  it('says in the table where the throttles came from, with the API line', async () => {
    const run = await usageWith(deployed(), ...args());
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Under most pressure: scheduling (5 Lambda throttles at its concurrency limit)');
    expect(lines).toContain('LAMBDA THROTTLES: CloudWatch (AWS/Lambda Throttles of each task’s functions); every other column: the usage ledger.');
    expect(lines).toContain('API Gateway (CloudWatch): 1 request, 1 4XX, 0 5XX, p95 latency 42 ms');
  });

  it('still reports, from the ledger, when CloudWatch denies access, and says so', async () => {
    cloudWatch.deny();
    try {
      const run = await usageWith(deployed(), ...args());
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const lines = run.stdout.split('\n');
      expect(lines[0]).toBe('Under most pressure: chat (2 Lambda throttles at its concurrency limit)');
      expect(lines).toContain(
        'LAMBDA THROTTLES: the usage ledger, because CloudWatch could not be read (AccessDenied); in AWS the ledger never sees a throttled invoke, so they may read 0.',
      );
    } finally {
      cloudWatch.deny(false);
    }
  });
});

describe('npm run usage', () => {
  it('prints, as JSON, per task and per key exactly what the ledger recorded, most pressure first', async () => {
    const report = await usageJson('--endpoint', harness.endpoint, '--table', harness.tables.usage, '--since', '24h');
    expect(report.resolution).toBe('minute');
    expect(report.tasks.map((t) => t.task)).toEqual(['chat', 'clinical', 'billing', 'imaging', 'scheduling']);
    expect(report.underMostPressure).toEqual({ task: 'chat', reason: '2 Lambda throttles at its concurrency limit' });
    expect(report.tasks[0]).toMatchObject({ requests: 1, inputTokens: 400, outputTokens: 100, costMicroUsd: 750, lambdaThrottles: 2, p50LatencyMs: 300 });
    expect(report.tasks[1]).toMatchObject({
      requests: 3,
      inputTokens: 3_600,
      outputTokens: 900,
      costMicroUsd: 31_500,
      providerThrottles: 0,
      p50LatencyMs: 1_000,
      p95LatencyMs: 1_500,
      budgetUsedPercent: Math.round((4_500 / catalog.byName.clinical.dailyTokenBudget) * 1000) / 10,
    });
    expect(report.tasks[2]).toMatchObject({ requests: 0, cacheHits: 3, cacheMisses: 1, cacheHitRate: 0.75 });
    expect(report.keys.map((k) => [k.keyFingerprint, k.tasks, k.requests])).toEqual([
      ['fp-clinical', ['clinical'], 3],
      ['fp-chat', ['chat'], 1],
    ]);
  });

  it('prints a table with the one-line answer on top', async () => {
    const run = await usage('--endpoint', harness.endpoint, '--table', harness.tables.usage);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Under most pressure: chat (2 Lambda throttles at its concurrency limit)');
    const clinical = lines.find((line) => line.startsWith('clinical '))!;
    expect(clinical.split(/\s{2,}/)).toEqual(['clinical', '3', '3,600', '900', '$0.0315', '0', '0', '–', '1,000', '1,500', expect.stringMatching(/%$/), expect.stringMatching(/%$/)]);
    expect(lines.find((line) => line.startsWith('billing '))).toContain('75%');
    expect(lines.some((line) => line.startsWith('fp-clinical  clinical'))).toBe(true);
    expect(lines).toContain('LAMBDA THROTTLES: the usage ledger (counted by the local runtime), as is every other column.');
    expect(run.stdout).not.toContain('API Gateway');
  });

  it('reads a local ledger without asking CloudWatch, and says the throttles are the ledger’s', async () => {
    const report = await usageJson('--endpoint', harness.endpoint, '--table', harness.tables.usage);
    expect(report.sources).toEqual({ lambdaThrottles: 'ledger', api: 'none' });
    expect(report.api).toBeNull();
  });

  it('finds the running local gateway through its state file, with the catalog it runs', async () => {
    const budgets = catalog.tasks.map((t) => (t.name === 'clinical' ? { ...t, dailyTokenBudget: 9_000 } : t));
    const stateFile = join(tmp, 'local.json');
    writeFileSync(stateFile, JSON.stringify({ dynamoEndpoint: harness.endpoint, usageTable: harness.tables.usage, catalog: budgets }));
    const report = await usageJson('--state', stateFile, '--days', '2');
    expect(report.resolution).toBe('day');
    expect(report.tasks.find((t) => t.task === 'clinical')).toMatchObject({ requests: 3, budgetUsedPercent: 50, pressurePercent: 50 });
  });

  it('reads the data folder of a stopped `npm start -- --data-dir`', async () => {
    const dataDir = join(tmp, 'gateway-data');
    const dynamo = await startDynamoDb({ dataDir: join(dataDir, 'dynamodb') });
    const config = { endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const client = new DynamoDBClient(config);
    const doc = createDocumentClient(config);
    try {
      await createTables(client, { usage: 'smartdental-local-usage', cache: 'smartdental-local-cache', jobs: 'smartdental-local-jobs' });
      await new DynamoUsageLedger({ doc, tableName: 'smartdental-local-usage' }).record('imaging', { errors: 4 }, undefined, Date.now());
    } finally {
      client.destroy();
      doc.destroy();
      await dynamo.close();
    }

    const report = await usageJson('--data-dir', dataDir);
    expect(report.tasks.find((t) => t.task === 'imaging')).toMatchObject({ errors: 4, requests: 0 });
  });

  it.each([
    ['an endpoint nobody listens on', async () => ['--endpoint', await closedPortUrl()], 1, /Cannot reach the usage ledger at http:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED/],
    ['no state file', async () => ['--state', join(tmp, 'absent.json')], 1, /No running local gateway found.*\n.*npm start/],
    ['a data folder without a ledger', async () => ['--data-dir', join(tmp, 'nothing-here')], 1, /No ledger in .*nothing-here/],
    ['a bad period', async () => ['--since', '3 weeks'], 2, /invalid period: --since must be a duration/],
    ['an unknown flag', async () => ['--sinse', '24h'], 2, /Unknown option '--sinse'/],
  ])('explains %s in one message, without a stack trace', async (_label, args, code, message) => {
    const run = await usage(...(await args()));
    expect(run.code).toBe(code);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('prints its options with --help', async () => {
    const run = await usage('--help');
    expect(run.code).toBe(0);
    for (const flag of ['--since', '--days', '--endpoint', '--data-dir', '--region', '--table', '--json']) expect(run.stdout).toContain(flag);
  });
});

describe('npm run usage -- --by practice (chargeback)', () => {
  const chatShare = defaultPracticeLimits(catalog.byName.chat);
  const source = () => ['--endpoint', harness.endpoint, '--table', harness.tables.usage, '--overrides-table', harness.tables.practiceOverrides, '--days', '1'];

  beforeAll(async () => {
    const today = utcDay(Date.now());
    const put = (Item: Record<string, unknown>, TableName = harness.tables.usage) => harness.doc.send(new PutCommand({ TableName, Item }));
    // As the ledger writes them: practice-demo's ordinary chat, practice-other's refused burst.
    await put({ pk: 'PRACTICE#practice-demo', sk: `DAY#${today}#TASK#chat`, requests: 12, inputTokens: 6_000, outputTokens: 2_000, costMicroUsd: 12_000, cacheHits: 0, shareRefusals: 0, budgetRefusals: 0 });
    await put({ pk: 'PRACTICE#practice-demo', sk: `DAY#${today}#TASK#clinical`, requests: 2, inputTokens: 3_000, outputTokens: 1_000, costMicroUsd: 24_000, cacheHits: 1, shareRefusals: 0, budgetRefusals: 0 });
    await put({ pk: 'PRACTICE#practice-other', sk: `DAY#${today}#TASK#chat`, requests: 50, inputTokens: chatShare.dailyTokens / 2, outputTokens: 0, costMicroUsd: 450_000, cacheHits: 0, shareRefusals: 31, budgetRefusals: 0 });
    await put({ practiceId: 'practice-demo', task: 'chat', dailyTokens: 16_000, updatedAt: new Date().toISOString(), updatedBy: 'ops' }, harness.tables.practiceOverrides);
  });

  it('--json: the same report as GET /v1/usage?by=practice, most pressure first', async () => {
    const run = await usage(...source(), '--by', 'practice', '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const report = practiceUsageReportSchema.parse(JSON.parse(run.stdout));
    expect(report.practices.map((p) => [p.practiceId, p.pressurePercent, p.costMicroUsd])).toEqual([
      ['practice-other', 100, 450_000],
      ['practice-demo', 50, 36_000],
    ]);
    expect(report.practices[1]!.tasks[0]).toMatchObject({ task: 'chat', peakDayTokens: 8_000, shareSource: 'override', share: { dailyTokens: 16_000 } });
  });

  it('prints a table of practice and task rows under a one-line answer', async () => {
    const run = await usage(...source(), '--by', 'practice');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Practice under most pressure: practice-other (chat: 31 requests refused at its share; busiest day 50% of its daily share)');
    expect(lines).toContain(`Shares: the catalog's, with the overrides in ${harness.tables.practiceOverrides} (* = override)`);
    const demoChat = lines.find((l) => l.startsWith('practice-demo') && l.includes(' chat '))!;
    expect(demoChat.split(/\s{2,}/)).toEqual(['practice-demo', 'chat', '12', '6,000', '2,000', '$0.0120', '0', '8,000', '16,000*', '50%', '0', '0']);
  });

  it('--csv: a header and one line per practice and task, for finance', async () => {
    const run = await usage(...source(), '--by', 'practice', '--csv');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.split('\r\n');
    expect(lines[0]!.split(',')).toEqual([
      'day_from', 'day_to', 'practice_id', 'task', 'requests', 'input_tokens', 'output_tokens', 'cost_usd', 'cache_hits', 'share_refusals', 'budget_refusals', 'peak_day_tokens', 'daily_tokens_share', 'share_source', 'pressure_percent',
    ]);
    expect(lines.slice(1, -1).map((l) => l.split(',').slice(2, 4).join(' '))).toEqual(['practice-other chat', 'practice-demo chat', 'practice-demo clinical']);
    expect(lines[1]!.split(',').slice(4, 8)).toEqual(['50', String(chatShare.dailyTokens / 2), '0', '0.450000']);
  });

  it.each([
    [['--by', 'dentist'], "--by must be task or practice, got 'dentist'"],
    [['--csv'], '--csv is for the chargeback report: add --by practice'],
    [['--by', 'practice', '--csv', '--json'], 'give --csv or --json, not both'],
  ])('refuses %j with exit 2', async (args, message) => {
    const run = await usage(...source(), ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  await new Promise((closed) => server.close(closed));
  return `http://127.0.0.1:${port}`;
}
