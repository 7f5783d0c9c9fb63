/**
 * Billing task: CDT code suggestions and claim narratives from a model, estimates in plain code.
 *
 * `POST /v1/billing/estimates` never calls a model: it is integer-cent arithmetic over the
 * coverage. `POST /v1/billing/claims` asks the model for codes and a narrative, checks every code
 * (one repair, then drop with a warning) and prices the claim with the same estimate code. A claim
 * sent again with the same `Idempotency-Key` gets the first answer back.
 */
import { ENV, requireEnv } from '#core/env';
import { BadRequestError } from '#core/errors';
import { createHttpHandler, type RouteContext, type RouteResult } from '#core/http';
import { RouteIdempotency } from '#core/idempotency';
import { routeKey, serveRoute } from '#core/route-declaration';
import { taskFunctionFromEnv } from '#core/task-function';
import { outcomeHeaders } from '#core/task-runtime';
import { checkSuggestedCodes, repairInstructions, requiresClaimNarrative, warningsFor } from '../domain/dental-codes';
import { categoryOf, estimateCoverage, resolveCategory, unpriceableReason } from './estimate';
import { CLAIM_OUTPUT_KIND, CLAIM_SYSTEM_PROMPT, buildClaimUserPrompt } from './prompts';
import { ROUTES } from './routes';
import { claimModelOutputSchema, type ClaimModelOutput, type ClaimRequest, type ClaimResponse } from './schemas';

const { runtime, observability, doc } = taskFunctionFromEnv();
const idempotency = new RouteIdempotency({ tableName: requireEnv(ENV.cacheTable), doc });

export const handler = createHttpHandler({
  observability,
  routes: [
    serveRoute(ROUTES.estimates, async ({ body }) => ({ body: estimateCoverage(body) })),
    // A claim retried with the same Idempotency-Key is answered once and charged once.
    serveRoute(ROUTES.claims, async (ctx) =>
      idempotency.run(
        { key: ctx.headers['idempotency-key'], practiceId: ctx.identity.practiceId, route: routeKey(ROUTES.claims), body: ctx.body, deadline: ctx.deadline },
        () => suggestClaim(ctx),
      ),
    ),
  ],
});

async function suggestClaim({ body, identity, deadline, annotate }: RouteContext<ClaimRequest>): Promise<RouteResult> {
  // A code the caller sent that no estimate can price, or an ortho line the coverage cannot price,
  // is the caller's error: say so before any model call is made or charged.
  const callerCategories = body.procedures.map((procedure) => (procedure.cdtCode === undefined ? undefined : resolveCategory(procedure.cdtCode, body.categoryOverrides)));
  const reason = unpriceableReason(callerCategories, body.coverage);
  if (reason !== undefined) throw new BadRequestError(reason);
  const answer = await runtime.generate({
    practiceId: identity.practiceId,
    outputKind: CLAIM_OUTPUT_KIND,
    system: CLAIM_SYSTEM_PROMPT,
    messages: [{ role: 'user', content: buildClaimUserPrompt(body) }],
    schema: claimModelOutputSchema,
    domainProblems: (output) => {
      const { invalid } = checkClaimCodes(output, body);
      return invalid.length === 0 ? [] : [repairInstructions(invalid)];
    },
    cacheInput: body,
    deadline,
  });
  const response = assembleClaim(answer.data, body);
  annotate({ cache: answer.cached ? 'hit' : 'miss', repaired: answer.repaired, dropped: response.warnings.length });
  return { body: response, headers: outcomeHeaders(answer) };
}

/** Codes must be well-formed, priceable and point at a procedure of the request. */
function checkClaimCodes(output: ClaimModelOutput, request: ClaimRequest) {
  const checked = checkSuggestedCodes<ClaimModelOutput['suggestedCodes'][number], ClaimModelOutput>(output);
  const invalid = [...checked.invalid];
  const suggestedCodes = checked.valid.suggestedCodes.filter((suggestion, index) => {
    const reasons: string[] = [];
    if (suggestion.procedureIndex >= request.procedures.length) reasons.push(`procedureIndex ${suggestion.procedureIndex} does not name one of the ${request.procedures.length} procedures`);
    if (!hasCategory(suggestion.cdtCode)) reasons.push(`${suggestion.cdtCode} is not in a CDT range this estimate can price`);
    if (reasons.length > 0) invalid.push({ path: `suggestedCodes[${index}]`, item: suggestion, reasons });
    return reasons.length === 0;
  });
  return { suggestedCodes, invalid };
}

function hasCategory(cdtCode: string): boolean {
  try {
    categoryOf(cdtCode);
    return true;
  } catch {
    return false;
  }
}

function assembleClaim(output: ClaimModelOutput, request: ClaimRequest): ClaimResponse {
  const { suggestedCodes, invalid } = checkClaimCodes(output, request);
  const warnings = warningsFor(invalid);
  const codes = request.procedures.map((procedure, index) => procedure.cdtCode ?? suggestedCodes.find((s) => s.procedureIndex === index)?.cdtCode);
  const uncoded = codes.flatMap((code, index) => (code === undefined ? [index] : []));
  if (uncoded.length > 0) warnings.push(`No valid code for procedure ${uncoded.join(', ')}; the estimate needs a code for every procedure`);
  // The caller's own codes passed this check before the model was asked; a suggested ortho code
  // can still need the ortho maximum, and the codes and narrative are worth returning without it.
  const unpriced = uncoded.length > 0 ? undefined : unpriceableReason(codes.map((code) => resolveCategory(code!, request.categoryOverrides)), request.coverage);
  if (unpriced !== undefined) warnings.push(`No estimate: ${unpriced}`);
  const estimate =
    uncoded.length > 0 || unpriced !== undefined
      ? null
      : estimateCoverage({
          procedures: request.procedures.map((procedure, index) => ({
            cdtCode: codes[index]!,
            ...(procedure.toothNumber === undefined ? {} : { toothNumber: procedure.toothNumber }),
            feeCents: procedure.feeCents,
          })),
          coverage: request.coverage,
          ...(request.categoryOverrides === undefined ? {} : { categoryOverrides: request.categoryOverrides }),
        });
  const needsNarrative = codes.some((code) => code !== undefined && requiresClaimNarrative(code));
  return { suggestedCodes, narrative: needsNarrative ? output.narrative : null, estimate, warnings };
}
