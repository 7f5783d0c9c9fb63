/**
 * Cached model answers in DynamoDB, with in-flight dedup across function instances.
 *
 * An entry's id is `CACHE#<practiceId>#<task>#<model or chain id>#<sha256 of the input>`, the
 * input being the request as normalised JSON (object keys sorted), so the same question from the
 * same practice to the same task and model finds the same entry, and another practice can never
 * reach it: its id starts with a different practice. Entries carry `expiration` (epoch seconds,
 * the table's TTL attribute); TTL deletion is lazy, so reads ignore expired entries themselves.
 *
 * The cache stores exactly the value the caller hands it: the model's validated answer. It never
 * adds keys or identifiers, and the input is stored only as its hash.
 *
 * In-flight dedup. A Lambda instance serves one request at a time, so identical requests that
 * arrive together run in different instances and an in-memory map never sees them. Instead the
 * lookup is one unconditional UpdateItem that returns the whole item: it either finds an answer
 * (a hit), or plants this call's claim (`holder`, `leaseUntil`) on an empty entry and makes it the
 * one that asks the model, or finds another call's live claim and waits for its answer with a
 * bounded, jittered poll. A claim whose holder died (its lease ran out) is taken over with a
 * conditional update; a waiter whose patience runs out asks the model itself. The lookup is still
 * one round trip (a write unit instead of a read unit), so a hit costs no more time than before.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from './errors';
import type { TaskName } from './task-config';

export interface CacheScope {
  practiceId: string;
  task: TaskName;
  /** The model, or an id of the provider chain, that produced the answer. */
  model: string;
}

/** Where a {@link ResponseCache.readThrough} answer came from. */
export type CacheSource = 'cache' | 'in-flight' | 'computed';

export interface ResponseCacheOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Epoch milliseconds; tests move it to expire entries. @default Date.now */
  clock?: () => number;
}

/** How long one identical call may wait for another's answer, and how long a claim holds. */
export interface ReadThroughOptions {
  /** How long the claim holds before another instance may take it over. @default 30000 */
  leaseMs?: number;
  /** How long to wait for another instance's answer before asking the model itself. @default 10000 */
  maxWaitMs?: number;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_MAX_WAIT_MS = 10_000;
const FIRST_POLL_MS = 40;
const MAX_POLL_MS = 400;

/** What the lookup found. */
type Lookup<T> = { kind: 'hit'; value: T } | { kind: 'claimed'; holder: string } | { kind: 'held'; holder: string; leaseUntil: number; stale: boolean };

/** What {@link ResponseCache.open} found. */
export type CacheEntry<T> =
  | { kind: 'hit'; value: T }
  | { kind: 'claimed'; fill(value: T): Promise<boolean>; abandon(): Promise<void> }
  | { kind: 'held'; wait(compute: () => Promise<T>): Promise<{ value: T; source: CacheSource }> };

/** DynamoDB items stop at 400 KB; a larger answer is simply not cached. */
export const MAX_CACHED_BODY_BYTES = 350_000;

const PRACTICE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** JSON with object keys sorted at every level, so `{a, b}` and `{b, a}` are one request. */
export function normalisedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function cacheKey(scope: CacheScope, input: unknown): string {
  // The practice id is the isolation boundary: it must not be able to smuggle in a `#`.
  if (!PRACTICE_ID.test(scope.practiceId)) throw new Error('cache scope needs a practice id of letters, digits, - and _');
  const digest = createHash('sha256').update(normalisedJson(input) ?? 'undefined', 'utf8').digest('hex');
  return `CACHE#${scope.practiceId}#${scope.task}#${encodeURIComponent(scope.model)}#${digest}`;
}

export class ResponseCache {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: () => number;
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(options: ResponseCacheOptions) {
    this.doc = options.doc;
    this.tableName = options.tableName;
    this.clock = options.clock ?? Date.now;
  }

  /** The cached answer, or undefined when there is none or it has expired. */
  async get<T = unknown>(scope: CacheScope, input: unknown): Promise<T | undefined> {
    const id = cacheKey(scope, input);
    const result = await this.guard(() => this.doc.send(new GetCommand({ TableName: this.tableName, Key: { id } })));
    const item = result.Item;
    if (!item || typeof item.body !== 'string') return undefined;
    if (Number(item.expiration) <= Math.floor(this.clock() / 1000)) return undefined;
    if (item.practiceId !== scope.practiceId) return undefined;
    return JSON.parse(item.body) as T;
  }

