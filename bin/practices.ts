/**
 * `npm run practices`: operators' overrides of a practice's share of a task's limits (a large
 * group practice, a trial account), kept in the PracticeOverrides table. The functions read an
 * override within their cache's max age (60 s by default, see functions/core/practice-overrides.ts);
 * every practice without one gets the catalog's share (`practiceShare` in lib/catalog.ts).
 *
 *   npm run practices -- set practice-042 --task chat --daily-tokens 2000000 --note "group practice"
 *   npm run practices -- show practice-042
 *   npm run practices -- list
 *   npm run practices -- unset practice-042 --task chat
 *
 * Which table: a running `npm start` by default (found through the state file it writes),
 * `--endpoint` for a given DynamoDB endpoint, or `--region`/`--table` for a deployed stack (the
 * stack's `PracticeOverridesTableName` output), as `npm run usage` finds its ledger.
 */
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { resolveCatalog, TASK_NAMES, type TaskConfig, type TaskName } from '../lib/catalog';
import { createDocumentClient } from '../functions/core/dynamo';
import { PRACTICE_ID_PATTERN } from '../functions/core/identity';
import {
  DEFAULT_PRACTICE_OVERRIDES_MAX_AGE_SECONDS,
  defaultPracticeLimits,
  effectivePracticeLimits,
  practiceOverrideItemSchema,
  type PracticeOverrideItem,
  type PracticeShareLimits,
} from '../functions/core/practice-overrides';
import { LOCAL_STATE_FILE } from './usage';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The table's name in `npm start` (LOCAL_TABLES.practiceOverrides in local/runtime). */
export const LOCAL_PRACTICE_OVERRIDES_TABLE = 'smartdental-local-practice-overrides';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const HELP = `Usage: npm run practices -- <command> [options] [source]

Per-practice overrides of a task's practice share (absolute limits). A practice without one gets
the catalog's share (practiceShare in lib/catalog.ts). Functions pick a change up within
${DEFAULT_PRACTICE_OVERRIDES_MAX_AGE_SECONDS} s (their cache's max age).

Commands
  set <practiceId> --task <task> [limits] [--note <text>] [--expires <date>]
                           creates or updates the override; limits not given keep their value
    --daily-tokens <n>       tokens per UTC day
    --tokens-per-minute <n>  tokens per UTC minute
    --concurrent-requests <n> requests in flight at once
    --expires <date>         ISO date or time after which the override stops (a trial), e.g. 2027-01-31
    --by <name>              who sets it (default: your login name)
  show <practiceId>        effective limits per task: the catalog default and the override
  list                     every override in the table
  unset <practiceId> --task <task>
                           removes the override; the catalog's share applies again

Tasks: ${TASK_NAMES.join(', ')}

Source (default: the running \`npm start\`, found through .smartdental/local.json)
  --endpoint <url>         a DynamoDB endpoint, e.g. a running gateway's dynalite
  --region <r> --table <t> a deployed stack's PracticeOverrides table (default AWS credentials)
  --table <t>              table name with --endpoint (default ${LOCAL_PRACTICE_OVERRIDES_TABLE})
  --stage <s>              catalog stage for the defaults (default: local, or dev when deployed)
  --state <file>           the local runtime's state file (default .smartdental/local.json)

Output
  --json                   show and list as JSON
  --help                   this text
`;

/** A problem the user can fix; printed without a stack trace. */
class PracticesCliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

const usageError = (message: string) => new PracticesCliError(`${message}\nRun \`npm run practices -- --help\` for the commands.`, 2);

const localStateSchema = z
  .object({
    dynamoEndpoint: z.url(),
    practiceOverridesTable: z.string().min(1).optional(),
  })
  .loose();

interface OverridesSource {
  doc: DynamoDBDocumentClient;
  table: string;
  catalog: readonly TaskConfig[];
  description: string;
  hint: string;
  close(): void;
}

