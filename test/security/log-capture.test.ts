/**
 * Nothing leaked (issue 7): every line written to stdout, stderr or the console while realistic
 * traffic runs through every function — successes, bad input, provider faults, an unknown key,
 * budgets exhausted — is captured at DEBUG level, and none of them, nor any error body (or
 * error event of a stream), holds an API key, a 12-character piece of one (longer than the
 * fingerprint's hash), or the patient's name, date of birth, phone number or email that the
 * requests carried in their free-text fields. The usage ledger is checked the same way.
 */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { TaskName } from '../../lib/catalog';
import { apiEvent, type EventOptions } from '../support/api-event';
import { VALID_BODIES, VALID_PNG } from '../support/fuzz';
import { startGateway, type Answer, type FunctionName, type Gateway } from './gateway';

const PATIENT = {
  name: 'Margarethe Quellenbach',
  dob: '1957-03-14',
  dobUs: '03/14/1957',
  phone: '+1 (415) 555-0187',
  email: 'm.quellenbach@example.org',
};
/** What must never appear; the name's parts and the bare phone digits count on their own. */
const PATIENT_DATA = [PATIENT.name, 'Margarethe', 'Quellenbach', PATIENT.dob, PATIENT.dobUs, PATIENT.phone, '555-0187', '4155550187', PATIENT.email, 'quellenbach@'];
const NOTE = `Patient ${PATIENT.name}, DOB ${PATIENT.dob} (${PATIENT.dobUs}), phone ${PATIENT.phone}, ${PATIENT.email}`;

const PROVIDER_ENTRIES = ['openai', 'anthropic', 'openai-compatible'] as const;
/** Realistic, long keys (the shapes OpenAI and Anthropic issue), so a logged prefix or tail would show. */
const realisticKey = (entry: string) =>
  (entry === 'openai' ? 'sk-proj-' : entry === 'anthropic' ? 'sk-ant-api03-' : 'local-') + randomBytes(36).toString('base64url');

const lines: string[] = [];
const errorBodies: string[] = [];
const answered: Array<{ label: string; status: number }> = [];
const keys = new Set<string>();
let restoreCapture: () => void;
let gateway: Gateway;
/** Tiny chat and scheduling budgets, and a clinical key the provider does not know. */
let strained: Gateway;

function captureAllOutput(): () => void {
  const { stdout, stderr } = process;
  const writes = { out: stdout.write, err: stderr.write };
  const sink = (chunk: unknown) => {
    lines.push(...String(chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : chunk).split('\n').filter((l) => l.trim() !== ''));
    return true;
  };
  stdout.write = sink as typeof stdout.write;
  stderr.write = sink as typeof stderr.write;
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => void sink(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  return () => {
    stdout.write = writes.out;
    stderr.write = writes.err;
    methods.forEach((m, i) => (console[m] = saved[i]!));
  };
}

async function call(gw: Gateway, fn: FunctionName, label: string, options: EventOptions, timeoutMs = 29_000): Promise<Answer & { json?: any }> {
  const answer = await gw.invoke(fn, apiEvent(options), timeoutMs);
  answered.push({ label, status: answer.statusCode });
  if (answer.statusCode >= 400) errorBodies.push(answer.body);
  // A stream that failed after its 200 carries its error in an `error` event.
  for (const match of answer.body.matchAll(/event: error\ndata: (.*)\n/g)) errorBodies.push(match[1]!);
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    json = undefined;
  }
  return { ...answer, json };
}

const post = (gw: Gateway, fn: TaskName, resource: string, body: unknown, extra: Partial<EventOptions> = {}, timeoutMs?: number) =>
  call(gw, fn, `POST ${resource}`, { resource, body, practiceId: 'practice-a', ...extra }, timeoutMs);

