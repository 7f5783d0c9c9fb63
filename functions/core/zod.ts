/**
 * The zod API the functions use, re-exported by name. Import it as `import * as z from '#core/zod'`.
 *
 * This is `zod/mini`, not classic zod: classic schemas carry every method on every instance (its
 * `.toJSONSchema()` among them), so esbuild keeps all of classic plus the JSON-schema code in each
 * Lambda bundle (about 93 KB minified); mini's functions shake to what is used (about 23 KB). Mini
 * is written functionally: `z.optional(s)`, `s.check(z.minLength(1), z.describe('…'))`,
 * `z.strictObject({…})`. Only the ops function's OpenAPI generator imports `toJSONSchema`
 * (from zod/v4/core, in functions/ops/openapi.ts); it reads mini schemas as it reads classic ones.
 *
 * Why named re-exports rather than `import { z } from 'zod/mini'`: a namespace object used as a
 * value cannot be shaken and drags every zod locale into each bundle.
 *
 * Mini ships without messages ("Invalid input"); the English locale classic zod installs on import
 * is installed here, so callers read the same 400 messages as before ("Too big: expected string to
 * have <=4000 characters"). Every schema module imports this file, so it runs before any parse.
 */
import { config } from 'zod/mini';
import { en } from 'zod/v4/locales';

config(en());

export {
  _default,
  array,
  boolean,
  catchall,
  describe,
  extend,
  gte,
  int,
  iso,
  length,
  literal,
  looseObject,
  lte,
  maxLength,
  meta,
  minLength,
  never,
  nonnegative,
  nullable,
  number,
  object,
  optional,
  pipe,
  positive,
  record,
  refine,
  regex,
  strictObject,
  string,
  superRefine,
  transform,
  trim,
  union,
  unknown,
  url,
} from 'zod/mini';
export { enum } from 'zod/mini';
export type { infer, input, output, ZodMiniObject as ZodObject, ZodMiniType as ZodType } from 'zod/mini';
