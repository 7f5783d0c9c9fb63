/**
 * `Idempotency-Key` support for routes that create something (a claim estimate, an imaging job):
 * Powertools Idempotency with its DynamoDB store on the response-cache table.
 *
 * The record id hashes the practice, the route and the caller's key together, so two practices
 * (or two routes) sending the same key never meet; the request body is hashed separately as the
 * payload-validation hash, so the same key with a different body is a 422 instead of a replay.
 * Powertools deletes the in-progress record when the route throws, so a failed attempt stores
 * nothing and the retry runs again. The table holds neither the key, the practice id nor the
 * body in clear: only their hashes and the answer that will be replayed.
 */
import { Readable } from 'node:stream';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyInconsistentStateError,
  IdempotencyPersistenceLayerError,
  IdempotencyUnknownError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { BadRequestError, DependencyUnavailableError, IdempotencyConflictError, IdempotencyInProgressError } from './errors';
import { DEADLINE_MARGIN_MS, type RouteResult } from './http';

/** Lower-cased, as {@link RouteContext.headers} holds it. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set on an answer that is a replay of the first one (the name Stripe's API uses). */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
/** Every idempotency record id starts with this; response-cache ids start with `CACHE#`. */
export const IDEMPOTENCY_RECORD_PREFIX = 'IDEMPOTENCY';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_\-:.]{1,128}$/;
/** A caller waiting on an in-progress first attempt polls at least this often. */
const MAX_RETRY_AFTER_SECONDS = 5;

export interface RouteIdempotencyOptions {
  /** The response-cache table (`CACHE_TABLE`: partition key `id`, TTL `expiration`). */
  tableName: string;
  /** Sends Powertools' low-level item commands; pass `documentClient()` so the endpoint env applies. */
  doc: DynamoDBDocumentClient | DynamoDBClient;
  /** How long a key replays its first answer. @default 3600 */
  expiresAfterSeconds?: number;
}

export interface IdempotentRequest {
  /** The raw `Idempotency-Key` header (`ctx.headers['idempotency-key']`); absent: no idempotency. */
  key: string | undefined;
  /** `ctx.identity.practiceId`: the isolation boundary. */
  practiceId: string;
  /** e.g. `POST /v1/billing/claims`; the same key on another route is another request. */
  route: string;
  /** The parsed, validated body; a retry must send the same one (key order does not matter). */
  body: unknown;
  /** `ctx.deadline` (epoch ms); after the Lambda timeout that follows it, a retry may take over. */
  deadline: number;
}

/** What the table keeps: the body as JSON text, so the replay is exactly what was first sent. */
interface StoredRouteResult {
  statusCode: number;
  headers: Record<string, string>;
  bodyJson: string;
}

interface HashedRequest {
  practiceId: string;
  route: string;
  key: string;
  body: unknown;
}

/** Validates the header value; undefined when the caller sent none. */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(raw)) {
    throw new BadRequestError('The Idempotency-Key header must be 1 to 128 characters of letters, digits, and _ - : .');
  }
  return raw;
}

export class RouteIdempotency {
  private readonly persistenceStore: DynamoDBPersistenceLayer;
  private readonly expiresAfterSeconds: number;

  constructor(options: RouteIdempotencyOptions) {
    this.expiresAfterSeconds = options.expiresAfterSeconds ?? 3600;
    this.persistenceStore = new DynamoDBPersistenceLayer({ tableName: options.tableName, awsSdkV3Client: options.doc as DynamoDBClient });
  }

  /**
   * Runs `produce` once per (practice, route, key) and replays its answer to every retry within
   * the expiry. Without a key, simply runs `produce`. Throws {@link BadRequestError} for a
   * malformed key, {@link IdempotencyConflictError} when the key was used with another body,
   * {@link IdempotencyInProgressError} while the first attempt is still running, and whatever
   * `produce` throws (in which case nothing is stored).
   */
  async run(request: IdempotentRequest, produce: () => Promise<RouteResult>): Promise<RouteResult> {
    const key = parseIdempotencyKey(request.key);
    if (key === undefined) return produce();

    let produced: StoredRouteResult | undefined;
    const produceOnce = makeIdempotent(
      async (_request: HashedRequest): Promise<StoredRouteResult> => {
        produced = toStored(await produce());
        return produced;
      },
      {
        persistenceStore: this.persistenceStore,
        // A fixed prefix: Powertools re-applies it on every call to the shared store, so a
        // per-practice prefix would race between concurrent requests; the practice is in the hash.
        keyPrefix: IDEMPOTENCY_RECORD_PREFIX,
        config: new IdempotencyConfig({
          eventKeyJmesPath: '[practiceId, route, key]',
          payloadValidationJmesPath: 'body',
          hashFunction: 'sha256',
          expiresAfterSeconds: this.expiresAfterSeconds,
          throwOnNoIdempotencyKey: true,
          // Only the remaining time is read: it sets when a crashed first attempt stops blocking.
          lambdaContext: { getRemainingTimeInMillis: () => Math.max(1, request.deadline + DEADLINE_MARGIN_MS - Date.now()) } as Partial<Context> as Context,
        }),
      },
    );

    try {
      const stored = await produceOnce({ practiceId: request.practiceId, route: request.route, key, body: request.body ?? null });
      return fromStored(stored, produced === undefined);
    } catch (error) {
      // The work is done (a job queued, a claim priced) but its answer could not be stored: answer
      // anyway rather than invite a retry; the record stays in progress until the deadline passes.
      if (produced !== undefined && error instanceof IdempotencyPersistenceLayerError) return fromStored(produced, false);
      throw toGatewayError(error);
    }
  }
}

function toStored(result: RouteResult): StoredRouteResult {
  if (result.body instanceof Readable) throw new Error('An idempotent route cannot answer with a stream');
  return { statusCode: result.statusCode ?? 200, headers: result.headers ?? {}, bodyJson: JSON.stringify(result.body ?? null) };
}

function fromStored(stored: StoredRouteResult, replayed: boolean): RouteResult {
  const headers = replayed ? { ...stored.headers, [IDEMPOTENT_REPLAYED_HEADER]: 'true' } : stored.headers;
  return { statusCode: stored.statusCode, headers, body: JSON.parse(stored.bodyJson) as unknown };
}

/** Maps Powertools' errors to ours; an error thrown by `produce` itself passes through. */
function toGatewayError(error: unknown): unknown {
  if (error instanceof IdempotencyValidationError) {
    return new IdempotencyConflictError('This Idempotency-Key was already used with a different request body; send a new key for a new request');
  }
  if (error instanceof IdempotencyAlreadyInProgressError || error instanceof IdempotencyInconsistentStateError) {
    const until = error instanceof IdempotencyAlreadyInProgressError ? error.existingRecord?.inProgressExpiryTimestamp : undefined;
    const retryAfterSeconds = until === undefined ? 1 : Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((until - Date.now()) / 1000)));
    return new IdempotencyInProgressError('A request with this Idempotency-Key is still being processed; retry shortly to receive its answer', { retryAfterSeconds });
  }
  if (error instanceof IdempotencyUnknownError) {
    return new DependencyUnavailableError('The idempotency store is unavailable; retry with the same Idempotency-Key', { retryAfterSeconds: 1, cause: error });
  }
  return error;
}
