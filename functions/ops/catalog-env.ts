/**
 * The resolved catalog as the ops function receives it in `CATALOG`: a JSON array of task
 * configs, set by the stack and by the local runtime from lib/catalog.ts.
 */
import * as z from '#core/zod';
import { ENV } from '#core/env';
import { functionTaskConfigSchema, taskConfigSchema, type TaskConfig } from '#core/task-config';

/**
 * A task as the ops function knows it: no secret name and no provider chain, which it never uses
 * (and which would push its environment over Lambda's 4 KB; see {@link opsCatalogJson}).
 */
export type OpsTaskConfig = Omit<TaskConfig, 'secretName' | 'providers'> & Partial<Pick<TaskConfig, 'secretName' | 'providers'>>;

/** The resolved catalog as JSON. Entries may carry their model prices too (as TASK_CONFIG does); they are dropped. */
export const resolvedCatalogSchema = z.pipe(
  z
    .array(
      z.extend(taskConfigSchema, {
        prices: z.optional(functionTaskConfigSchema.shape.prices),
        secretName: z.optional(taskConfigSchema.shape.secretName),
        providers: z.optional(taskConfigSchema.shape.providers),
      }),
    )
    .check(z.minLength(1)),
  z.transform((tasks): OpsTaskConfig[] => tasks.map(({ prices: _prices, ...task }) => task)),
);

/** `CATALOG` as the stack and the local runtime set it: each resolved task without what ops never reads. */
export function opsCatalogJson(tasks: readonly TaskConfig[]): string {
  return JSON.stringify(tasks.map(({ secretName: _secret, providers: _providers, ...task }) => task));
}

/** Parses `CATALOG`; a missing or broken value is a deployment bug, so the message says where to look. */
export function parseCatalogEnv(env: NodeJS.ProcessEnv = process.env): OpsTaskConfig[] {
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
