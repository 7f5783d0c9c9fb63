/**
 * The small interfaces through which `functions/core/` talks to AWS. The AWS adapters use the
 * official SDK clients; `npm start` plugs in its stand-ins where the SDK cannot be pointed at a
 * local endpoint. DynamoDB is never faked: locally the same adapter talks to dynalite.
 */
import type { TaskName } from './task-config';

// ---------------------------------------------------------------- keys

/** One provider key of a task. The raw key lives only in memory; everything else uses the fingerprint. */
export interface ProviderKey {
  /** Entry of the secret it came from (`openai`, `anthropic`, `openai-compatible`, or a custom keyName). */
  name: string;
  apiKey: string;
  /** `k_` + the first 12 hex characters of SHA-256(apiKey): safe to log, store and show. */
  fingerprint: string;
}

/**
 * A task's secret, parsed. The secret string is JSON mapping an entry name to one key or a list
 * of keys, e.g. `{"openai": ["sk-a…", "sk-b…"], "anthropic": "sk-ant-…"}`.
 */
export type TaskKeys = Record<string, ProviderKey[]>;

export interface SecretStore {
  /** The task's keys; cached for the configured max age, so a warm function rarely calls out. */
  getKeys(): Promise<TaskKeys>;
}

// ---------------------------------------------------------------- usage ledger

/**
 * A practice's share of one task's limits. `Infinity` means no limit of that kind (nothing is
 * tracked for it on the admission item).
 */
export interface PracticeShareLimits {
  dailyTokens: number;
  tokensPerMinute: number;
  concurrentRequests: number;
}

/** Where a practice's shares come from (catalog defaults, per-practice overrides). */
export interface PracticeLimitsSource {
  limitsFor(task: TaskName, practiceId: string): Promise<PracticeShareLimits>;
}

/** No practice shares at all: every practice may use the whole task (the default until shares are configured). */
export const unlimitedPracticeLimits: PracticeLimitsSource = {
  limitsFor: async () => ({ dailyTokens: Number.POSITIVE_INFINITY, tokensPerMinute: Number.POSITIVE_INFINITY, concurrentRequests: Number.POSITIVE_INFINITY }),
};

/** Which of a practice's shares a reservation holds (only the finite ones are tracked). */
export interface PracticeHold {
  practiceId: string;
  dailyTokens: boolean;
  tokensPerMinute: boolean;
  concurrentRequests: boolean;
}

/** Tokens set aside against a task's budget and TPM ceiling before a model call. */
export interface Reservation {
  task: TaskName;
  tokens: number;
  /** Epoch milliseconds when the reservation was made (selects the day and minute items). */
  at: number;
  /** The practice the call is for; its chargeback row and, where limited, its shares. */
  practice?: PracticeHold;
}

export interface ActualUsage {
  keyFingerprint: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costMicroUsd: number;
  latencyMs: number;
}

/** Counters that are not token usage; every field is an increment. */
export interface UsageEvent {
  errors?: number;
  providerThrottles?: number;
  lambdaThrottles?: number;
  cacheHits?: number;
  cacheMisses?: number;
  fallbacks?: number;
}

export interface ReserveInput {
  task: TaskName;
  tokens: number;
  dailyTokenBudget: number;
  tokensPerMinute: number;
  now?: number;
  /** With `practiceLimits`, the practice's shares are checked in the same conditional update. */
  practiceId?: string;
  practiceLimits?: PracticeShareLimits;
}

export interface UsageLedger {
  /**
   * Reserves tokens against the task's daily budget and TPM ceiling and the practice's shares, in
   * one conditional update; throws OverBudgetError (the task's limit) or PracticeOverShareError.
   */
  reserve(input: ReserveInput): Promise<Reservation>;
  /**
   * Writes what lets a reservation of a call that gets killed be found and given back later. Sent
   * beside the model call, never in front of it; settle and release wait for it.
   */
  hold(reservation: Reservation): void;
  /** Replaces the reservation with what the provider reported, on the key and the task items; `counters` ride along. */
  settle(reservation: Reservation, usage: ActualUsage, counters?: UsageEvent): Promise<void>;
  /** Gives back a reservation whose call produced no usage; `counters` ride along in the same writes. */
  release(reservation: Reservation, counters?: UsageEvent): Promise<void>;
  /** Adds counters to the task items and, when a key is named, to that key's items; cache hits also to the practice's row. */
  record(task: TaskName, event: UsageEvent, keyFingerprint?: string, now?: number, practiceId?: string): Promise<void>;
  /** Counts a refused request on the practice's chargeback row. */
  recordRefusal(task: TaskName, practiceId: string, kind: 'share' | 'budget', now?: number): Promise<void>;
}