type Args = {
  task?: string;
  'daily-tokens'?: string;
  'tokens-per-minute'?: string;
  'concurrent-requests'?: string;
  note?: string;
  expires?: string;
  by?: string;
  endpoint?: string;
  region?: string;
  table?: string;
  stage?: string;
  state?: string;
  json: boolean;
  help: boolean;
};

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        task: { type: 'string' },
        'daily-tokens': { type: 'string' },
        'tokens-per-minute': { type: 'string' },
        'concurrent-requests': { type: 'string' },
        note: { type: 'string' },
        expires: { type: 'string' },
        by: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        table: { type: 'string' },
        stage: { type: 'string' },
        state: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const args = parsed.values as Args;
  const [command, practiceArg, ...rest] = parsed.positionals;
  if (args.help || command === undefined || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (rest.length > 0) throw usageError(`unexpected argument '${rest[0]}'`);

  // Everything the user typed is checked before any table is touched.
  const plan = planCommand(command, practiceArg, args);
  const source = openSource(args);
  try {
    await plan(source).catch((error: unknown) => {
      throw error instanceof PracticesCliError ? error : explain(error, source);
    });
    return 0;
  } finally {
    source.close();
  }
}

type Step = (source: OverridesSource) => Promise<void>;

function planCommand(command: string, practiceArg: string | undefined, args: Args): Step {
  switch (command) {
    case 'set': {
      const practiceId = practiceIdOf(practiceArg, 'set');
      const task = taskOf(args.task, 'set');
      const limits = {
        dailyTokens: integerOf(args['daily-tokens'], '--daily-tokens'),
        tokensPerMinute: integerOf(args['tokens-per-minute'], '--tokens-per-minute'),
        concurrentRequests: integerOf(args['concurrent-requests'], '--concurrent-requests'),
      };
      const expiresAt = expiryOf(args.expires);
      if (Object.values(limits).every((v) => v === undefined) && args.note === undefined && expiresAt === undefined) {
        throw usageError('set needs at least one of --daily-tokens, --tokens-per-minute, --concurrent-requests (or --note, --expires)');
      }
      if (args.note !== undefined && args.note.length > 500) throw usageError(`--note is ${args.note.length} characters; at most 500`);
      const updatedBy = args.by ?? safeUserName();
      return (source) => setOverride(source, { practiceId, task, limits, note: args.note, expiresAt, updatedBy }, args.json);
    }
    case 'show': {
      const practiceId = practiceIdOf(practiceArg, 'show');
      noLimitFlags(args, 'show');
      if (args.task !== undefined) taskOf(args.task, 'show');
      return (source) => showPractice(source, practiceId, args.task as TaskName | undefined, args.json);
    }
    case 'list': {
      if (practiceArg !== undefined) throw usageError(`list takes no practice id (got '${practiceArg}'); use show ${practiceArg}`);
      noLimitFlags(args, 'list');
      return (source) => listOverrides(source, args.json);
    }
    case 'unset': {
      const practiceId = practiceIdOf(practiceArg, 'unset');
      const task = taskOf(args.task, 'unset');
      noLimitFlags(args, 'unset');
      return (source) => unsetOverride(source, practiceId, task);
    }
    default:
      throw usageError(`unknown command '${command}' (known: set, show, list, unset)`);
  }
}

function practiceIdOf(value: string | undefined, command: string): string {
  if (value === undefined) throw usageError(`${command} needs a practice id, e.g. npm run practices -- ${command} practice-042${command === 'show' ? '' : ' --task chat'}`);
  if (!PRACTICE_ID_PATTERN.test(value)) throw usageError(`'${value}' is not a practice id: 1-64 letters, digits, '-' or '_' (as the users' custom:practiceId claim)`);
  return value;
}

function taskOf(value: string | undefined, command: string): TaskName {
  if (value === undefined) throw usageError(`${command} needs --task (one of ${TASK_NAMES.join(', ')})`);
  if (!(TASK_NAMES as readonly string[]).includes(value)) throw usageError(`unknown task '${value}' (known: ${TASK_NAMES.join(', ')})`);
  return value as TaskName;
}

function integerOf(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  // Digits only: "2e6", "1.5" or "-1" are typos an operator must see, not limits to guess at.
  if (!/^\d+$/.test(value)) throw usageError(`${flag} must be a whole number above 0, got '${value}'`);
  const n = Number(value);
  if (n < 1 || !Number.isSafeInteger(n)) throw usageError(`${flag} must be a whole number above 0 (and below 2^53), got '${value}'`);
  return n;
}

function expiryOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw usageError(`--expires must be an ISO date or time such as 2027-01-31 or 2027-01-31T18:00:00Z, got '${value}'`);
  if (at <= Date.now()) throw usageError(`--expires ${value} is in the past`);
  return Math.floor(at / 1000);
}

function noLimitFlags(args: Args, command: string): void {
  for (const flag of ['daily-tokens', 'tokens-per-minute', 'concurrent-requests', 'note', 'expires', 'by'] as const) {
    if (args[flag] !== undefined) throw usageError(`--${flag} belongs to set, not ${command}`);
  }
}

/** The login name for `updatedBy`; never an email address or a home path. */
function safeUserName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

function openSource(args: Args): OverridesSource {
  const catalogFor = (stage: string) => resolveCatalog({ stage }).tasks;
  const local = (endpoint: string, table: string, description: string, hint: string): OverridesSource => {
    const doc = createDocumentClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
    return { doc, table, catalog: catalogFor(args.stage ?? 'local'), description, hint, close: () => doc.destroy() };
  };
  if (args.endpoint) {
    if (!/^https?:\/\/.+/.test(args.endpoint)) throw usageError(`--endpoint must be a URL such as http://127.0.0.1:8000, got ${args.endpoint}`);
    const table = args.table ?? LOCAL_PRACTICE_OVERRIDES_TABLE;
    return local(args.endpoint, table, `${args.endpoint}, table ${table}`, 'Is the gateway (or DynamoDB) running there?');
  }
  if (args.region || args.table) {
    const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw usageError('--table needs a region: pass --region or set AWS_REGION');
    if (!args.table) throw usageError("--region needs --table: the stack's PracticeOverrides table (output PracticeOverridesTableName)");
    const doc = createDocumentClient({ region });
    return {
      doc,
      table: args.table,
      catalog: catalogFor(args.stage ?? 'dev'),
      description: `table ${args.table} in ${region}`,
      hint: 'Check the region, the table name and your AWS credentials (AWS_PROFILE, or `aws sso login`).',
      close: () => doc.destroy(),
    };
  }
  const stateFile = resolve(args.state ?? LOCAL_STATE_FILE);
  if (!existsSync(stateFile)) {
    throw new PracticesCliError(
      `No running local gateway found (${stateFile} does not exist).\n` +
        'Start one with `npm start`, or name a table: --endpoint <url>, or --region <r> --table <t> for a deployed stack.',
    );
  }
  let state: z.infer<typeof localStateSchema>;
  try {
    state = localStateSchema.parse(JSON.parse(readFileSync(stateFile, 'utf8')));
  } catch {
    throw new PracticesCliError(`${stateFile} is not a state file of \`npm start\` (expected {"dynamoEndpoint"}); delete it and start the gateway again.`);
  }
  const table = state.practiceOverridesTable ?? LOCAL_PRACTICE_OVERRIDES_TABLE;
  return local(state.dynamoEndpoint, table, `the local gateway (${state.dynamoEndpoint}, table ${table})`, `Is \`npm start\` still running? ${stateFile} may be left over from a gateway that stopped.`);
}

function explain(error: unknown, source: OverridesSource): PracticesCliError {
  const e = error as Error & { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code) || e.name === 'TimeoutError') {
    return new PracticesCliError(`Cannot reach the PracticeOverrides table at ${source.description} (${code || e.name}). ${source.hint}`);
  }
  if (e.name === 'ResourceNotFoundException') return new PracticesCliError(`The PracticeOverrides table was not found at ${source.description}. ${source.hint}`);
  if (e.name === 'CredentialsProviderError') return new PracticesCliError(`No AWS credentials to reach ${source.description}. ${source.hint}`);
  return new PracticesCliError(`The PracticeOverrides table at ${source.description} failed: ${e.name ?? 'Error'}: ${String(e.message).split('\n')[0]}. ${source.hint}`);
}

// ---------------------------------------------------------------- commands

interface SetRequest {
  practiceId: string;
  task: TaskName;
  limits: Partial<PracticeShareLimits>;
  note?: string;
  expiresAt?: number;
  updatedBy: string;
}

