/**
 * The usage ledger in DynamoDB: what every task, key and practice spent, per UTC day and minute,
 * and the admission check that keeps concurrent Lambdas inside a task's daily token budget and
 * tokens-per-minute ceiling and each practice inside its share of them.
 *
 * Items (table of {@link USAGE_TABLE}):
 *   pk = TASK#<task>          sk = DAY#2026-11-26 (also the admission item) | MIN#2026-11-26T14:03 | KEYREF#<fingerprint>
 *   pk = KEY#<fingerprint>    sk = DAY#2026-11-26 | MIN#2026-11-26T14:03
 *   pk = PRACTICE#<practice>  sk = DAY#2026-11-26#TASK#<task>   (chargeback: requests, inputTokens, outputTokens,
 *                                                              costMicroUsd, cacheHits, shareRefusals, budgetRefusals)
 *
 * Admission is ONE conditional UpdateItem on ONE item, the task's DAY item, before the model call
 * (no transaction: dynalite has no TransactWriteItems, and on a hot item real DynamoDB
 * transactions cancel each other with TransactionConflict). That item holds:
 *   committedTokens, reservedTokens  the day: settled input + output plus open reservations, and the open part
 *   tm                               the current minute: minute-of-day × 10¹² + tokens committed in it
 *   pd#<practice>                    the practice's committed tokens today           (only if its daily share is finite)
 *   pm#<practice>                    the practice's minute, encoded like tm            (only if its TPM share is finite)
 *   pf#<practice>                    the practice's requests in flight                 (only if its cap is finite)
 * so the task's budget and TPM ceiling and the practice's day share, TPM share and concurrency cap
 * are checked by one condition expression and incremented by the same update: two Lambdas can
 * never both take the last room of any of them, and a request refused by one limit takes nothing
 * from the others. Settling swaps the reservation for the provider's usage in one write to the
 * same item; releasing gives it back.
 *
 * A minute slot carries its minute in its value, so the condition can tell "this minute, with
 * room" from "an earlier minute" (the count starts again). The update has to know which one it
 * writes, so it assumes the slot is current; the first request of a new minute (for the task, and
 * for each practice) finds it stale, the refusal says so, and it is sent once more as a rollover:
 * one extra conditional update for the first request(s) of each minute only.
 *
 * Size and cost: every practice with a finite share adds up to three attributes to the day item
 * (name `pd#`/`pm#`/`pf#` + its id, a number each: ~60 bytes for an id like `practice-042`), and
 * the MIN item of each minute it was active two more (`pr#`, `pn#`, left at 0 once settled). Every
 * write is billed per started KB of the item, and one partition takes at most 1,000 write units a
 * second (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html).
 * So 40 limited practices make the day item ~3 KB: 3 WCU per admission and per settlement; 500
 * would make it ~30 KB: 30 WCU a write, capping the task near 15 admitted requests a second. Past
 * a few hundred limited practices per task, move the practice attributes onto per-practice items
 * (a second conditional update in parallel, undone when the other refuses).

 * Reservations that are never settled (the Lambda was killed at its timeout or crashed between
 * admission and settlement) must not stay counted for ever. Beside the model call (not in front
 * of it), {@link DynamoUsageLedger.hold} records each reservation on the task's MIN item of its
 * minute (`reservedTokens`, and per practice `pr#<practice>` tokens and `pn#<practice>` requests),
 * so that item is its record: once a minute is older than any call could still run (Lambda's
 * maximum timeout, 900 s, plus a margin), what it still holds is stale and
 * {@link DynamoUsageLedger.releaseStaleReservations} gives it back to the day item, practice
 * shares and in-flight counts included. The sweep runs only when a daily limit or a concurrency cap
 * refuses a request (at most once a minute per function instance, then admission is tried once
 * more) and when the local runtime starts, where no call of the killed process can survive.
 *
 * Latency goes into a histogram (`lat_<upper bound ms>` counters, `lat_inf` above the last bound)
 * so the usage report can compute p50/p95 from the ledger alone.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError, OverBudgetError, PayloadTooLargeError, PracticeOverShareError } from './errors';
import type { ActualUsage, PracticeHold, PracticeShareLimits, Reservation, ReserveInput, UsageEvent, UsageLedger } from './ports';
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
  /** A practice's chargeback rows: `sk = DAY#<yyyy-mm-dd>#TASK#<task>`. */
  practice: (practiceId: string) => `PRACTICE#${practiceId}`,
  practiceDay: (day: string, task: string) => `DAY#${day}#TASK#${task}`,
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

/** A minute slot's value: minute-of-day × MINUTE_SLOT + the tokens committed in that minute. */
const MINUTE_SLOT = 1e12;
/** Admission attempts when the item changed between a refusal and its read (the next attempt decides again). */
const MAX_ADMISSION_ATTEMPTS = 6;

