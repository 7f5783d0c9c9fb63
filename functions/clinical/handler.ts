/**
 * Clinical task: differential diagnoses and phased treatment plans for the dentist.
 *
 * `POST /v1/clinical/diagnoses` and `POST /v1/clinical/treatment-plans`. The model's answer must
 * fit the task's JSON schema; every tooth number and CDT code in it is then checked: an invalid
 * one triggers one repair, and what is still invalid after it is dropped with a warning.
 */
import { createHttpHandler, route } from '#core/http';
import { taskFunctionFromEnv } from '#core/task-function';
import { outcomeHeaders } from '#core/task-runtime';
import { checkDiagnoses, checkTreatmentPlan, repairInstructions, warningsFor } from './dental-codes';
import {
  DIAGNOSES_OUTPUT_KIND,
  DIAGNOSES_SYSTEM_PROMPT,
  TREATMENT_PLAN_OUTPUT_KIND,
  TREATMENT_PLAN_SYSTEM_PROMPT,
  buildDiagnosesUserPrompt,
  buildTreatmentPlanUserPrompt,
} from './prompts';
import { diagnosesModelOutputSchema, diagnosesRequestSchema, treatmentPlanModelOutputSchema, treatmentPlanRequestSchema, type DiagnosesResponse, type TreatmentPlanResponse } from './schemas';

const { runtime, observability } = taskFunctionFromEnv();

export const handler = createHttpHandler({
  observability,
  routes: [
    route({
      method: 'POST',
      path: '/v1/clinical/diagnoses',
      body: diagnosesRequestSchema,
      handle: async ({ body, identity, deadline, annotate }) => {
        const answer = await runtime.generate({
          practiceId: identity.practiceId,
          outputKind: DIAGNOSES_OUTPUT_KIND,
          system: DIAGNOSES_SYSTEM_PROMPT,
          messages: [{ role: 'user', content: buildDiagnosesUserPrompt(body) }],
          schema: diagnosesModelOutputSchema,
          domainProblems: (output) => problemsOf(checkDiagnoses(output).invalid),
          cacheInput: body,
          deadline,
        });
        const checked = checkDiagnoses(answer.data);
        annotate({ cache: answer.cached ? 'hit' : 'miss', repaired: answer.repaired, dropped: checked.invalid.length });
        const response: DiagnosesResponse = { ...checked.valid, warnings: warningsFor(checked.invalid) };
        return { body: response, headers: outcomeHeaders(answer) };
      },
    }),
    route({
      method: 'POST',
      path: '/v1/clinical/treatment-plans',
      body: treatmentPlanRequestSchema,
      handle: async ({ body, identity, deadline, annotate }) => {
        const answer = await runtime.generate({
          practiceId: identity.practiceId,
          outputKind: TREATMENT_PLAN_OUTPUT_KIND,
          system: TREATMENT_PLAN_SYSTEM_PROMPT,
          messages: [{ role: 'user', content: buildTreatmentPlanUserPrompt(body) }],
          schema: treatmentPlanModelOutputSchema,
          domainProblems: (output) => problemsOf(checkTreatmentPlan(output).invalid),
          cacheInput: body,
          deadline,
        });
        const checked = checkTreatmentPlan(answer.data);
        annotate({ cache: answer.cached ? 'hit' : 'miss', repaired: answer.repaired, dropped: checked.invalid.length });
        // checkTreatmentPlan keeps the model's fields and narrows codes and teeth to checked strings.
        const response = { ...checked.valid, warnings: warningsFor(checked.invalid) } as TreatmentPlanResponse;
        return { body: response, headers: outcomeHeaders(answer) };
      },
    }),
  ],
});

function problemsOf(invalid: Parameters<typeof repairInstructions>[0]): string[] {
  return invalid.length === 0 ? [] : [repairInstructions(invalid)];
}
