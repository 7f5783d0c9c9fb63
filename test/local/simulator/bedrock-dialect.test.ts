/**
 * The simulator's Bedrock Runtime Converse API over HTTP: SigV4 requests accepted by their access
 * key id (per-credential limits and faults apply as to any key), Bedrock's error shapes, and the
 * ConverseStream answer in AWS event-stream framing.
 */
import { EventStreamCodec } from '@smithy/core/event-streams';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startProviderSimulator, type ProviderSimulator } from '../../../local/simulator';

const MODEL = 'amazon.nova-lite-v1:0';
const SIGNED = { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTASKA/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=00', 'content-type': 'application/json' };
const body = JSON.stringify({ system: [{ text: '[smartdental:chat.reply]\nBe kind.' }], messages: [{ role: 'user', content: [{ text: 'Hello' }] }], inferenceConfig: { maxTokens: 50 } });

let simulator: ProviderSimulator;
beforeAll(async () => {
  simulator = await startProviderSimulator({ keys: { AKIDTASKA: {}, AKIDTASKB: {} } });
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.configure({ keys: { AKIDTASKA: {}, AKIDTASKB: {} }, faults: {}, disabledModels: {} });
  simulator.resetStats();
});

const converse = (path: string, headers: Record<string, string> = SIGNED) => fetch(`${simulator.url}${path}`, { method: 'POST', headers, body });

it('answers Converse JSON to a SigV4-signed request, counted against its access key id', async () => {
  const response = await converse(`/model/${encodeURIComponent(MODEL)}/converse`);
  expect(response.status).toBe(200);
  const answer = (await response.json()) as { output: { message: { content: Array<{ text: string }> } }; usage: { inputTokens: number; outputTokens: number; totalTokens: number }; stopReason: string };
  expect(answer.output.message.content[0]!.text).toContain('simulated reply');
  expect(answer.stopReason).toBe('end_turn');
  expect(answer.usage.totalTokens).toBe(answer.usage.inputTokens + answer.usage.outputTokens);
  expect(simulator.stats().keys.AKIDTASKA).toMatchObject({ requests: 1, inputTokens: answer.usage.inputTokens });
});

it('refuses a request without a SigV4 Credential, in Bedrock\'s error shape', async () => {
  for (const headers of [{ 'content-type': 'application/json' }, { ...SIGNED, authorization: 'AWS4-HMAC-SHA256 SignedHeaders=host' }]) {
    const response = await converse(`/model/${MODEL}/converse`, headers);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toMatch(/^UnrecognizedClientException:/);
    expect(await response.json()).toEqual({ message: expect.any(String) });
  }
  expect(simulator.stats().totals.unauthorized).toBe(2);
});

it('frames ConverseStream as an AWS event stream: messageStart, deltas, messageStop, then metadata with the usage', async () => {
  const response = await converse(`/model/${MODEL}/converse-stream`);
  expect(response.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
  const codec = new EventStreamCodec((b) => Buffer.from(b).toString('utf8'), (s) => new Uint8Array(Buffer.from(s, 'utf8')));
  const bytes = Buffer.from(await response.arrayBuffer());
  const messages = [];
  // Each message starts with its total length (a big-endian uint32 prelude).
  for (let at = 0; at < bytes.length; at += bytes.readUInt32BE(at)) messages.push(codec.decode(bytes.subarray(at, at + bytes.readUInt32BE(at))));
  const events = messages.map((m) => ({ type: m.headers[':event-type']!.value as string, payload: JSON.parse(Buffer.from(m.body).toString('utf8')) as Record<string, any> }));
  const types = events.map((e) => e.type);
  expect(types[0]).toBe('messageStart');
  expect(types.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
  const text = events.filter((e) => e.type === 'contentBlockDelta').map((e) => e.payload.delta.text as string).join('');
  expect(text).toContain('simulated reply');
  expect(events.at(-1)!.payload.usage.outputTokens).toBe(Math.ceil(text.length / 4));
});

it('applies per-credential limits: one task\'s access key at its limit gets ThrottlingException, another task\'s does not', async () => {
  simulator.configure({ keys: { AKIDTASKA: { rpm: 1 }, AKIDTASKB: {} } });
  const client = (accessKeyId: string) => new BedrockRuntimeClient({ endpoint: simulator.bedrockEndpoint, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'unused' }, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
  const command = () => new ConverseCommand({ modelId: MODEL, system: [{ text: 'Be kind.' }], messages: [{ role: 'user', content: [{ text: 'Hi' }] }] });
  await client('AKIDTASKA').send(command());
  await expect(client('AKIDTASKA').send(command())).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
  await expect(client('AKIDTASKB').send(command())).resolves.toMatchObject({ stopReason: 'end_turn' });
});

it('answers a switched-off model with ServiceUnavailableException (503)', async () => {
  simulator.configure({ disabledModels: [MODEL] });
  const response = await converse(`/model/${MODEL}/converse`);
  expect(response.status).toBe(503);
  expect(response.headers.get('x-amzn-errortype')).toMatch(/^ServiceUnavailableException:/);
});

it('throttles as Bedrock does: ThrottlingException with only a message, no retry-after header', async () => {
  simulator.configure({ faults: { throttle: 1 } });
  const response = await converse(`/model/${MODEL}/converse`);
  expect(response.status).toBe(429);
  expect(response.headers.get('x-amzn-errortype')).toMatch(/^ThrottlingException:/);
  expect(response.headers.get('retry-after')).toBeNull();
  expect(await response.json()).toEqual({ message: expect.any(String) });
});

it('answers the malformed fault with a cut Converse document, or an event stream whose second event is not JSON', async () => {
  simulator.configure({ faults: { malformed: 1 } });
  const plain = await converse(`/model/${MODEL}/converse`);
  expect(plain.status).toBe(200);
  const text = await plain.text();
  expect(text).toMatch(/^\{"output"/);
  expect(() => JSON.parse(text)).toThrow(/JSON/);

  const stream = await converse(`/model/${MODEL}/converse-stream`);
  expect(stream.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
  const codec = new EventStreamCodec((b) => Buffer.from(b).toString('utf8'), (s) => new Uint8Array(Buffer.from(s, 'utf8')));
  const bytes = Buffer.from(await stream.arrayBuffer());
  const messages: Array<ReturnType<EventStreamCodec['decode']>> = [];
  // The framing (lengths and checksums) is intact: only the payload is damaged.
  for (let at = 0; at < bytes.length; at += bytes.readUInt32BE(at)) messages.push(codec.decode(bytes.subarray(at, at + bytes.readUInt32BE(at))));
  expect(messages.map((m) => m.headers[':event-type']!.value)).toEqual(['messageStart', 'contentBlockDelta']);
  expect(() => JSON.parse(Buffer.from(messages[1]!.body).toString('utf8'))).toThrow(/JSON/);
});
