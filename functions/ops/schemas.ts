/**
 * Request and response schemas of the operations routes (`/health`, `/v1/usage`). The usage
 * report schema mirrors `UsageReport` in functions/core/usage-report.ts; a test parses a real
 * report with it, so the two cannot drift apart.
 */
import * as z from '#core/zod';

export const healthResponseSchema = z.strictObject({
  status: z.literal('ok'),
  tasks: z.array(z.string()).check(z.describe('The AI tasks this deployment serves')),
}).check(z.meta({ id: 'Health', description: 'The gateway is up; no authentication needed' }));

/** Longest period the report covers: the day items go back further, but a month answers the question. */
export const USAGE_MAX_DAYS = 31;

/** How the usage report groups its rows. */
export const USAGE_GROUPINGS = ['task', 'practice'] as const;

export const usageQuerySchema = z.strictObject({
  since: z.optional(z.string().check(z.regex(/^[1-9]\d{0,5}[mhd]$/, 'must be a duration such as 90m, 24h or 7d'))).check(z.describe(`How far back the report reaches: minutes (m), hours (h) or days (d), up to ${USAGE_MAX_DAYS}d. Default 24h`)),
  days: z.optional(z.string().check(z.regex(/^\d{1,3}$/, `must be a whole number of days from 1 to ${USAGE_MAX_DAYS}`))).check(z.describe(`The last N days (1–${USAGE_MAX_DAYS}); use either since or days`)),
  by: z
    .optional(z.enum(USAGE_GROUPINGS, { error: `must be one of ${USAGE_GROUPINGS.join(', ')}` }))
    .check(z.describe('task (default): per AI task and per provider key; practice: the chargeback report, per practice and task against its share (whole UTC days)')),
});

const percent = z.number().check(z.nonnegative());
const count = z.number().check(z.int(), z.nonnegative());
const latency = z.nullable(z.number().check(z.int(), z.nonnegative()));

const usageTotalsShape = {
  requests: count,
  inputTokens: count,
  outputTokens: count,
  cachedTokens: count,
  costMicroUsd: count.check(z.describe('Cost in micro-dollars (1,000,000 = 1 USD)')),
  errors: count,
  providerThrottles: count.check(z.describe('429 answers from the model provider')),
  lambdaThrottles: count.check(z.describe('Requests refused because the task was at its concurrency limit (see sources.lambdaThrottles)')),
  cacheHits: count,
  cacheMisses: count,
  fallbacks: count,
  cacheHitRate: z.nullable(z.number().check(z.gte(0), z.lte(1))).check(z.describe('null when the cache was never asked')),
  p50LatencyMs: latency.check(z.describe('Upper bound of the latency histogram bucket; null without requests')),
  p95LatencyMs: latency,
};

export const taskUsageRowSchema = z.strictObject({
  task: z.string(),
  ...usageTotalsShape,
  dailyTokenBudget: count,
  budgetUsedPercent: percent.check(z.describe("Tokens committed today (UTC) against the task's daily budget")),
  tokensPerMinuteCeiling: count,
  peakTokensPerMinute: count,
  peakTpmPercent: percent,
  timeoutPercent: percent.check(z.describe('p95 latency against the function timeout')),
  pressurePercent: percent.check(z.describe('What the rows are sorted by: the largest of the three percentages, at least 100 when throttled')),
}).check(z.meta({ id: 'TaskUsage' }));

export const keyUsageRowSchema = z.strictObject({
  keyFingerprint: z.string().check(z.describe('Hash prefix of the provider key; never the key')),
  tasks: z.array(z.string()),
  ...usageTotalsShape,
}).check(z.meta({ id: 'KeyUsage' }));

export const pressureSummarySchema = z.strictObject({
  task: z.nullable(z.string()).check(z.describe('null when no task saw any traffic or pressure in the period')),
  reason: z.string(),
}).check(z.meta({ id: 'PressureSummary', description: 'Which AI task runs closest to its limits, and why' }));

