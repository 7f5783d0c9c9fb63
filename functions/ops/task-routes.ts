/**
 * Every task's route declarations, found by the convention that makes a sixth task one catalog
 * entry plus one folder: `functions/<task>/routes.ts` exports `ROUTES`. No list of tasks is kept
 * here. The template literal below is an esbuild glob import
 * (https://esbuild.github.io/api/#glob): the ops bundle holds every
 * `functions/<folder>/routes.ts` (and only those), while a task's own bundle never imports this file.
 */
import type { RouteDeclaration, RouteDeclarations } from '#core/route-declaration';

const TASK_FOLDER = /^[a-z][a-z0-9-]*$/;

export class MissingRouteDeclarationsError extends Error {
  override name = 'MissingRouteDeclarationsError';
}

/** The declarations of `functions/<task>/routes.ts`, in declaration order. */
export function taskRouteDeclarations(task: string): RouteDeclaration[] {
  if (!TASK_FOLDER.test(task)) throw new MissingRouteDeclarationsError(`'${task}' is not a task folder name`);
  let declared: { ROUTES?: RouteDeclarations } | undefined;
  try {
    declared = require(`../${task}/routes.ts`) as { ROUTES?: RouteDeclarations };
  } catch (error) {
    // A missing file is the caller's mistake to name; an error inside an existing one is a bug to show as it is.
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND' && !/Module not found in bundle|Cannot find module/.test(String((error as Error).message))) throw error;
  }
  if (!declared?.ROUTES) throw new MissingRouteDeclarationsError(`task '${task}' has no functions/${task}/routes.ts exporting ROUTES (functions/core/route-declaration.ts)`);
  return Object.values(declared.ROUTES);
}
