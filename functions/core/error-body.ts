/**
 * The JSON body of every error answer (see `toHttpError` in errors.ts), as a zod schema so the
 * OpenAPI document can describe it next to the route schemas.
 */
import * as z from './zod';
import type { HttpErrorBody } from './errors';

export const errorBodySchema = z.strictObject({
  error: z.strictObject({
    code: z.string().check(z.describe('Machine-readable code, e.g. BadRequest, PayloadTooLarge, OverBudget, ProviderUnavailable')),
    message: z.string().check(z.describe('What went wrong, written for the caller; never contains keys or patient data')),
    details: z.optional(z.unknown()).check(z.describe('Structured detail, e.g. the validation issues with their field paths')),
    requestId: z.optional(z.string()).check(z.describe("On answers API Gateway gives itself (no route, no token, a task at its concurrency): the request id, also in x-amzn-RequestId")),
  }),
}).check(z.meta({ id: 'ErrorBody', description: 'Body of every 4xx/5xx answer' }));

export type ErrorBody = z.infer<typeof errorBodySchema>;

// Keeps this schema and the type toHttpError produces from drifting apart.
const _sameShape: HttpErrorBody = {} as ErrorBody;
void _sameShape;
