/**
 * Requests the scenarios send, one builder per AI route, valid for the route's schema. `n` makes
 * each request distinct (so the response cache does not answer it) unless a scenario repeats a
 * number on purpose. No patient identifiers: what a practice would send.
 */
import { PNG } from 'pngjs';

export interface BenchRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export const TEETH = ['3', '14', '19', '30', '8', '9', '12', '21'] as const;

export function clinicalDiagnosis(n: number): BenchRequest {
  return {
    method: 'POST',
    path: '/v1/clinical/diagnoses',
    body: {
      chiefComplaint: `Sharp pain on biting, worse with cold (case ${n})`,
      symptoms: ['pain on biting', n % 2 === 0 ? 'lingering cold sensitivity' : 'sensitivity to sweets'],
      toothFindings: [{ toothNumber: TEETH[n % TEETH.length], finding: 'deep distal caries, tender to percussion' }],
      medicalHistory: { allergies: n % 3 === 0 ? ['penicillin'] : [] },
      ageYears: 25 + (n % 50),
    },
  };
}

export function clinicalTreatmentPlan(n: number): BenchRequest {
  return {
    method: 'POST',
    path: '/v1/clinical/treatment-plans',
    body: {
      diagnoses: [{ condition: 'Irreversible pulpitis', toothNumbers: [TEETH[n % TEETH.length]], notes: `case ${n}` }],
      ageYears: 30 + (n % 40),
    },
  };
}

const CHAT_QUESTIONS = [
  'Can I move my cleaning to next week?',
  'Do you accept my dental plan for fillings?',
  'How long does a crown appointment take?',
  'Is it normal for a new filling to feel a little high?',
  'What should I bring to my first visit?',
];

export function chatMessage(n: number): BenchRequest {
  return {
    method: 'POST',
    path: '/v1/chat/messages',
    body: { messages: [{ role: 'user', content: `${CHAT_QUESTIONS[n % CHAT_QUESTIONS.length]} (message ${n})` }], practiceName: 'Maple Street Dental' },
  };
}

export function billingClaim(n: number): BenchRequest {
  return {
    method: 'POST',
    path: '/v1/billing/claims',
    body: {
      clinicalNotes: `Recurrent decay under an old amalgam on #19, MOD resin composite placed (claim ${n}).`,
      procedures: [{ cdtCode: 'D2393', toothNumber: '19', description: 'Resin-based composite, three surfaces, posterior', feeCents: 24_500 + n }],
      coverage: { preventivePct: 100, basicPct: 80, majorPct: 50, orthoPct: 0, deductibleRemainingCents: 5_000, annualMaxRemainingCents: 120_000 },
    },
  };
}

export function schedulingReminder(n: number, now = Date.now()): BenchRequest {
  const start = new Date(Math.ceil((now + (2 + (n % 10)) * 86_400_000) / 3_600_000) * 3_600_000).toISOString();
  return {
    method: 'POST',
    path: '/v1/scheduling/reminders',
    body: {
      appointment: { start, timeZone: 'America/New_York', procedureDescription: n % 2 === 0 ? 'cleaning and check-up' : 'filling', practiceName: 'Maple Street Dental', practicePhone: '+1 555 010 0000' },
      channel: n % 2 === 0 ? 'sms' : 'email',
    },
  };
}

/** A small grey PNG; `n` changes one pixel so every radiograph is a distinct image. */
export function radiographPng(n: number, size = 96): Buffer {
  const png = new PNG({ width: size, height: size, colorType: 0 });
  for (let i = 0; i < size * size; i++) {
    const offset = i * 4;
    const shade = 90 + ((i * 7 + n) % 60);
    png.data[offset] = shade;
    png.data[offset + 1] = shade;
    png.data[offset + 2] = shade;
    png.data[offset + 3] = 255;
  }
  png.data[0] = n % 256;
  return PNG.sync.write(png, { colorType: 0 });
}

export function imagingAnalysis(n: number): BenchRequest {
  return {
    method: 'POST',
    path: '/v1/imaging/analyses',
    body: { modality: 'bitewing', image: { contentType: 'image/png', dataBase64: radiographPng(n).toString('base64') } },
  };
}

export function imagingJob(jobId: string): BenchRequest {
  return { method: 'GET', path: `/v1/imaging/analyses/${encodeURIComponent(jobId)}` };
}
