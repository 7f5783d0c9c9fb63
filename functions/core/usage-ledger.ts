/**
 * The usage ledger in DynamoDB: what every task and every key spent, per UTC day and minute, and
 * the admission check that keeps concurrent Lambdas inside a task's daily token budget and
 * tokens-per-minute ceiling.
 *
 * Items (table of {@link USAGE_TABLE}):
 *   pk = TASK#<task>        sk = DAY#2026-11-26 | MIN#2026-11-26T14:03 | KEYREF#<fingerprint>
 *   pk = KEY#<fingerprint>  sk = DAY#2026-11-26 | MIN#2026-11-26T14:03
 *
 * Every write is one atomic `ADD` (with `SET expiresAt` for TTL); nothing is read, changed and
 * written back, so any number of Lambdas can update the same item at once and the sums stay exact.
 *
 * Admission works on `committedTokens` of the task's DAY and MIN items: settled usage
 * (input + output) plus reservations still outstanding. A reservation is one conditional ADD per
 * item (`committedTokens <= limit - tokens`), so the check and the increment are one step in
 * DynamoDB and two Lambdas can never both take the last room. Settling swaps the reservation for
 * the provider's reported usage; releasing gives it back.
 *
 * Reservations that are never settled (the Lambda was killed at its timeout or crashed between
 * admission and settlement) must not stay counted for ever. Each one also sits on the task's
 * MIN item of the minute it was made in (`reservedTokens`), so that item is its record: once a
 * minute is older than any call could still run (Lambda's maximum timeout, 900 s, plus a
 * margin), what it still holds is stale and {@link DynamoUsageLedger.releaseStaleReservations}
 * gives it back to the day item. The hot path does not grow: the sweep runs only when the daily
 * budget refuses a request (at most once a minute per function instance, then admission is tried
 * once more) and when the local runtime starts, where no call of the killed process can survive.
 *
 * Latency goes into a histogram (`lat_<upper bound ms>` counters, `lat_inf` above the last bound)
 * so the usage report can compute p50/p95 from the ledger alone.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError, OverBudgetError, PayloadTooLargeError } from './errors';
import type { ActualUsage, Reservation, UsageEvent, UsageLedger } from './ports';
import type { ModelPrice, TaskName } from './task-config';

/** Upper bounds of the latency histogram, in milliseconds. */
export const LATENCY_BUCKETS_MS = [50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000] as const;
export const LATENCY_OVERFLOW_ATTRIBUTE = 'lat_inf';

export const MINUTE_ITEM_RETENTION_SECONDS = 24 * 3600;
export const DAY_ITEM_RETENTION_SECONDS = 400 * 24 * 3600;

/**
 * A reservation older than this belongs to a call that cannot still be running: Lambda stops every
 * function at 900 s at most (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html),
 * and a minute more covers the settlement write in flight at that moment.
 */
export const RESERVATION_MAX_AGE_MS = (900 + 60) * 1000;
/** A refused admission sweeps a task's stale reservations at most this often per function instance. */
const REFUSAL_SWEEP_INTERVAL_MS = 60_000;

/** The counters an item may hold; absent ones read as 0. */
export const LEDGER_COUNTERS = [
  'requests',
  'inputTokens',
  'outputTokens',
  'cachedTokens',
  'errors',
  'providerThrottles',
  'lambdaThrottles',
  'cacheHits',
  'cacheMisses',
  'fallbacks',
  'costMicroUsd',
  'latencyMsTotal',
  /** Reservations not yet settled or released. */
  'reservedTokens',
  /** Settled input + output plus outstanding reservations: what admission compares to the limit. */
  'committedTokens',
] as const;
export type LedgerCounter = (typeof LEDGER_COUNTERS)[number];

export type LedgerCounters = Record<LedgerCounter, number> & {
  /** Histogram: attribute name (`lat_500`, `lat_inf`) → count. */
  latency: Record<string, number>;
};

export const ledgerKey = {
  task: (task: string) => `TASK#${task}`,
  key: (fingerprint: string) => `KEY#${fingerprint}`,
  day: (day: string) => `DAY#${day}`,
  minute: (minute: string) => `MIN#${minute}`,
  /** Index item on the task's partition listing a key the task used (no scan needed to find keys). */
  keyRef: (fingerprint: string) => `KEYREF#${fingerprint}`,
};

/** `2026-11-26` (UTC). */
export function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** `2026-11-26T14:03` (UTC). */
export function utcMinute(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 16);
}

