/**
 * Clinical task: differential diagnoses and phased treatment plans for the dentist.
 *
 * `POST /v1/clinical/diagnoses` and `POST /v1/clinical/treatment-plans`. The model's answer must
 * fit the task's JSON schema; every tooth number and CDT code in it is then checked: an invalid
 * one triggers one repair, and what is still invalid after it is dropped with a warning.
 */
import { createHttpHandler, type RouteContext, type RouteResult } from '#core/http';
import { serveRoute } from '#core/route-declaration';
import { taskFunctionFromEnv } from '#core/task-function';
import { outcomeHeaders } from '#core/task-runtime';
import type * as z from '#core/zod';
import { checkDiagnoses, checkTreatmentPlan, repairInstructions, warningsFor, type CodeCheck } from '../domain/dental-codes';
import {
  DIAGNOSES_OUTPUT_KIND,
  DIAGNOSES_SYSTEM_PROMPT,
  TREATMENT_PLAN_OUTPUT_KIND,
  TREATMENT_PLAN_SYSTEM_PROMPT,
  buildDiagnosesUserPrompt,
  buildTreatmentPlanUserPrompt,
} from './prompts';
import { ROUTES } from './routes';
import { diagnosesModelOutputSchema, treatmentPlanModelOutputSchema } from './schemas';

const { runtime, observability } = taskFunctionFromEnv();

export const handler = createHttpHandler({
  observability,
  routes: [
    serveRoute(ROUTES.diagnoses, (context) =>
      askWithCodeChecks(context, {
        outputKind: DIAGNOSES_OUTPUT_KIND,
        system: DIAGNOSES_SYSTEM_PROMPT,
        userPrompt: buildDiagnosesUserPrompt(context.body),
        schema: diagnosesModelOutputSchema,
        check: checkDiagnoses,
      }),
    ),
    serveRoute(ROUTES.treatmentPlans, (context) =>
      askWithCodeChecks(context, {
        outputKind: TREATMENT_PLAN_OUTPUT_KIND,
        system: TREATMENT_PLAN_SYSTEM_PROMPT,
        userPrompt: buildTreatmentPlanUserPrompt(context.body),
        schema: treatmentPlanModelOutputSchema,
        check: checkTreatmentPlan,
      }),
    ),
  ],
});

interface CodeCheckedQuestion<T> {
  outputKind: string;
  system: string;
  userPrompt: string;
  schema: z.ZodType<T>;
  /** Sorts the answer's items into valid (normalised) and invalid ones with reasons. */
  check: (output: T) => CodeCheck<object>;
}

/** Asks the model, repairs once for invalid codes or teeth, and drops what is still invalid with a warning. */
async function askWithCodeChecks<T>({ body, identity, deadline, annotate }: RouteContext<unknown>, question: CodeCheckedQuestion<T>): Promise<RouteResult> {
  const answer = await runtime.generate({
    practiceId: identity.practiceId,
    outputKind: question.outputKind,
    system: question.system,
    messages: [{ role: 'user', content: question.userPrompt }],
    schema: question.schema,
    domainProblems: (output) => {
      const { invalid } = question.check(output);
      return invalid.length === 0 ? [] : [repairInstructions(invalid)];
    },
    cacheInput: body,
    deadline,
  });
  const checked = question.check(answer.data);
  annotate({ cache: answer.cached ? 'hit' : 'miss', repaired: answer.repaired, dropped: checked.invalid.length });
  return { body: { ...checked.valid, warnings: warningsFor(checked.invalid) }, headers: outcomeHeaders(answer) };
}
