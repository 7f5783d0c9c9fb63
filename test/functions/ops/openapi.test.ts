import { z } from 'zod';
import { resolveCatalog } from '../../../lib/catalog';
import { buildOpenApiDocument, RouteDocumentationError } from '../../../functions/ops/openapi';
import { declareRoute, type RouteDeclaration } from '../../../functions/core/route-declaration';
import { taskRouteDeclarations } from '../../../functions/ops/task-routes';

const catalog = resolveCatalog();

describe('buildOpenApiDocument', () => {
  it('refuses a catalog route that its task does not declare, and names it and the file to declare it in', () => {
    const tasks = catalog.tasks.map((t) => (t.name === 'billing' ? { ...t, routes: [...t.routes, { method: 'POST' as const, path: '/v1/billing/refunds', ai: false, streaming: false }] } : t));
    expect(() => buildOpenApiDocument({ tasks })).toThrow(RouteDocumentationError);
    expect(() => buildOpenApiDocument({ tasks })).toThrow(/POST \/v1\/billing\/refunds \(functions\/billing\/routes\.ts\)/);
  });

  it('refuses a streaming route whose documentation does not describe the stream', () => {
    const declarationsOf = (task: string): RouteDeclaration[] => taskRouteDeclarations(task).map(({ eventStream: _dropped, ...declaration }) => declaration);
    expect(() => buildOpenApiDocument({ tasks: catalog.tasks, declarationsOf })).toThrow(/POST \/v1\/chat\/messages streams/);
  });

  it('keeps a schema that reads differently as a request and as an answer apart instead of overwriting it', () => {
    const visit = z.object({ minutes: z.number().int().default(30) }).meta({ id: 'Visit' });
    const visits = declareRoute({ method: 'POST', path: '/v1/scheduling/visits', ai: false, operationId: 'bookVisit', summary: 'Book', request: visit, response: visit });
    const document = buildOpenApiDocument({
      tasks: catalog.tasks.map((t) => (t.name === 'scheduling' ? { ...t, routes: [...t.routes, { method: 'POST' as const, path: '/v1/scheduling/visits', ai: false, streaming: false }] } : t)),
      declarationsOf: (task) => [...taskRouteDeclarations(task), ...(task === 'scheduling' ? [visits] : [])],
    }) as any;
    const op = document.paths['/v1/scheduling/visits'].post;
    const requestRef = op.requestBody.content['application/json'].schema.$ref;
    const responseRef = op.responses['200'].content['application/json'].schema.$ref;
    expect(requestRef).not.toBe(responseRef);
    const byRef = (ref: string) => document.components.schemas[ref.split('/').at(-1)!];
    expect(byRef(requestRef).required ?? []).not.toContain('minutes');
    expect(byRef(responseRef).required).toContain('minutes');
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildOpenApiDocument({ tasks: catalog.tasks }))).toBe(JSON.stringify(buildOpenApiDocument({ tasks: [...catalog.tasks] })));
  });
});
