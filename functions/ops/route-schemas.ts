/**
 * The operations routes, declared once like a task's (functions/core/route-declaration.ts), and
 * every route the OpenAPI document, the ops route docs and the fuzzer describe: the catalog's
 * routes, each matched to its declaration in `functions/<task>/routes.ts`, then these.
 */
import { routeKey, type RouteDeclaration } from '#core/route-declaration';
import type { TaskConfig } from '#core/task-config';
import * as z from '#core/zod';
import { healthResponseSchema, practiceUsageReportSchema, usageQuerySchema, usageReportSchema } from './schemas';
import { taskRouteDeclarations } from './task-routes';

export { routeKey };

/** The OpenAPI document itself, described loosely: a schema of OpenAPI would say nothing useful here. */
const openApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }).check(z.describe('This document (OpenAPI 3.1)'));

/** The operations routes; they are not in the task catalog because they belong to no AI task. */
export const OPS_ROUTE = {
  health: {
    method: 'GET',
    path: '/health',
    ai: false,
    operationId: 'getHealth',
    summary: 'Liveness and the tasks this deployment serves',
    auth: 'none',
    response: healthResponseSchema,
    static: true,
  },
  openApi: {
    method: 'GET',
    path: '/openapi.json',
    ai: false,
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated from the zod schemas the functions validate with; a copy is kept in the repository as openapi.json.',
    auth: 'none',
    response: openApiDocumentSchema,
    static: true,
  },
  usage: {
    method: 'GET',
    path: '/v1/usage',
    ai: false,
    operationId: 'getUsageReport',
    summary: 'Token usage, cost, throttles and latency per task and per key',
    description:
      'Administrators only. Rows are sorted so the task closest to its limits (budget, tokens per minute, timeout; any throttle counts as 100 %) or slowest comes first; ' +
      'underMostPressure names it. The same report as `npm run usage -- --json`. ' +
      'With by=practice, the chargeback report instead (PracticeUsageReport): each practice’s spend per task over whole UTC days and how close it runs to its share, under most pressure first (`npm run usage -- --by practice --json`).',
    auth: 'admin',
    query: usageQuerySchema,
    response: z.union([usageReportSchema, practiceUsageReportSchema]),
  },
} as const satisfies Record<string, RouteDeclaration>;

export const OPS_ROUTES: ReadonlyArray<RouteDeclaration> = Object.values(OPS_ROUTE);

/** A declared route and who serves it: a task's function, or the ops function. */
export interface ServedRoute {
  /** `POST /v1/clinical/diagnoses`. */
  key: string;
  /** The task whose function serves the route, or `ops`. */
  fn: string;
  declaration: RouteDeclaration;
}

export class RouteDocumentationError extends Error {
  override name = 'RouteDocumentationError';
}

export interface ServedRoutesOptions {
  /** Where a task's declarations come from. @default taskRouteDeclarations (functions/<task>/routes.ts) */
  declarationsOf?: (task: string) => ReadonlyArray<RouteDeclaration>;
}

/**
 * Every route of the gateway: each catalog route with its task's declaration, then the ops routes.
 * Throws {@link RouteDocumentationError} naming every catalog route that its task does not declare.
 */
export function servedRoutes(tasks: ReadonlyArray<Pick<TaskConfig, 'name' | 'routes'>>, options: ServedRoutesOptions = {}): ServedRoute[] {
  const declarationsOf = options.declarationsOf ?? taskRouteDeclarations;
  const missing: string[] = [];
  const routes: ServedRoute[] = [];
  for (const task of tasks) {
    const declared = new Map(declarationsOf(task.name).map((d) => [routeKey(d), d]));
    for (const route of task.routes) {
      const declaration = declared.get(routeKey(route));
      if (!declaration) missing.push(`${routeKey(route)} (functions/${task.name}/routes.ts)`);
      else routes.push({ key: routeKey(route), fn: task.name, declaration: { ...declaration, ai: route.ai, streaming: route.streaming } });
    }
  }
  if (missing.length > 0) throw new RouteDocumentationError(`no route declaration for ${missing.join(', ')}: declare it in the task's routes.ts`);
  for (const declaration of OPS_ROUTES) routes.push({ key: routeKey(declaration), fn: 'ops', declaration });
  return routes;
}
