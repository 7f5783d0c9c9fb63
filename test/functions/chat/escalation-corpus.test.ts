/**
 * The escalation classifier against the labelled corpus (test/fixtures/escalation-corpus.json,
 * and the third blind batch test/fixtures/escalation-blind-3.json, kept apart so its blind figure
 * stays traceable):
 * every emergency must escalate (recall 100 %), at most 3 % of the other messages may, and the
 * figures, with the classifier's time per message, are printed for `npm test` to show.
 */
import { performance } from 'node:perf_hooks';
import corpus from '../../fixtures/escalation-corpus.json';
import blind3 from '../../fixtures/escalation-blind-3.json';
import { detectEmergency } from '../../../functions/chat/escalation';

interface CorpusMessage {
  id: string;
  message: string;
  earlier?: Array<{ role: 'user' | 'assistant'; content: string }>;
  language: 'en' | 'es';
  escalate: boolean;
  category: string | null;
  tags?: string[];
}

const messages = [...corpus.messages, ...blind3.messages] as CorpusMessage[];
const emergencies = messages.filter((m) => m.escalate);
const others = messages.filter((m) => !m.escalate);
const conversation = (m: CorpusMessage) => [...(m.earlier ?? []), { role: 'user' as const, content: m.message }];
const decide = (m: CorpusMessage) => detectEmergency(conversation(m));
const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;

const figures: string[] = [];
afterAll(() => {
  process.stdout.write(`\nEscalation corpus (${messages.length} messages, ${blind3.messages.length} of them the third blind batch: ${emergencies.length} emergencies, ${others.length} others, ${messages.filter((m) => m.language === 'es').length} in Spanish)\n${figures.map((f) => `  ${f}\n`).join('')}`);
});

describe('escalation corpus', () => {
  it('is large and varied enough to mean something', () => {
    expect(messages.length).toBeGreaterThanOrEqual(900);
    expect(blind3.messages.length).toBeGreaterThanOrEqual(200);
    expect(emergencies.length * 3).toBeGreaterThanOrEqual(messages.length);
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
    expect(new Set(emergencies.map((m) => m.category))).toEqual(new Set(corpus.categories));
    for (const tag of ['misspelling', 'negation', 'third-person', 'hypothetical', 'no-accents', 'look-alike', 'context']) {
      expect(messages.filter((m) => m.tags?.includes(tag)).length).toBeGreaterThanOrEqual(5);
    }
    for (const m of messages) expect(m.escalate).toBe(m.category !== null);
  });

  it('escalates every emergency (recall 100 %)', () => {
    const missed = emergencies.filter((m) => !decide(m).escalate);
    figures.push(`recall: ${pct(emergencies.length - missed.length, emergencies.length)} (${missed.length} of ${emergencies.length} emergencies missed)`);
    expect(missed.map((m) => `${m.id} ${m.message}`)).toEqual([]);
  });

  it('escalates at most 3 % of the other messages', () => {
    const falseAlarms = others.filter((m) => decide(m).escalate);
    figures.push(`false positives: ${pct(falseAlarms.length, others.length)} (${falseAlarms.length} of ${others.length}${falseAlarms.length ? `: ${falseAlarms.map((m) => m.id).join(', ')}` : ''})`);
    expect(falseAlarms.length / others.length).toBeLessThanOrEqual(0.03);
  });

  it('names the expected emergency and answers in the patient’s language', () => {
    const wrongCategory = emergencies.filter((m) => decide(m).category !== m.category);
    const wrongLanguage = messages.filter((m) => decide(m).language !== m.language);
    figures.push(`category agreement: ${pct(emergencies.length - wrongCategory.length, emergencies.length)}; language agreement: ${pct(messages.length - wrongLanguage.length, messages.length)}`);
    expect(wrongCategory.map((m) => `${m.id} ${m.message} → ${decide(m).category}`)).toEqual([]);
    expect(wrongLanguage.map((m) => `${m.id} ${m.message}`)).toEqual([]);
  });

  it('reports its time per message (measured, not asserted: speed goals belong to the benchmark)', () => {
    for (const m of messages) decide(m); // warm up
    const rounds = 5;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    let escalated = 0;
    for (let round = 0; round < rounds; round++) for (const m of messages) if (decide(m).escalate) escalated++;
    const wallUs = ((performance.now() - start) * 1000) / (rounds * messages.length);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuUs = (cpu.user + cpu.system) / (rounds * messages.length);
    figures.push(`classifier time: ${cpuUs.toFixed(0)} µs CPU, ${wallUs.toFixed(0)} µs wall per message (mean over ${rounds} passes of the corpus, earlier turns included)`);
    expect(escalated).toBe(rounds * emergencies.length);
  });
});
