/**
 * Each practice's share of a task's limits: the catalog's default share (`practiceShare`, percent
 * of the task's day and minute, plus a concurrency cap) unless the PracticeOverrides table holds an
 * operator's override for that practice and task (`npm run practices -- set …`).
 *
 * Admission asks {@link DynamoPracticeShares.limitsFor} on every AI request, so the answer is kept
 * per (task, practice) for `maxAgeSeconds` (default 60): a warm function makes no table read per
 * request, and an operator's change takes effect within that age without a redeploy. Past it, the
 * request is answered with what the function has while the read runs beside it, for up to
 * `graceSeconds` more, as secret-store.ts does for keys; only a practice seen for the first time
 * (or not for longer than both) waits for the read.
 *
 * The table is never a reason to refuse a request: when it cannot be read (outage, throttling, a
 * slow answer past `readTimeoutMs`, a malformed item), the last answer stands, or the catalog's
 * defaults when there is none, and one warning is logged per outage, not per request.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV } from './env';
import { PRACTICE_ID_PATTERN } from './identity';
import { TASK_NAMES, type TaskConfig, type TaskName } from './task-config';
import * as z from './zod';

/** What one practice may use of one task (ports.ts names the same shape). */
export interface PracticeShareLimits {
  dailyTokens: number;
  tokensPerMinute: number;
  concurrentRequests: number;
}

/** The structural contract admission depends on. */
export interface PracticeShareSource {
  limitsFor(task: TaskName, practiceId: string): Promise<PracticeShareLimits>;
}

export const DEFAULT_PRACTICE_OVERRIDES_MAX_AGE_SECONDS = 60;
export const DEFAULT_PRACTICE_OVERRIDES_GRACE_SECONDS = 300;
/** After a failed read, the function serves what it has this long before asking again. */
export const PRACTICE_OVERRIDES_OUTAGE_RETRY_MS = 5_000;
/** A read slower than this is treated as an outage: admission must not hang on it. */
export const DEFAULT_PRACTICE_OVERRIDES_READ_TIMEOUT_MS = 3_000;

const limit = z.number().check(z.int(), z.positive(), z.lte(Number.MAX_SAFE_INTEGER));

export const practiceIdSchema = z.string().check(z.regex(PRACTICE_ID_PATTERN, 'must be 1–64 letters, digits, - or _ (as the custom:practiceId claim)'));

/** One item of the PracticeOverrides table. Absolute limits; an absent one keeps the catalog's share. */
export const practiceOverrideItemSchema = z.object({
  practiceId: practiceIdSchema,
  task: z.enum(TASK_NAMES),
  /** Tokens the practice may commit per UTC day on this task. */
  dailyTokens: z.optional(limit),
  /** Tokens the practice may commit per UTC minute on this task. */
  tokensPerMinute: z.optional(limit),
  /** The practice's requests in flight at once on this task. */
  concurrentRequests: z.optional(limit),
  /** Why the override exists (a contract, a trial); never patient data. */
  note: z.optional(z.string().check(z.maxLength(500))),
  updatedAt: z.iso.datetime(),
  /** Who set it (the operator's AWS identity or login name). */
  updatedBy: z.string().check(z.minLength(1), z.maxLength(256)),
  /** Epoch seconds after which the override no longer applies (a trial); DynamoDB's TTL removes it later. */
  expiresAt: z.optional(z.number().check(z.int(), z.positive())),
});
export type PracticeOverrideItem = z.infer<typeof practiceOverrideItemSchema>;

/** The parts of a catalog entry that define its practice share. */
export type PracticeShareTask = Pick<TaskConfig, 'name' | 'dailyTokenBudget' | 'tokensPerMinute' | 'practiceShare'>;

/** The catalog's default share of a task in absolute numbers (never below 1). */
export function defaultPracticeLimits(task: PracticeShareTask): PracticeShareLimits {
  const share = task.practiceShare;
  return {
    dailyTokens: Math.max(1, Math.floor((task.dailyTokenBudget * share.dailyTokensPercent) / 100)),
    tokensPerMinute: Math.max(1, Math.floor((task.tokensPerMinute * share.tokensPerMinutePercent) / 100)),
    concurrentRequests: share.concurrentRequests,
  };
}

