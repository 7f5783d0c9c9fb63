/**
 * Patient chat: a reply as JSON, or as server-sent events when the client sends
 * `Accept: text/event-stream` (API Gateway response streaming; the handler is streamified).
 *
 * Emergencies are decided in plain code before any model is asked: the patient gets
 * `"escalate": true` and advice to call, even when every provider is down. The model is asked
 * only for ordinary conversation, and its prompt forbids diagnoses.
 *
 * Events of a stream: `delta` (`{"text"}`) as the model writes, then one `done`
 * (`{"escalate", "usage"}`), or one `error` (`{"error": {"code", "message"}}`) if the provider
 * fails mid-answer — a stream always ends with `done` or `error`, never just stops.
 */
import { Readable } from 'node:stream';
import { ProviderUnavailableError, toHttpError } from '#core/errors';
import { createHttpHandler } from '#core/http';
import { ProviderCallError, type ModelStreamEvent } from '#core/model-call';
import { redactForLog } from '#core/observability';
import { serveRoute } from '#core/route-declaration';
import { taskFunctionFromEnv } from '#core/task-function';
import { outcomeHeaders, streamOutcomeHeaders, type StreamOpened } from '#core/task-runtime';
import { detectEmergency } from './escalation';
import { CHAT_OUTPUT_KIND, buildChatSystemPrompt, buildChatTurns } from './prompts';
import { ROUTES } from './routes';
import type { ChatResponse } from './schemas';

const { runtime, observability } = taskFunctionFromEnv();

export const handler = createHttpHandler({
  observability,
  streaming: true,
  routes: [
    serveRoute(ROUTES.messages, async ({ body, headers, identity, deadline, annotate }) => {
      const wantsStream = (headers.accept ?? '').includes('text/event-stream');
      const emergency = detectEmergency(body.messages);
      if (emergency.escalate) {
        annotate({ escalate: true, reason: emergency.category, language: emergency.language });
        const response: ChatResponse = { reply: emergency.reply!, escalate: true, escalationReason: emergency.reason, advice: emergency.advice };
        return wantsStream ? { body: Readable.from([sse('delta', { text: response.reply }), sse('done', { escalate: true, escalationReason: emergency.reason, advice: emergency.advice })]) } : { body: response };
      }

      const prompt = { practiceId: identity.practiceId, outputKind: CHAT_OUTPUT_KIND, system: buildChatSystemPrompt(body.practiceName), messages: buildChatTurns(body), deadline };
      if (!wantsStream) {
        const answer = await runtime.complete(prompt);
        annotate({ escalate: false });
        const response: ChatResponse = { reply: answer.text.trim(), escalate: false, usage: { inputTokens: answer.usage.inputTokens, outputTokens: answer.usage.outputTokens } };
        return { body: response, headers: outcomeHeaders({ ...answer, cached: false }) };
      }

      // Admission and the provider's first event happen before the 200 is sent, so a budget
      // or provider failure is still an ordinary 429/503 with Retry-After.
      let opened: StreamOpened | undefined;
      const events = runtime.stream(prompt, (which) => (opened = which));
      const first = await events.next();
      annotate({ escalate: false, streamed: true });
      return { body: Readable.from(sseFrames(first, events)), headers: opened ? streamOutcomeHeaders(opened) : {} };
    }),
  ],
});

async function* sseFrames(first: IteratorResult<ModelStreamEvent>, rest: AsyncGenerator<ModelStreamEvent>): AsyncGenerator<string> {
  try {
    let next = first;
    while (!next.done) {
      const event = next.value;
      if (event.type === 'delta') yield sse('delta', { text: event.text });
      else yield sse('done', { escalate: false, usage: { inputTokens: event.usage.inputTokens, outputTokens: event.usage.outputTokens } });
      next = await rest.next();
    }
  } catch (error) {
    observability.logger.warn('chat stream failed after it started', redactForLog(error));
    // A provider that breaks off mid-answer is a provider failure, not an internal one.
    const mapped = toHttpError(error instanceof ProviderCallError ? new ProviderUnavailableError('The model stopped answering mid-stream; ask again') : error);
    yield sse('error', mapped.body);
  } finally {
    // A client that goes away stops pulling this generator; ending the model stream here runs
    // its cleanup, which settles or releases the task's token reservation.
    await rest.return(undefined);
  }
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
