/**
 * The OpenAPI 3.1 document of the gateway, built from the catalog's routes and their declarations
 * (`functions/<task>/routes.ts`, see {@link servedRoutes}): the very zod schemas the functions
 * validate with, converted by zod's
 * own JSON Schema 2020-12 output (the dialect OpenAPI 3.1 uses). Served at `GET /openapi.json`
 * and written to the repository's openapi.json by `bin/openapi.ts`, so the front end can
 * generate a client from either.
 *
 * The output is deterministic (paths, methods and components in sorted order), so the committed
 * copy only changes when a route or a schema does.
 */
import { toJSONSchema } from 'zod/v4/core';
import type * as z from '#core/zod';
import { errorBodySchema } from '#core/error-body';
import type { TaskConfig } from '#core/task-config';
import type { RouteDeclaration } from '#core/route-declaration';
import { RouteDocumentationError, servedRoutes, type ServedRoutesOptions } from './route-schemas';

export { RouteDocumentationError };

/** Version of the API contract (the paths are `/v1/...`); bump it when a change breaks clients. */
export const API_VERSION = '1.0.0';
export const OPENAPI_VERSION = '3.1.1';
const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
const OPS_TAG = 'operations';

export type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & { openapi: string; paths: Record<string, Record<string, unknown>> };

export interface OpenApiOptions extends ServedRoutesOptions {
  /** The resolved catalog (or the `CATALOG` array the ops function receives). */
  tasks: ReadonlyArray<Pick<TaskConfig, 'name' | 'description' | 'routes'>>;
}

interface DocumentedRoute {
  method: 'GET' | 'POST';
  path: string;
  tag: string;
  ai: boolean;
  streaming: boolean;
  doc: RouteDeclaration;
}

/** Builds the document; throws {@link RouteDocumentationError} naming every catalog route without a declaration. */
export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const routes = documentedRoutes(options);
  const components = new SchemaComponents();
  const errorBody = components.add(errorBodySchema, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route, components);
  }

  return {
    openapi: OPENAPI_VERSION,
    jsonSchemaDialect: JSON_SCHEMA_DIALECT,
    info: {
      title: 'SmartDental AI gateway',
      version: API_VERSION,
      description:
        "The dental platform's AI work, one function per task: radiograph analysis, diagnosis and treatment planning, claims and estimates, " +
        'scheduling and reminders, and patient chat. Each task has its own provider keys, concurrency limit and token budget. ' +
        'Errors always answer with an ErrorBody; 429, 503 and the 409 of an Idempotency-Key still in progress carry Retry-After.',
    },
    tags: [
      ...options.tasks.map((task) => ({ name: task.name, description: task.description })),
      { name: OPS_TAG, description: 'Health, this document and the usage report' },
    ],
    security: [{ cognito: [] }],
    paths: sortKeys(paths, (a, b) => a.localeCompare(b)),
    components: {
      securitySchemes: {
        cognito: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Cognito user-pool ID token (Authorization: Bearer <token>) with the claims sub and custom:practiceId; /v1/usage also needs the admin group in cognito:groups.',
        },
      },
      headers: HEADER_COMPONENTS,
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'A retry with the same key returns the first answer and creates no second job or charge; the same key with a different body is a 422; a retry while the first request is still running is a 409 with Retry-After.',
          schema: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
      responses: errorResponses(errorBody),
      schemas: components.all(),
    },
  };
}

function documentedRoutes(options: OpenApiOptions): DocumentedRoute[] {
  return servedRoutes(options.tasks, options).map(({ key, fn, declaration }) => {
    const streaming = declaration.streaming === true;
    if (streaming && !declaration.eventStream) throw new RouteDocumentationError(`${key} streams, but its declaration has no eventStream description`);
    return { method: declaration.method, path: declaration.path, tag: fn === 'ops' ? OPS_TAG : fn, ai: declaration.ai, streaming, doc: declaration };
  });
}

