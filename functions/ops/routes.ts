/**
 * The operations routes: `GET /health`, `GET /openapi.json` (both public) and `GET /v1/usage`
 * (admin group only). They read the catalog and the usage ledger, never a task's secret.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HttpRoute } from '#core/http';
import { serveRoute } from '#core/route-declaration';
import type { PlatformMetrics } from '#core/platform-metrics';
import type { OpsTaskConfig } from './catalog-env';
import { readPracticeUsageReport } from '#core/practice-usage-report';
import { readUsageReport } from '#core/usage-report';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi';
import { OPS_ROUTE } from './route-schemas';
import type { HealthResponse } from './schemas';
import { usagePeriod } from './usage-period';
import { usageReportResponse } from './usage-pressure';

export interface OpsRouteDependencies {
  /** The resolved catalog. Called per request, so a missing `CATALOG` fails requests loudly instead of the cold start. */
  catalog(): ReadonlyArray<OpsTaskConfig>;
  /** Physical name of the usage ledger table. */
  usageTable(): string;
  /** The PracticeOverrides table, for each practice's effective share. @default none: every practice against the catalog share */
  practiceOverridesTable?(): string | undefined;
  doc: DynamoDBDocumentClient;
  /** In AWS, CloudWatch: the Lambda throttles the ledger never sees. @default none (the ledger's counts, as `npm start` keeps them) */
  platform?: PlatformMetrics;
  /** @default Date.now */
  now?: () => number;
}

export function createOpsRoutes(deps: OpsRouteDependencies): HttpRoute<undefined>[] {
  const now = deps.now ?? Date.now;
  let openApi: { tasks: ReadonlyArray<OpsTaskConfig>; document: OpenApiDocument } | undefined;

  return [
    serveRoute(OPS_ROUTE.health, async () => ({ body: { status: 'ok', tasks: deps.catalog().map((t) => t.name) } satisfies HealthResponse })),
    serveRoute(OPS_ROUTE.openApi, async () => {
      const tasks = deps.catalog();
      // Built once per function instance: the catalog and the schemas do not change while it is warm.
      if (openApi?.tasks !== tasks) openApi = { tasks, document: buildOpenApiDocument({ tasks }) };
      return { headers: { 'cache-control': 'public, max-age=300' }, body: openApi.document };
    }),
    serveRoute(OPS_ROUTE.usage, async ({ query, annotate }) => {
      const { since, until } = usagePeriod(query, now());
      if (query.by === 'practice') {
        // The route is for the admin group only (its declaration): a practice never reads another's rows.
        const report = await readPracticeUsageReport(deps.doc, {
          table: deps.usageTable(),
          overridesTable: deps.practiceOverridesTable?.(),
          since,
          until,
          catalog: deps.catalog(),
          now: new Date(until),
        });
        annotate({ usageResolution: report.resolution, usagePractices: report.practices.length });
        return { headers: { 'cache-control': 'no-store' }, body: report };
      }
      const report = await readUsageReport(deps.doc, { table: deps.usageTable(), since, until, catalog: deps.catalog(), now: new Date(until), platform: deps.platform });
      annotate({
        usageResolution: report.resolution,
        usageTasks: report.tasks.length,
        usageKeys: report.keys.length,
        usageThrottleSource: report.sources.lambdaThrottles,
        usageCloudWatchError: report.sources.cloudWatchError,
      });
      return { headers: { 'cache-control': 'no-store' }, body: usageReportResponse(report) };
    }),
  ];
}
