/**
 * Request and response schemas of the operations routes (`/health`, `/v1/usage`). The usage
 * report schema mirrors `UsageReport` in functions/core/usage-report.ts; a test parses a real
 * report with it, so the two cannot drift apart.
 */
import * as z from '#core/zod';

export const healthResponseSchema = z
  .object({
    status: z.literal('ok'),
    tasks: z.array(z.string()).describe('The AI tasks this deployment serves'),
  })
  .strict()
  .meta({ id: 'Health', description: 'The gateway is up; no authentication needed' });

/** Longest period the report covers: the day items go back further, but a month answers the question. */
export const USAGE_MAX_DAYS = 31;

/** How the usage report groups its rows. */
export const USAGE_GROUPINGS = ['task', 'practice'] as const;

export const usageQuerySchema = z
  .object({
    since: z
      .string()
      .regex(/^[1-9]\d{0,5}[mhd]$/, 'must be a duration such as 90m, 24h or 7d')
      .optional()
      .describe(`How far back the report reaches: minutes (m), hours (h) or days (d), up to ${USAGE_MAX_DAYS}d. Default 24h`),
    days: z
      .string()
      .regex(/^\d{1,3}$/, `must be a whole number of days from 1 to ${USAGE_MAX_DAYS}`)
      .optional()
      .describe(`The last N days (1–${USAGE_MAX_DAYS}); use either since or days`),
    by: z
      .enum(USAGE_GROUPINGS, { error: `must be one of ${USAGE_GROUPINGS.join(', ')}` })
      .optional()
      .describe('task (default): per AI task and per provider key; practice: the chargeback report, per practice and task against its share (whole UTC days)'),
  })
  .strict();

const percent = z.number().nonnegative();
const count = z.number().int().nonnegative();
const latency = z.number().int().nonnegative().nullable();

const usageTotalsShape = {
  requests: count,
  inputTokens: count,
  outputTokens: count,
  cachedTokens: count,
  costMicroUsd: count.describe('Cost in micro-dollars (1,000,000 = 1 USD)'),
  errors: count,
  providerThrottles: count.describe('429 answers from the model provider'),
  lambdaThrottles: count.describe('Requests refused because the task was at its concurrency limit (see sources.lambdaThrottles)'),
  cacheHits: count,
  cacheMisses: count,
  fallbacks: count,
  cacheHitRate: z.number().min(0).max(1).nullable().describe('null when the cache was never asked'),
  p50LatencyMs: latency.describe('Upper bound of the latency histogram bucket; null without requests'),
  p95LatencyMs: latency,
};

export const taskUsageRowSchema = z
  .object({
    task: z.string(),
    ...usageTotalsShape,
    dailyTokenBudget: count,
    budgetUsedPercent: percent.describe("Tokens committed today (UTC) against the task's daily budget"),
    tokensPerMinuteCeiling: count,
    peakTokensPerMinute: count,
    peakTpmPercent: percent,
    timeoutPercent: percent.describe('p95 latency against the function timeout'),
    pressurePercent: percent.describe('What the rows are sorted by: the largest of the three percentages, at least 100 when throttled'),
  })
  .strict()
  .meta({ id: 'TaskUsage' });

export const keyUsageRowSchema = z
  .object({
    keyFingerprint: z.string().describe('Hash prefix of the provider key; never the key'),
    tasks: z.array(z.string()),
    ...usageTotalsShape,
  })
  .strict()
  .meta({ id: 'KeyUsage' });

export const pressureSummarySchema = z
  .object({
    task: z.string().nullable().describe('null when no task saw any traffic or pressure in the period'),
    reason: z.string(),
  })
  .strict()
  .meta({ id: 'PressureSummary', description: 'Which AI task runs closest to its limits, and why' });

export const usageSourcesSchema = z
  .object({
    lambdaThrottles: z
      .enum(['cloudwatch', 'ledger'])
      .describe("Where the task rows' lambdaThrottles came from: CloudWatch's Throttles of the task's functions (deployed), or what the local runtime counted in the usage ledger"),
    api: z.enum(['cloudwatch', 'none']).describe('Where the api figures came from; none where CloudWatch is not read (npm start) or could not be read'),
    cloudWatchError: z
      .string()
      .optional()
      .describe("Set when CloudWatch was asked and could not be read (e.g. AccessDenied): lambdaThrottles are then the ledger's, which in AWS never sees a throttled invoke"),
  })
  .strict()
  .meta({ id: 'UsageSources', description: 'Which source each figure came from; every column not named here is the usage ledger’s' });