function operation(route: DocumentedRoute, components: SchemaComponents): Record<string, unknown> {
  const { doc } = route;
  const auth = doc.auth ?? 'user';
  const parameters: unknown[] = [
    ...schemaParameters(doc.pathParameters, 'path', components),
    ...schemaParameters(doc.query, 'query', components),
    ...(doc.idempotent ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
  ];
  const content: Record<string, unknown> = { 'application/json': { schema: components.add(doc.response, 'output') } };
  if (route.streaming) {
    // OpenAPI 3.1 has no way to type the events of a stream; the extension names each event's data schema.
    const events = Object.fromEntries(Object.entries(doc.events ?? {}).map(([name, schema]) => [name, components.add(schema, 'output')]));
    content['text/event-stream'] = { schema: { type: 'string', description: doc.eventStream }, ...(doc.events ? { 'x-smartdental-events': events } : {}) };
  }

  const responses: Record<string, unknown> = {
    [String(doc.successStatus ?? 200)]: {
      description: doc.successStatus === 202 ? 'Accepted: the work is queued' : 'OK',
      headers: successHeaders(route),
      content,
    },
  };
  for (const status of errorStatuses(route)) {
    responses[status] = status === '404' && doc.notFound ? { $ref: '#/components/responses/NotFound', description: doc.notFound } : { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
  }

  return {
    operationId: doc.operationId,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [route.tag],
    ...(auth === 'none' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.request ? { requestBody: { required: true, content: { 'application/json': { schema: components.add(doc.request, 'input') } } } } : {}),
    responses: sortKeys(responses, (a, b) => Number(a) - Number(b)),
    'x-smartdental-ai': route.ai,
    ...(auth === 'admin' ? { 'x-smartdental-required-group': 'admin' } : {}),
  };
}

/** Headers of a success answer: the request id, how an AI answer was produced, and an idempotent replay. */
function successHeaders({ doc, ai }: DocumentedRoute): Record<string, unknown> {
  const headers: Record<string, unknown> = { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } };
  if (ai) for (const [name, ref] of Object.entries(AI_ANSWER_HEADERS)) headers[name] = { $ref: `#/components/headers/${ref}` };
  if (doc.idempotent) headers['Idempotent-Replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
  return headers;
}

/** How an AI answer was produced (functions/core/task-runtime.ts `outcomeHeaders`). */
const AI_ANSWER_HEADERS = {
  'X-SmartDental-Cache': 'Cache',
  'X-SmartDental-Provider': 'Provider',
  'X-SmartDental-Model': 'Model',
  'X-SmartDental-Fallback': 'Fallback',
  'X-SmartDental-Tokens': 'Tokens',
  'X-SmartDental-Source': 'Source',
} as const;

const HEADER_COMPONENTS: Record<string, unknown> = {
  RetryAfter: { description: 'Seconds after which a retry may succeed', schema: { type: 'integer', minimum: 1 } },
  RequestId: { description: 'Identifies the request in the logs; quote it when reporting a problem', schema: { type: 'string' } },
  AmznRequestId: { description: "API Gateway's request id; on the answers it gives itself it is also error.requestId", schema: { type: 'string' } },
  Cache: { description: '`hit`: answered from the practice\'s cache (no tokens spent); `miss`: a model answered', schema: { type: 'string', enum: ['hit', 'miss'] } },
  Provider: { description: 'The provider that answered (openai, anthropic, openai-compatible); absent on a template answer', schema: { type: 'string' } },
  Model: { description: 'The model that answered', schema: { type: 'string' } },
  Fallback: { description: '`true` when a fallback provider answered because the primary could not', schema: { type: 'string', enum: ['true'] } },
  Tokens: { description: 'Input plus output tokens this answer spent (0 for a cache hit)', schema: { type: 'integer', minimum: 0 } },
  Source: { description: '`template` when the answer was written by plain code because no model could answer (scheduling reminders)', schema: { type: 'string', enum: ['template'] } },
  IdempotentReplayed: { description: '`true` when this is the stored answer of an earlier request with the same Idempotency-Key', schema: { type: 'string', enum: ['true'] } },
};

type ErrorStatus = '400' | '401' | '403' | '404' | '408' | '409' | '413' | '415' | '422' | '429' | '431' | '502' | '503' | '504';

const ERROR_RESPONSES: Record<ErrorStatus, { name: string; description: string; retryAfter?: true }> = {
  '400': {
    name: 'BadRequest',
    description: 'The input is invalid; details.issues lists the field paths that failed. Also: a body that is not valid UTF-8, or a path parameter that is not valid percent-encoding',
  },
  '401': { name: 'Unauthorized', description: 'No valid token' },
  '403': { name: 'Forbidden', description: 'The user has no practice, or is not allowed this route' },
  '404': { name: 'NotFound', description: 'Not found; API Gateway also answers 404 NotFound (with error.requestId) for a path or a method this API does not have' },
  '408': { name: 'RequestTimeout', description: 'The request line, the headers or the body did not arrive in time (a body shorter than its Content-Length, or one that trickles in)' },
  '409': {
    name: 'IdempotencyRequestInProgress',
    description: 'The first request with this Idempotency-Key is still being processed; retry after Retry-After seconds to receive its answer',
    retryAfter: true,
  },
  '413': { name: 'PayloadTooLarge', description: 'The body or the image is larger than the route accepts' },
  '415': {
    name: 'UnsupportedMediaType',
    description: 'The body is not application/json, its Content-Type declares a charset other than UTF-8, or the image is not JPEG, PNG or uncompressed grayscale DICOM',
  },
  '422': { name: 'IdempotencyConflict', description: 'The Idempotency-Key was already used with a different body' },
  '429': {
    name: 'TooManyRequests',
    description:
      "Throttled: the task is at its concurrency limit (code TaskAtCapacity, answered by API Gateway), over its token budget or tokens-per-minute ceiling (OverBudget), the calling practice over its share of the task's daily tokens, tokens per minute or concurrent requests (PracticeOverShare, with the share and the practice's use in error.details), every provider rate-limited it (ProviderThrottled), or the practice's imaging jobs in flight already hold its pixel or job budget (ImagingPracticeBusy, details.limit says which). Retry after Retry-After seconds",
    retryAfter: true,
  },
  '431': { name: 'RequestHeaderFieldsTooLarge', description: 'The request line and headers together are larger than 10,240 bytes' },
  '502': {
    name: 'BadGateway',
    description:
      'InvalidModelOutput: the model answered, but not with output that fits the schema, even after one repair. GatewayError (from API Gateway, with error.requestId and Retry-After): the function failed or ran out of time',
    retryAfter: true,
  },
  '503': { name: 'ServiceUnavailable', description: 'Every provider failed, or a dependency (DynamoDB, Secrets Manager, the queue) is unavailable. Retry after Retry-After seconds', retryAfter: true },
  '504': { name: 'GatewayTimeout', description: 'GatewayTimeout from API Gateway: the task did not answer before the API stopped waiting (it may still finish; an Idempotency-Key retry is safe)' },
};

function errorStatuses({ doc, ai }: DocumentedRoute): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>();
  if (doc.request || doc.pathParameters || doc.query) statuses.add('400');
  if ((doc.auth ?? 'user') !== 'none') statuses.add('401').add('403');
  // API Gateway answers 404 for a method a path does not have, on every path.
  statuses.add('404');
  if (doc.request) statuses.add('413').add('415');
  if (doc.idempotent) statuses.add('409').add('422');
  // Any request can arrive too slowly or with too large a head.
  statuses.add('408').add('431');
  // API Gateway stage throttling and the function's concurrency limit can refuse any route.
  statuses.add('429');
  // A function that fails or times out is API Gateway's 502, and a route past its integration timeout a 504.
  statuses.add('502').add('504');
  if (!doc.static) statuses.add('503');
  return [...statuses];
}

function errorResponses(errorBody: JsonSchema): Record<string, unknown> {
  return Object.fromEntries(
    Object.values(ERROR_RESPONSES).map(({ name, description, retryAfter }) => [
      name,
      {
        description,
        headers: {
          'X-Request-Id': { $ref: '#/components/headers/RequestId' },
          'X-Amzn-RequestId': { $ref: '#/components/headers/AmznRequestId' },
          ...(retryAfter ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}),
        },
        content: { 'application/json': { schema: errorBody } },
      },
    ]),
  );
}

