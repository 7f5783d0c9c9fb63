/**
 * The `scrub` PHI policy end to end through the real handlers (chat JSON and stream, clinical
 * diagnoses), dynalite and the provider simulator over sockets: what an outside provider received
 * holds placeholders only, the caller gets the originals back, and an inside fallback gets the text
 * as it is.
 */
import { apiEvent, lambdaContext } from '../../../support/api-event';
import { invokeStreaming, type StreamedResponse } from '../../../support/awslambda';
import { PATIENT, PATIENT_TEXT, PLANTED, plantedIn } from '../../../support/phi-patient';
import { startStandIns, type StandIns } from '../../../support/stand-ins';
import { DEFAULT_MODELS } from '../../../../lib/catalog';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;

let standIns: StandIns;
let chatHandler: (...args: any[]) => Promise<unknown>;
let clinicalHandler: Handler;

beforeAll(async () => {
  standIns = await startStandIns({
    catalog: {
      // Clinical: an outside primary and a self-hosted fallback on a private address.
      taskOverrides: { clinical: { providers: [{ provider: 'anthropic', model: DEFAULT_MODELS.anthropicLarge }, { provider: 'openai-compatible', model: DEFAULT_MODELS.local, baseUrl: 'http://10.0.0.5:8000/v1' }] } },
    },
  });
  chatHandler = standIns.loadHandler('chat', 'handler', { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_DEV: 'false' });
  clinicalHandler = standIns.loadHandler<Handler>('clinical');
});
afterAll(() => standIns.close());
beforeEach(() => standIns.simulator.resetStats());

function chat(content: string, accept = 'application/json'): Promise<StreamedResponse> {
  return invokeStreaming(chatHandler, apiEvent({ resource: '/v1/chat/messages', body: { messages: [{ role: 'user', content }] }, headers: { Accept: accept } }), lambdaContext(30_000));
}

async function diagnose(chiefComplaint: string) {
  const body = { chiefComplaint, toothFindings: [{ toothNumber: '19', finding: 'deep distal caries' }], ageYears: 65 };
  const res = await clinicalHandler(apiEvent({ resource: '/v1/clinical/diagnoses', body }), lambdaContext(29_000));
  return { ...res, json: JSON.parse(res.body) };
}

/** Every line written to stdout and stderr while `work` runs (the function's logs and EMF metrics). */
async function outputOf<T>(work: () => Promise<T>): Promise<{ result: T; output: string }> {
  const { stdout, stderr } = process;
  const writes = { out: stdout.write, err: stderr.write };
  let output = '';
  const sink = (chunk: unknown, ...rest: unknown[]) => {
    output += String(chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : chunk);
    const done = rest.find((r) => typeof r === 'function');
    if (typeof done === 'function') (done as () => void)();
    return true;
  };
  stdout.write = sink as typeof stdout.write;
  stderr.write = sink as typeof stderr.write;
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => void sink(`${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
  try {
    return { result: await work(), output };
  } finally {
    stdout.write = writes.out;
    stderr.write = writes.err;
    methods.forEach((m, i) => (console[m] = saved[i]!));
  }
}

const deltasOf = (body: string) =>
  body
    .split('\n\n')
    .filter((frame) => frame.startsWith('event: delta'))
    .map((frame) => JSON.parse(/^data: (.+)$/m.exec(frame)![1]!).text as string)
    .join('');

describe('scrub: an outside provider never sees the identifiers, the caller gets them back', () => {
  it('chat as JSON, with kinds and counts only in the logs', async () => {
    const { result: res, output } = await outputOf(() => chat(PATIENT_TEXT));
    expect(res.statusCode).toBe(200);
    expect(output).toMatch(/"phiCounts":\{[^}]*"phone":1/);
    expect(PLANTED.filter((planted) => output.includes(planted))).toEqual([]);
    const received = standIns.simulator.received();
    expect(received).toHaveLength(1);
    expect(plantedIn(received)).toEqual([]);
    expect(received[0]!.body).toMatch(/\[NAME_1\]/);
    const reply = JSON.parse(res.body).reply as string;
    for (const original of [PATIENT.name, PATIENT.phone, PATIENT.email, PATIENT.dob]) expect(reply).toContain(original);
    expect(reply).not.toMatch(/\[(NAME|PHONE|EMAIL|DATE|MRN)_\d+\]/);
  });

  it('chat streamed, with placeholders split over deltas', async () => {
    const res = await chat(PATIENT_TEXT, 'text/event-stream');
    expect(res.statusCode).toBe(200);
    expect(plantedIn(standIns.simulator.received())).toEqual([]);
    const text = deltasOf(res.body);
    for (const original of [PATIENT.name, PATIENT.phone, PATIENT.email, PATIENT.dob]) expect(text).toContain(original);
    expect(text).not.toMatch(/\[(NAME|PHONE|EMAIL|DATE|MRN)_\d+\]/);
    expect(res.body).toMatch(/event: done/);
  });

  it('clinical diagnoses: JSON restored, cached per original request so another patient is asked afresh', async () => {
    const complaint = `Patient ${PATIENT.name}, DOB ${PATIENT.dob}, phone ${PATIENT.phone}: sharp pain on biting, lower left`;
    const first = await diagnose(complaint);
    expect(first.statusCode).toBe(200);
    expect(plantedIn(standIns.simulator.received())).toEqual([]);
    const rationale = first.json.differentialDiagnoses[0].rationale as string;
    expect(rationale).toContain(PATIENT.name);
    expect(rationale).toContain(PATIENT.phone);

    const again = await diagnose(complaint);
    expect(again.headers['x-smartdental-cache']).toBe('hit');
    expect(again.json).toEqual(first.json);

    // Same placeholders once scrubbed, but another patient: a key on the scrubbed text would serve Maria's answer.
    const other = await diagnose(complaint.replace(PATIENT.name, 'John Smith'));
    expect(other.headers['x-smartdental-cache']).toBe('miss');
    expect(other.json.differentialDiagnoses[0].rationale).toContain('John Smith');
    expect(other.json.differentialDiagnoses[0].rationale).not.toContain(PATIENT.name);
    expect(standIns.simulator.stats().totals.requests).toBe(2);
  });

  it('scrubs only the outside attempt: the inside fallback gets the text as it is', async () => {
    standIns.simulator.configure({ disabledModels: { [DEFAULT_MODELS.anthropicLarge]: 'unavailable' } });
    try {
      const res = await diagnose(`Patient ${PATIENT.name}, phone ${PATIENT.phone}: cold sensitivity upper right`);
      expect(res.statusCode).toBe(200);
      const received = standIns.simulator.received();
      const outside = received.filter((r) => r.dialect === 'anthropic');
      const inside = received.filter((r) => r.dialect === 'openai');
      expect(outside.length).toBeGreaterThan(0);
      expect(plantedIn(outside)).toEqual([]);
      expect(inside).toHaveLength(1);
      expect(inside[0]!.body).toContain(PATIENT.name);
      expect(inside[0]!.body).toContain(PATIENT.phone);
    } finally {
      standIns.simulator.configure({ disabledModels: {} });
    }
  });
});
