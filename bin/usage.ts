/**
 * `npm run usage`: where the tokens and the throttles go, per AI task and per provider key, read
 * from the usage ledger. The same report as `GET /v1/usage`, sorted so the task closest to its
 * limits (or the slowest) comes first, with a one-line answer on top.
 *
 * Which ledger: a running `npm start` by default (found through the state file it writes),
 * `--endpoint` for a given DynamoDB endpoint, `--data-dir` for the data folder of a stopped
 * `npm start -- --data-dir`, or `--region`/`--table` for a deployed stack. A deployed stack's
 * Lambda throttles come from CloudWatch (its functions never see a throttled invoke, so the ledger
 * cannot count them); the stage's function names follow from `--stage` (see function-names.ts).
 *
 * `--by practice` gives the chargeback report instead: each practice's spend per task over whole
 * UTC days, against its share (the catalog's, or an override from the PracticeOverrides table),
 * under most pressure first; `--csv` prints it as CSV for finance.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { resolveCatalog, type TaskConfig } from '../lib/catalog';
import { createDocumentClient } from '../functions/core/dynamo';
import { BadRequestError } from '../functions/core/errors';
import { CloudWatchPlatformMetrics, createCloudWatchClient, type PlatformMetrics } from '../functions/core/platform-metrics';
import { practiceUsageCsv, readPracticeUsageReport, type PracticeUsageReport } from '../functions/core/practice-usage-report';
import { readUsageReport, type UsageTotals } from '../functions/core/usage-report';
import { resolvedCatalogSchema, type OpsTaskConfig } from '../functions/ops/catalog-env';
import type { UsageReportResponse } from '../functions/ops/schemas';
import { usagePeriod } from '../functions/ops/usage-period';
import { usageReportResponse } from '../functions/ops/usage-pressure';
import { startDynamoDb, type EmbeddedDynamoDb } from '../local/dynamodb';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const REPO_ROOT = resolve(__dirname, '..');
/** Written by the local runtime while `npm start` runs. */
export const LOCAL_STATE_FILE = join(REPO_ROOT, '.smartdental', 'local.json');
/** The usage table's name in `npm start` (LOCAL_TABLES.usage in local/runtime). */
const LOCAL_USAGE_TABLE = 'smartdental-local-usage';
/** The overrides table's name in `npm start` (LOCAL_TABLES.practiceOverrides in local/runtime). */
const LOCAL_OVERRIDES_TABLE = 'smartdental-local-practice-overrides';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const HELP = `Usage: npm run usage -- [period] [source] [--json]

Token use, cost, throttles, cache hits and latency per AI task and per provider key, the task
under most pressure first.

Period (default: the last 24 hours)
  --since <n>m|<n>h|<n>d   e.g. 90m, 24h, 7d (up to 31d)
  --days <n>               the last n days (1-31)

Source (default: the running \`npm start\`, found through .smartdental/local.json)
  --endpoint <url>         a DynamoDB endpoint, e.g. a running gateway's dynalite
  --data-dir <dir>         the folder of \`npm start -- --data-dir <dir>\` (gateway stopped)
  --region <r> --table <t> a deployed stack's usage ledger table (default AWS credentials); its
                           Lambda throttles are read from CloudWatch (cloudwatch:GetMetricData)
  --table <t>              table name with --endpoint or --data-dir (default ${LOCAL_USAGE_TABLE})
  --stage <s>              catalog stage for budgets and ceilings (default: local, or dev when deployed)
  --state <file>           the local runtime's state file (default .smartdental/local.json)

Grouping
  --by task|practice       task (default): per AI task and key; practice: the chargeback report,
                           each practice's spend per task (whole UTC days) against its share,
                           under most pressure first
  --overrides-table <t>    the PracticeOverrides table for the practices' shares (default: the
                           local gateway's; a deployed stack's needs it, else the catalog shares)

Output
  --json                   the report as JSON (the same as GET /v1/usage, with by=practice)
  --csv                    with --by practice: one CSV line per practice and task, for finance
  --help                   this text
`;

