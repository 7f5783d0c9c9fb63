/**
 * The operations page in a real browser: headless Chromium from the npm package
 * @sparticuz/chromium (test/support/browser.ts), driven by playwright-core, loads `GET /` from the
 * running local runtime, traffic goes through the real function code (clinical diagnoses with
 * repeats for the cache, chat with a concurrency limit of 1 for Lambda throttles and a throttling
 * primary model for provider 429s, scheduling reminders, an imaging job), and the page's own 2 s
 * refresh must show the numbers move without a reload. A screenshot is kept in
 * test-output/ops-page.png.
 *
 * Chromium not starting fails this test with the reason: the page is part of the product, and a
 * skipped browser test would hide that it went untested.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Browser, Page } from 'playwright-core';
import { createDocumentClient } from '../../functions/core/dynamo';
import { defaultPracticeLimits } from '../../functions/core/practice-overrides';
import { resolveCatalog } from '../../lib/catalog';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import type { OpsSnapshot } from '../../local/ops-page';
import { base64, pngBytes } from '../functions/imaging/radiographs';
import { launchChromium } from '../support/browser';

/** The page's globals as the functions run by page.waitForFunction see them (tsconfig has no DOM lib). */
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
};

const SCREENSHOT = resolve(__dirname, '..', '..', 'test-output', 'ops-page.png');
const ADMIN = { authorization: 'Bearer local-dev-token', 'content-type': 'application/json' };
const chatPrimaryModel = resolveCatalog({ stage: 'local' }).byName.chat.providers[0]!.model;
/** How long the page may take to show what it waits for (it refreshes every 2 s): a hang detector, not a speed goal. */
const PAGE_WAIT_MS = 45_000;

let browser: Browser;
let page: Page;
let runtime: LocalRuntime;