/** Attribute names on the admission (DAY) item and on the MIN items, per practice. Short: they add up per practice. */
export const practiceAttribute = {
  day: (practiceId: string) => `pd#${practiceId}`,
  minute: (practiceId: string) => `pm#${practiceId}`,
  inFlight: (practiceId: string) => `pf#${practiceId}`,
  /** On a MIN item: the practice's tokens reserved in that minute and not settled yet. */
  heldTokens: (practiceId: string) => `pr#${practiceId}`,
  /** On a MIN item: the practice's requests admitted in that minute and not settled yet. */
  heldRequests: (practiceId: string) => `pn#${practiceId}`,
};

type Refusal = 'taskDay' | 'taskMinute' | 'practiceDay' | 'practiceMinute' | 'practiceConcurrent';

interface AdmissionPlan {
  task: TaskName;
  tokens: number;
  at: number;
  dailyTokenBudget: number;
  tokensPerMinute: number;
  practice?: PracticeHold;
  practiceLimits?: PracticeShareLimits;
}

export class DynamoUsageLedger implements UsageLedger {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly keyRefsWritten = new Set<string>();
  private readonly lastRefusalSweep = new Map<string, number>();
  /** hold() writes in flight or done, per reservation: true when the MIN record landed. */
  private readonly holds = new WeakMap<Reservation, Promise<boolean>>();

  constructor(options: DynamoUsageLedgerOptions) {
    this.doc = options.doc;
    this.tableName = options.tableName;
  }

  async reserve(input: ReserveInput): Promise<LedgerReservation> {
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
    const limits = input.practiceLimits;
    let practice: PracticeHold | undefined;
    if (input.practiceId !== undefined) {
      practice = {
        practiceId: requirePracticeId(input.practiceId),
        dailyTokens: limits !== undefined && Number.isFinite(limits.dailyTokens),
        tokensPerMinute: limits !== undefined && Number.isFinite(limits.tokensPerMinute),
        concurrentRequests: limits !== undefined && Number.isFinite(limits.concurrentRequests),
      };
      if (limits && tokens > limits.dailyTokens) {
        throw new PayloadTooLargeError(`A request of about ${fmt(tokens)} tokens is larger than practice ${practice.practiceId}'s daily share of ${fmt(limits.dailyTokens)} tokens of the ${task} task`);
      }
      if (limits && tokens > limits.tokensPerMinute) {
        throw new PayloadTooLargeError(`A request of about ${fmt(tokens)} tokens is larger than practice ${practice.practiceId}'s share of ${fmt(limits.tokensPerMinute)} tokens per minute of the ${task} task`);
      }
    }
    const plan: AdmissionPlan = { task, tokens, at, dailyTokenBudget, tokensPerMinute, practice, practiceLimits: limits };

    let outcome = await this.admit(plan);
    // Off the hot path: only a refusal by a daily limit or a concurrency cap looks for reservations
    // of killed calls, and tries once more when it gave some back.
    if (typeof outcome !== 'number' && outcome.refusal !== 'taskMinute' && outcome.refusal !== 'practiceMinute' && (await this.sweepOnRefusal(task, at)) > 0) {
      outcome = await this.admit(plan);
    }
    if (typeof outcome !== 'number') throw this.refusalError(plan, outcome.refusal, outcome.item);
    const reservation: LedgerReservation = { task, tokens, at, dayCommittedTokens: outcome, budgetUsedPercent: (outcome / dailyTokenBudget) * 100 };
    if (practice) reservation.practice = practice;
    return reservation;
  }

  /**
   * One conditional update of the admission item; the day's committed tokens after it, or the
   * limit that refused (read from the item as the refusal found it).
   */
  private async admit(plan: AdmissionPlan): Promise<number | { refusal: Refusal; item: Record<string, unknown> }> {
    let roll = { task: false, practice: false };
    let last: { refusal: Refusal; item: Record<string, unknown> } | undefined;
    for (let attempt = 0; attempt < MAX_ADMISSION_ATTEMPTS; attempt++) {
      const command = this.admissionCommand(plan, roll);
      try {
        const result = await this.guard(() => this.doc.send(command));
        return Number(result.Attributes?.committedTokens ?? plan.tokens);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Real DynamoDB returns the item that failed the check (ALL_OLD below); dynalite does not, so read it.
        const item = error.Item ? numbersOf(error.Item) : ((await this.readRaw(this.dayKey(plan.task, plan.at))) ?? {});
        const verdict = judge(plan, item);
        if (verdict.refusal) return { refusal: verdict.refusal, item };
        // Only stale minute slots (or an item that changed since the check): send it again, rolled where stale.
        roll = { task: verdict.taskStale, practice: verdict.practiceStale };
        last = { refusal: closestLimit(plan, item), item };
      }
    }
    return last!;
  }

