/**
 * `npm run openapi`: writes the OpenAPI 3.1 document to openapi.json at the repository root, from
 * the catalog's routes and the functions' zod schemas (functions/ops/openapi.ts). A test fails when
 * the committed file differs from what this writes, so run it after changing a route or a schema.
 *
 *   npm run openapi              write openapi.json
 *   npm run openapi -- --check   exit 1 if openapi.json is out of date (for CI)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveCatalog } from '../lib/catalog';
import { buildOpenApiDocument, serializeOpenApiDocument } from '../functions/ops/openapi';

export const OPENAPI_FILE = join(resolve(__dirname, '..'), 'openapi.json');

/** The text of openapi.json. Routes are the same in every stage, so the default catalog serves. */
export function generateOpenApiJson(): string {
  return serializeOpenApiDocument(buildOpenApiDocument({ tasks: resolveCatalog().tasks }));
}

function main(args: string[]): number {
  const generated = generateOpenApiJson();
  if (args.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      // A missing file is simply out of date.
    }
    if (committed === generated) return 0;
    process.stderr.write('openapi.json is out of date: run `npm run openapi` and commit the result\n');
    return 1;
  }
  writeFileSync(OPENAPI_FILE, generated);
  const document = JSON.parse(generated) as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  process.stdout.write(`wrote ${OPENAPI_FILE} (${Object.keys(document.paths).length} paths, ${operations} operations)\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