const diagnoses = (complaint: string) => ({
  chiefComplaint: `${complaint}. ${NOTE}`,
  symptoms: [`pain since ${PATIENT.dob}`, 'cold sensitivity'],
  toothFindings: [{ toothNumber: '19', finding: `deep distal caries; call ${PATIENT.phone}` }],
  medicalHistory: { allergies: ['penicillin'], conditions: [`noted by ${PATIENT.name}`], medications: [] },
  ageYears: 67,
});
const claim = (notes: string) => ({
  clinicalNotes: `${notes}. ${NOTE}`,
  procedures: [{ cdtCode: 'D2740', toothNumber: '3', description: `crown for ${PATIENT.name}`, feeCents: 120_000 }],
  coverage: (VALID_BODIES['POST /v1/billing/claims'] as { coverage: unknown }).coverage,
});
const reminder = (channel: 'sms' | 'email') => ({
  appointment: { start: '2030-01-07T15:00:00Z', timeZone: 'America/New_York', procedureDescription: 'cleaning and check-up', practiceName: 'Bright Smiles', practicePhone: '+1 555 0100', patientFirstName: 'Margarethe' },
  channel,
});
const chat = (text: string) => ({ messages: [{ role: 'user', content: `${text} — ${NOTE}` }], practiceName: 'Bright Smiles' });

beforeAll(async () => {
  restoreCapture = captureAllOutput();
  const env = { POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_DEV: 'false' };
  gateway = await startGateway({ env });
  strained = await startGateway({
    env,
    catalog: {
      taskOverrides: {
        chat: { dailyTokenBudget: 50, tokensPerMinute: 50, maxOutputTokens: 20 },
        scheduling: { dailyTokenBudget: 50, tokensPerMinute: 50, maxOutputTokens: 20 },
      },
    },
  });

  // Rotate every task's secret to realistic keys before any function reads it; the simulator learns them too.
  for (const g of [gateway, strained]) {
    const known: Record<string, object> = {};
    for (const task of g.catalog.tasks) {
      const value: Record<string, string[]> = {};
      for (const entry of PROVIDER_ENTRIES) {
        const key = realisticKey(entry);
        keys.add(key);
        keys.add(g.standIns.keyOf(task.name, entry));
        value[entry] = [key];
        if (!(g === strained && task.name === 'clinical')) known[key] = {};
      }
      g.standIns.secrets.setSecret(task.secretName, JSON.stringify(value));
    }
    g.standIns.simulator.configure({ keys: known });
  }

  await runTraffic();
}, 180_000);

afterAll(async () => {
  restoreCapture();
  await Promise.all([gateway?.close(), strained?.close()]);
});