export function latencyBucketAttribute(latencyMs: number): string {
  const bound = LATENCY_BUCKETS_MS.find((b) => latencyMs <= b);
  return bound === undefined ? LATENCY_OVERFLOW_ATTRIBUTE : `lat_${bound}`;
}

/**
 * Cost of one call in micro-dollars from the catalog's price (USD per million tokens is exactly
 * micro-dollars per token). A model without a price costs 0 rather than failing the request.
 */
export function usageCostMicroUsd(price: ModelPrice | undefined, inputTokens: number, outputTokens: number): number {
  if (!price) return 0;
  return Math.round(inputTokens * price.inputUsdPerMTok + outputTokens * price.outputUsdPerMTok);
}

/** What {@link DynamoUsageLedger.reserve} returns: the reservation plus the task's day position after it. */
export interface LedgerReservation extends Reservation {
  /** The task's committed tokens today, this reservation included. */
  dayCommittedTokens: number;
  /** `dayCommittedTokens` as a percentage of the daily budget (for the BudgetUsedPercent metric). */
  budgetUsedPercent: number;
}

export interface DynamoUsageLedgerOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

export class DynamoUsageLedger implements UsageLedger {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly keyRefsWritten = new Set<string>();
  private readonly lastRefusalSweep = new Map<string, number>();

  constructor(options: DynamoUsageLedgerOptions) {
    this.doc = options.doc;
    this.tableName = options.tableName;
  }

  async reserve(input: { task: TaskName; tokens: number; dailyTokenBudget: number; tokensPerMinute: number; now?: number }): Promise<LedgerReservation> {
    const { task, dailyTokenBudget, tokensPerMinute } = input;
    const tokens = requireCount(input.tokens, 'tokens');
    if (tokens === 0) throw new Error('a reservation needs at least one token');
    const at = input.now ?? Date.now();
    // Larger than the limit itself: no retry can succeed, so this is a 413, not a 429.
    if (tokens > dailyTokenBudget) {
      throw new PayloadTooLargeError(`A request of about ${fmt(tokens)} tokens is larger than the ${task} task's daily token budget of ${fmt(dailyTokenBudget)} tokens`);
    }
    if (tokens > tokensPerMinute) {
      throw new PayloadTooLargeError(`A request of about ${fmt(tokens)} tokens is larger than the ${task} task's ceiling of ${fmt(tokensPerMinute)} tokens per minute`);
    }

    const day = { pk: ledgerKey.task(task), sk: ledgerKey.day(utcDay(at)) };
    const minute = { pk: ledgerKey.task(task), sk: ledgerKey.minute(utcMinute(at)) };

    // The two limits are checked one after the other, not at once: in parallel, a request the
    // day refuses would still hold minute room for a moment (and the other way round), and a
    // burst near both limits would be admitted well below them.
    let dayCommittedTokens = await this.admit(day, tokens, dailyTokenBudget);
    // Off the hot path: only a refusal looks for reservations of killed calls, and tries once more.
    if (dayCommittedTokens === undefined && (await this.sweepOnRefusal(task, at)) > 0) dayCommittedTokens = await this.admit(day, tokens, dailyTokenBudget);
    if (dayCommittedTokens === undefined) {
      throw new OverBudgetError(`The ${task} task has used its daily token budget of ${fmt(dailyTokenBudget)} tokens; it resets at 00:00 UTC`, {
        retryAfterSeconds: secondsToUtcMidnight(at),
      });
    }
    let minuteCommitted: number | undefined;
    try {
      minuteCommitted = await this.admit(minute, tokens, tokensPerMinute);
    } catch (error) {
      // Keep the original failure; a day reservation that cannot be undone only errs on the safe side.
      await this.add(day, { committedTokens: -tokens, reservedTokens: -tokens }).catch(() => undefined);
      throw error;
    }
    if (minuteCommitted === undefined) {
      await this.add(day, { committedTokens: -tokens, reservedTokens: -tokens });
      const retryAfterSeconds = secondsToNextMinute(at);
      throw new OverBudgetError(`The ${task} task has reached its ceiling of ${fmt(tokensPerMinute)} tokens per minute; retry in ${retryAfterSeconds} s`, {
        retryAfterSeconds,
      });
    }
    return { task, tokens, at, dayCommittedTokens, budgetUsedPercent: (dayCommittedTokens / dailyTokenBudget) * 100 };
  }

