/**
 * Operations function: `GET /health`, `GET /openapi.json` (public) and `GET /v1/usage` (admin
 * group). It holds no AI key and never reads a task's secret; it reads the usage ledger
 * (`USAGE_TABLE`) and the resolved catalog (`CATALOG`, a JSON array of task configs).
 *
 * Deployed, it also reads CloudWatch for the Lambda throttles the ledger cannot see. It knows its
 * stage, and so every function's name, from its own name (Lambda's `AWS_LAMBDA_FUNCTION_NAME`,
 * `smartdental-ai-<stage>-ops-api`, see function-names.ts), so no variable is spent on it; under
 * `npm start` the name is the local runtime's and the report keeps the ledger's counts.
 *
 * Configuration and clients live at module scope and are reused by warm invocations. A missing
 * variable fails the requests that need it with a logged deployment error rather than the cold
 * start, so `/health` of a half-configured function still says what is wrong in the logs.
 */
import { documentClient } from '#core/dynamo';
import { ENV, requireEnv } from '#core/env';
import { stageOfFunctionName } from '#core/function-names';
import { createHttpHandler } from '#core/http';
import { createObservability } from '#core/observability';
import { CloudWatchPlatformMetrics, createCloudWatchClient } from '#core/platform-metrics';
import { parseCatalogEnv, type OpsTaskConfig } from './catalog-env';
import { createOpsRoutes } from './routes';

const observability = createObservability('ops');
let catalog: OpsTaskConfig[] | undefined;
const deployedStage = stageOfFunctionName(process.env.AWS_LAMBDA_FUNCTION_NAME ?? '', 'ops', 'api');
const platform = deployedStage === undefined ? undefined : new CloudWatchPlatformMetrics(createCloudWatchClient(), deployedStage);

export const handler = createHttpHandler({
  observability,
  routes: createOpsRoutes({
    catalog: () => (catalog ??= parseCatalogEnv(process.env)),
    usageTable: () => requireEnv(ENV.usageTable),
    practiceOverridesTable: () => process.env[ENV.practiceOverridesTable] || undefined,
    doc: documentClient(),
    platform,
  }),
});