/** The default share with the override's fields on top; an expired override is ignored. */
export function effectivePracticeLimits(task: PracticeShareTask, override: PracticeOverrideItem | undefined, nowMs: number): PracticeShareLimits {
  const defaults = defaultPracticeLimits(task);
  if (!override || (override.expiresAt !== undefined && override.expiresAt * 1000 <= nowMs)) return defaults;
  return {
    dailyTokens: override.dailyTokens ?? defaults.dailyTokens,
    tokensPerMinute: override.tokensPerMinute ?? defaults.tokensPerMinute,
    concurrentRequests: override.concurrentRequests ?? defaults.concurrentRequests,
  };
}

export interface PracticeSharesLogger {
  warn(message: string, ...extra: unknown[]): void;
}

export interface DynamoPracticeSharesOptions {
  doc: DynamoDBDocumentClient;
  /** Physical name of the PracticeOverrides table. */
  tableName: string;
  /** The tasks this function may be asked about (a task function: its own; ops: all). */
  tasks: readonly PracticeShareTask[];
  /** @default 60 */
  maxAgeSeconds?: number;
  /** Past the max age, how long an answer is still served while a read runs beside the request. @default 300 */
  graceSeconds?: number;
  /** @default 5000 */
  outageRetryIntervalMs?: number;
  /** @default 3000 */
  readTimeoutMs?: number;
  /** @default a JSON line on stderr */
  logger?: PracticeSharesLogger;
  /** Epoch ms; tests move it. @default Date.now */
  now?: () => number;
}

interface CachedLimits {
  limits: PracticeShareLimits;
  readAt: number;
}

const consoleLogger: PracticeSharesLogger = {
  warn: (message, ...extra) => process.stderr.write(`${JSON.stringify({ level: 'WARN', message, ...(extra[0] as object | undefined) })}\n`),
};

export class DynamoPracticeShares implements PracticeShareSource {
  private readonly tasks: ReadonlyMap<string, PracticeShareTask>;
  private readonly maxAgeMs: number;
  private readonly graceMs: number;
  private readonly outageRetryMs: number;
  private readonly readTimeoutMs: number;
  private readonly logger: PracticeSharesLogger;
  private readonly now: () => number;
  private readonly cache = new Map<string, CachedLimits>();
  /** Reads under way, shared by every request for the same (task, practice). */
  private readonly reading = new Map<string, Promise<PracticeShareLimits>>();
  /** Before this epoch ms, a failing table is not asked again. */
  private quietUntil = 0;
  /** One warning per outage: set by a failed read, cleared by the next good one. */
  private warned = false;

  constructor(private readonly options: DynamoPracticeSharesOptions) {
    this.tasks = new Map(options.tasks.map((t) => [t.name, t]));
    this.maxAgeMs = (options.maxAgeSeconds ?? DEFAULT_PRACTICE_OVERRIDES_MAX_AGE_SECONDS) * 1000;
    this.graceMs = (options.graceSeconds ?? DEFAULT_PRACTICE_OVERRIDES_GRACE_SECONDS) * 1000;
    this.outageRetryMs = options.outageRetryIntervalMs ?? PRACTICE_OVERRIDES_OUTAGE_RETRY_MS;
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_PRACTICE_OVERRIDES_READ_TIMEOUT_MS;
    this.logger = options.logger ?? consoleLogger;
    this.now = options.now ?? Date.now;
  }

  /**
   * What the stack configures: `PRACTICE_OVERRIDES_TABLE`, and `PRACTICE_OVERRIDES_MAX_AGE_SECONDS`
   * when set. Without the table variable every practice gets the catalog's defaults.
   */
  static fromEnvironment(
    tasks: readonly PracticeShareTask[],
    doc: DynamoDBDocumentClient,
    env: NodeJS.ProcessEnv = process.env,
    extra: Pick<DynamoPracticeSharesOptions, 'logger' | 'now'> = {},
  ): PracticeShareSource {
    const tableName = env[ENV.practiceOverridesTable];
    if (!tableName) return new CatalogPracticeShares(tasks);
    const maxAge = env[ENV.practiceOverridesMaxAgeSeconds];
    const maxAgeSeconds = maxAge === undefined || maxAge === '' ? undefined : Number(maxAge);
    if (maxAgeSeconds !== undefined && !(Number.isFinite(maxAgeSeconds) && maxAgeSeconds >= 0)) {
      throw new Error(`environment variable ${ENV.practiceOverridesMaxAgeSeconds} must be a number of seconds, got ${JSON.stringify(maxAge)}`);
    }
    return new DynamoPracticeShares({ doc, tableName, tasks, maxAgeSeconds, ...extra });
  }

