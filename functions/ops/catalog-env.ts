/**
 * The resolved catalog as the ops function receives it in `CATALOG`: a JSON array of task
 * configs, set by the stack and by the local runtime from lib/catalog.ts.
 */
import * as z from '#core/zod';
import { ENV } from '#core/env';
import { functionTaskConfigSchema, taskConfigSchema, type TaskConfig } from '#core/task-config';

/** The resolved catalog as JSON. Entries may carry their model prices too (as TASK_CONFIG does); they are dropped. */
export const resolvedCatalogSchema = z.pipe(z.array(z.extend(taskConfigSchema, { prices: z.optional(functionTaskConfigSchema.shape.prices) })).check(z.minLength(1)), z.transform((tasks): TaskConfig[] => tasks.map(({ prices: _prices, ...task }) => task)));

/** Parses `CATALOG`; a missing or broken value is a deployment bug, so the message says where to look. */
export function parseCatalogEnv(env: NodeJS.ProcessEnv = process.env): TaskConfig[] {
  const json = env[ENV.catalog];
  if (!json) throw new Error(`${ENV.catalog} is not set: the stack (or the local runtime) must set it to the resolved catalog, a JSON array of task configs`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`${ENV.catalog} is not valid JSON`);
  }
  const parsed = resolvedCatalogSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`${ENV.catalog} is invalid: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