  async settle(reservation: Reservation, usage: ActualUsage): Promise<void> {
    const inputTokens = requireCount(usage.inputTokens, 'inputTokens');
    const outputTokens = requireCount(usage.outputTokens, 'outputTokens');
    const usageCounters = {
      requests: 1,
      inputTokens,
      outputTokens,
      cachedTokens: requireCount(usage.cachedTokens, 'cachedTokens'),
      costMicroUsd: Math.round(usage.costMicroUsd),
      latencyMsTotal: Math.round(usage.latencyMs),
      [latencyBucketAttribute(usage.latencyMs)]: 1,
    };
    const taskCounters = {
      ...usageCounters,
      reservedTokens: -reservation.tokens,
      committedTokens: inputTokens + outputTokens - reservation.tokens,
    };
    await Promise.all([
      ...this.taskItems(reservation.task, reservation.at).map((item) => this.add(item, taskCounters)),
      ...this.keyItems(usage.keyFingerprint, reservation.at).map((item) => this.add(item, usageCounters)),
      this.addKeyRef(reservation.task, usage.keyFingerprint, reservation.at),
    ]);
  }

  async release(reservation: Reservation): Promise<void> {
    const counters = { reservedTokens: -reservation.tokens, committedTokens: -reservation.tokens };
    await Promise.all(this.taskItems(reservation.task, reservation.at).map((item) => this.add(item, counters)));
  }

  async record(task: TaskName, event: UsageEvent, keyFingerprint?: string, now?: number): Promise<void> {
    const at = now ?? Date.now();
    const counters: Record<string, number> = {};
    for (const [name, value] of Object.entries(event)) {
      if (value !== undefined && value !== 0) counters[name] = requireCount(value, name);
    }
    if (Object.keys(counters).length === 0) return;
    const items = this.taskItems(task, at);
    if (keyFingerprint !== undefined) items.push(...this.keyItems(keyFingerprint, at));
    await Promise.all([
      ...items.map((item) => this.add(item, counters)),
      ...(keyFingerprint === undefined ? [] : [this.addKeyRef(task, keyFingerprint, at)]),
    ]);
  }