function schemaParameters(schema: z.ZodObject | undefined, location: 'path' | 'query', components: SchemaComponents): unknown[] {
  if (!schema) return [];
  const json = components.add(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/**
 * Collects the schemas that carry a `.meta({ id })` into `components.schemas` and rewrites zod's
 * `#/$defs/<id>` references to point there. When one id converts differently as input and as
 * output (a default makes a field optional in a request but present in an answer), the second
 * form gets an `Input`/`Output` suffix instead of overwriting the first.
 */
class SchemaComponents {
  private readonly schemas = new Map<string, { json: string; value: JsonSchema }>();

  add(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const converted = toJSONSchema(schema, { target: 'draft-2020-12', io }) as JsonSchema;
    const { $schema: _dialect, $defs, ...root } = converted;
    const defs = ($defs ?? {}) as Record<string, JsonSchema>;

    const names = new Map(Object.keys(defs).map((id) => [id, id]));
    const divergent = new Set<string>();
    // A definition diverges when it differs from the stored one or refers to one that diverges.
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, def] of Object.entries(defs)) {
        if (divergent.has(id)) continue;
        const stored = this.schemas.get(id);
        const refersToDivergent = [...divergent].some((other) => JSON.stringify(def).includes(`"#/$defs/${other}"`));
        if ((stored && stored.json !== JSON.stringify(def)) || refersToDivergent) {
          divergent.add(id);
          changed = true;
        }
      }
    }
    for (const id of divergent) names.set(id, `${id}${io === 'input' ? 'Input' : 'Output'}`);

    for (const [id, def] of Object.entries(defs)) {
      const name = names.get(id)!;
      const value = rewriteRefs(def, names) as JsonSchema;
      if (!this.schemas.has(name)) this.schemas.set(name, { json: JSON.stringify(def), value });
    }
    return rewriteRefs(root, names) as JsonSchema;
  }

  all(): Record<string, JsonSchema> {
    return Object.fromEntries([...this.schemas].sort(([a], [b]) => a.localeCompare(b)).map(([name, { value }]) => [name, value]));
  }
}

function rewriteRefs(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, names));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')) {
      const id = item.slice('#/$defs/'.length);
      out[key] = `#/components/schemas/${names.get(id) ?? id}`;
    } else {
      out[key] = rewriteRefs(item, names);
    }
  }
  return out;
}

function sortKeys<T>(record: Record<string, T>, compare: (a: string, b: string) => number): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compare(a, b)));
}

/** The document as committed in openapi.json: two-space indented, with a final newline. */
export function serializeOpenApiDocument(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
