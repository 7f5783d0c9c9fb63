/**
 * Custom CloudWatch metrics the runtime publishes (Powertools Metrics, EMF) and the alarms and
 * dashboard read. One list, so a renamed metric cannot silently orphan its alarm.
 */
export const METRICS_NAMESPACE = 'SmartDental/AI';
/** Every custom metric carries this dimension with the task name. */
export const TASK_DIMENSION = 'task';
/**
 * Powertools Metrics adds its service name as a dimension to every metric; an alarm must name
 * the same dimensions exactly, or it watches a metric nobody writes.
 */
export const SERVICE_DIMENSION = 'service';

/** The Powertools service name of a task's functions (`POWERTOOLS_SERVICE_NAME`). */
export function serviceNameOf(task: string): string {
  return `smartdental-${task}`;
}

export const METRIC = {
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  /** Provider answered 429 (after which we retried, cooled the key down or fell back). */
  providerThrottles: 'ProviderThrottles',
  fallbacks: 'Fallbacks',
  /** Every provider of the chain failed (5xx, timeouts, circuit open): the caller got a 503. */
  providerFailures: 'ProviderFailures',
  cacheHits: 'CacheHits',
  cacheMisses: 'CacheMisses',
  modelLatency: 'ModelLatency',
  /** Percent of the task's daily token budget used so far today (0–100+). */
  budgetUsedPercent: 'BudgetUsedPercent',
  overBudgetRejections: 'OverBudgetRejections',
  invalidModelOutput: 'InvalidModelOutput',
  /** A paid answer whose usage could not be written to the ledger (returned to the caller anyway). */
  ledgerSettleFailures: 'LedgerSettleFailures',
  /** Identifiers replaced by placeholders before a call to a provider outside the BAA boundary. */
  phiScrubbed: 'PhiScrubbed',
  /** Requests refused (422 PhiNotAllowed) or kept to inside providers by a `block` PHI policy. */
  phiBlocked: 'PhiBlocked',
} as const;
