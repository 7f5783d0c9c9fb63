/**
 * The clinical task's routes, declared once: the catalog, the handler's dispatch, the OpenAPI
 * document and the fuzzer all read them from here.
 */
import { declareRoute } from '#core/route-declaration';
import { diagnosesRequestSchema, diagnosesResponseSchema, treatmentPlanRequestSchema, treatmentPlanResponseSchema } from './schemas';

export const ROUTES = {
  diagnoses: declareRoute({
    method: 'POST',
    path: '/v1/clinical/diagnoses',
    ai: true,
    request: diagnosesRequestSchema,
    response: diagnosesResponseSchema,
    operationId: 'suggestDiagnoses',
    summary: 'Differential diagnosis from findings and history',
    description: 'Decision support for the dentist: ranked differential diagnoses with confidence and rationale, recommended tests and urgency.',
  }),
  treatmentPlans: declareRoute({
    method: 'POST',
    path: '/v1/clinical/treatment-plans',
    ai: true,
    request: treatmentPlanRequestSchema,
    response: treatmentPlanResponseSchema,
    operationId: 'planTreatment',
    summary: 'Phased treatment plan for diagnoses',
    description: 'Procedures with CDT codes, teeth, rationale and urgency, in phases, plus alternatives. Invalid codes or teeth from the model are repaired or dropped with a warning.',
  }),
};