export const apiGatewayCountsSchema = z
  .object({
    requests: count,
    clientErrors: count.describe("4XX answers, API Gateway's own (throttling 429, authorizer, validation) included"),
    serverErrors: count.describe('5XX answers, integration timeouts included'),
    p95LatencyMs: latency.describe("p95 of API Gateway's Latency over the period; null without requests"),
  })
  .strict()
  .meta({ id: 'ApiGatewayUsage', description: "The REST API stage's own counts (AWS/ApiGateway), including requests that never reached a function" });

export const usageReportSchema = z
  .object({
    since: z.iso.datetime(),
    until: z.iso.datetime(),
    resolution: z.enum(['minute', 'day']).describe('minute: summed from minute items (periods up to 25 h); day: whole UTC days'),
    sources: usageSourcesSchema,
    api: apiGatewayCountsSchema.nullable().describe('null where CloudWatch is not read (npm start) or could not be read'),
    underMostPressure: pressureSummarySchema,
    tasks: z.array(taskUsageRowSchema).describe('Closest to its limits or slowest first'),
    keys: z.array(keyUsageRowSchema).describe('Throttled, then slowest, then busiest first'),
  })
  .strict()
  .meta({ id: 'UsageReport', description: 'Usage per AI task and per provider key for a period' });

const practiceCountersShape = {
  requests: count,
  inputTokens: count,
  outputTokens: count,
  costMicroUsd: count.describe('Cost in micro-dollars (1,000,000 = 1 USD)'),
  cacheHits: count,
  shareRefusals: count.describe('Requests refused with 429 PracticeOverShare (the practice hit its share)'),
  budgetRefusals: count.describe("Requests refused with 429 OverBudget (the task's own limit)"),
};

export const practiceShareLimitsSchema = z
  .object({ dailyTokens: count, tokensPerMinute: count, concurrentRequests: count })
  .strict()
  .meta({ id: 'PracticeShareLimits', description: "What one practice may use of one task: the catalog share, or an operator's override" });

export const practiceTaskUsageRowSchema = z
  .object({
    task: z.string(),
    ...practiceCountersShape,
    peakDayTokens: count.describe("Input + output tokens of the practice's busiest UTC day on this task in the period"),
    share: practiceShareLimitsSchema,
    shareSource: z.enum(['catalog', 'override']),
    peakDayPercent: percent.describe('peakDayTokens against share.dailyTokens'),
    pressurePercent: percent.describe('What the rows are sorted by: peakDayPercent, at least 100 when the share refused a request'),
  })
  .strict()
  .meta({ id: 'PracticeTaskUsage' });

export const practiceUsageRowSchema = z
  .object({
    practiceId: z.string(),
    ...practiceCountersShape,
    pressurePercent: percent.describe('The highest pressure of its tasks'),
    tasks: z.array(practiceTaskUsageRowSchema).describe('Under most pressure first'),
  })
  .strict()
  .meta({ id: 'PracticeUsage' });

export const practiceUsageReportSchema = z
  .object({
    since: z.iso.datetime(),
    until: z.iso.datetime(),
    resolution: z.literal('day').describe('Practice items are per UTC day: the period is widened to whole days'),
    days: z.object({ from: z.iso.date(), to: z.iso.date() }).strict(),
    practices: z.array(practiceUsageRowSchema).describe('Under most pressure first, then by cost'),
  })
  .strict()
  .meta({ id: 'PracticeUsageReport', description: "Chargeback: each practice's AI spend per task for a period, and how close it runs to its shares (by=practice)" });

export type HealthResponse = z.infer<typeof healthResponseSchema>;
export type UsageQuery = z.infer<typeof usageQuerySchema>;
export type PressureSummary = z.infer<typeof pressureSummarySchema>;
export type UsageReportResponse = z.infer<typeof usageReportSchema>;
export type PracticeUsageReportResponse = z.infer<typeof practiceUsageReportSchema>;
