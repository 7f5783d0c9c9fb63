/**
 * The patient chat end to end in-process: JSON answers, server-sent events parsed as a client
 * would, escalation before any model call, and a stream cut by the provider ending in an error event.
 */
import { resolveCatalog } from '../../../lib/catalog';
import { DynamoUsageLedger, utcDay } from '../../../functions/core/usage-ledger';
import { apiEvent, lambdaContext } from '../../support/api-event';
import { invokeStreaming, type StreamedResponse } from '../../support/awslambda';
import { startStandIns, type StandIns } from '../../support/stand-ins';
import { waitFor } from '../../support/wait-for';

let standIns: StandIns;
let handler: (...args: any[]) => Promise<unknown>;
let ledger: DynamoUsageLedger;

async function chat(content: string, accept = 'application/json'): Promise<StreamedResponse> {
  return invokeStreaming(handler, apiEvent({ resource: '/v1/chat/messages', body: { messages: [{ role: 'user', content }] }, headers: { Accept: accept } }), lambdaContext(30_000));
}

function parseSse(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const event = /^event: (.+)$/m.exec(frame)?.[1] ?? 'message';
      const data = JSON.parse(/^data: (.+)$/m.exec(frame)?.[1] ?? 'null');
      return { event, data };
    });
}

beforeAll(async () => {
  standIns = await startStandIns();
  handler = standIns.loadHandler('chat');
  ledger = new DynamoUsageLedger({ doc: standIns.dynamo.doc, tableName: standIns.dynamo.tables.usage });
});
afterAll(() => standIns.close());
beforeEach(() => standIns.simulator.resetStats());