async function setOverride(source: OverridesSource, request: SetRequest, json: boolean): Promise<void> {
  const key = { practiceId: request.practiceId, task: request.task };
  const { Item } = await source.doc.send(new GetCommand({ TableName: source.table, Key: key, ConsistentRead: true }));
  const previous = Item ? practiceOverrideItemSchema.safeParse(Item) : undefined;
  const defined = Object.fromEntries(Object.entries(request.limits).filter(([, v]) => v !== undefined));
  const item: PracticeOverrideItem = practiceOverrideItemSchema.parse({
    ...(previous?.success ? previous.data : {}),
    ...key,
    ...defined,
    ...(request.note !== undefined ? { note: request.note } : {}),
    ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}),
    updatedAt: new Date().toISOString(),
    updatedBy: request.updatedBy,
  });
  await source.doc.send(new PutCommand({ TableName: source.table, Item: item }));
  const task = taskConfig(source, request.task);
  const effective = effectivePracticeLimits(task, item, Date.now());
  if (json) {
    process.stdout.write(`${JSON.stringify({ override: item, default: defaultPracticeLimits(task), effective }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    [
      `${Item ? 'Updated' : 'Set'} the override of ${request.practiceId} on ${request.task} in ${source.description}:`,
      ...limitLines(defaultPracticeLimits(task), item),
      ...(item.expiresAt ? [`  expires ${new Date(item.expiresAt * 1000).toISOString()}`] : []),
      ...(item.note ? [`  note: ${item.note}`] : []),
      `Functions apply it within ${DEFAULT_PRACTICE_OVERRIDES_MAX_AGE_SECONDS} s (their cache's max age).`,
      '',
    ].join('\n'),
  );
}

async function showPractice(source: OverridesSource, practiceId: string, only: TaskName | undefined, json: boolean): Promise<void> {
  const { Items = [] } = await source.doc.send(
    new QueryCommand({ TableName: source.table, KeyConditionExpression: 'practiceId = :p', ExpressionAttributeValues: { ':p': practiceId }, ConsistentRead: true }),
  );
  const overrides = new Map(Items.map((i) => practiceOverrideItemSchema.safeParse(i)).flatMap((p) => (p.success ? [[p.data.task, p.data] as const] : [])));
  const now = Date.now();
  const rows = source.catalog
    .filter((t) => only === undefined || t.name === only)
    .map((task) => {
      const override = overrides.get(task.name);
      const expired = override?.expiresAt !== undefined && override.expiresAt * 1000 <= now;
      return { task: task.name, default: defaultPracticeLimits(task), override: override ?? null, expired, effective: effectivePracticeLimits(task, override, now) };
    });
  if (json) {
    process.stdout.write(`${JSON.stringify({ practiceId, tasks: rows }, null, 2)}\n`);
    return;
  }
  const lines = [`Practice ${practiceId} (${source.description})`, ''];
  const cells = rows.map((r) => [
    r.task,
    limitCell(r.effective.dailyTokens, r.default.dailyTokens, r.override?.dailyTokens, r.expired),
    limitCell(r.effective.tokensPerMinute, r.default.tokensPerMinute, r.override?.tokensPerMinute, r.expired),
    limitCell(r.effective.concurrentRequests, r.default.concurrentRequests, r.override?.concurrentRequests, r.expired),
    r.override ? `${r.expired ? 'EXPIRED ' : ''}${r.override.updatedAt.slice(0, 16).replace('T', ' ')}Z by ${r.override.updatedBy}${r.override.note ? ` — ${r.override.note}` : ''}` : 'catalog share',
  ]);
  lines.push(textTable(['TASK', 'DAILY TOKENS', 'TOKENS/MIN', 'CONCURRENT', 'OVERRIDE'], cells, [true, false, false, false, true]));
  lines.push('', '(default) = the catalog share; a figure without it is the override.', '');
  process.stdout.write(lines.join('\n'));
}