  private admissionCommand(plan: AdmissionPlan, roll: { task: boolean; practice: boolean }): UpdateCommand {
    const { tokens, practice, practiceLimits } = plan;
    const base = minuteBase(plan.at);
    const names: Record<string, string> = { '#c': 'committedTokens', '#r': 'reservedTokens', '#tm': 'tm', '#x': 'expiresAt' };
    const values: Record<string, number> = {
      ':t': tokens,
      ':dayRoom': plan.dailyTokenBudget - tokens,
      ':mBase': base,
      ':x': expiryOf(this.dayKey(plan.task, plan.at)),
    };
    const conditions = ['(attribute_not_exists(#c) OR #c <= :dayRoom)'];
    const adds = ['#c :t', '#r :t'];
    const sets = ['#x = if_not_exists(#x, :x)'];
    if (roll.task) {
      conditions.push('(attribute_not_exists(#tm) OR #tm < :mBase)');
      sets.push('#tm = :mNew');
      values[':mNew'] = base + tokens;
    } else {
      conditions.push('(attribute_not_exists(#tm) OR #tm BETWEEN :mBase AND :mTop)');
      sets.push('#tm = if_not_exists(#tm, :mBase) + :t');
      values[':mTop'] = base + plan.tokensPerMinute - tokens;
    }
    if (practice && practiceLimits) {
      const id = practice.practiceId;
      if (practice.dailyTokens) {
        names['#pd'] = practiceAttribute.day(id);
        values[':pdRoom'] = practiceLimits.dailyTokens - tokens;
        conditions.push('(attribute_not_exists(#pd) OR #pd <= :pdRoom)');
        adds.push('#pd :t');
      }
      if (practice.tokensPerMinute) {
        names['#pm'] = practiceAttribute.minute(id);
        if (roll.practice) {
          conditions.push('(attribute_not_exists(#pm) OR #pm < :mBase)');
          sets.push('#pm = :mNew');
          values[':mNew'] = base + tokens;
        } else {
          conditions.push('(attribute_not_exists(#pm) OR #pm BETWEEN :mBase AND :pmTop)');
          sets.push('#pm = if_not_exists(#pm, :mBase) + :t');
          values[':pmTop'] = base + practiceLimits.tokensPerMinute - tokens;
        }
      }
      if (practice.concurrentRequests) {
        names['#pf'] = practiceAttribute.inFlight(id);
        values[':pfCap'] = practiceLimits.concurrentRequests;
        values[':one'] = 1;
        conditions.push('(attribute_not_exists(#pf) OR #pf < :pfCap)');
        adds.push('#pf :one');
      }
    }
    return new UpdateCommand({
      TableName: this.tableName,
      Key: this.dayKey(plan.task, plan.at),
      UpdateExpression: `ADD ${adds.join(', ')} SET ${sets.join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'UPDATED_NEW',
      // The item as the check found it, so a refusal says which limit without a second read
      // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValuesOnConditionCheckFailure).
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  }

  private refusalError(plan: AdmissionPlan, refusal: Refusal, item: Record<string, unknown>): Error {
    const { task, at } = plan;
    const base = minuteBase(at);
    const minuteUse = (value: unknown) => (Number(value ?? 0) >= base && Number(value) < base + MINUTE_SLOT ? Number(value) - base : 0);
    const practiceId = plan.practice?.practiceId ?? '';
    const limits = plan.practiceLimits;
    const share = (limit: 'dailyTokens' | 'tokensPerMinute' | 'concurrentRequests', shareOf: number, used: number, retryAfterSeconds: number, message: string) =>
      new PracticeOverShareError(message, { retryAfterSeconds, details: { practiceId, task, limit, share: shareOf, used, requested: limit === 'concurrentRequests' ? 1 : plan.tokens } });
    switch (refusal) {
      case 'taskDay':
        return new OverBudgetError(`The ${task} task has used its daily token budget of ${fmt(plan.dailyTokenBudget)} tokens; it resets at 00:00 UTC`, { retryAfterSeconds: secondsToUtcMidnight(at) });
      case 'taskMinute': {
        const retryAfterSeconds = secondsToNextMinute(at);
        return new OverBudgetError(`The ${task} task has reached its ceiling of ${fmt(plan.tokensPerMinute)} tokens per minute; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      case 'practiceDay': {
        const used = Number(item[practiceAttribute.day(practiceId)] ?? 0);
        return share('dailyTokens', limits!.dailyTokens, used, secondsToUtcMidnight(at), `Practice ${practiceId} has used ${fmt(used)} of its daily share of ${fmt(limits!.dailyTokens)} tokens of the ${task} task; it resets at 00:00 UTC`);
      }
      case 'practiceMinute': {
        const used = minuteUse(item[practiceAttribute.minute(practiceId)]);
        const retryAfterSeconds = secondsToNextMinute(at);
        return share('tokensPerMinute', limits!.tokensPerMinute, used, retryAfterSeconds, `Practice ${practiceId} has used ${fmt(used)} of its share of ${fmt(limits!.tokensPerMinute)} tokens per minute of the ${task} task; retry in ${retryAfterSeconds} s`);
      }
      case 'practiceConcurrent': {
        const used = Number(item[practiceAttribute.inFlight(practiceId)] ?? 0);
        return share('concurrentRequests', limits!.concurrentRequests, used, 1, `Practice ${practiceId} already has ${fmt(used)} requests of the ${task} task in flight, its share of ${fmt(limits!.concurrentRequests)} at once; retry when one has finished`);
      }
    }
  }

  hold(reservation: Reservation): void {
    if (this.holds.has(reservation)) return;
    const counters: Record<string, number> = { reservedTokens: reservation.tokens, committedTokens: reservation.tokens };
    Object.assign(counters, this.practiceHeld(reservation, 1));
    const written = this.add(this.minuteKey(reservation.task, reservation.at), counters).then(
      () => true,
      // Not recorded: settle and release then leave the MIN item's reservation fields alone, and a
      // killed call's reservation is found only by the process-start sweep (the safe side).
      () => false,
    );
    this.holds.set(reservation, written);
  }

  async settle(reservation: Reservation, usage: ActualUsage, counters: UsageEvent = {}, now = Date.now()): Promise<void> {
    const inputTokens = requireCount(usage.inputTokens, 'inputTokens');
    const outputTokens = requireCount(usage.outputTokens, 'outputTokens');
    const extra = eventCounters(counters);
    const usageCounters = {
      requests: 1,
      inputTokens,
      outputTokens,
      cachedTokens: requireCount(usage.cachedTokens, 'cachedTokens'),
      costMicroUsd: Math.round(usage.costMicroUsd),
      latencyMsTotal: Math.round(usage.latencyMs),
      [latencyBucketAttribute(usage.latencyMs)]: 1,
    };
    const delta = inputTokens + outputTokens - reservation.tokens;
    const practiceId = reservation.practice?.practiceId;
    await Promise.all([
      this.adjustAdmission(reservation, { ...usageCounters, ...extra, reservedTokens: -reservation.tokens, committedTokens: delta }, delta, now),
      this.adjustMinute(reservation, { ...usageCounters, ...extra }, inputTokens + outputTokens),
      ...this.keyItems(usage.keyFingerprint, reservation.at).map((item) => this.add(item, usageCounters)),
      this.addKeyRef(reservation.task, usage.keyFingerprint, reservation.at),
      ...(practiceId === undefined
        ? []
        : [this.add(this.chargebackKey(practiceId, reservation.task, reservation.at), { requests: 1, inputTokens, outputTokens, costMicroUsd: usageCounters.costMicroUsd, ...pick(extra, 'cacheHits') })]),
    ]);
  }

  async release(reservation: Reservation, counters: UsageEvent = {}, now = Date.now()): Promise<void> {
    const extra = eventCounters(counters);
    const practiceId = reservation.practice?.practiceId;
    const chargeback = pick(extra, 'cacheHits');
    await Promise.all([
      this.adjustAdmission(reservation, { ...extra, reservedTokens: -reservation.tokens, committedTokens: -reservation.tokens }, -reservation.tokens, now),
      this.adjustMinute(reservation, extra, 0),
      ...(practiceId === undefined || Object.keys(chargeback).length === 0 ? [] : [this.add(this.chargebackKey(practiceId, reservation.task, reservation.at), chargeback)]),
    ]);
  }

  /**
   * The admission item's half of a settlement or release: the day and the practice's day and
   * in-flight count in one write, plus the minute slots while the reservation's minute is still
   * the current one (an earlier minute's count no longer matters). The minute part is conditional
   * on the slots still being that minute; if one has rolled (a clock a little ahead elsewhere), the
   * write goes again without it.
   */
  private async adjustAdmission(reservation: Reservation, counters: Record<string, number>, delta: number, now: number): Promise<void> {
    const key = this.dayKey(reservation.task, reservation.at);
    const practice = reservation.practice;
    const all: Record<string, number> = { ...counters };
    if (practice?.dailyTokens) all[practiceAttribute.day(practice.practiceId)] = delta;
    if (practice?.concurrentRequests) all[practiceAttribute.inFlight(practice.practiceId)] = -1;
    const slots = utcMinute(now) === utcMinute(reservation.at) && delta !== 0 ? ['tm', ...(practice?.tokensPerMinute ? [practiceAttribute.minute(practice.practiceId)] : [])] : [];
    if (slots.length > 0) {
      const base = minuteBase(reservation.at);
      const sent = await this.conditional(this.addCommand(key, all, { slots, delta, base }));
      if (sent) return;
    }
    await this.add(key, all);
  }

  /** The MIN item's half: usage counters, and the hold undone once it is known to have landed. */
  private async adjustMinute(reservation: Reservation, counters: Record<string, number>, committedTokens: number): Promise<void> {
    const held = (await this.holds.get(reservation)) ?? false;
    const all: Record<string, number> = { ...counters };
    if (held) {
      all.reservedTokens = -reservation.tokens;
      all.committedTokens = committedTokens - reservation.tokens;
      Object.assign(all, this.practiceHeld(reservation, -1));
    } else if (committedTokens > 0) {
      all.committedTokens = committedTokens;
    }
    if (Object.values(all).some((v) => v !== 0)) await this.add(this.minuteKey(reservation.task, reservation.at), all);
  }

  private practiceHeld(reservation: Reservation, sign: 1 | -1): Record<string, number> {
    const practice = reservation.practice;
    const out: Record<string, number> = {};
    if (practice?.dailyTokens) out[practiceAttribute.heldTokens(practice.practiceId)] = sign * reservation.tokens;
    if (practice?.concurrentRequests) out[practiceAttribute.heldRequests(practice.practiceId)] = sign;
    return out;
  }

  async record(task: TaskName, event: UsageEvent, keyFingerprint?: string, now?: number, practiceId?: string): Promise<void> {
    const at = now ?? Date.now();
    const counters = eventCounters(event);
    if (Object.keys(counters).length === 0) return;
    const items = this.taskItems(task, at);
    if (keyFingerprint !== undefined) items.push(...this.keyItems(keyFingerprint, at));
    const chargeback = pick(counters, 'cacheHits');
    await Promise.all([
      ...items.map((item) => this.add(item, counters)),
      ...(keyFingerprint === undefined ? [] : [this.addKeyRef(task, keyFingerprint, at)]),
      ...(practiceId === undefined || Object.keys(chargeback).length === 0 ? [] : [this.add(this.chargebackKey(practiceId, task, at), chargeback)]),
    ]);
  }

  async recordRefusal(task: TaskName, practiceId: string, kind: 'share' | 'budget', now?: number): Promise<void> {
    await this.add(this.chargebackKey(practiceId, task, now ?? Date.now()), { [kind === 'share' ? 'shareRefusals' : 'budgetRefusals']: 1 });
  }

  /** The practice's chargeback row for one task and UTC day; zeros when nothing was recorded. */
  async readPracticeDay(practiceId: string, task: string, day: string): Promise<PracticeDayCounters> {
    const item = await this.readRaw({ pk: ledgerKey.practice(practiceId), sk: ledgerKey.practiceDay(day, task) });
    return Object.fromEntries(PRACTICE_COUNTERS.map((name) => [name, Number(item?.[name] ?? 0)])) as PracticeDayCounters;
  }

  /**
   * Gives back reservations that no live call can settle any more: those on the task's MIN items
   * of the last 24 hours (their TTL) that ended more than {@link RESERVATION_MAX_AGE_MS} ago, or
   * every one when `noCallInFlight` (a process start: nothing of the killed process survives).
   * With `noCallInFlight`, a day reservation whose hold was never written (killed between the
   * admission and the hold, or a hold that failed) is given back too, tokens and in-flight counts;
   * while calls run, such a remainder cannot be told from an admission in progress and stays
   * (erring on the safe side). A practice's day share cannot be given back for such a remainder
   * (nothing recorded whose tokens they were): it stays counted until the day ends.
   *
   * Each stale minute moves in three conditional writes, so a sweep killed half-way is finished
   * by the next one and nothing is given back twice: the MIN item drops its reservation and
   * records a pending release (id, tokens, per practice); the DAY item drops the same unless it
   * already lists that id; the MIN item forgets the pending release. Returns the tokens given back.
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

    if (input.noCallInFlight) return this.zeroReservations(task, minutes, now);

    let released = 0;
    const settledMinutes = new Set<string>();
    const days = new Set<string>([utcDay(now), utcDay(now - MINUTE_ITEM_RETENTION_SECONDS * 1000)]);
    for (const item of minutes) {
      const sk = String(item.sk);
      const minuteEnd = Date.parse(`${sk.slice(4)}:00Z`) + 60_000;
      const minuteKey = { pk: task, sk };
      const dayKey = { pk: task, sk: ledgerKey.day(sk.slice(4, 14)) };
      let pending = item.pendingRelease as PendingRelease | undefined;
      const reserved = Number(item.reservedTokens ?? 0);
      if (!pending && reserved > 0 && minuteEnd <= staleBefore) {
        pending = { id: randomUUID(), tokens: reserved, practices: heldByPractice(item) };
        const counters: Record<string, number> = { reservedTokens: -reserved, committedTokens: -reserved, staleReleasedTokens: reserved };
        for (const [practiceId, [tokens, requests]] of Object.entries(pending.practices)) {
          if (tokens) counters[practiceAttribute.heldTokens(practiceId)] = -tokens;
          if (requests) counters[practiceAttribute.heldRequests(practiceId)] = -requests;
        }
        const command = this.addCommand(minuteKey, counters, undefined, { set: { pendingRelease: pending }, condition: { expression: '#reserved = :reservedNow AND attribute_not_exists(#pending)', names: { '#reserved': 'reservedTokens', '#pending': 'pendingRelease' }, values: { ':reservedNow': reserved } } });
        const taken = await this.conditional(command);
        if (!taken) continue; // another sweep (or a late settlement) changed it: the next sweep decides
      }
      if (!pending) continue;
      if (await this.releaseToDay(dayKey, pending)) released += pending.tokens;
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

    return released;
  }

  /**
   * At a process start no call can still be running, so every reservation left is stale, whatever
   * the kill caught: admitted but not yet held, held but not settled, or half settled (settlement
   * writes the day and the minute item at once, and a kill can land between them). Rather than
   * moving each minute's tokens to its day, which would count a half-settled call twice, each item
   * is set back to what it has settled: the day item's outstanding `reservedTokens` (and its
   * practices' in-flight counts) are given back from the day item itself, each minute item's from
   * the minute item. A practice's day tokens are given back by what the unsettled minutes still
   * hold for it: a call killed between its two settlement writes may leave its practice a little
   * over-counted for the day, never under.
   */
  private async zeroReservations(task: string, minutes: Array<Record<string, unknown>>, now: number): Promise<number> {
    const practiceDayTokens = new Map<string, Map<string, number>>();
    for (const item of minutes) {
      const sk = String(item.sk);
      const reserved = Number(item.reservedTokens ?? 0);
      const held = Object.entries(item).filter(([name, value]) => (name.startsWith('pr#') || name.startsWith('pn#')) && Number(value) !== 0);
      if (reserved === 0 && held.length === 0 && item.pendingRelease === undefined) continue;
      const counters: Record<string, number> = { reservedTokens: -reserved, committedTokens: -reserved };
      for (const [name, value] of held) counters[name] = -Number(value);
      const condition = { expression: '#reserved = :reservedNow', names: { '#reserved': 'reservedTokens' }, values: { ':reservedNow': reserved } };
      const command = this.addCommand({ pk: task, sk }, counters, undefined, { condition });
      command.input.UpdateExpression += ' REMOVE pendingRelease';
      if (!(await this.conditional(command))) continue;
      // A pending release already taken off this minute has not reached its day: the day's own count still holds it.
      const day = sk.slice(4, 14);
      for (const [practiceId, [tokens]] of Object.entries(heldByPractice(item))) {
        if (!tokens) continue;
        const perDay = practiceDayTokens.get(day) ?? new Map<string, number>();
        perDay.set(practiceId, (perDay.get(practiceId) ?? 0) + tokens);
        practiceDayTokens.set(day, perDay);
      }
    }

    let released = 0;
    const days = new Set<string>([utcDay(now), utcDay(now - MINUTE_ITEM_RETENTION_SECONDS * 1000), ...practiceDayTokens.keys()]);
    for (const day of days) {
      const dayKey = { pk: task, sk: ledgerKey.day(day) };
      const dayItem = await this.readRaw(dayKey);
      if (!dayItem) continue;
      const reserved = Number(dayItem.reservedTokens ?? 0);
      const counters: Record<string, number> = {};
      if (reserved !== 0) Object.assign(counters, { reservedTokens: -reserved, committedTokens: -reserved, staleReleasedTokens: reserved });
      const names: Record<string, string> = { '#reserved': 'reservedTokens' };
      const values: Record<string, unknown> = { ':reservedNow': reserved };
      const conditions = ['#reserved = :reservedNow'];
      let n = 0;
      for (const [name, value] of Object.entries(dayItem)) {
        if (!name.startsWith('pf#') || Number(value) === 0) continue;
        counters[name] = -Number(value);
        names[`#f${n}`] = name;
        values[`:f${n}`] = Number(value);
        conditions.push(`#f${n} = :f${n}`);
        n++;
      }
      for (const [practiceId, tokens] of practiceDayTokens.get(day) ?? []) {
        const name = practiceAttribute.day(practiceId);
        const onDay = Number(dayItem[name] ?? 0);
        if (onDay > 0) counters[name] = (counters[name] ?? 0) - Math.min(tokens, onDay);
      }
      if (Object.keys(counters).length === 0) continue;
      const condition = { expression: conditions.join(' AND '), names, values };
      if (await this.conditional(this.addCommand(dayKey, counters, undefined, { condition }))) released += reserved;
    }
    return released;
  }

  /** Takes a stale minute's tokens (and its practices' shares and in-flight counts) off its day item once: the release id is remembered there. */
  private releaseToDay(dayKey: ItemKey, pending: PendingRelease): Promise<boolean> {
    const counters: Record<string, number> = { reservedTokens: -pending.tokens, committedTokens: -pending.tokens, staleReleasedTokens: pending.tokens };
    for (const [practiceId, [tokens, requests]] of Object.entries(pending.practices ?? {})) {
      if (tokens) counters[practiceAttribute.day(practiceId)] = -tokens;
      if (requests) counters[practiceAttribute.inFlight(practiceId)] = -requests;
    }
    return this.conditional(
      this.addCommand(dayKey, counters, undefined, {
        addSet: { staleReleaseIds: new Set([pending.id]) },
        condition: {
          expression: 'attribute_exists(pk) AND (attribute_not_exists(#ids) OR NOT contains(#ids, :id))',
          names: { '#ids': 'staleReleaseIds' },
          values: { ':id': pending.id },
        },
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

  /** The admission item of a task's UTC day as stored (practice attributes included), for tests and reports. */
  readAdmissionItem(task: string, day: string): Promise<Record<string, unknown> | undefined> {
    return this.readRaw({ pk: ledgerKey.task(task), sk: ledgerKey.day(day) });
  }

  private dayKey(task: string, at: number): ItemKey {
    return { pk: ledgerKey.task(task), sk: ledgerKey.day(utcDay(at)) };
  }

  private minuteKey(task: string, at: number): ItemKey {
    return { pk: ledgerKey.task(task), sk: ledgerKey.minute(utcMinute(at)) };
  }

  private chargebackKey(practiceId: string, task: string, at: number): ItemKey {
    return { pk: ledgerKey.practice(practiceId), sk: ledgerKey.practiceDay(utcDay(at), task) };
  }

  private taskItems(task: string, at: number): ItemKey[] {
    return [this.dayKey(task, at), this.minuteKey(task, at)];
  }

  private keyItems(keyFingerprint: string, at: number): ItemKey[] {
    return [
      { pk: ledgerKey.key(keyFingerprint), sk: ledgerKey.day(utcDay(at)) },
      { pk: ledgerKey.key(keyFingerprint), sk: ledgerKey.minute(utcMinute(at)) },
    ];
  }

  private async add(key: ItemKey, counters: Record<string, number>): Promise<void> {
    await this.guard(() => this.doc.send(this.addCommand(key, counters)));
  }

  /**
   * ADDs `counters` (and `SET expiresAt` once); optionally moves minute slots by `delta` on
   * condition that they still hold the reservation's minute, sets attributes, adds to a set, or
   * adds a condition of the caller's.
   */
  private addCommand(
    key: ItemKey,
    counters: Record<string, number>,
    minute?: { slots: string[]; delta: number; base: number },
    more: { set?: Record<string, unknown>; addSet?: Record<string, Set<string>>; condition?: { expression: string; names: Record<string, string>; values: Record<string, unknown> } } = {},
  ): UpdateCommand {
    const names: Record<string, string> = { '#expiresAt': 'expiresAt' };
    const values: Record<string, unknown> = { ':expiresAt': expiryOf(key) };
    const additions = Object.entries(counters).map(([name, value], i) => {
      names[`#c${i}`] = name;
      values[`:c${i}`] = value;
      return `#c${i} :c${i}`;
    });
    for (const [i, [name, value]] of Object.entries(more.addSet ?? {}).entries()) {
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      additions.push(`#a${i} :a${i}`);
    }
    const sets = ['#expiresAt = if_not_exists(#expiresAt, :expiresAt)'];
    for (const [i, [name, value]] of Object.entries(more.set ?? {}).entries()) {
      names[`#s${i}`] = name;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
    }
    const conditions: string[] = [];
    if (minute) {
      values[':mDelta'] = minute.delta;
      values[':mFrom'] = minute.base;
      values[':mTo'] = minute.base + MINUTE_SLOT - 1;
      minute.slots.forEach((slot, i) => {
        names[`#m${i}`] = slot;
        sets.push(`#m${i} = #m${i} + :mDelta`);
        conditions.push(`#m${i} BETWEEN :mFrom AND :mTo`);
      });
    }
    if (more.condition) {
      Object.assign(names, more.condition.names);
      Object.assign(values, more.condition.values);
      conditions.push(`(${more.condition.expression})`);
    }
    return new UpdateCommand({
      TableName: this.tableName,
      Key: key,
      UpdateExpression: `${additions.length > 0 ? `ADD ${additions.join(', ')} ` : ''}SET ${sets.join(', ')}`,
      ConditionExpression: conditions.length > 0 ? conditions.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
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
    return toCounters(await this.readRaw(key));
  }

  private async readRaw(key: ItemKey): Promise<Record<string, unknown> | undefined> {
    const result = await this.guard(() => this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })));
    return result.Item;
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

/** The chargeback counters of a practice's row (per task and UTC day). */
export const PRACTICE_COUNTERS = ['requests', 'inputTokens', 'outputTokens', 'costMicroUsd', 'cacheHits', 'shareRefusals', 'budgetRefusals'] as const;
export type PracticeDayCounters = Record<(typeof PRACTICE_COUNTERS)[number], number>;

interface PendingRelease {
  id: string;
  tokens: number;
  /** practice id → [tokens, requests] held in that minute. */
  practices: Record<string, [number, number]>;
}

/** The practices' holds still open on a MIN item. */
function heldByPractice(item: Record<string, unknown>): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const [name, value] of Object.entries(item)) {
    const n = Number(value);
    if (n <= 0) continue;
    if (name.startsWith('pr#')) (out[name.slice(3)] ??= [0, 0])[0] = n;
    else if (name.startsWith('pn#')) (out[name.slice(3)] ??= [0, 0])[1] = n;
  }
  return out;
}

/** Which limit a refused admission hit, read from the item as the check found it; or only stale minute slots. */
function judge(plan: AdmissionPlan, item: Record<string, unknown> | undefined): { refusal?: Refusal; taskStale: boolean; practiceStale: boolean } {
  const base = minuteBase(plan.at);
  const t = plan.tokens;
  const slot = (value: unknown, limit: number): 'ok' | 'stale' | 'full' => {
    if (value === undefined) return 'ok';
    const v = Number(value);
    if (v < base) return 'stale';
    // A slot of a later minute: this clock is behind another instance's; refuse rather than count in a past minute.
    if (v >= base + MINUTE_SLOT) return 'full';
    return v - base + t <= limit ? 'ok' : 'full';
  };
  const refusals: Refusal[] = [];
  if (Number(item?.committedTokens ?? 0) + t > plan.dailyTokenBudget) refusals.push('taskDay');
  const taskSlot = slot(item?.tm, plan.tokensPerMinute);
  if (taskSlot === 'full') refusals.push('taskMinute');
  let practiceStale = false;
  const { practice, practiceLimits: limits } = plan;
  if (practice && limits) {
    const id = practice.practiceId;
    if (practice.dailyTokens && Number(item?.[practiceAttribute.day(id)] ?? 0) + t > limits.dailyTokens) refusals.push('practiceDay');
    if (practice.tokensPerMinute) {
      const s = slot(item?.[practiceAttribute.minute(id)], limits.tokensPerMinute);
      if (s === 'full') refusals.push('practiceMinute');
      practiceStale = s === 'stale';
    }
    if (practice.concurrentRequests && Number(item?.[practiceAttribute.inFlight(id)] ?? 0) >= limits.concurrentRequests) refusals.push('practiceConcurrent');
  }
  return { refusal: refusals[0], taskStale: taskSlot === 'stale', practiceStale };
}

/** After too many changed-under-us attempts: the limit with the least room left. */
function closestLimit(plan: AdmissionPlan, item: Record<string, unknown> | undefined): Refusal {
  const base = minuteBase(plan.at);
  const minuteUse = (v: unknown) => (Number(v ?? 0) >= base ? Number(v) - base : 0);
  const candidates: Array<[Refusal, number]> = [
    ['taskDay', Number(item?.committedTokens ?? 0) / plan.dailyTokenBudget],
    ['taskMinute', minuteUse(item?.tm) / plan.tokensPerMinute],
  ];
  const { practice, practiceLimits: limits } = plan;
  if (practice && limits) {
    if (practice.dailyTokens) candidates.push(['practiceDay', Number(item?.[practiceAttribute.day(practice.practiceId)] ?? 0) / limits.dailyTokens]);
    if (practice.tokensPerMinute) candidates.push(['practiceMinute', minuteUse(item?.[practiceAttribute.minute(practice.practiceId)]) / limits.tokensPerMinute]);
    if (practice.concurrentRequests) candidates.push(['practiceConcurrent', Number(item?.[practiceAttribute.inFlight(practice.practiceId)] ?? 0) / limits.concurrentRequests]);
  }
  return candidates.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
}

/** The minute slot's base value for the UTC minute of `at`. */
function minuteBase(at: number): number {
  const d = new Date(at);
  return (d.getUTCHours() * 60 + d.getUTCMinutes()) * MINUTE_SLOT;
}

/** The number and string attributes of a raw (not document-client) item: all a refusal needs to be judged. */
function numbersOf(item: Record<string, { N?: string; S?: string }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (value?.N !== undefined) out[name] = Number(value.N);
    else if (value?.S !== undefined) out[name] = value.S;
  }
  return out;
}

function eventCounters(event: UsageEvent): Record<string, number> {
  const counters: Record<string, number> = {};
  for (const [name, value] of Object.entries(event)) {
    if (value !== undefined && value !== 0) counters[name] = requireCount(value, name);
  }
  return counters;
}

function pick(counters: Record<string, number>, ...names: string[]): Record<string, number> {
  return Object.fromEntries(Object.entries(counters).filter(([name]) => names.includes(name)));
}

const PRACTICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function requirePracticeId(practiceId: string): string {
  // It becomes part of attribute names and keys: nothing that could reach another practice's.
  if (!PRACTICE_ID.test(practiceId)) throw new Error('a practice id is 1-64 letters, digits, - and _');
  return practiceId;
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
  // `DAY#2026-11-26`, and a practice's `DAY#2026-11-26#TASK#chat`.
  return Math.floor(Date.parse(`${key.sk.slice(4, 14)}T00:00:00Z`) / 1000) + DAY_ITEM_RETENTION_SECONDS;
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
