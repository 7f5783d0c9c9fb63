/**
 * Operations function: `GET /health`, `GET /openapi.json` (public) and `GET /v1/usage` (admin
 * group). It holds no AI key and never reads a task's secret; it reads the usage ledger
 * (`USAGE_TABLE`) and the resolved catalog (`CATALOG`, a JSON array of task configs).
 *
 * Configuration and clients live at module scope and are reused by warm invocations. A missing
 * variable fails the requests that need it with a logged deployment error rather than the cold
 * start, so `/health` of a half-configured function still says what is wrong in the logs.
 */
import { documentClient } from '#core/dynamo';
import { ENV, requireEnv } from '#core/env';
import { createHttpHandler } from '#core/http';
import { createObservability } from '#core/observability';
import type { TaskConfig } from '#core/task-config';
import { parseCatalogEnv } from './catalog-env';
import { createOpsRoutes } from './routes';

const observability = createObservability('ops');
let catalog: TaskConfig[] | undefined;

export const handler = createHttpHandler({
  observability,
  routes: createOpsRoutes({
    catalog: () => (catalog ??= parseCatalogEnv(process.env)),
    usageTable: () => requireEnv(ENV.usageTable),
    doc: documentClient(),
  }),
});
