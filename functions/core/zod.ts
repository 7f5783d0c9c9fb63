/**
 * The zod API the functions use, re-exported by name. Import it as `import * as z from '#core/zod'`.
 *
 * Why not `import { z } from 'zod'`: that namespace object drags every zod locale into each Lambda
 * bundle (esbuild cannot shake a namespace that is used as a value), about 350 KB minified. Named
 * re-exports let esbuild keep only what is used; the code reads exactly as with `z` from zod.
 */
export { array, boolean, iso, literal, number, object, record, string, toJSONSchema, union, unknown, url, ZodObject, ZodType } from 'zod';
export { enum } from 'zod';
export type { infer, input, output } from 'zod';
