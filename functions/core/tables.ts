/**
 * Key schemas of the DynamoDB tables. The stack creates the tables from these, the local runtime
 * creates the same tables in dynalite, and the adapters read and write by these names.
 */
export interface TableDefinition {
  /** Logical name; the physical name comes from the stack (or the local runtime) via env. */
  logicalName: 'UsageLedger' | 'ImagingJobs' | 'ResponseCache' | 'PracticeOverrides';
  partitionKey: string;
  sortKey?: string;
  /** Attribute holding the expiry time in epoch seconds. */
  ttlAttribute: string;
  /** Global secondary indexes; string keys, only the keys projected (KEYS_ONLY). */
  indexes?: readonly KeysOnlyIndex[];
}

export interface KeysOnlyIndex {
  indexName: string;
  partitionKey: string;
  sortKey?: string;
}

/**
 * The usage ledger's index keyed the other way round (`sk`, then `pk`): the per-practice report finds
 * which practices have a `DAY#<day>#TASK#<task>` item by a Query instead of a Scan. Keys only, so an
 * ADD to a counter of an existing item writes nothing to it; only a new item adds an index entry
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.Writes).
 */
export const USAGE_BY_SORT_KEY_INDEX: KeysOnlyIndex = { indexName: 'bySortKey', partitionKey: 'sk', sortKey: 'pk' };

/**
 * Usage ledger: `pk = KEY#<fingerprint>` or `TASK#<task>`, `sk = DAY#2026-11-26` or
 * `MIN#2026-11-26T14:03`; minute items expire after a day.
 */
export const USAGE_TABLE: TableDefinition = { logicalName: 'UsageLedger', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt', indexes: [USAGE_BY_SORT_KEY_INDEX] };

/** Imaging jobs: `pk = JOB#<jobId>`; finished jobs expire after the retention period. Per-practice in-flight pixels: `pk = INFLIGHT#<practiceId>`. */
export const JOBS_TABLE: TableDefinition = { logicalName: 'ImagingJobs', partitionKey: 'pk', ttlAttribute: 'expiresAt' };

/**
 * Response cache and Powertools idempotency records share one table; the attribute names are
 * Powertools' defaults (`id`, `expiration`). Cache ids start with `CACHE#<practiceId>#`.
 */
export const CACHE_TABLE: TableDefinition = { logicalName: 'ResponseCache', partitionKey: 'id', ttlAttribute: 'expiration' };

/**
 * Per-practice overrides of a task's practice share (functions/core/practice-overrides.ts):
 * `practiceId`, `task`, absolute limits. Written by operators (`npm run practices`), read by the
 * functions that admit AI requests. An override for a trial may expire (`expiresAt`, epoch seconds).
 */
export const PRACTICE_OVERRIDES_TABLE: TableDefinition = { logicalName: 'PracticeOverrides', partitionKey: 'practiceId', sortKey: 'task', ttlAttribute: 'expiresAt' };

export const TABLES = [USAGE_TABLE, JOBS_TABLE, CACHE_TABLE, PRACTICE_OVERRIDES_TABLE] as const;