  /**
   * Gives back reservations that no live call can settle any more: those on the task's MIN items
   * of the last 24 hours (their TTL) that ended more than {@link RESERVATION_MAX_AGE_MS} ago, or
   * every one when `noCallInFlight` (a process start: nothing of the killed process survives).
   * With `noCallInFlight`, a day reservation whose minute half was never written (killed between
   * the two admissions, or an undo that failed) is given back too; while calls run, such a
   * remainder cannot be told from an admission in progress and stays (erring on the safe side).
   *
   * Each stale minute moves in three conditional writes, so a sweep killed half-way is finished
   * by the next one and nothing is given back twice: the MIN item drops its reservation and
   * records a pending release (id, tokens); the DAY item drops the same tokens unless it already
   * lists that id; the MIN item forgets the pending release. Returns the tokens given back.
   */
  async releaseStaleReservations(input: { task: TaskName; now?: number; noCallInFlight?: boolean }): Promise<number> {
    const now = input.now ?? Date.now();
    const task = ledgerKey.task(input.task);
    const staleBefore = input.noCallInFlight ? Number.POSITIVE_INFINITY : now - RESERVATION_MAX_AGE_MS;
    const from = ledgerKey.minute(utcMinute(now - MINUTE_ITEM_RETENTION_SECONDS * 1000));
    const to = ledgerKey.minute(utcMinute(input.noCallInFlight ? now : now - RESERVATION_MAX_AGE_MS));
    const minutes: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.guard(() =>
        this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': task, ':from': from, ':to': to },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      minutes.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    let released = 0;
    const settledMinutes = new Set<string>();
    const days = new Set<string>([utcDay(now), utcDay(now - MINUTE_ITEM_RETENTION_SECONDS * 1000)]);
    for (const item of minutes) {
      const sk = String(item.sk);
      const minuteEnd = Date.parse(`${sk.slice(4)}:00Z`) + 60_000;
      const minuteKey = { pk: task, sk };
      const dayKey = { pk: task, sk: ledgerKey.day(sk.slice(4, 14)) };
      let pending = item.pendingRelease as { id: string; tokens: number } | undefined;
      const reserved = Number(item.reservedTokens ?? 0);
      if (!pending && reserved > 0 && minuteEnd <= staleBefore) {
        pending = { id: randomUUID(), tokens: reserved };
        const taken = await this.conditional(
          new UpdateCommand({
            TableName: this.tableName,
            Key: minuteKey,
            UpdateExpression: 'ADD reservedTokens :minus, committedTokens :minus, staleReleasedTokens :tokens SET pendingRelease = :pending',
            ConditionExpression: 'reservedTokens = :tokens AND attribute_not_exists(pendingRelease)',
            ExpressionAttributeValues: { ':minus': -reserved, ':tokens': reserved, ':pending': pending },
          }),
        );
        if (!taken) continue; // another sweep (or a late settlement) changed it: the next sweep decides
      }
      if (!pending) continue;
      if (await this.releaseToDay(dayKey, pending.id, pending.tokens)) released += pending.tokens;
      settledMinutes.add(sk);
      await this.conditional(
        new UpdateCommand({
          TableName: this.tableName,
          Key: minuteKey,
          UpdateExpression: 'REMOVE pendingRelease',
          ConditionExpression: 'pendingRelease.id = :id',
          ExpressionAttributeValues: { ':id': pending.id },
        }),
      );
      days.add(sk.slice(4, 14));
    }

    if (input.noCallInFlight) {
      for (const day of days) {
        const dayItem = await this.read({ pk: task, sk: ledgerKey.day(day) });
        // The minutes swept above hold nothing any more; one whose sweep lost a race still counts.
        const onMinutes = minutes
          .filter((m) => String(m.sk).startsWith(`MIN#${day}`) && !settledMinutes.has(String(m.sk)))
          .reduce((sum, m) => sum + Math.max(0, Number(m.reservedTokens ?? 0)), 0);
        const unrecorded = dayItem.reservedTokens - onMinutes;
        if (unrecorded <= 0) continue;
        const given = await this.conditional(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: task, sk: ledgerKey.day(day) },
            UpdateExpression: 'ADD reservedTokens :minus, committedTokens :minus, staleReleasedTokens :tokens',
            ConditionExpression: 'reservedTokens = :reserved',
            ExpressionAttributeValues: { ':minus': -unrecorded, ':tokens': unrecorded, ':reserved': dayItem.reservedTokens },
          }),
        );
        if (given) released += unrecorded;
      }
    }
    return released;
  }

  /** Takes a stale minute's tokens off its day item once: the release id is remembered there. */
  private releaseToDay(dayKey: ItemKey, id: string, tokens: number): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: dayKey,
        UpdateExpression: 'ADD reservedTokens :minus, committedTokens :minus, staleReleasedTokens :tokens, staleReleaseIds :ids',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(staleReleaseIds) OR NOT contains(staleReleaseIds, :id))',
        ExpressionAttributeValues: { ':minus': -tokens, ':tokens': tokens, ':ids': new Set([id]), ':id': id },
      }),
    );
  }

  /** At most one sweep per task and interval per instance, so a budget that is simply spent costs one query a minute. */
  private async sweepOnRefusal(task: TaskName, at: number): Promise<number> {
    const last = this.lastRefusalSweep.get(task);
    if (last !== undefined && Math.abs(at - last) < REFUSAL_SWEEP_INTERVAL_MS) return 0;
    this.lastRefusalSweep.set(task, at);
    // The refusal stands if the sweep cannot run.
    return this.releaseStaleReservations({ task, now: at }).catch(() => 0);
  }

  /** true when the write happened, false when its condition did not hold. */
  private async conditional(command: UpdateCommand): Promise<boolean> {
    try {
      await this.guard(() => this.doc.send(command));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** The task's counters for one UTC day (`2026-11-26`); zeros when nothing was recorded. */
  readTaskDay(task: string, day: string): Promise<LedgerCounters> {
    return this.read({ pk: ledgerKey.task(task), sk: ledgerKey.day(day) });
  }

  /** The task's counters for one UTC minute (`2026-11-26T14:03`). */
  readTaskMinute(task: string, minute: string): Promise<LedgerCounters> {
    return this.read({ pk: ledgerKey.task(task), sk: ledgerKey.minute(minute) });
  }

  readKeyDay(keyFingerprint: string, day: string): Promise<LedgerCounters> {
    return this.read({ pk: ledgerKey.key(keyFingerprint), sk: ledgerKey.day(day) });
  }

  readKeyMinute(keyFingerprint: string, minute: string): Promise<LedgerCounters> {
    return this.read({ pk: ledgerKey.key(keyFingerprint), sk: ledgerKey.minute(minute) });
  }

  private taskItems(task: string, at: number): ItemKey[] {
    return [
      { pk: ledgerKey.task(task), sk: ledgerKey.day(utcDay(at)) },
      { pk: ledgerKey.task(task), sk: ledgerKey.minute(utcMinute(at)) },
    ];
  }

  private keyItems(keyFingerprint: string, at: number): ItemKey[] {
    return [
      { pk: ledgerKey.key(keyFingerprint), sk: ledgerKey.day(utcDay(at)) },
      { pk: ledgerKey.key(keyFingerprint), sk: ledgerKey.minute(utcMinute(at)) },
    ];
  }

  /** One conditional ADD; the new committed total, or undefined when the limit would be passed. */
  private async admit(key: ItemKey, tokens: number, limit: number): Promise<number | undefined> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: key,
      UpdateExpression: 'ADD committedTokens :tokens, reservedTokens :tokens SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
      ConditionExpression: 'attribute_not_exists(committedTokens) OR committedTokens <= :room',
      ExpressionAttributeValues: { ':tokens': tokens, ':room': limit - tokens, ':expiresAt': expiryOf(key) },
      ReturnValues: 'UPDATED_NEW',
    });
    try {
      const result = await this.guard(() => this.doc.send(command));
      return Number(result.Attributes?.committedTokens ?? tokens);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private async add(key: ItemKey, counters: Record<string, number>): Promise<void> {
    const names: Record<string, string> = { '#expiresAt': 'expiresAt' };
    const values: Record<string, number> = { ':expiresAt': expiryOf(key) };
    const additions = Object.entries(counters).map(([name, value], i) => {
      names[`#c${i}`] = name;
      values[`:c${i}`] = value;
      return `#c${i} :c${i}`;
    });
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: key,
      UpdateExpression: `ADD ${additions.join(', ')} SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    await this.guard(() => this.doc.send(command));
  }

  /**
   * The key reference only has to exist (and be refreshed within its retention), so a function
   * instance writes it once per task, key and UTC day, not on every request.
   */
  private async addKeyRef(task: string, keyFingerprint: string, at: number): Promise<void> {
    const memo = `${task}#${keyFingerprint}#${utcDay(at)}`;
    if (this.keyRefsWritten.has(memo)) return;
    await this.writeKeyRef(task, keyFingerprint, at);
    this.keyRefsWritten.add(memo);
  }

  private async writeKeyRef(task: string, keyFingerprint: string, at: number): Promise<void> {
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: { pk: ledgerKey.task(task), sk: ledgerKey.keyRef(keyFingerprint) },
      // The reference lives as long as the key's day items, counted from its last use.
      UpdateExpression: 'ADD requests :one SET lastUsedAt = :at, expiresAt = :expiresAt',
      ExpressionAttributeValues: { ':one': 1, ':at': new Date(at).toISOString(), ':expiresAt': Math.floor(at / 1000) + DAY_ITEM_RETENTION_SECONDS },
    });
    await this.guard(() => this.doc.send(command));
  }

  private async read(key: ItemKey): Promise<LedgerCounters> {
    const result = await this.guard(() => this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })));
    return toCounters(result.Item);
  }

  /**
   * A DynamoDB failure is ours, not the caller's: a typed 503 the caller may retry. Failed
   * conditions pass through, since they are answers, not failures.
   */
  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new DependencyUnavailableError('The usage ledger is unavailable; retry shortly', { retryAfterSeconds: 5, cause: error });
    }
  }
}