/** A problem the user can fix; printed without a stack trace. */
class UsageCliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** What `npm start` writes to .smartdental/local.json for this command. */
const localStateSchema = z
  .object({
    dynamoEndpoint: z.url(),
    usageTable: z.string().min(1),
    practiceOverridesTable: z.string().min(1).optional(),
    /** The resolved catalog the runtime runs with (its budgets may be overridden). */
    catalog: z.optional(resolvedCatalogSchema),
    pid: z.number().int().optional(),
  })
  .loose();

interface LedgerSource {
  doc: DynamoDBDocumentClient;
  table: string;
  /** The PracticeOverrides table; absent: every practice against the catalog share. */
  overridesTable?: string;
  catalog: ReadonlyArray<OpsTaskConfig>;
  /** A deployed stage's CloudWatch metrics; absent for a local ledger. */
  platform?: PlatformMetrics;
  /** For messages: where the ledger is. */
  description: string;
  hint: string;
  close(): Promise<void>;
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        since: { type: 'string' },
        days: { type: 'string' },
        endpoint: { type: 'string' },
        'data-dir': { type: 'string' },
        region: { type: 'string' },
        table: { type: 'string' },
        stage: { type: 'string' },
        state: { type: 'string' },
        by: { type: 'string' },
        'overrides-table': { type: 'string' },
        json: { type: 'boolean', default: false },
        csv: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageCliError(`${(error as Error).message}\nRun \`npm run usage -- --help\` for the options.`, 2);
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }

  let period;
  try {
    period = usagePeriod({ since: args.since, days: args.days });
  } catch (error) {
    if (error instanceof BadRequestError) throw new UsageCliError(error.message.replace('Invalid usage period: ', 'invalid period: --'), 2);
    throw error;
  }

  const by = args.by ?? 'task';
  if (by !== 'task' && by !== 'practice') throw new UsageCliError(`--by must be task or practice, got '${by}'`, 2);
  if (args.csv && by !== 'practice') throw new UsageCliError('--csv is for the chargeback report: add --by practice', 2);
  if (args.csv && args.json) throw new UsageCliError('give --csv or --json, not both', 2);

  const source = await openSource(args);
  try {
    if (by === 'practice') {
      const overridesTable = args['overrides-table'] ?? source.overridesTable;
      const report = await readPracticeUsageReport(source.doc, { table: source.table, overridesTable, since: period.since, until: period.until, catalog: source.catalog, now: period.until }).catch(
        (error: unknown) => {
          throw explain(error, source);
        },
      );
      process.stdout.write(args.csv ? practiceUsageCsv(report) : args.json ? `${JSON.stringify(report, null, 2)}\n` : renderPracticeReport(report, source.description, overridesTable));
      return 0;
    }
    const report = await readUsageReport(source.doc, {
      table: source.table,
      since: period.since,
      until: period.until,
      catalog: source.catalog,
      now: period.until,
      platform: source.platform,
    }).catch(
      (error: unknown) => {
        throw explain(error, source);
      },
    );
    const response = usageReportResponse(report);
    process.stdout.write(args.json ? `${JSON.stringify(response, null, 2)}\n` : renderReport(response, source.description));
    return 0;
  } finally {
    await source.close();
  }
}

async function openSource(args: { endpoint?: string; 'data-dir'?: string; region?: string; table?: string; stage?: string; state?: string }): Promise<LedgerSource> {
  const source = await openLedger(args);
  // The local gateway's overrides table sits beside its ledger; a deployed one is named with --overrides-table.
  return source.platform ? source : { ...source, overridesTable: source.overridesTable ?? LOCAL_OVERRIDES_TABLE };
}