  /** Stores an answer for `ttlSeconds`; false when it is too large to cache. */
  async put(scope: CacheScope, input: unknown, value: unknown, ttlSeconds: number): Promise<boolean> {
    const body = JSON.stringify(value);
    if (body === undefined || Buffer.byteLength(body, 'utf8') > MAX_CACHED_BODY_BYTES) return false;
    const now = this.clock();
    const item = {
      id: cacheKey(scope, input),
      practiceId: scope.practiceId,
      task: scope.task,
      model: scope.model,
      body,
      createdAt: new Date(now).toISOString(),
      expiration: Math.floor(now / 1000) + Math.max(1, Math.floor(ttlSeconds)),
    };
    await this.guard(() => this.doc.send(new PutCommand({ TableName: this.tableName, Item: item })));
    return true;
  }

  /** Identical calls in flight at the same moment in this instance share one promise. */
  shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.join(key, fn).promise;
  }

  /**
   * The cached answer, else the answer of an identical call already in flight (in this instance
   * or another), else `compute()`'s answer, stored for `ttlSeconds`. Only a `computed` answer cost
   * tokens. A failed cache write does not fail the request: the answer is already paid for.
   */
  async readThrough<T>(
    scope: CacheScope,
    input: unknown,
    ttlSeconds: number,
    compute: () => Promise<T>,
    options: ReadThroughOptions = {},
  ): Promise<{ value: T; source: CacheSource }> {
    const id = cacheKey(scope, input);
    const { promise, leader } = this.join(id, async () => {
      const entry = await this.open<T>(scope, input, ttlSeconds, options);
      if (entry.kind === 'hit') return { value: entry.value, source: 'cache' as CacheSource };
      if (entry.kind === 'held') return entry.wait(compute);
      return { value: await computeInto(entry, compute), source: 'computed' as CacheSource };
    });
    const answer = await promise;
    return leader || answer.source !== 'computed' ? answer : { value: answer.value, source: 'in-flight' };
  }