async function runTraffic(): Promise<void> {
  const g = gateway;
  // Successes through every task.
  await post(g, 'clinical', '/v1/clinical/diagnoses', diagnoses('Sharp pain on biting, lower left'));
  await post(g, 'clinical', '/v1/clinical/diagnoses', diagnoses('Sharp pain on biting, lower left')); // cache hit
  await post(g, 'clinical', '/v1/clinical/treatment-plans', { diagnoses: [{ condition: 'Irreversible pulpitis', toothNumbers: ['19'], notes: NOTE }], preferences: `call ${PATIENT.phone}` });
  await post(g, 'billing', '/v1/billing/estimates', VALID_BODIES['POST /v1/billing/estimates']);
  const key = { headers: { 'Idempotency-Key': 'claim-2030-01-07-a' } };
  await post(g, 'billing', '/v1/billing/claims', claim('Fractured cusp on #3'), key);
  await post(g, 'billing', '/v1/billing/claims', claim('Fractured cusp on #3'), key); // replay
  await post(g, 'billing', '/v1/billing/claims', claim('Another tooth entirely'), key); // 422
  await post(g, 'scheduling', '/v1/scheduling/slots', VALID_BODIES['POST /v1/scheduling/slots']);
  await post(g, 'scheduling', '/v1/scheduling/reminders', reminder('sms'));
  await post(g, 'scheduling', '/v1/scheduling/reminders', reminder('email'));
  await post(g, 'chat', '/v1/chat/messages', chat('How long does a cleaning take?'));
  await post(g, 'chat', '/v1/chat/messages', chat('Is whitening safe for me?'), { headers: { Accept: 'text/event-stream' } });
  await post(g, 'chat', '/v1/chat/messages', chat('My face is swollen and I have a fever'));
  const submitted = await post(g, 'imaging', '/v1/imaging/analyses', { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: Buffer.from(VALID_PNG).toString('base64') } });
  await g.pollImagingQueue();
  const jobId = String(submitted.json?.jobId);
  await call(g, 'imaging', 'GET job', { method: 'GET', resource: '/v1/imaging/analyses/{jobId}', pathParameters: { jobId }, practiceId: 'practice-a' });
  await call(g, 'imaging', 'GET foreign job', { method: 'GET', resource: '/v1/imaging/analyses/{jobId}', pathParameters: { jobId }, practiceId: 'practice-b' });
  await post(g, 'imaging', '/v1/imaging/uploads', { contentType: 'image/png', sizeBytes: 2_000_000 });
  await call(g, 'ops', 'GET usage', { method: 'GET', resource: '/v1/usage', admin: true });
  await call(g, 'ops', 'GET usage as staff', { method: 'GET', resource: '/v1/usage' });
  await call(g, 'ops', 'GET health', { method: 'GET', resource: '/health', practiceId: null });

  // Bad input that carries patient data in the wrong places.
  await post(g, 'clinical', '/v1/clinical/diagnoses', { ...diagnoses('pain'), patientName: PATIENT.name, dateOfBirth: PATIENT.dob });
  await post(g, 'clinical', '/v1/clinical/diagnoses', { ...diagnoses('pain'), ageYears: PATIENT.dob });
  await post(g, 'clinical', '/v1/clinical/diagnoses', { ...diagnoses('pain'), toothFindings: [{ toothNumber: PATIENT.phone, finding: PATIENT.email }] });
  await call(g, 'clinical', 'not JSON', { resource: '/v1/clinical/diagnoses', rawBody: `${PATIENT.name}, DOB ${PATIENT.dob}`, practiceId: 'practice-a' });
  await call(g, 'clinical', 'broken JSON', { resource: '/v1/clinical/diagnoses', rawBody: `{"chiefComplaint": "${NOTE}" oops}`, practiceId: 'practice-a' });
  await call(g, 'clinical', 'wrong content type', { resource: '/v1/clinical/diagnoses', rawBody: NOTE, headers: { 'Content-Type': 'text/plain' }, practiceId: 'practice-a' });
  await post(g, 'billing', '/v1/billing/estimates', { procedures: [{ cdtCode: PATIENT.dob, feeCents: -1 }], coverage: { note: NOTE } });
  await post(g, 'billing', '/v1/billing/claims', claim('x'), { headers: { 'Idempotency-Key': PATIENT.email } });
  await post(g, 'scheduling', '/v1/scheduling/reminders', { ...reminder('sms'), appointment: { ...reminder('sms').appointment, patientFirstName: NOTE, practicePhone: PATIENT.email, timeZone: PATIENT.name } });
  await post(g, 'scheduling', '/v1/scheduling/slots', { ...(VALID_BODIES['POST /v1/scheduling/slots'] as object), timeZone: PATIENT.name });
  await post(g, 'chat', '/v1/chat/messages', { messages: [{ role: 'patient', content: NOTE }] });
  await post(g, 'chat', '/v1/chat/messages', { messages: [{ role: 'user', content: NOTE }], email: PATIENT.email }, { headers: { Accept: 'text/event-stream' } });
  await post(g, 'imaging', '/v1/imaging/analyses', { modality: 'bitewing', uploadKey: `uploads/${PATIENT.email}` });
  await call(g, 'imaging', 'GET job by phone', { method: 'GET', resource: '/v1/imaging/analyses/{jobId}', pathParameters: { jobId: PATIENT.phone }, practiceId: 'practice-a' });

  // Provider faults: short deadlines keep the retries brief.
  const faults = async (patch: Parameters<typeof g.standIns.simulator.configure>[0], run: () => Promise<unknown>) => {
    g.standIns.simulator.configure(patch);
    try {
      await run();
    } finally {
      g.standIns.simulator.configure({ faults: {}, disabledModels: {} });
    }
  };
  await faults({ faults: { serverError: 1 } }, () => post(g, 'clinical', '/v1/clinical/diagnoses', diagnoses('Fault: server errors'), {}, 5_000));
  await faults({ faults: { throttle: 1 } }, () => post(g, 'billing', '/v1/billing/claims', claim('Fault: throttled'), {}, 5_000));
  await faults({ faults: { malformed: 1 } }, () => post(g, 'clinical', '/v1/clinical/treatment-plans', { diagnoses: [{ condition: 'Fault: malformed', notes: NOTE }] }, {}, 5_000));
  await faults({ faults: { schema: 1 } }, () => post(g, 'billing', '/v1/billing/claims', claim('Fault: wrong shape'), {}, 5_000));
  await faults({ faults: { overloaded: 1 } }, () => post(g, 'scheduling', '/v1/scheduling/reminders', { ...reminder('email'), appointment: { ...reminder('email').appointment, procedureDescription: 'Fault: overloaded' } }, {}, 5_000));
  await faults({ faults: { cutStream: 1 } }, () => post(g, 'chat', '/v1/chat/messages', chat('Fault: cut stream'), { headers: { Accept: 'text/event-stream' } }, 5_000));
  await faults({ faults: { timeout: 1 } }, () => post(g, 'chat', '/v1/chat/messages', chat('Fault: timeout'), {}, 4_000));

  // Budgets exhausted, and a key the provider does not know.
  const s = strained;
  await post(s, 'chat', '/v1/chat/messages', chat('Over budget'));
  await post(s, 'chat', '/v1/chat/messages', chat('Over budget, streamed'), { headers: { Accept: 'text/event-stream' } });
  await post(s, 'scheduling', '/v1/scheduling/reminders', reminder('sms'));
  await post(s, 'clinical', '/v1/clinical/diagnoses', diagnoses('Unknown key'), {}, 5_000);
}