  async limitsFor(task: TaskName, practiceId: string): Promise<PracticeShareLimits> {
    const config = this.taskOf(task);
    const key = `${task}#${practiceId}`;
    const cached = this.cache.get(key);
    const now = this.now();
    if (cached) {
      const age = now - cached.readAt;
      if (age < this.maxAgeMs || now < this.quietUntil) return cached.limits;
      if (age < this.maxAgeMs + this.graceMs) {
        void this.refresh(key, config, practiceId);
        return cached.limits;
      }
    } else if (now < this.quietUntil) {
      return defaultPracticeLimits(config);
    }
    return this.refresh(key, config, practiceId);
  }

  private taskOf(task: TaskName): PracticeShareTask {
    const config = this.tasks.get(task);
    // A programming error (the function asked about a task it was not configured with), not a caller's.
    if (!config) throw new Error(`practice shares: task '${task}' is not among this function's tasks (${[...this.tasks.keys()].join(', ')})`);
    return config;
  }

  private refresh(key: string, task: PracticeShareTask, practiceId: string): Promise<PracticeShareLimits> {
    let read = this.reading.get(key);
    if (!read) {
      read = this.read(key, task, practiceId).finally(() => this.reading.delete(key));
      this.reading.set(key, read);
    }
    return read;
  }

  private async read(key: string, task: PracticeShareTask, practiceId: string): Promise<PracticeShareLimits> {
    let item: Record<string, unknown> | undefined;
    try {
      const { Item } = await this.options.doc.send(new GetCommand({ TableName: this.options.tableName, Key: { practiceId, task: task.name } }), {
        abortSignal: AbortSignal.timeout(this.readTimeoutMs),
      });
      item = Item;
    } catch (error) {
      return this.outage(key, task, error);
    }
    const readAt = this.now();
    let override: PracticeOverrideItem | undefined;
    if (item) {
      const parsed = practiceOverrideItemSchema.safeParse(item);
      if (parsed.success) override = parsed.data;
      // An operator's typo must not refuse a practice's requests: the defaults stand until it is fixed.
      else this.logger.warn('practice override item is malformed; using the catalog share', { task: task.name, field: parsed.error.issues[0]?.path.join('.') });
    }
    this.warned = false;
    const limits = effectivePracticeLimits(task, override, readAt);
    this.cache.set(key, { limits, readAt });
    return limits;
  }

  private outage(key: string, task: PracticeShareTask, error: unknown): PracticeShareLimits {
    this.quietUntil = this.now() + this.outageRetryMs;
    if (!this.warned) {
      this.warned = true;
      const e = error as { name?: unknown; code?: unknown } | undefined;
      // Name and code only: an SDK message may quote the table's ARN and the account.
      this.logger.warn('practice overrides cannot be read; admitting with the last known or the catalog shares', {
        table: this.options.tableName,
        error: typeof e?.name === 'string' ? e.name : 'Error',
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      });
    }
    return this.cache.get(key)?.limits ?? defaultPracticeLimits(task);
  }
}

/** The catalog's shares only: where no overrides table is configured. */
export class CatalogPracticeShares implements PracticeShareSource {
  private readonly tasks: ReadonlyMap<string, PracticeShareTask>;

  constructor(tasks: readonly PracticeShareTask[]) {
    this.tasks = new Map(tasks.map((t) => [t.name, t]));
  }

  async limitsFor(task: TaskName): Promise<PracticeShareLimits> {
    const config = this.tasks.get(task);
    if (!config) throw new Error(`practice shares: task '${task}' is not among this function's tasks (${[...this.tasks.keys()].join(', ')})`);
    return defaultPracticeLimits(config);
  }
}