beforeAll(async () => {
  browser = await launchChromium();
  runtime = await startLocalRuntime({
    port: 0,
    quiet: true,
    env: {},
    // Chat at 1 so a burst is throttled; a little provider latency so the burst overlaps.
    concurrencyOverrides: { chat: 1 },
    simulator: { latency: { fixedMs: 120, jitterMs: 0 }, throttleRetryAfterSeconds: 0 },
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
});

/** Posts and reads the whole answer: a streamed one ends only when the function has finished. */
async function post(path: string, body: unknown): Promise<{ status: number; errorType: string | null }> {
  const response = await fetch(`${runtime.url}${path}`, { method: 'POST', headers: ADMIN, body: JSON.stringify(body) });
  await response.text();
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype') };
}

const diagnosis = (days: number) => ({
  chiefComplaint: `Sharp pain on biting, lower left, for ${days} days`,
  symptoms: ['lingering cold sensitivity'],
  toothFindings: [{ toothNumber: '19', finding: 'deep distal caries, tender to percussion' }],
  medicalHistory: { allergies: [], conditions: [], medications: [] },
});
const chat = (question: string) => ({ messages: [{ role: 'user', content: question }], practiceName: 'Bright Smiles' });
const reminder = {
  appointment: { start: '2030-01-07T15:00:00Z', timeZone: 'America/New_York', procedureDescription: 'cleaning and check-up', practiceName: 'Bright Smiles', practicePhone: '+1 555 0100', patientFirstName: 'Sam' },
  channel: 'sms',
};

/** A figure the page shows, as its raw number (`data-value`). */
async function shown(selector: string): Promise<number> {
  const value = await page.locator(selector).first().getAttribute('data-value');
  return Number(value);
}
const cell = (task: string, field: string) => `tr[data-task="${task}"] [data-field="${field}"]`;

async function waitForRefresh(): Promise<void> {
  const before = await page.evaluate(() => document.body.dataset.refreshedAt ?? '');
  await page.waitForFunction((previous) => (document.body.dataset.refreshedAt ?? '') > previous, before, { timeout: PAGE_WAIT_MS });
}

it('shows every task, then moves its numbers as traffic arrives, refreshing by itself', async () => {
  await page.goto(`${runtime.url}/`);
  await page.waitForSelector('#status[data-state="live"]', { timeout: PAGE_WAIT_MS });
  const tasks = await page.locator('tr[data-task]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-task')));
  expect(tasks).toEqual(['imaging', 'clinical', 'billing', 'scheduling', 'chat']);
  expect(await shown(cell('clinical', 'requests'))).toBe(0);
  expect(await shown(cell('chat', 'throttles'))).toBe(0);
  expect(await page.locator('#chart polyline').count()).toBe(0);
  // The limits come from the catalog and the override: chat at 1.
  expect(await page.locator(`${cell('chat', 'concurrency')} .of`).textContent()).toBe('of 1');

  // ---- traffic: 4 distinct diagnoses and 2 repeats, reminders, an imaging job, a chat burst.
  for (const days of [1, 2, 3, 4]) expect((await post('/v1/clinical/diagnoses', diagnosis(days))).status).toBe(200);
  for (const days of [1, 2]) expect((await post('/v1/clinical/diagnoses', diagnosis(days))).status).toBe(200);
  for (let i = 0; i < 3; i++) expect((await post('/v1/scheduling/reminders', reminder)).status).toBe(200);
  const job = await post('/v1/imaging/analyses', { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: base64(pngBytes(128, 128)) } });
  expect(job.status).toBe(202);

  // One chat whose primary surely answers 429 (the fallback answers it), so the provider-throttle
  // figure cannot depend on chance; then the primary answers 429 half the time during a burst.
  runtime.simulator.configure({ modelFaults: { [chatPrimaryModel]: { throttle: 1 } }, throttleRetryAfterSeconds: 1 });
  expect((await post('/v1/chat/messages', chat('Is parking available at the practice?'))).status).toBe(200);
  runtime.simulator.configure({ modelFaults: { [chatPrimaryModel]: { throttle: 0.5 } } });
  const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => post('/v1/chat/messages', chat(`How long does cleaning number ${i} take?`))));
  const statuses = burst.map((r) => r.status);
  expect(statuses).toContain(200);
  // The gateway's own 429s (the function at its limit), as against a 429 the function answered.
  const lambdaThrottles = burst.filter((r) => r.errorType === 'TaskAtCapacityException').length;
  expect(lambdaThrottles).toBeGreaterThan(0);
  for (let i = 0; i < 4; i++) await post('/v1/chat/messages', chat(`Do you open on Saturday, week ${i}?`));
  runtime.simulator.configure({ modelFaults: {} });

  // ---- the page catches up on its own (no reload): requests, tokens and throttles go up.
  await page.waitForFunction(
    ([clinicalRequests, chatThrottles]) => {
      const value = (selector: string) => Number(document.querySelector(selector)?.getAttribute('data-value') ?? 0);
      return value(clinicalRequests!) >= 4 && value(chatThrottles!) > 0;
    },
    [cell('clinical', 'requests'), cell('chat', 'throttles')],
    { timeout: PAGE_WAIT_MS },
  );
  await waitForRefresh();

  expect(await shown(cell('clinical', 'requests'))).toBe(4);
  expect(await shown(cell('clinical', 'tokens'))).toBeGreaterThan(0);
  expect(await shown(cell('clinical', 'cache-hits'))).toBe(2);
  expect(await shown(cell('scheduling', 'requests'))).toBeGreaterThan(0);
  expect(await shown(cell('chat', 'tokens'))).toBeGreaterThan(0);
  const chatThrottles = page.locator(cell('chat', 'throttles'));
  expect(Number(await chatThrottles.getAttribute('data-lambda'))).toBe(lambdaThrottles);
  expect(await chatThrottles.getAttribute('class')).toContain('throttle-hit');
  expect(Number(await shown('#total-throttles'))).toBeGreaterThan(0);
  expect(Number(await shown('#total-tokens'))).toBeGreaterThan(0);
  expect(await page.locator(`${cell('clinical', 'p95')}`).textContent()).toMatch(/ms|s$/);
  expect(Number(await page.locator(cell('clinical', 'budget')).getAttribute('data-percent'))).toBeGreaterThan(0);
  // The chart draws a line for each task that spent tokens in the last hour.
  const lines = await page.locator('#chart polyline').evaluateAll((els) => els.map((el) => el.getAttribute('data-task')));
  expect(lines).toEqual(expect.arrayContaining(['clinical', 'chat', 'scheduling']));

  // The imaging job drains through the worker; the queue figures follow (0 waiting, no dead letters).
  await page.waitForFunction(() => Number(document.querySelector('tr[data-task="imaging"] [data-field="requests"]')?.getAttribute('data-value')) >= 1, undefined, {
    timeout: PAGE_WAIT_MS,
  });
  expect(await shown('#queue-dead')).toBe(0);
  expect(await page.locator('#pressure-task').textContent()).toBe('chat');

  mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
  await waitForRefresh();
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  process.stdout.write(`operations page screenshot: ${SCREENSHOT}\n`);
}, 5 * PAGE_WAIT_MS);