async function openLedger(args: { endpoint?: string; 'data-dir'?: string; region?: string; table?: string; stage?: string; state?: string }): Promise<LedgerSource> {
  const catalogFor = (stage: string) => resolveCatalog({ stage }).tasks;
  const local = (endpoint: string, table: string, description: string, hint: string, catalog: ReadonlyArray<OpsTaskConfig>, close: () => Promise<void> = async () => {}): LedgerSource => {
    const doc = createDocumentClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
    return { doc, table, catalog, description, hint, close: async () => (doc.destroy(), close()) };
  };

  if (args.endpoint) {
    if (!/^https?:\/\/.+/.test(args.endpoint)) throw new UsageCliError(`--endpoint must be a URL such as http://127.0.0.1:8000, got ${args.endpoint}`, 2);
    const table = args.table ?? LOCAL_USAGE_TABLE;
    return local(args.endpoint, table, `${args.endpoint}, table ${table}`, 'Is the gateway (or DynamoDB) running there?', catalogFor(args.stage ?? 'local'));
  }

  if (args['data-dir']) {
    const folder = join(resolve(args['data-dir']), 'dynamodb');
    if (!existsSync(folder)) throw new UsageCliError(`No ledger in ${resolve(args['data-dir'])}: ${folder} does not exist. It is written by \`npm start -- --data-dir ${args['data-dir']}\`.`);
    let dynamo: EmbeddedDynamoDb;
    try {
      dynamo = await startDynamoDb({ dataDir: folder });
    } catch (error) {
      throw new UsageCliError(`Cannot open the ledger in ${folder}: ${(error as Error).message}`);
    }
    const table = args.table ?? LOCAL_USAGE_TABLE;
    return local(
      dynamo.endpoint,
      table,
      `${folder}, table ${table}`,
      'A gateway running on this folder holds its lock: while it runs, use plain `npm run usage` instead of --data-dir.',
      catalogFor(args.stage ?? 'local'),
      () => dynamo.close(),
    );
  }

  if (args.region || args.table) {
    const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageCliError('--table needs a region: pass --region or set AWS_REGION', 2);
    if (!args.table) throw new UsageCliError("--region needs --table: the usage ledger table's name (the stack's UsageLedger table)", 2);
    const stage = args.stage ?? 'dev';
    const doc = createDocumentClient({ region });
    const cloudWatch = createCloudWatchClient({ region });
    return {
      doc,
      table: args.table,
      catalog: catalogFor(stage),
      platform: new CloudWatchPlatformMetrics(cloudWatch, stage),
      description: `table ${args.table} in ${region}`,
      hint: 'Check the region, the table name and your AWS credentials (AWS_PROFILE, or `aws sso login`).',
      close: async () => (doc.destroy(), cloudWatch.destroy()),
    };
  }

  const stateFile = resolve(args.state ?? LOCAL_STATE_FILE);
  if (!existsSync(stateFile)) {
    throw new UsageCliError(
      `No running local gateway found (${stateFile} does not exist).\n` +
        'Start one with `npm start`, or read another ledger: --endpoint <url>, --data-dir <dir>, or --region <r> --table <t> for a deployed stack.',
    );
  }
  let state: z.infer<typeof localStateSchema>;
  try {
    state = localStateSchema.parse(JSON.parse(readFileSync(stateFile, 'utf8')));
  } catch {
    throw new UsageCliError(`${stateFile} is not a state file of \`npm start\` (expected {"dynamoEndpoint", "usageTable"}); delete it and start the gateway again.`);
  }
  const catalog = state.catalog ?? catalogFor(args.stage ?? 'local');
  const source = local(state.dynamoEndpoint, state.usageTable, `the local gateway (${state.dynamoEndpoint}, table ${state.usageTable})`, `Is \`npm start\` still running? ${stateFile} may be left over from a gateway that stopped.`, catalog);
  return { ...source, overridesTable: state.practiceOverridesTable };
}

