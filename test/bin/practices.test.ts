/**
 * `npm run practices` as an operator runs it: a child process (`npx tsx bin/practices.ts`) editing
 * the PracticeOverrides table of a dynalite over a real socket; what it writes is what
 * DynamoPracticeShares then hands admission.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { resolveCatalog } from '../../lib/catalog';
import { DynamoPracticeShares, defaultPracticeLimits } from '../../functions/core/practice-overrides';
import { startDynamoHarness, type DynamoHarness } from '../support/dynamo';

const REPO_ROOT = resolve(__dirname, '..', '..');
const catalog = resolveCatalog({ stage: 'local' });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  // Asynchronous on purpose: dynalite answers from this very process while the child runs.
  return new Promise((done) => {
    execFile('npx', ['tsx', 'bin/practices.ts', ...args], { cwd: REPO_ROOT, timeout: 45_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let harness: DynamoHarness;
let tmp: string;
const local = () => ['--endpoint', harness.endpoint, '--table', harness.tables.practiceOverrides];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'practices-cli-'));
  harness = await startDynamoHarness();
});

afterAll(async () => {
  await harness.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm run practices', () => {
  it('set writes the override, and admission gets exactly those limits; a second set keeps what it does not name', async () => {
    const first = await cli(['set', 'practice-042', '--task', 'chat', '--daily-tokens', '2000000', '--note', 'group practice, 14 chairs', '--by', 'ops-anna', ...local()]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain('Set the override of practice-042 on chat');
    expect(first.stdout).toContain('daily tokens         2,000,000 (catalog share 800,000)');
    expect(first.stdout).toContain('Functions apply it within 60 s');

    const second = await cli(['set', 'practice-042', '--task', 'chat', '--concurrent-requests', '8', ...local()]);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toContain('Updated the override');

    const { Item } = await harness.doc.send(new GetCommand({ TableName: harness.tables.practiceOverrides, Key: { practiceId: 'practice-042', task: 'chat' } }));
    expect(Item).toMatchObject({ practiceId: 'practice-042', task: 'chat', dailyTokens: 2_000_000, concurrentRequests: 8, note: 'group practice, 14 chairs' });
    expect(Item!.tokensPerMinute).toBeUndefined();

    const shares = new DynamoPracticeShares({ doc: harness.doc, tableName: harness.tables.practiceOverrides, tasks: catalog.tasks });
    await expect(shares.limitsFor('chat', 'practice-042')).resolves.toEqual({ ...defaultPracticeLimits(catalog.byName.chat), dailyTokens: 2_000_000, concurrentRequests: 8 });
  });

  it('show lists every task, default against override; list shows the table; unset restores the catalog share', async () => {
    await harness.doc.send(
      new PutCommand({ TableName: harness.tables.practiceOverrides, Item: { practiceId: 'practice-trial', task: 'clinical', tokensPerMinute: 5_000, updatedAt: '2026-12-01T09:00:00.000Z', updatedBy: 'ops-ben' } }),
    );
    const [show, list] = await Promise.all([cli(['show', 'practice-trial', ...local()]), cli(['list', ...local()])]);
    expect(show).toMatchObject({ code: 0, stderr: '' });
    const clinicalLine = show.stdout.split('\n').find((l) => l.startsWith('clinical'));
    expect(clinicalLine).toContain(`5,000 (default ${defaultPracticeLimits(catalog.byName.clinical).tokensPerMinute.toLocaleString('en-US')})`);
    expect(clinicalLine).toContain('by ops-ben');
    expect(show.stdout.split('\n').find((l) => l.startsWith('chat'))).toContain('catalog share');
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toMatch(/^practice-trial\s+clinical\s+–\s+5,000\s+–/m);

    const unset = await cli(['unset', 'practice-trial', '--task', 'clinical', ...local()]);
    expect(unset).toMatchObject({ code: 0, stderr: '' });
    expect(unset.stdout).toContain('Removed the override of practice-trial on clinical');
    const { Item } = await harness.doc.send(new GetCommand({ TableName: harness.tables.practiceOverrides, Key: { practiceId: 'practice-trial', task: 'clinical' } }));
    expect(Item).toBeUndefined();
    const again = await cli(['unset', 'practice-trial', '--task', 'clinical', ...local()]);
    expect(again.stdout).toContain('had no override on clinical; nothing changed');
  });

  it('show --json gives the effective limits per task', async () => {
    const run = await cli(['show', 'practice-042', '--json', ...local()]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as { tasks: Array<{ task: string; effective: unknown; default: unknown }> };
    expect(json.tasks.map((t) => t.task)).toEqual(catalog.tasks.map((t) => t.name));
    expect(json.tasks.find((t) => t.task === 'chat')!.effective).toMatchObject({ dailyTokens: 2_000_000, concurrentRequests: 8 });
  });

  it.each([
    [['set', 'practice-042', '--task', 'chats', '--daily-tokens', '5'], "unknown task 'chats' (known: imaging, clinical, billing, scheduling, chat)"],
    [['set', 'practice-042', '--task', 'chat', '--daily-tokens', '2e6'], "--daily-tokens must be a whole number above 0, got '2e6'"],
    [['set', 'practice-042', '--task', 'chat', '--tokens-per-minute', '0'], "--tokens-per-minute must be a whole number above 0 (and below 2^53), got '0'"],
    [['set', 'practice/042', '--task', 'chat', '--daily-tokens', '5'], "'practice/042' is not a practice id"],
    [['set', 'practice-042', '--task', 'chat'], 'set needs at least one of --daily-tokens'],
    [['unset', 'practice-042'], 'unset needs --task'],
    [['show', 'practice-042', '--daily-tokens', '5'], '--daily-tokens belongs to set, not show'],
    [['grant', 'practice-042'], "unknown command 'grant'"],
  ])('refuses %j with exit 2 and says what is wrong, touching no table', async (args, message) => {
    // A closed endpoint proves no table is needed to refuse bad input.
    const run = await cli([...args, '--endpoint', 'http://127.0.0.1:9', '--table', 'nowhere']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('finds the running gateway through its state file, and says so when the gateway is gone', async () => {
    const state = join(tmp, 'local.json');
    writeFileSync(state, JSON.stringify({ dynamoEndpoint: harness.endpoint, usageTable: harness.tables.usage, practiceOverridesTable: harness.tables.practiceOverrides }));
    const missing = join(tmp, 'absent.json');
    const [viaState, noGateway] = await Promise.all([cli(['show', 'practice-042', '--state', state]), cli(['list', '--state', missing])]);
    expect(viaState).toMatchObject({ code: 0, stderr: '' });
    expect(viaState.stdout).toContain(`the local gateway (${harness.endpoint}, table ${harness.tables.practiceOverrides})`);
    expect(noGateway.code).toBe(1);
    expect(noGateway.stderr).toContain('No running local gateway found');
  });

  it('works against a deployed table with --region and --table (the SDK endpoint pointed at dynalite)', async () => {
    const run = await cli(['set', 'practice-aws', '--task', 'billing', '--tokens-per-minute', '9000', '--region', 'us-east-1', '--table', harness.tables.practiceOverrides, '--stage', 'dev'], {
      AWS_ENDPOINT_URL_DYNAMODB: harness.endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`table ${harness.tables.practiceOverrides} in us-east-1`);
    const { Item } = await harness.doc.send(new GetCommand({ TableName: harness.tables.practiceOverrides, Key: { practiceId: 'practice-aws', task: 'billing' } }));
    expect(Item).toMatchObject({ tokensPerMinute: 9_000 });
  });
});