  /**
   * The first step of a read-through, for a caller that sends other work beside it (the usage
   * ledger's admission goes out with this lookup, one round trip for both): an answer, this call's
   * claim (fill it with the answer, or abandon it so waiters ask themselves), or another call's
   * claim to wait for.
   */
  async open<T>(scope: CacheScope, input: unknown, ttlSeconds: number, options: ReadThroughOptions = {}): Promise<CacheEntry<T>> {
    const id = cacheKey(scope, input);
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const me = randomUUID();
    const found = await this.lookup<T>(id, scope, me, leaseMs);
    const claimed = (): CacheEntry<T> => ({
      kind: 'claimed',
      // A failed cache write does not fail the request: the answer is already paid for.
      fill: (value) => this.put(scope, input, value, ttlSeconds).catch(() => false),
      abandon: () => this.release(id, me),
    });
    if (found.kind === 'hit') return found;
    if (found.kind === 'claimed') return claimed();
    return {
      kind: 'held',
      wait: async (compute) => {
        const waitUntil = performance.now() + (options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
        let state: Lookup<T> = found;
        for (let pollMs = FIRST_POLL_MS; state.kind === 'held'; pollMs = Math.min(MAX_POLL_MS, pollMs * 1.5)) {
          // The holder died or its entry expired: take its claim over, unless another waiter just did.
          if (state.stale && (await this.takeOver(id, state, me, leaseMs))) {
            state = { kind: 'claimed', holder: me };
            break;
          }
          // Out of patience: answer this request ourselves (both calls are paid; nothing is lost).
          if (performance.now() + pollMs > waitUntil) return { value: await compute(), source: 'computed' };
          await sleep(pollMs * (0.5 + Math.random()));
          // A plain read while waiting; when the holder gave up (deleted its claim), claim it afresh.
          state = (await this.peek<T>(id, scope)) ?? (await this.lookup<T>(id, scope, me, leaseMs));
        }
        if (state.kind === 'hit') return { value: state.value, source: 'in-flight' };
        const entry = claimed() as Extract<CacheEntry<T>, { kind: 'claimed' }>;
        return { value: await computeInto(entry, compute), source: 'computed' };
      },
    };
  }

  /**
   * One UpdateItem that returns the whole item: an answer, this call's new claim on an empty
   * entry, or another call's claim.
   */
  private async lookup<T>(id: string, scope: CacheScope, me: string, leaseMs: number): Promise<Lookup<T>> {
    const now = this.clock();
    const result = await this.guard(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { id },
          UpdateExpression:
            'SET practiceId = if_not_exists(practiceId, :practice), holder = if_not_exists(holder, :me), leaseUntil = if_not_exists(leaseUntil, :lease), expiration = if_not_exists(expiration, :leaseEnd)',
          ExpressionAttributeValues: { ':practice': scope.practiceId, ':me': me, ':lease': now + leaseMs, ':leaseEnd': Math.ceil((now + leaseMs) / 1000) + 60 },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return this.classify<T>(result.Attributes, scope, me);
  }

  /** A plain read while waiting (no claim is planted by looking); undefined when the entry is gone. */
  private async peek<T>(id: string, scope: CacheScope): Promise<Lookup<T> | undefined> {
    const result = await this.guard(() => this.doc.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true })));
    return result.Item ? this.classify<T>(result.Item, scope, '') : undefined;
  }

  private classify<T>(item: Record<string, unknown> | undefined, scope: CacheScope, me: string): Lookup<T> {
    const now = this.clock();
    const expired = Number(item?.expiration) <= Math.floor(now / 1000);
    if (item && typeof item.body === 'string' && !expired && item.practiceId === scope.practiceId) return { kind: 'hit', value: JSON.parse(item.body) as T };
    if (item?.holder === me && me !== '') return { kind: 'claimed', holder: me };
    const leaseUntil = Number(item?.leaseUntil ?? 0);
    // A claim past its lease (its holder died, or it was planted long ago beside an answer that
    // has since expired) is free to take over; a live one is waited for.
    return { kind: 'held', holder: String(item?.holder ?? ''), leaseUntil, stale: !(leaseUntil > now) };
  }

  /** Takes a dead or expired claim over; false when another waiter was quicker. */
  private async takeOver(id: string, found: Extract<Lookup<unknown>, { kind: 'held' }>, me: string, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id, holder: me, leaseUntil: now + leaseMs, expiration: Math.ceil((now + leaseMs) / 1000) + 60 },
          ConditionExpression: 'attribute_not_exists(id) OR (holder = :holder AND leaseUntil = :lease) OR expiration <= :nowSeconds',
          ExpressionAttributeValues: { ':holder': found.holder, ':lease': found.leaseUntil, ':nowSeconds': Math.floor(now / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw new DependencyUnavailableError('The response cache is unavailable; retry shortly', { retryAfterSeconds: 5, cause: error });
    }
  }

  /** Removes this call's claim (never an answer, never another's claim). */
  private async release(id: string, me: string): Promise<void> {
    await this.doc
      .send(new DeleteCommand({ TableName: this.tableName, Key: { id }, ConditionExpression: 'holder = :me AND attribute_not_exists(body)', ExpressionAttributeValues: { ':me': me } }))
      .catch(() => undefined);
  }

  /** Identical calls in this instance share one promise; `leader` is the call that runs `fn`. */
  join<T>(key: string, fn: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
    const existing = this.inFlight.get(key) as Promise<T> | undefined;
    if (existing) return { promise: existing, leader: false };
    const promise = fn().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return { promise, leader: true };
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new DependencyUnavailableError('The response cache is unavailable; retry shortly', { retryAfterSeconds: 5, cause: error });
    }
  }
}

/** Asks `compute` for the value of a claimed entry: fills the entry with it, or abandons the claim when it fails. */
async function computeInto<T>(entry: { fill(value: T): Promise<unknown>; abandon(): Promise<unknown> }, compute: () => Promise<T>): Promise<T> {
  let value: T;
  try {
    value = await compute();
  } catch (error) {
    await entry.abandon();
    throw error;
  }
  await entry.fill(value);
  return value;
}
