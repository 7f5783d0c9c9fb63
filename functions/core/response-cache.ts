/**
 * Cached model answers in DynamoDB, plus in-flight dedup inside one function instance.
 *
 * An entry's id is `CACHE#<practiceId>#<task>#<model or chain id>#<sha256 of the input>`, the
 * input being the request as normalised JSON (object keys sorted), so the same question from the
 * same practice to the same task and model finds the same entry, and another practice can never
 * reach it: its id starts with a different practice. Entries carry `expiration` (epoch seconds,
 * the table's TTL attribute); TTL deletion is lazy, so reads ignore expired entries themselves.
 *
 * The cache stores exactly the value the caller hands it: the model's validated answer. It never
 * adds keys or identifiers, and the input is stored only as its hash.
 */
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
   * The cached answer, else the answer of an identical call already in flight, else `compute()`'s
   * answer, stored for `ttlSeconds`. Only a `computed` answer cost tokens. A failed cache write
   * does not fail the request: the answer is already paid for.
   */
  async readThrough<T>(scope: CacheScope, input: unknown, ttlSeconds: number, compute: () => Promise<T>): Promise<{ value: T; source: CacheSource }> {
    const { promise, leader } = this.join(cacheKey(scope, input), async (): Promise<{ value: T; source: CacheSource }> => {
      const cached = await this.get<T>(scope, input);
      if (cached !== undefined) return { value: cached, source: 'cache' };
      const value = await compute();
      await this.put(scope, input, value, ttlSeconds).catch(() => false);
      return { value, source: 'computed' };
    });
    const answer = await promise;
    return leader || answer.source === 'cache' ? answer : { value: answer.value, source: 'in-flight' };
  }

  private join<T>(key: string, fn: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
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
