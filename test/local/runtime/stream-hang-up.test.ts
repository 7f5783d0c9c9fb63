/**
 * A patient who closes the chat mid-answer: the gateway aborts the provider's stream (the
 * simulator sees its client go before the last frame), and the ledger is charged what was
 * produced up to then — more than nothing, less than the whole answer, with no reservation left.
 */
import { createDocumentClient } from '../../../functions/core/dynamo';
import { DynamoUsageLedger, utcDay, type LedgerCounters } from '../../../functions/core/usage-ledger';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';

const ADMIN = { authorization: 'Bearer local-dev-token', 'content-type': 'application/json', accept: 'text/event-stream' };
const CHAT = JSON.stringify({ messages: [{ role: 'user', content: 'Can you tell me how to look after my teeth between cleanings?' }] });

let runtime: LocalRuntime;
let ledger: DynamoUsageLedger;
let destroyDoc: () => void;

beforeAll(async () => {
  runtime = await startLocalRuntime({ port: 0, quiet: true, env: {} });
  const doc = createDocumentClient({ endpoint: runtime.endpoints.dynamodb, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  destroyDoc = () => doc.destroy();
  ledger = new DynamoUsageLedger({ doc, tableName: runtime.tables.usage });
});
afterAll(async () => {
  destroyDoc?.();
  await runtime?.close();
});

const chatDay = (): Promise<LedgerCounters> => ledger.readTaskDay('chat', utcDay(Date.now()));

async function until<T>(probe: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('aborts the model stream when the client hangs up and charges only what was produced', async () => {
  // The whole answer, for comparison.
  const full = await fetch(`${runtime.url}/v1/chat/messages`, { method: 'POST', headers: ADMIN, body: CHAT });
  expect(full.status).toBe(200);
  const fullText = await full.text();
  const done = /event: done\ndata: (.*)\n/.exec(fullText);
  const fullOutputTokens = (JSON.parse(done![1]!) as { usage: { outputTokens: number } }).usage.outputTokens;
  expect((fullText.match(/event: delta/g) ?? []).length).toBeGreaterThan(3);
  const before = await until(chatDay, (d) => d.requests === 1 && d.reservedTokens === 0);

  // Slow frames, and a client that leaves after the first delta.
  runtime.simulator.configure({ streamFrameDelayMs: 300 });
  const controller = new AbortController();
  const response = await fetch(`${runtime.url}/v1/chat/messages`, { method: 'POST', headers: ADMIN, body: CHAT, signal: controller.signal });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  let received = '';
  while (!received.includes('event: delta')) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    received += Buffer.from(value).toString('utf8');
  }
  expect(received).toContain('event: delta');
  controller.abort();

  // The provider saw its client go before the last frame.
  await until(() => runtime.simulator.stats().totals.streamsCutOff, (n) => n === 1);
  // The cut-off call was settled, not released and not left reserved.
  const after = await until(chatDay, (d) => d.requests === 2 && d.reservedTokens === 0);
  const charged = { inputTokens: after.inputTokens - before.inputTokens, outputTokens: after.outputTokens - before.outputTokens };
  expect(charged.inputTokens).toBeGreaterThan(0);
  expect(charged.outputTokens).toBeGreaterThan(0);
  expect(charged.outputTokens).toBeLessThan(fullOutputTokens);
  expect(after.committedTokens).toBe(after.inputTokens + after.outputTokens);
}, 60_000);