interface ItemKey {
  pk: string;
  sk: string;
}

/** Turns a raw ledger item into counters, zero where absent. */
export function toCounters(item: Record<string, unknown> | undefined): LedgerCounters {
  const counters = { latency: {} } as LedgerCounters;
  for (const name of LEDGER_COUNTERS) counters[name] = Number(item?.[name] ?? 0);
  for (const [name, value] of Object.entries(item ?? {})) {
    if (name.startsWith('lat_')) counters.latency[name] = Number(value);
  }
  return counters;
}

function expiryOf(key: ItemKey): number {
  // An expiry counted from the period itself, so every writer of an item sets the same value.
  if (key.sk.startsWith('MIN#')) return Math.floor(Date.parse(`${key.sk.slice(4)}:00Z`) / 1000) + MINUTE_ITEM_RETENTION_SECONDS;
  return Math.floor(Date.parse(`${key.sk.slice(4)}T00:00:00Z`) / 1000) + DAY_ITEM_RETENTION_SECONDS;
}

function requireCount(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) throw new Error(`ledger counter ${name} must be a non-negative integer, got ${value}`);
  return value;
}

function secondsToNextMinute(at: number): number {
  return Math.max(1, Math.ceil((60_000 - (at % 60_000)) / 1000));
}

function secondsToUtcMidnight(at: number): number {
  const midnight = Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth(), new Date(at).getUTCDate() + 1);
  return Math.max(1, Math.ceil((midnight - at) / 1000));
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