// Reads the ledger after the traffic of the test above (same runtime).
it('serves its data as JSON that agrees with the provider simulator, and refuses an unknown window', async () => {
  const response = await fetch(`${runtime.url}/_local/ops.json?window=15m`);
  expect(response.status).toBe(200);
  const snapshot = (await response.json()) as OpsSnapshot;
  const clinical = snapshot.tasks.find((t) => t.task === 'clinical')!;
  const served = runtime.simulator.stats().keys['sim-clinical-key']!;
  expect(clinical).toMatchObject({ requests: served.requests, inputTokens: served.inputTokens, outputTokens: served.outputTokens });
  expect(snapshot.series.minutes).toHaveLength(60);
  expect(snapshot.series.tokens.clinical!.reduce((a, b) => a + b, 0)).toBe(served.inputTokens + served.outputTokens);
  expect(snapshot.tasks.find((t) => t.task === 'chat')!.throttles.provider).toBeGreaterThan(0);

  const bad = await fetch(`${runtime.url}/_local/ops.json?window=7y`);
  expect(bad.status).toBe(400);
  expect(await bad.json()).toMatchObject({ error: { message: expect.stringContaining('window') } });
});

// The ledger's per-practice day items, seeded as it writes them, with an operator's override.
it('shows the practices under most pressure, the one its share refused first', async () => {
  const doc = createDocumentClient({ endpoint: runtime.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const today = new Date().toISOString().slice(0, 10);
  const chatShare = defaultPracticeLimits(resolveCatalog({ stage: 'local' }).byName.chat);
  const day = (practiceId: string, task: string, counters: Record<string, number>) =>
    doc.send(new PutCommand({ TableName: runtime.tables.usage, Item: { pk: `PRACTICE#${practiceId}`, sk: `DAY#${today}#TASK#${task}`, cacheHits: 0, outputTokens: 0, budgetRefusals: 0, ...counters } }));
  try {
    await day('practice-calm', 'clinical', { requests: 3, inputTokens: 4_000, costMicroUsd: 30_000, shareRefusals: 0 });
    await day('practice-burst', 'chat', { requests: 90, inputTokens: chatShare.dailyTokens / 4, costMicroUsd: 600_000, shareRefusals: 42 });
    await day('practice-group', 'chat', { requests: 30, inputTokens: chatShare.dailyTokens / 2, costMicroUsd: 300_000, shareRefusals: 0 });
    await doc.send(
      new PutCommand({ TableName: runtime.tables.practiceOverrides, Item: { practiceId: 'practice-group', task: 'chat', dailyTokens: chatShare.dailyTokens * 2, updatedAt: new Date().toISOString(), updatedBy: 'ops' } }),
    );
  } finally {
    doc.destroy();
  }

  const snapshot = (await (await fetch(`${runtime.url}/_local/ops.json?window=1h`)).json()) as OpsSnapshot;
  const seeded = new Set(['practice-burst', 'practice-group', 'practice-calm']);
  expect(snapshot.practices.filter((p) => seeded.has(p.practiceId)).map((p) => [p.practiceId, p.pressurePercent])).toEqual([
    ['practice-burst', 100],
    ['practice-group', 25],
    ['practice-calm', expect.any(Number)],
  ]);
  // The first test's chat and clinical traffic, as the ledger itself wrote it for the dev practice.
  expect(snapshot.practices.find((p) => p.practiceId === 'practice-demo')?.pressurePercent).toBeGreaterThan(0);
  expect(snapshot.practices[1]!.top).toMatchObject({ task: 'chat', shareSource: 'override', dailyTokensShare: chatShare.dailyTokens * 2 });

  await page.waitForFunction(() => document.querySelector('#practice-rows tr[data-practice="practice-calm"]') !== null, undefined, { timeout: PAGE_WAIT_MS });
  const order = await page.locator('#practice-rows tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-practice')));
  expect(order.filter((id) => seeded.has(id ?? ''))).toEqual(['practice-burst', 'practice-group', 'practice-calm']);
  const burst = page.locator('#practice-rows tr[data-practice="practice-burst"]');
  expect(await burst.getAttribute('class')).toContain('hot');
  expect(await burst.locator('[data-field="refused"]').getAttribute('data-share')).toBe('42');
  expect(await page.locator('#practice-rows tr[data-practice="practice-group"] .task-sub').textContent()).toBe('chat · override');
  expect(await page.locator('#practices-empty').isHidden()).toBe(true);
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
}, 3 * PAGE_WAIT_MS);