describe('POST /v1/chat/messages', () => {
  it('answers JSON with the reply and its usage', async () => {
    const res = await chat('How long does a filling take?');
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.escalate).toBe(false);
    expect(body.reply.length).toBeGreaterThan(0);
    expect(body.usage.outputTokens).toBe(standIns.simulator.stats().totals.outputTokens);
  });

  it('streams server-sent events that a client can parse, ending with done and the usage', async () => {
    const before = await ledger.readTaskDay('chat', utcDay(Date.now()));
    const res = await chat('Can I bring my kids to the same appointment?', 'text/event-stream');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events = parseSse(res.body);
    expect(events.filter((e) => e.event === 'delta').length).toBeGreaterThan(0);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const served = standIns.simulator.stats().totals;
    expect(done.data.usage).toEqual({ inputTokens: served.inputTokens, outputTokens: served.outputTokens });
    const after = await ledger.readTaskDay('chat', utcDay(Date.now()));
    expect(after.outputTokens - before.outputTokens).toBe(served.outputTokens);
    expect(after.reservedTokens).toBe(0);
  });

  it('escalates an emergency in plain code, before and without any model call', async () => {
    const res = await chat('My face is really swollen on one side and I have a fever of 39');
    const body = JSON.parse(res.body);
    expect(res.statusCode).toBe(200);
    expect(body.escalate).toBe(true);
    expect(body.advice).toMatch(/call/i);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });

  it('escalates in Spanish, in the language the patient wrote in, without any model call', async () => {
    const res = await chat('No tengo fiebre, pero la hinchazón de la muela ya me llega al ojo');
    const body = JSON.parse(res.body);
    expect(res.statusCode).toBe(200);
    expect(body).toMatchObject({ escalate: true });
    expect(body.advice).toMatch(/llame al 911 \(112 en Europa\)/);
    expect(body.reply).toMatch(/^Esto puede ser una urgencia\./);
    expect(body.reply).toContain(body.advice);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });

  it('escalates a streamed request with the advice as the only delta, then done, without any model call', async () => {
    const res = await chat("I don't know why but I can't breathe", 'text/event-stream');
    expect(res.statusCode).toBe(200);
    const events = parseSse(res.body);
    expect(events.map((e) => e.event)).toEqual(['delta', 'done']);
    expect(events[0]!.data.text).toMatch(/call 911/);
    expect(events[1]!.data).toMatchObject({ escalate: true, advice: expect.stringMatching(/call 911/) });
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });

  it('lets the model answer when the negation governs the symptom ("no swelling and no trouble breathing")', async () => {
    const res = await chat('No swelling and no trouble breathing, I just want to book a check-up');
    const body = JSON.parse(res.body);
    expect(body.escalate).toBe(false);
    expect(standIns.simulator.stats().totals.requests).toBe(1);
  });

  it('ends a stream the provider cuts with an error event, and charges nothing for it', async () => {
    standIns.simulator.configure({ faults: { cutStream: 1 } });
    try {
      const before = await ledger.readTaskDay('chat', utcDay(Date.now()));
      const res = await chat('What are your opening hours on Saturday?', 'text/event-stream');
      const events = parseSse(res.body);
      expect(events.at(-1)!.event).toBe('error');
      expect(events.at(-1)!.data.error.code).toBeDefined();
      const after = await ledger.readTaskDay('chat', utcDay(Date.now()));
      expect(after.reservedTokens).toBe(0);
      expect(after.inputTokens).toBe(before.inputTokens);
    } finally {
      standIns.simulator.configure({ faults: { cutStream: 0 } });
    }
  });

  it('settles or releases the reservation when the client hangs up mid-stream', async () => {
    const before = await ledger.readTaskDay('chat', utcDay(Date.now()));
    const event = apiEvent({ resource: '/v1/chat/messages', body: { messages: [{ role: 'user', content: 'Tell me about your whitening options' }] }, headers: { Accept: 'text/event-stream' } });
    const res = await invokeStreaming(handler, event, lambdaContext(30_000), { failAfterChunks: 1 });
    expect(res.body.length).toBeGreaterThan(0);
    // The model stream is ended from the handler's cleanup, after the answer: wait for its ledger write.
    const after = await waitFor('the reservation settled or released in the ledger', async () => {
      const day = await ledger.readTaskDay('chat', utcDay(Date.now()));
      return day.reservedTokens === before.reservedTokens ? day : undefined;
    });
    expect(after.reservedTokens).toBe(0);
    expect(after.committedTokens - before.committedTokens).toBe(after.inputTokens + after.outputTokens - before.inputTokens - before.outputTokens);
  });

  it('rejects a conversation that does not end with the patient, with 400 before any model call', async () => {
    const res = await invokeStreaming(
      handler,
      apiEvent({ resource: '/v1/chat/messages', body: { messages: [{ role: 'assistant', content: 'Hello' }] } }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(/last message/);
    expect(standIns.simulator.stats().totals.requests).toBe(0);
  });
});

describe('observability of a streamed answer', () => {
  it("publishes the stream's token metrics and its request log line within the invocation that produced them", async () => {
    const observed = standIns.loadHandler('chat', 'handler', { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_DEV: 'false' });
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      lines.push(...String(chunk).split('\n').filter((line) => line.trim().startsWith('{')));
      return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    }) as typeof process.stdout.write;
    let res: StreamedResponse;
    try {
      res = await invokeStreaming(observed, apiEvent({ resource: '/v1/chat/messages', body: { messages: [{ role: 'user', content: 'Do you take walk-ins?' }] }, headers: { Accept: 'text/event-stream' } }), lambdaContext(30_000));
    } finally {
      process.stdout.write = write;
    }
    expect(res.statusCode).toBe(200);
    const records = lines.map((line) => JSON.parse(line) as Record<string, any>);
    const served = standIns.simulator.stats().totals;
    // The EMF record with this request's tokens was written before the invocation returned, not with the next one.
    const emf = records.filter((r) => r._aws?.CloudWatchMetrics);
    expect(emf.map((r) => r.OutputTokens).filter((v) => v !== undefined)).toEqual([served.outputTokens]);
    const request = records.filter((r) => r.message === 'request');
    expect(request).toHaveLength(1);
    expect(request[0]).toMatchObject({ status: 200, streamed: true });
  });
});

describe('how an answer was produced', () => {
  const chatModels = () => resolveCatalog({ stage: 'local' }).byName.chat.providers;

  it('a JSON answer from the fallback says so (x-smartdental-fallback) and names its provider and model', async () => {
    const [primary, fallback] = chatModels();
    standIns.simulator.configure({ modelFaults: { [primary!.model]: { throttle: 1 } }, throttleRetryAfterSeconds: 1 });
    try {
      const res = await chat('Do you have parking?');
      expect(res.statusCode).toBe(200);
      expect(res.headers).toMatchObject({ 'x-smartdental-fallback': 'true', 'x-smartdental-provider': fallback!.provider, 'x-smartdental-model': fallback!.model });
    } finally {
      standIns.simulator.configure({ modelFaults: {} });
    }
    const direct = await chat('Do you open on Sundays?');
    expect(direct.headers['x-smartdental-fallback']).toBeUndefined();
    expect(direct.headers['x-smartdental-provider']).toBe(primary!.provider);
  });

  it('a streamed answer carries the provider and model headers too (no token count: only its done event knows it)', async () => {
    const [primary] = chatModels();
    const res = await chat('Can I eat before a cleaning?', 'text/event-stream');
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers).toMatchObject({ 'x-smartdental-provider': primary!.provider, 'x-smartdental-model': primary!.model, 'x-smartdental-cache': 'miss' });
    expect(res.headers['x-smartdental-tokens']).toBeUndefined();
  });
});