async function listOverrides(source: OverridesSource, json: boolean): Promise<void> {
  // The operator's own credentials read the whole (small) table; no function role may Scan it.
  const items: PracticeOverrideItem[] = [];
  let malformed = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await source.doc.send(new ScanCommand({ TableName: source.table, ExclusiveStartKey: startKey, ConsistentRead: true }));
    for (const raw of page.Items ?? []) {
      const parsed = practiceOverrideItemSchema.safeParse(raw);
      if (parsed.success) items.push(parsed.data);
      else malformed++;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  items.sort((a, b) => a.practiceId.localeCompare(b.practiceId) || a.task.localeCompare(b.task));
  if (json) {
    process.stdout.write(`${JSON.stringify({ overrides: items, malformed }, null, 2)}\n`);
    return;
  }
  if (items.length === 0) {
    process.stdout.write(`No overrides in ${source.description}: every practice has the catalog's share.\n`);
    return;
  }
  const cells = items.map((i) => [
    i.practiceId,
    i.task,
    i.dailyTokens === undefined ? '–' : count(i.dailyTokens),
    i.tokensPerMinute === undefined ? '–' : count(i.tokensPerMinute),
    i.concurrentRequests === undefined ? '–' : count(i.concurrentRequests),
    i.expiresAt ? new Date(i.expiresAt * 1000).toISOString().slice(0, 10) : '–',
    `${i.updatedAt.slice(0, 10)} ${i.updatedBy}`,
    i.note ?? '',
  ]);
  process.stdout.write(
    [
      `${items.length} ${items.length === 1 ? 'override' : 'overrides'} in ${source.description} (– = the catalog share)`,
      '',
      textTable(['PRACTICE', 'TASK', 'DAILY TOKENS', 'TOKENS/MIN', 'CONCURRENT', 'EXPIRES', 'UPDATED', 'NOTE'], cells, [true, true, false, false, false, true, true, true]),
      ...(malformed > 0 ? ['', `${malformed} malformed ${malformed === 1 ? 'item' : 'items'} skipped (the functions ignore them too); fix with set or unset.`] : []),
      '',
    ].join('\n'),
  );
}

async function unsetOverride(source: OverridesSource, practiceId: string, task: TaskName): Promise<void> {
  const { Attributes } = await source.doc.send(new DeleteCommand({ TableName: source.table, Key: { practiceId, task }, ReturnValues: 'ALL_OLD' }));
  const share = defaultPracticeLimits(taskConfig(source, task));
  const back = `${practiceId} on ${task} has the catalog share: ${count(share.dailyTokens)} tokens/day, ${count(share.tokensPerMinute)} tokens/min, ${share.concurrentRequests} concurrent`;
  process.stdout.write(
    Attributes
      ? `Removed the override of ${practiceId} on ${task}. ${back} (within ${DEFAULT_PRACTICE_OVERRIDES_MAX_AGE_SECONDS} s).\n`
      : `${practiceId} had no override on ${task}; nothing changed. ${back}.\n`,
  );
}

// ---------------------------------------------------------------- text output

const count = (n: number) => n.toLocaleString('en-US');

function taskConfig(source: OverridesSource, task: TaskName): TaskConfig {
  const config = source.catalog.find((t) => t.name === task);
  if (!config) throw new PracticesCliError(`the catalog of this stage has no task '${task}'`);
  return config;
}

function limitLines(defaults: PracticeShareLimits, item: PracticeOverrideItem): string[] {
  const line = (label: string, own: number | undefined, fallback: number) => `  ${label.padEnd(20)} ${own === undefined ? `${count(fallback)} (catalog share)` : `${count(own)} (catalog share ${count(fallback)})`}`;
  return [line('daily tokens', item.dailyTokens, defaults.dailyTokens), line('tokens per minute', item.tokensPerMinute, defaults.tokensPerMinute), line('concurrent requests', item.concurrentRequests, defaults.concurrentRequests)];
}

function limitCell(effective: number, fallback: number, own: number | undefined, expired: boolean): string {
  return own === undefined || expired ? `${count(effective)} (default)` : `${count(own)} (default ${count(fallback)})`;
}

function textTable(titles: string[], rows: string[][], left: boolean[]): string {
  const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (left[i] ? v.padEnd(widths[i]!) : v.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(titles), ...rows.map(line)].join('\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      if (error instanceof PracticesCliError) {
        process.stderr.write(`npm run practices: ${error.message}\n`);
        process.exitCode = error.exitCode;
      } else {
        process.stderr.write(`npm run practices: unexpected ${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