export const usageSourcesSchema = z.strictObject({
  lambdaThrottles: z.enum(['cloudwatch', 'ledger']).check(z.describe("Where the task rows' lambdaThrottles came from: CloudWatch's Throttles of the task's functions (deployed), or what the local runtime counted in the usage ledger")),
  api: z.enum(['cloudwatch', 'none']).check(z.describe('Where the api figures came from; none where CloudWatch is not read (npm start) or could not be read')),
  cloudWatchError: z.optional(z.string()).check(z.describe("Set when CloudWatch was asked and could not be read (e.g. AccessDenied): lambdaThrottles are then the ledger's, which in AWS never sees a throttled invoke")),
}).check(z.meta({ id: 'UsageSources', description: 'Which source each figure came from; every column not named here is the usage ledger’s' }));

export const apiGatewayCountsSchema = z.strictObject({
  requests: count,
  clientErrors: count.check(z.describe("4XX answers, API Gateway's own (throttling 429, authorizer, validation) included")),
  serverErrors: count.check(z.describe('5XX answers, integration timeouts included')),
  p95LatencyMs: latency.check(z.describe("p95 of API Gateway's Latency over the period; null without requests")),
}).check(z.meta({ id: 'ApiGatewayUsage', description: "The REST API stage's own counts (AWS/ApiGateway), including requests that never reached a function" }));

export const usageReportSchema = z.strictObject({
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  resolution: z.enum(['minute', 'day']).check(z.describe('minute: summed from minute items (periods up to 25 h); day: whole UTC days')),
  sources: usageSourcesSchema,
  api: z.nullable(apiGatewayCountsSchema).check(z.describe('null where CloudWatch is not read (npm start) or could not be read')),
  underMostPressure: pressureSummarySchema,
  tasks: z.array(taskUsageRowSchema).check(z.describe('Closest to its limits or slowest first')),
  keys: z.array(keyUsageRowSchema).check(z.describe('Throttled, then slowest, then busiest first')),
}).check(z.meta({ id: 'UsageReport', description: 'Usage per AI task and per provider key for a period' }));

const practiceCountersShape = {
  requests: count,
  inputTokens: count,
  outputTokens: count,
  costMicroUsd: count.check(z.describe('Cost in micro-dollars (1,000,000 = 1 USD)')),
  cacheHits: count,
  shareRefusals: count.check(z.describe('Requests refused with 429 PracticeOverShare (the practice hit its share)')),
  budgetRefusals: count.check(z.describe("Requests refused with 429 OverBudget (the task's own limit)")),
};

export const practiceShareLimitsSchema = z
  .strictObject({ dailyTokens: count, tokensPerMinute: count, concurrentRequests: count })
  .check(z.meta({ id: 'PracticeShareLimits', description: "What one practice may use of one task: the catalog share, or an operator's override" }));

export const practiceTaskUsageRowSchema = z.strictObject({
  task: z.string(),
  ...practiceCountersShape,
  peakDayTokens: count.check(z.describe("Input + output tokens of the practice's busiest UTC day on this task in the period")),
  share: practiceShareLimitsSchema,
  shareSource: z.enum(['catalog', 'override']),
  peakDayPercent: percent.check(z.describe('peakDayTokens against share.dailyTokens')),
  pressurePercent: percent.check(z.describe('What the rows are sorted by: peakDayPercent, at least 100 when the share refused a request')),
}).check(z.meta({ id: 'PracticeTaskUsage' }));

export const practiceUsageRowSchema = z.strictObject({
  practiceId: z.string(),
  ...practiceCountersShape,
  pressurePercent: percent.check(z.describe('The highest pressure of its tasks')),
  tasks: z.array(practiceTaskUsageRowSchema).check(z.describe('Under most pressure first')),
}).check(z.meta({ id: 'PracticeUsage' }));

export const practiceUsageReportSchema = z.strictObject({
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  resolution: z.literal('day').check(z.describe('Practice items are per UTC day: the period is widened to whole days')),
  days: z.strictObject({ from: z.iso.date(), to: z.iso.date() }),
  practices: z.array(practiceUsageRowSchema).check(z.describe('Under most pressure first, then by cost')),
}).check(z.meta({ id: 'PracticeUsageReport', description: "Chargeback: each practice's AI spend per task for a period, and how close it runs to its shares (by=practice)" }));

export type HealthResponse = z.infer<typeof healthResponseSchema>;
export type UsageQuery = z.infer<typeof usageQuerySchema>;
export type PressureSummary = z.infer<typeof pressureSummarySchema>;
export type UsageReportResponse = z.infer<typeof usageReportSchema>;
export type PracticeUsageReportResponse = z.infer<typeof practiceUsageReportSchema>;