// ---------------------------------------------------------------- imaging

export type ImagingJobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ImagingJob {
  jobId: string;
  practiceId: string;
  status: ImagingJobStatus;
  modality: string;
  /** Object-store key of the normalised image. */
  imageKey: string;
  createdAt: string;
  updatedAt: string;
  attempts: number;
  /** Decoded pixels (width × height from the header), held against the practice's in-flight budget until the job ends. */
  pixels?: number;
  result?: unknown;
  error?: { code: string; message: string };
}

/** How much imaging work one practice may have queued or running at once. */
export interface InflightBudget {
  /** Sum of width × height over the practice's unfinished jobs. */
  maxPixels: number;
  /** Unfinished jobs, whatever their size. */
  maxJobs: number;
}

export type PixelReservation =
  | { reserved: true }
  /** Over the budget: what the practice has in flight now. */
  | { reserved: false; inFlightPixels: number; inFlightJobs: number };

/** A worker's hold on a running job: only its holder may finish or release the job until `until`. */
export interface JobLease {
  /** Unique per claim (not per message: two copies of one message get two ids). */
  id: string;
  /** Epoch ms after which another delivery may take the job over (the holder is dead by then). */
  until: number;
  /**
   * Taken on the message's last delivery: if the holder dies, no delivery will come to take over,
   * so the job is failed once its lease has run out.
   */
  lastDelivery?: boolean;
}

export type JobClaim =
  /** This worker holds the job; `attempts` counts this claim. */
  | { outcome: 'claimed'; attempts: number }
  /** Another worker's lease is still live: try again later. */
  | { outcome: 'held'; until: number }
  | { outcome: 'final' }
  | { outcome: 'missing' };

export interface JobStore {
  create(job: ImagingJob): Promise<void>;
  /**
   * The job when it exists and belongs to the practice; undefined otherwise. A job whose worker
   * died on the last delivery reads (and from then on is) failed.
   */
  get(jobId: string, practiceId: string): Promise<ImagingJob | undefined>;
  /** queued, or running under an expired lease → running under `lease`; one winner among racing claims. */
  claim(jobId: string, lease: JobLease, now: number): Promise<JobClaim>;
  /** running under `leaseId` → queued (waiting for a redelivery or a delayed re-send); false otherwise. */
  release(jobId: string, leaseId: string, now: number): Promise<boolean>;
  /**
   * Final transitions happen once. With `leaseId`: only while that lease holds the job. Without:
   * only while no live lease holds it. false when the job was already final or held by another.
   */
  succeed(jobId: string, result: unknown, now: number, leaseId?: string): Promise<boolean>;
  fail(jobId: string, error: { code: string; message: string }, now: number, leaseId?: string): Promise<boolean>;
  /**
   * Holds `pixels` for the job against its practice's in-flight budget, atomically: concurrent
   * submissions can never together pass it. A job's final transition gives them back.
   */
  reservePixels(practiceId: string, jobId: string, pixels: number, budget: InflightBudget, now: number): Promise<PixelReservation>;
  /** Gives back a reservation (a job that was never created); once only, later calls are no-ops. */
  releasePixels(practiceId: string, jobId: string, pixels: number): Promise<boolean>;
}

export interface ImagingJobMessage {
  jobId: string;
  practiceId: string;
}

export interface JobQueue {
  send(message: ImagingJobMessage, delaySeconds?: number): Promise<void>;
}

export interface ObjectStore {
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
  /**
   * A browser upload of exactly `key` as `contentType`, 1..`maxBytes` bytes, for
   * `expiresInSeconds`: POST multipart/form-data to `url` with every one of `fields`, then the file.
   */
  presignPost(key: string, contentType: string, maxBytes: number, expiresInSeconds: number): Promise<PresignedPost>;
}

/** A presigned POST: the form's action and the signed fields the form must carry before the file. */
export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}
