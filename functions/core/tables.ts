/**
 * Key schemas of the DynamoDB tables. The stack creates the tables from these, the local runtime
 * creates the same tables in dynalite, and the adapters read and write by these names.
 */
export interface TableDefinition {
  /** Logical name; the physical name comes from the stack (or the local runtime) via env. */
  logicalName: 'UsageLedger' | 'ImagingJobs' | 'ResponseCache';
  partitionKey: string;
  sortKey?: string;
  /** Attribute holding the expiry time in epoch seconds. */
  ttlAttribute: string;
}

/**
 * Usage ledger: `pk = KEY#<fingerprint>` or `TASK#<task>`, `sk = DAY#2026-11-26` or
 * `MIN#2026-11-26T14:03`; minute items expire after a day.
 */
export const USAGE_TABLE: TableDefinition = { logicalName: 'UsageLedger', partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' };

/** Imaging jobs: `pk = JOB#<jobId>`; finished jobs expire after the retention period. Per-practice in-flight pixels: `pk = INFLIGHT#<practiceId>`. */
export const JOBS_TABLE: TableDefinition = { logicalName: 'ImagingJobs', partitionKey: 'pk', ttlAttribute: 'expiresAt' };

/**
 * Response cache and Powertools idempotency records share one table; the attribute names are
 * Powertools' defaults (`id`, `expiration`). Cache ids start with `CACHE#<practiceId>#`.
 */
export const CACHE_TABLE: TableDefinition = { logicalName: 'ResponseCache', partitionKey: 'id', ttlAttribute: 'expiration' };

export const TABLES = [USAGE_TABLE, JOBS_TABLE, CACHE_TABLE] as const;
