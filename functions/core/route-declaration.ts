/**
 * A route, declared once in its task folder (`functions/<task>/routes.ts`): method, path, who may
 * call it, the zod schemas of its request and answer, its body limit and its documentation.
 *
 * Everything else derives from the declaration: the catalog's routes ({@link catalogRoutesOf}),
 * the handler's dispatch ({@link serveRoute}), the OpenAPI document and the ops route docs
 * (functions/ops/openapi.ts), and the fuzzer's targets and body limits (test/support/fuzz.ts).
 * This file imports nothing at runtime, so a handler that declares its routes pulls in only its
 * own schemas, never another task's nor the OpenAPI generator.
 */
import type * as z from './zod';
import type { HttpRoute, RouteContext, RouteResult } from './http';

/** `user`: any signed-in user of a practice; `admin`: the admin group; `none`: public (no authorizer). */
export const ROUTE_AUTH = ['user', 'admin', 'none'] as const;
export type RouteAuth = (typeof ROUTE_AUTH)[number];

/** The body limit of a route that does not set its own (before base64 decoding of the JSON text). */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export interface RouteDeclaration<TBody extends z.ZodType | undefined = z.ZodType | undefined> {
  method: 'GET' | 'POST';
  /** API Gateway resource path, e.g. `/v1/imaging/analyses/{jobId}`. */
  path: string;
  /** @default 'user' */
  auth?: RouteAuth;
  /** Whether the route calls a model (false: plain code such as billing estimates). */
  ai: boolean;
  /** Answers as a response stream (server-sent events) when the client asks for it. @default false */
  streaming?: boolean;
  /** JSON request body, validated before the route runs; routes without one take no body. */
  request?: TBody;
  /** Largest accepted body in bytes. @default DEFAULT_MAX_BODY_BYTES */
  maxBodyBytes?: number;
  /** JSON body of the success answer. */
  response: z.ZodType;
  /** @default 200 */
  successStatus?: 200 | 202;
  pathParameters?: z.ZodObject;
  query?: z.ZodObject;
  /** Stable name for generated clients (`suggestDiagnoses`, not `postV1ClinicalDiagnoses`). */
  operationId: string;
  summary: string;
  description?: string;
  /** How the route streams server-sent events (required when `streaming`). */
  eventStream?: string;
  /** The schema of each event's `data`, by event name. */
  events?: Record<string, z.ZodType>;
  /** The route honours an `Idempotency-Key` header (a reused key with another body is a 422). */
  idempotent?: boolean;
  /** When the route answers 404 (beyond an unknown path). */
  notFound?: string;
  /** Answers from memory: no DynamoDB, no provider, so no 503 either. */
  static?: boolean;
  /** A request body the route accepts; the fuzzer mutates it when the tests keep no example of their own. */
  example?: unknown;
}

/** What a task folder's `routes.ts` exports as `ROUTES`: its declarations by a name its handler uses. */
export type RouteDeclarations = Readonly<Record<string, RouteDeclaration<z.ZodType | undefined>>>;

/** Identity helper that keeps the request schema's type, so {@link serveRoute} infers the body. */
export function declareRoute<TBody extends z.ZodType | undefined = undefined>(declaration: RouteDeclaration<TBody>): RouteDeclaration<TBody> {
  return declaration;
}

/** `"POST /v1/clinical/diagnoses"`: how routes are keyed in the catalog checks, the docs and the fuzzer. */
export function routeKey(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`;
}

/** The catalog's view of a task's routes (lib/catalog.ts): method, path, ai, streaming, in declaration order. */
export function catalogRoutesOf(declarations: RouteDeclarations): Array<{ method: 'GET' | 'POST'; path: string; ai: boolean; streaming: boolean }> {
  return Object.values(declarations).map((d) => ({ method: d.method, path: d.path, ai: d.ai, streaming: d.streaming === true }));
}

/** The handler's dispatch entry for a declared route: its method, path, auth, body schema and limit, plus the code. */
export function serveRoute<TBody extends z.ZodType | undefined>(
  declaration: RouteDeclaration<TBody>,
  handle: (context: RouteContext<TBody extends z.ZodType ? z.output<TBody> : undefined>) => Promise<RouteResult>,
): HttpRoute<TBody> {
  return {
    method: declaration.method,
    path: declaration.path,
    auth: declaration.auth ?? 'user',
    ...(declaration.request === undefined ? {} : { body: declaration.request }),
    maxBodyBytes: declaration.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    handle,
  };
}
