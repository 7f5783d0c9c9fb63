/**
 * Reservations whose call was killed (Lambda timeout, crash, kill -9 of `npm start`) are given
 * back: lazily when the daily budget refuses a request, and all at once when the local runtime
 * starts. Live reservations are never touched, and nothing is given back twice.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { OverBudgetError } from '../../../functions/core/errors';
import { keyFingerprint } from '../../../functions/core/key-fingerprint';
import type { ReserveInput } from '../../../functions/core/ports';
import { DynamoUsageLedger, RESERVATION_MAX_AGE_MS } from '../../../functions/core/usage-ledger';
import { startDynamoHarness, type DynamoHarness } from '../../support/dynamo';

const T0 = Date.parse('2026-11-26T09:00:10.000Z');
const DAY = '2026-11-26';
const KEY = keyFingerprint('sk-stale-reservation-key');

let harness: DynamoHarness;
let ledger: DynamoUsageLedger;

beforeAll(async () => {
  harness = await startDynamoHarness();
  ledger = new DynamoUsageLedger({ doc: harness.doc, tableName: harness.tables.usage });
});
afterAll(() => harness.close());

const limits = { dailyTokenBudget: 10_000, tokensPerMinute: 10_000 };

/** A call that was killed during its model call: admitted and held, never settled nor released. */
async function killedCall(input: ReserveInput) {
  const reservation = await ledger.reserve(input);
  ledger.hold(reservation);
  // The hold goes out beside the model call (not awaited there); the killed call got that far.
  await waitForHold(input.task, input.now!);
  return reservation;
}

