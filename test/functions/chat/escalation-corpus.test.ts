/**
 * The escalation classifier against every labelled escalation fixture, test/fixtures/escalation-*.json
 * (the corpus and the blind batches, each kept in its own file so its blind figure stays
 * traceable; read by pattern so that a new batch cannot be left out):
 * every emergency must escalate (recall 100 %), at most 3 % of the other messages may, and the
 * figures, with the classifier's time per message, are printed for `npm test` to show.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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

interface Fixture {
  file: string;
  categories?: string[];
  messages: CorpusMessage[];
}

const FIXTURES = join(__dirname, '../../fixtures');
const fixtures: Fixture[] = readdirSync(FIXTURES)
  .filter((file) => /^escalation-.+\.json$/.test(file))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Omit<Fixture, 'file'>) }));
const corpus = fixtures.find((f) => f.file === 'escalation-corpus.json')!;
const messages = fixtures.flatMap((f) => f.messages);
const emergencies = messages.filter((m) => m.escalate);
const others = messages.filter((m) => !m.escalate);
const conversation = (m: CorpusMessage) => [...(m.earlier ?? []), { role: 'user' as const, content: m.message }];
const decide = (m: CorpusMessage) => detectEmergency(conversation(m));
const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;

const figures: string[] = [];
afterAll(() => {
  const files = fixtures.map((f) => `${f.file} ${f.messages.length}`).join(', ');
  process.stdout.write(`\nEscalation corpus (${messages.length} messages from ${files}: ${emergencies.length} emergencies, ${others.length} others, ${messages.filter((m) => m.language === 'es').length} in Spanish)\n${figures.map((f) => `  ${f}\n`).join('')}`);
});

describe('escalation corpus', () => {
  it('reads every labelled escalation fixture, with message ids unique across them', () => {
    expect(fixtures.map((f) => f.file)).toEqual(expect.arrayContaining(['escalation-corpus.json', 'escalation-blind-3.json', 'escalation-blind-4.json', 'escalation-blind-5.json']));
    for (const f of fixtures) {
      expect([f.file, Array.isArray(f.messages) && f.messages.length > 0]).toEqual([f.file, true]);
      if (f.categories) expect([f.file, new Set(f.categories)]).toEqual([f.file, new Set(corpus.categories)]);
    }
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    for (const f of fixtures) {
      for (const m of f.messages) {
        if (seen.has(m.id)) duplicates.push(`${m.id} in ${seen.get(m.id)} and ${f.file}`);
        else seen.set(m.id, f.file);
      }
    }
    expect(duplicates).toEqual([]);
  });

  it('is large and varied enough to mean something', () => {
    expect(messages.length).toBeGreaterThanOrEqual(1200);
    expect(emergencies.length * 3).toBeGreaterThanOrEqual(messages.length);
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