/** Turns an SDK or socket failure into one sentence that says what to do. */
function explain(error: unknown, source: LedgerSource): UsageCliError {
  const e = error as Error & { code?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code) || e.name === 'TimeoutError') {
    return new UsageCliError(`Cannot reach the usage ledger at ${source.description} (${code || e.name}). ${source.hint}`);
  }
  if (e.name === 'ResourceNotFoundException') return new UsageCliError(`The usage ledger table was not found at ${source.description}. ${source.hint}`);
  if (e.name === 'CredentialsProviderError') return new UsageCliError(`No AWS credentials to read ${source.description}. ${source.hint}`);
  return new UsageCliError(`Reading the usage ledger at ${source.description} failed: ${e.name ?? 'Error'}: ${String(e.message).split('\n')[0]}. ${source.hint}`);
}

// ---------------------------------------------------------------- text output

interface Column<Row> {
  title: string;
  value(row: Row): string;
  /** Text columns align left, figures right. */
  left?: true;
}

const count = (n: number) => n.toLocaleString('en-US');
const dollars = (microUsd: number) => `$${(microUsd / 1_000_000).toFixed(4)}`;
const rate = (r: number | null) => (r === null ? '–' : `${Math.round(r * 100)}%`);
const ms = (v: number | null) => (v === null ? '–' : count(v));

const totalsColumns: Column<UsageTotals>[] = [
  { title: 'REQUESTS', value: (r) => count(r.requests) },
  { title: 'IN TOKENS', value: (r) => count(r.inputTokens) },
  { title: 'OUT TOKENS', value: (r) => count(r.outputTokens) },
  { title: 'COST', value: (r) => dollars(r.costMicroUsd) },
  { title: 'PROVIDER 429', value: (r) => count(r.providerThrottles) },
  { title: 'LAMBDA THROTTLES', value: (r) => count(r.lambdaThrottles) },
  { title: 'CACHE HITS', value: (r) => rate(r.cacheHitRate) },
  { title: 'P50 MS', value: (r) => ms(r.p50LatencyMs) },
  { title: 'P95 MS', value: (r) => ms(r.p95LatencyMs) },
];

type TaskRow = UsageReportResponse['tasks'][number];
type KeyRow = UsageReportResponse['keys'][number];

const taskColumns: Column<TaskRow>[] = [
  { title: 'TASK', value: (r) => r.task, left: true },
  ...(totalsColumns as Column<TaskRow>[]),
  { title: 'BUDGET USED', value: (r) => `${r.budgetUsedPercent}%` },
  { title: 'PEAK TPM', value: (r) => `${r.peakTpmPercent}%` },
];

const keyColumns: Column<KeyRow>[] = [
  { title: 'KEY', value: (r) => r.keyFingerprint, left: true },
  { title: 'TASKS', value: (r) => r.tasks.join(','), left: true },
  ...(totalsColumns as Column<KeyRow>[]),
];

