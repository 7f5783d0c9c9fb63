/**
 * The committed openapi.json: never out of date, and a well-formed OpenAPI 3.1 document that
 * documents every catalog route with the answers the gateway really gives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveCatalog } from '../lib/catalog';
import { OPENAPI_FILE, generateOpenApiJson } from '../bin/openapi';
import { OPS_ROUTES, routeKey, servedRoutes } from '../functions/ops/route-schemas';

type Json = Record<string, any>;
const committed = readFileSync(OPENAPI_FILE, 'utf8');
const doc = JSON.parse(committed) as Json;
const catalog = resolveCatalog();
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(): Array<{ path: string; method: string; op: Json }> {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ path, method, op: op as Json })),
  );
}

function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<any>((node, part) => (node === undefined || node === null ? undefined : node[part]), doc);
}

function collectRefs(node: unknown, at = '#', out: Array<{ at: string; ref: string }> = []) {
  if (Array.isArray(node)) node.forEach((item, i) => collectRefs(item, `${at}/${i}`, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push({ at, ref: value });
      else collectRefs(value, `${at}/${key}`, out);
    }
  }
  return out;
}

describe('openapi.json', () => {
  it('is exactly what `npm run openapi` generates (run it and commit when this fails)', () => {
    expect(committed).toBe(generateOpenApiJson());
    expect(OPENAPI_FILE).toBe(join(__dirname, '..', 'openapi.json'));
  });

  it('has the OpenAPI 3.1 shape: version, info, and operations with a success answer on every path', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      expect(Object.keys(item).filter((k) => METHODS.includes(k)).length).toBeGreaterThan(0);
      expect(path.startsWith('/')).toBe(true);
    }
    const ids = operations().map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of operations()) {
      const success = Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
      expect({ route: `${method} ${path}`, success: success.length }).toEqual({ route: `${method} ${path}`, success: 1 });
    }
  });

  it('resolves every $ref inside the document', () => {
    const refs = collectRefs(doc);
    expect(refs.length).toBeGreaterThan(50);
    const broken = refs.filter(({ ref }) => resolvePointer(ref) === undefined);
    expect(broken).toEqual([]);
  });

  it('documents every catalog route and the ops routes, and nothing else', () => {
    const expected = [...catalog.tasks.flatMap((t) => t.routes), ...OPS_ROUTES].map(routeKey).sort();
    expect(servedRoutes(catalog.tasks).map((r) => r.key).sort()).toEqual(expected);
    const documented = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort();
    expect(documented).toEqual(expected);
  });

  it('declares each path template parameter as a required path parameter', () => {
    for (const { path, op } of operations()) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path');
      expect(declared.map((p: Json) => p.name)).toEqual(names);
      for (const p of declared) expect(p.required).toBe(true);
    }
  });

  it('secures every route with the Cognito bearer token except /health and /openapi.json', () => {
    expect(doc.components.securitySchemes.cognito).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.security).toEqual([{ cognito: [] }]);
    for (const { path, op } of operations()) {
      const isPublic = path === '/health' || path === '/openapi.json';
      expect({ path, public: op.security !== undefined && op.security.length === 0 }).toEqual({ path, public: isPublic });
      if (!isPublic) expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    expect(doc.paths['/v1/usage'].get['x-smartdental-required-group']).toBe('admin');
  });

  it('describes errors with the ErrorBody and Retry-After on 409, 429, 502 (a failed function) and 503', () => {
    const errorBody = doc.components.schemas.ErrorBody;
    expect(errorBody.required).toEqual(['error']);
    expect(errorBody.properties.error.required).toEqual(['code', 'message']);
    expect(Object.keys(errorBody.properties.error.properties)).toContain('requestId');
    for (const [name, response] of Object.entries(doc.components.responses as Json)) {
      expect(response.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' });
      const retryAfter = ['TooManyRequests', 'ServiceUnavailable', 'IdempotencyRequestInProgress', 'BadGateway'].includes(name);
      expect({ name, retryAfter: 'Retry-After' in response.headers }).toEqual({ name, retryAfter });
      expect(response.headers['X-Amzn-RequestId']).toEqual({ $ref: '#/components/headers/AmznRequestId' });
    }
    const diagnoses = doc.paths['/v1/clinical/diagnoses'].post;
    expect(Object.keys(diagnoses.responses)).toEqual(['200', '400', '401', '403', '404', '408', '413', '415', '429', '431', '502', '503', '504']);
    // Plain-code routes still meet API Gateway's answers for a failed function and a timeout.
    const estimates = doc.paths['/v1/billing/estimates'].post;
    expect(Object.keys(estimates.responses)).toEqual(expect.arrayContaining(['404', '502', '504']));
    expect(Object.keys(doc.paths['/v1/imaging/analyses/{jobId}'].get.responses)).toContain('404');
    expect(Object.keys(doc.paths['/v1/billing/claims'].post.responses)).toContain('422');
  });

  it('documents 409 IdempotencyRequestInProgress, with Retry-After, on exactly the routes that take an Idempotency-Key', () => {
    expect(doc.components.responses.IdempotencyRequestInProgress.headers['Retry-After']).toEqual({ $ref: '#/components/headers/RetryAfter' });
    for (const { path, method, op } of operations()) {
      const takesKey = (op.parameters ?? []).some((p: Json) => p.$ref === '#/components/parameters/IdempotencyKey');
      const route = `${method.toUpperCase()} ${path}`;
      expect({ route, conflict: op.responses['409'] }).toEqual({ route, conflict: takesKey ? { $ref: '#/components/responses/IdempotencyRequestInProgress' } : undefined });
    }
    expect(Object.keys(doc.paths['/v1/billing/claims'].post.responses)).toContain('409');
    expect(Object.keys(doc.paths['/v1/imaging/analyses'].post.responses)).toContain('409');
  });

  it('documents the HTTP-level refusals (408, 431) on every route', () => {
    for (const { path, method, op } of operations()) {
      expect({ route: `${method} ${path}`, r408: op.responses['408']?.$ref, r431: op.responses['431']?.$ref }).toEqual({
        route: `${method} ${path}`,
        r408: '#/components/responses/RequestTimeout',
        r431: '#/components/responses/RequestHeaderFieldsTooLarge',
      });
    }
  });

  it('answers imaging analyses with 202 and chat as JSON or server-sent events', () => {
    const analyses = doc.paths['/v1/imaging/analyses'].post;
    expect(analyses.responses['202'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AnalysisAccepted' });
    expect(analyses.responses['200']).toBeUndefined();
    const chat = doc.paths['/v1/chat/messages'].post.responses['200'].content;
    expect(Object.keys(chat).sort()).toEqual(['application/json', 'text/event-stream']);
    expect(chat['text/event-stream'].schema.type).toBe('string');
  });

  it('carries the request constraints of the zod schemas (required fields, no extra fields, bounds)', () => {
    const estimate = doc.components.schemas.EstimateRequest;
    expect(estimate.additionalProperties).toBe(false);
    expect(estimate.required).toEqual(expect.arrayContaining(['procedures', 'coverage']));
    expect(doc.components.schemas.Coverage.properties.preventivePct).toMatchObject({ type: 'integer', minimum: 0, maximum: 100 });
    const usageParameters = doc.paths['/v1/usage'].get.parameters.map((p: Json) => `${p.in}:${p.name}`);
    expect(usageParameters).toEqual(['query:since', 'query:days', 'query:by']);
  });

  it('names every header an answer can carry: how an AI answer was produced, an idempotent replay, the request id', () => {
    const diagnoses = doc.paths['/v1/clinical/diagnoses'].post.responses['200'].headers;
    expect(Object.keys(diagnoses).sort()).toEqual(['X-Request-Id', 'X-SmartDental-Cache', 'X-SmartDental-Fallback', 'X-SmartDental-Model', 'X-SmartDental-Provider', 'X-SmartDental-Source', 'X-SmartDental-Tokens']);
    expect(doc.paths['/v1/billing/claims'].post.responses['200'].headers['Idempotent-Replayed']).toEqual({ $ref: '#/components/headers/IdempotentReplayed' });
    expect(Object.keys(doc.paths['/v1/billing/estimates'].post.responses['200'].headers)).toEqual(['X-Request-Id']);
    for (const ref of Object.values(diagnoses) as Json[]) expect(doc.components.headers[ref.$ref.split('/').pop()]).toBeDefined();
  });

  it("types chat's server-sent events: delta, done and error each name the schema of their data", () => {
    const stream = doc.paths['/v1/chat/messages'].post.responses['200'].content['text/event-stream'];
    expect(stream['x-smartdental-events']).toEqual({
      delta: { $ref: '#/components/schemas/ChatStreamDelta' },
      done: { $ref: '#/components/schemas/ChatStreamDone' },
      error: { $ref: '#/components/schemas/ErrorBody' },
    });
    expect(doc.components.schemas.ChatStreamDelta.required).toEqual(['text']);
    expect(doc.components.schemas.ChatStreamDone.required).toEqual(['escalate']);
  });
});

describe('imaging analysis request', () => {
  it('says "exactly one of image or uploadKey" in JSON Schema, as the handler enforces it', () => {
    const doc = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'openapi.json'), 'utf8'));
    const schema = doc.components.schemas.AnalysisRequest;
    expect(schema.oneOf).toEqual([{ required: ['image'] }, { required: ['uploadKey'] }]);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['image', 'uploadKey']));
  });
});