async function waitForHold(task: string, at: number): Promise<void> {
  const sk = `MIN#${new Date(at).toISOString().slice(0, 16)}`;
  for (;;) {
    const { Item } = await harness.doc.send(new GetCommand({ TableName: harness.tables.usage, Key: { pk: `TASK#${task}`, sk }, ConsistentRead: true }));
    if (Number(Item?.reservedTokens ?? 0) > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

it('a refused admission gives back a reservation older than any call can run, and then admits', async () => {
  // A call that was killed: reserved, never settled nor released.
  await killedCall({ task: 'clinical', tokens: 8_000, ...limits, now: T0 });
  const later = T0 + RESERVATION_MAX_AGE_MS + 60_000;
  const admitted = await ledger.reserve({ task: 'clinical', tokens: 5_000, ...limits, now: later });
  expect(admitted.dayCommittedTokens).toBe(5_000);
  const day = await ledger.readTaskDay('clinical', DAY);
  expect(day.reservedTokens).toBe(5_000);
  expect(day.committedTokens).toBe(5_000);
  await ledger.settle(admitted, { keyFingerprint: KEY, model: 'm', inputTokens: 1_000, outputTokens: 500, cachedTokens: 0, costMicroUsd: 0, latencyMs: 10 });
  expect(await ledger.readTaskDay('clinical', DAY)).toMatchObject({ reservedTokens: 0, committedTokens: 1_500 });
});

it('a reservation a live call may still settle is not given back: the refusal stands', async () => {
  await killedCall({ task: 'billing', tokens: 8_000, ...limits, now: T0 });
  const refusal = await ledger.reserve({ task: 'billing', tokens: 5_000, ...limits, now: T0 + RESERVATION_MAX_AGE_MS - 120_000 }).catch((e: unknown) => e);
  expect(refusal).toBeInstanceOf(OverBudgetError);
  expect((await ledger.readTaskDay('billing', DAY)).reservedTokens).toBe(8_000);
});

it('at a process start every reservation is given back exactly once, including a day half without its minute', async () => {
  const now = T0 + 30 * 60_000;
  await killedCall({ task: 'scheduling', tokens: 700, ...limits, now: T0 });
  await killedCall({ task: 'scheduling', tokens: 300, ...limits, now: now - 5_000 });
  // Killed between the admission and its hold: only the day holds it.
  await harness.doc.send(
    new UpdateCommand({
      TableName: harness.tables.usage,
      Key: { pk: 'TASK#scheduling', sk: `DAY#${DAY}` },
      UpdateExpression: 'ADD reservedTokens :t, committedTokens :t',
      ExpressionAttributeValues: { ':t': 50 },
    }),
  );
  expect((await ledger.readTaskDay('scheduling', DAY)).reservedTokens).toBe(1_050);

  expect(await ledger.releaseStaleReservations({ task: 'scheduling', now, noCallInFlight: true })).toBe(1_050);
  expect(await ledger.readTaskDay('scheduling', DAY)).toMatchObject({ reservedTokens: 0, committedTokens: 0 });
  expect(await ledger.readTaskMinute('scheduling', '2026-11-26T09:00')).toMatchObject({ reservedTokens: 0, committedTokens: 0 });
  // Nothing more to give back.
  expect(await ledger.releaseStaleReservations({ task: 'scheduling', now, noCallInFlight: true })).toBe(0);
  expect((await ledger.readTaskDay('scheduling', DAY)).committedTokens).toBe(0);
});

it('a sweep killed after its first write is finished by the next one, and the day is not given the tokens twice', async () => {
  await killedCall({ task: 'chat', tokens: 400, ...limits, now: T0 });
  const minuteKey = { pk: 'TASK#chat', sk: 'MIN#2026-11-26T09:00' };
  // The first of the three writes, as a killed sweep would have left it.
  await harness.doc.send(
    new UpdateCommand({
      TableName: harness.tables.usage,
      Key: minuteKey,
      UpdateExpression: 'ADD reservedTokens :minus, committedTokens :minus SET pendingRelease = :pending',
      ExpressionAttributeValues: { ':minus': -400, ':pending': { id: 'killed-sweep', tokens: 400 } },
    }),
  );
  const later = T0 + RESERVATION_MAX_AGE_MS + 60_000;
  expect(await ledger.releaseStaleReservations({ task: 'chat', now: later })).toBe(400);
  expect(await ledger.releaseStaleReservations({ task: 'chat', now: later })).toBe(0);
  expect(await ledger.readTaskDay('chat', DAY)).toMatchObject({ reservedTokens: 0, committedTokens: 0 });
  const minute = await harness.doc.send(new GetCommand({ TableName: harness.tables.usage, Key: minuteKey, ConsistentRead: true }));
  expect(minute.Item?.pendingRelease).toBeUndefined();
});

it("a killed call's practice share and in-flight count are given back with its tokens, so the practice is not locked out for the day", async () => {
  const day = '2026-11-27';
  const t0 = Date.parse(`${day}T09:00:10.000Z`);
  const practiceLimits = { dailyTokens: 5_000, tokensPerMinute: 5_000, concurrentRequests: 2 };
  const practice = { practiceId: 'practice-killed', practiceLimits };
  await killedCall({ task: 'clinical', tokens: 3_000, ...limits, ...practice, now: t0 });
  await killedCall({ task: 'clinical', tokens: 1_000, ...limits, ...practice, now: t0 + 1_000 });
  const stuck = await ledger.readAdmissionItem('clinical', day);
  expect(stuck).toMatchObject({ 'pd#practice-killed': 4_000, 'pf#practice-killed': 2 });

  // Later the same day: both caps refuse until the sweep has found the killed calls' holds.
  const later = t0 + RESERVATION_MAX_AGE_MS + 60_000;
  const admitted = await ledger.reserve({ task: 'clinical', tokens: 2_000, ...limits, ...practice, now: later });
  expect(admitted.dayCommittedTokens).toBe(2_000);
  expect(await ledger.readAdmissionItem('clinical', day)).toMatchObject({ 'pd#practice-killed': 2_000, 'pf#practice-killed': 1, reservedTokens: 2_000 });
  const minute = await harness.doc.send(new GetCommand({ TableName: harness.tables.usage, Key: { pk: 'TASK#clinical', sk: `MIN#${day}T09:00` }, ConsistentRead: true }));
  expect(minute.Item).toMatchObject({ reservedTokens: 0, 'pr#practice-killed': 0, 'pn#practice-killed': 0 });
});

it('at a process start, an in-flight count whose hold was never written is given back too', async () => {
  const day = '2026-11-28';
  const t0 = Date.parse(`${day}T09:00:10.000Z`);
  const practice = { practiceId: 'practice-unheld', practiceLimits: { dailyTokens: Infinity, tokensPerMinute: Infinity, concurrentRequests: 1 } };
  // Killed between admission and hold.
  await ledger.reserve({ task: 'billing', tokens: 500, ...limits, ...practice, now: t0 });
  await expect(ledger.reserve({ task: 'billing', tokens: 500, ...limits, ...practice, now: t0 + 1_000 })).rejects.toMatchObject({ code: 'PracticeOverShare' });
  expect(await ledger.releaseStaleReservations({ task: 'billing', now: t0 + 2_000, noCallInFlight: true })).toBe(500);
  expect(await ledger.readAdmissionItem('billing', day)).toMatchObject({ 'pf#practice-unheld': 0, reservedTokens: 0, committedTokens: 0 });
  await expect(ledger.reserve({ task: 'billing', tokens: 500, ...limits, ...practice, now: t0 + 3_000 })).resolves.toBeDefined();
});

it('at a process start, a call killed between its two settlement writes is given back by what each item still holds, never twice', async () => {
  const day = '2026-11-29';
  const t0 = Date.parse(`${day}T09:00:10.000Z`);
  // Two calls: one settled on its day item only, one on its minute item only (the writes go out together).
  await killedCall({ task: 'imaging', tokens: 900, ...limits, now: t0 });
  await killedCall({ task: 'imaging', tokens: 600, ...limits, now: t0 + 1_000 });
  const add = (sk: string, values: Record<string, number>) =>
    harness.doc.send(
      new UpdateCommand({
        TableName: harness.tables.usage,
        Key: { pk: 'TASK#imaging', sk },
        UpdateExpression: `ADD ${Object.keys(values).map((name, i) => `${name} :v${i}`).join(', ')}`,
        ExpressionAttributeValues: Object.fromEntries(Object.values(values).map((v, i) => [`:v${i}`, v])),
      }),
    );
  // The 900 call used 700 and settled its day; the 600 call used 400 and settled its minute.
  await add(`DAY#${day}`, { reservedTokens: -900, committedTokens: -200, inputTokens: 700 });
  await add(`MIN#${day}T09:00`, { reservedTokens: -600, committedTokens: -200, inputTokens: 400 });

  expect(await ledger.releaseStaleReservations({ task: 'imaging', now: t0 + 5_000, noCallInFlight: true })).toBe(600);
  expect(await ledger.readTaskDay('imaging', day)).toMatchObject({ reservedTokens: 0, committedTokens: 700 });
  expect(await ledger.readTaskMinute('imaging', `${day}T09:00`)).toMatchObject({ reservedTokens: 0, committedTokens: 400 });
  expect(await ledger.releaseStaleReservations({ task: 'imaging', now: t0 + 6_000, noCallInFlight: true })).toBe(0);
});
