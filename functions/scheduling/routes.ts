/**
 * The scheduling task's routes, declared once: the catalog, the handler's dispatch, the OpenAPI
 * document and the fuzzer all read them from here.
 */
import { declareRoute } from '#core/route-declaration';
import { reminderRequestSchema, reminderResponseSchema, slotsRequestSchema, slotsResponseSchema } from './schemas';

export const ROUTES = {
  slots: declareRoute({
    method: 'POST',
    path: '/v1/scheduling/slots',
    ai: false,
    request: slotsRequestSchema,
    response: slotsResponseSchema,
    operationId: 'findSlots',
    summary: 'Ranked free appointment slots',
    description: 'Plain code, no AI: slots inside working hours that never overlap an appointment, ranked by the patient’s preferences.',
  }),
  reminders: declareRoute({
    method: 'POST',
    path: '/v1/scheduling/reminders',
    ai: true,
    request: reminderRequestSchema,
    response: reminderResponseSchema,
    operationId: 'draftReminder',
    summary: 'Word an appointment reminder (SMS or email)',
    description: 'From a small model; when the model is unavailable or over budget, a template message comes back with source "template" instead of an error.',
  }),
};
