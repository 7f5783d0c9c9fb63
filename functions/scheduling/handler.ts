/**
 * Scheduling task: free-slot search in plain code, and reminder wording from a small model.
 *
 * A reminder must always go out: when the model is unavailable, over budget or answers something
 * unusable, the response is a template reminder with `"source": "template"` instead of an error.
 * The patient's first name never reaches the model (it writes a placeholder we fill in).
 */
import { GatewayError } from '#core/errors';
import { createHttpHandler } from '#core/http';
import { redactForLog } from '#core/observability';
import { serveRoute } from '#core/route-declaration';
import { taskFunctionFromEnv } from '#core/task-function';
import { outcomeHeaders } from '#core/task-runtime';
import { REMINDER_OUTPUT_KIND, REMINDER_SYSTEM_PROMPT, buildReminderUserPrompt, personalizeReminder } from './prompts';
import { buildTemplateReminder, channelProblems, fitsChannel, reminderResponse } from './reminder-template';
import { ROUTES } from './routes';
import { reminderModelOutputSchema, type ReminderRequest, type ReminderResponse } from './schemas';
import { findSlots } from './slots';

const { runtime, observability } = taskFunctionFromEnv();

export const handler = createHttpHandler({
  observability,
  routes: [
    serveRoute(ROUTES.slots, async ({ body }) => ({ body: findSlots(body, Date.now()) })),
    serveRoute(ROUTES.reminders, async ({ body, identity, deadline, annotate }) => {
      try {
        const answer = await runtime.generate({
          practiceId: identity.practiceId,
          outputKind: REMINDER_OUTPUT_KIND,
          system: REMINDER_SYSTEM_PROMPT,
          messages: [{ role: 'user', content: buildReminderUserPrompt(body) }],
          schema: reminderModelOutputSchema,
          // Checked with the name filled in, which can change the length and the encoding; the problems name lengths only.
          domainProblems: (output) => channelProblems(body.channel, personalizeReminder(output.text, body).trim()),
          // Reminders for different patients share an entry: the name is not part of what was asked.
          cacheInput: { ...body, appointment: { ...body.appointment, patientFirstName: body.appointment.patientFirstName === undefined ? undefined : '{firstName}' } },
          deadline,
        });
        const reminder = modelReminder(answer.data, body);
        if (reminder) {
          annotate({ source: 'model', cache: answer.cached ? 'hit' : 'miss' });
          return { body: reminder, headers: outcomeHeaders(answer) };
        }
        annotate({ source: 'template', reason: 'unusable-model-text' });
      } catch (error) {
        // Our own typed errors (over budget, providers down, bad output) fall back to the template;
        // anything unexpected is still a bug and surfaces as one.
        if (!(error instanceof GatewayError)) throw error;
        observability.logger.warn('reminder model unavailable; sending the template', redactForLog(error));
        annotate({ source: 'template', reason: error.code });
      }
      return { body: buildTemplateReminder(body), headers: { 'x-smartdental-source': 'template' } };
    }),
  ],
});

function modelReminder(output: { text: string; subject?: string }, request: ReminderRequest): ReminderResponse | undefined {
  const text = personalizeReminder(output.text, request).trim();
  if (text === '' || !fitsChannel(request.channel, text)) return undefined;
  return reminderResponse(request.channel, text, 'model', output.subject ?? `Your appointment at ${request.appointment.practiceName}`);
}