function table<Row>(columns: Column<Row>[], rows: Row[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.left ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n');
}

function renderReport(report: UsageReportResponse, source: string): string {
  const { task, reason } = report.underMostPressure;
  const period = `${report.since.slice(0, 16).replace('T', ' ')}Z → ${report.until.slice(0, 16).replace('T', ' ')}Z`;
  return [
    task === null ? `Under most pressure: none (${reason})` : `Under most pressure: ${task} (${reason})`,
    '',
    `Usage ${period} (${report.resolution === 'minute' ? 'to the minute' : 'whole UTC days'}) from ${source}`,
    '',
    'Per task (closest to its limits first; budget is today’s, UTC)',
    table(taskColumns, report.tasks),
    sourcesFootnote(report.sources),
    ...(report.api ? [apiLine(report.api)] : []),
    '',
    'Per provider key (fingerprints, never keys)',
    report.keys.length === 0 ? '(no key was used in the period)' : table(keyColumns, report.keys),
    '',
  ].join('\n');
}

type PracticeTaskLine = { practiceId: string; row: PracticeUsageReport['practices'][number]['tasks'][number] };

const practiceColumns: Column<PracticeTaskLine>[] = [
  { title: 'PRACTICE', value: (l) => l.practiceId, left: true },
  { title: 'TASK', value: (l) => l.row.task, left: true },
  { title: 'REQUESTS', value: (l) => count(l.row.requests) },
  { title: 'IN TOKENS', value: (l) => count(l.row.inputTokens) },
  { title: 'OUT TOKENS', value: (l) => count(l.row.outputTokens) },
  { title: 'COST', value: (l) => dollars(l.row.costMicroUsd) },
  { title: 'CACHE HITS', value: (l) => count(l.row.cacheHits) },
  { title: 'PEAK DAY', value: (l) => count(l.row.peakDayTokens) },
  { title: 'DAY SHARE', value: (l) => `${count(l.row.share.dailyTokens)}${l.row.shareSource === 'override' ? '*' : ''}` },
  { title: 'OF SHARE', value: (l) => `${l.row.peakDayPercent}%` },
  { title: 'SHARE 429', value: (l) => count(l.row.shareRefusals) },
  { title: 'BUDGET 429', value: (l) => count(l.row.budgetRefusals) },
];

function renderPracticeReport(report: PracticeUsageReport, source: string, overridesTable: string | undefined): string {
  const top = report.practices[0];
  const lines = report.practices.flatMap((p) => p.tasks.map((row) => ({ practiceId: p.practiceId, row })));
  const total = report.practices.reduce((sum, p) => sum + p.costMicroUsd, 0);
  return [
    top
      ? `Practice under most pressure: ${top.practiceId} (${top.tasks[0]!.task}: ${top.tasks[0]!.shareRefusals > 0 ? `${count(top.tasks[0]!.shareRefusals)} requests refused at its share; ` : ''}busiest day ${top.tasks[0]!.peakDayPercent}% of its daily share)`
      : 'Practice under most pressure: none (no practice used AI in the period)',
    '',
    `Chargeback ${report.days.from} → ${report.days.to} (whole UTC days) from ${source}: ${report.practices.length} ${report.practices.length === 1 ? 'practice' : 'practices'}, ${dollars(total)}`,
    `Shares: the catalog's, ${overridesTable ? `with the overrides in ${overridesTable} (* = override)` : 'no overrides table given (--overrides-table)'}`,
    '',
    lines.length === 0 ? '(no practice used AI in the period)' : table(practiceColumns, lines),
    '',
  ].join('\n');
}

/** Which source the LAMBDA THROTTLES column came from, under the task table. */
export function sourcesFootnote(sources: UsageReportResponse['sources']): string {
  if (sources.lambdaThrottles === 'cloudwatch') return 'LAMBDA THROTTLES: CloudWatch (AWS/Lambda Throttles of each task’s functions); every other column: the usage ledger.';
  if (sources.cloudWatchError) {
    return `LAMBDA THROTTLES: the usage ledger, because CloudWatch could not be read (${sources.cloudWatchError}); in AWS the ledger never sees a throttled invoke, so they may read 0.`;
  }
  return 'LAMBDA THROTTLES: the usage ledger (counted by the local runtime), as is every other column.';
}

function apiLine(api: NonNullable<UsageReportResponse['api']>): string {
  return `API Gateway (CloudWatch): ${count(api.requests)} ${api.requests === 1 ? 'request' : 'requests'}, ${count(api.clientErrors)} 4XX, ${count(api.serverErrors)} 5XX, p95 latency ${api.p95LatencyMs === null ? '–' : `${count(api.p95LatencyMs)} ms`}`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      if (error instanceof UsageCliError) {
        process.stderr.write(`npm run usage: ${error.message}\n`);
        process.exitCode = error.exitCode;
      } else {
        // Unexpected: still no stack trace for the user, but enough to report it.
        process.stderr.write(`npm run usage: unexpected ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
