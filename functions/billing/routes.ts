/**
 * The billing task's routes, declared once: the catalog, the handler's dispatch, the OpenAPI
 * document and the fuzzer all read them from here.
 */
import { declareRoute } from '#core/route-declaration';
import { claimRequestSchema, claimResponseSchema, estimateRequestSchema, estimateResponseSchema } from './schemas';

export const ROUTES = {
  claims: declareRoute({
    method: 'POST',
    path: '/v1/billing/claims',
    ai: true,
    request: claimRequestSchema,
    response: claimResponseSchema,
    idempotent: true,
    operationId: 'draftClaim',
    summary: 'Suggest CDT codes and a claim narrative',
    description: 'Code suggestions with rationale, a narrative where payers usually ask for one, and the insurance estimate for the procedures.',
  }),
  estimates: declareRoute({
    method: 'POST',
    path: '/v1/billing/estimates',
    ai: false,
    request: estimateRequestSchema,
    response: estimateResponseSchema,
    operationId: 'estimateCoverage',
    summary: 'Insurance and patient shares, exact to the cent',
    description: 'Plain arithmetic, no AI: CDT category (defaults or categoryOverrides), coinsurance, deductible, then the annual maximum (or the ortho lifetime maximum for orthodontic lines), line by line in the order given.',
  }),
};