/**
 * What of a key must never show: the key, its first 12 characters (longer than the fingerprint's
 * 12 hex), and for the realistic keys every 12-character window (a logged tail or middle). The
 * simulated keys (`sim-chat-openai-compatible`) are made of public words like the provider names,
 * so only their whole and their prefix count.
 */
function keyPieces(key: string): string[] {
  if (key.startsWith('sim-')) return [key, key.slice(0, 12)];
  const pieces: string[] = [];
  for (let i = 0; i + 12 <= key.length; i++) pieces.push(key.slice(i, i + 12));
  return pieces;
}

/** Each secret found, once, with the first text it was found in. */
function leaksIn(texts: string[]): Array<{ secret: string; text: string }> {
  const secrets = [...new Set([...[...keys].flatMap(keyPieces), ...PATIENT_DATA].map((s) => s.toLowerCase()))];
  const found = new Map<string, string>();
  for (const text of texts) {
    const lower = text.toLowerCase();
    for (const secret of secrets) if (!found.has(secret) && lower.includes(secret)) found.set(secret, text.slice(0, 400));
  }
  return [...found].map(([secret, text]) => ({ secret, text }));
}

describe('a full run through every function', () => {
  it('exercised successes, refusals, provider faults, budgets and an unknown key', () => {
    const statuses = new Set(answered.map((a) => a.status));
    for (const status of [200, 202, 400, 403, 404, 415, 422, 429]) expect(statuses).toContain(status);
    expect([...statuses].some((s) => s >= 500)).toBe(true);
    expect(errorBodies.length).toBeGreaterThan(20);
  });

  it('captured the structured log lines, at DEBUG, with key fingerprints and errors', () => {
    const json = lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    const requestLines = json.filter((l) => l.message === 'request');
    expect(requestLines.length).toBeGreaterThanOrEqual(answered.length);
    expect(json.some((l) => l.level === 'DEBUG')).toBe(true);
    expect(json.some((l) => l.level === 'ERROR')).toBe(true);
    expect(lines.some((l) => /"k_[0-9a-f]{12}"/.test(l))).toBe(true);
  });

  it('logged no API key, no piece of one, and no patient data', () => {
    expect(leaksIn(lines)).toEqual([]);
  });

  it('answered no error (body or stream event) with a key or patient data', () => {
    expect(leaksIn(errorBodies)).toEqual([]);
  });

  it('wrote no key or patient data into the usage ledger', async () => {
    for (const g of [gateway, strained]) {
      const items = await g.standIns.dynamo.doc.send(new ScanCommand({ TableName: g.standIns.dynamo.tables.usage }));
      expect(items.Items?.length).toBeGreaterThan(0);
      expect(leaksIn((items.Items ?? []).map((item) => JSON.stringify(item)))).toEqual([]);
    }
  });
});
