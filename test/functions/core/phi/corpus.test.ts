/**
 * The scrubber against the labelled corpora in test/fixtures: identifier recall (an identifier is
 * found when its whole substring is inside replaced text), look-alikes that must survive (tooth
 * numbers, CDT codes, amounts, times, …), and the round trip. Prints the figures and the median
 * scrub time of a 2 KB message; speed is measured, never asserted.
 */
import { findPhiSpans, scrubPhi, type PhiSpan } from '../../../../functions/core/phi/scrub';
import mainCorpus from '../../../fixtures/phi-corpus.json';
import holdoutCorpus from '../../../fixtures/phi-corpus-holdout.json';

interface Annotation {
  kind: string;
  text: string;
  start: number;
}
interface Message {
  id: string;
  lang: string;
  text: string;
  identifiers: Annotation[];
  keep: Annotation[];
}

const corpora: Array<[string, Message[]]> = [
  ['phi-corpus', mainCorpus.messages],
  ['phi-corpus-holdout', holdoutCorpus.messages],
];
const report: string[] = [];

/** True when the spans, taken together, cover [start, end). */
function covered(spans: readonly PhiSpan[], start: number, end: number): boolean {
  let pos = start;
  for (const s of spans) if (s.start <= pos && s.end > pos) pos = s.end;
  return pos >= end;
}

describe.each(corpora)('%s', (name, messages) => {
  it('is well formed: every annotation is the substring at its offset', () => {
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      for (const a of [...m.identifiers, ...m.keep]) expect(m.text.slice(a.start, a.start + a.text.length)).toBe(a.text);
    }
  });

  it('finds at least 98 % of identifiers and never touches a look-alike', () => {
    let identifiers = 0;
    let found = 0;
    let rightKind = 0;
    let keeps = 0;
    const missed: string[] = [];
    const damaged: string[] = [];
    for (const m of messages) {
      const spans = findPhiSpans(m.text);
      for (const id of m.identifiers) {
        identifiers++;
        if (covered(spans, id.start, id.start + id.text.length)) {
          found++;
          if (spans.some((s) => s.start <= id.start && s.end > id.start && s.kind === id.kind)) rightKind++;
        } else {
          missed.push(`${m.id} ${id.kind}`);
        }
      }
      for (const k of m.keep) {
        keeps++;
        const end = k.start + k.text.length;
        if (spans.some((s) => s.start < end && k.start < s.end)) damaged.push(`${m.id} ${k.kind} ${JSON.stringify(k.text)}`);
      }
    }
    const recall = (100 * found) / identifiers;
    report.push(
      `${name}: ${messages.length} messages; identifier recall ${found}/${identifiers} = ${recall.toFixed(1)} % ` +
        `(right kind ${rightKind}/${found}); look-alikes kept ${keeps - damaged.length}/${keeps} = ` +
        `${((100 * (keeps - damaged.length)) / keeps).toFixed(1)} %${missed.length ? `; missed: ${missed.join(', ')}` : ''}`,
    );
    expect(damaged).toEqual([]);
    expect(recall).toBeGreaterThanOrEqual(98);
  });

  it('round-trips: restore(scrub(text)) is the text, and the scrubbed text keeps every look-alike', () => {
    for (const m of messages) {
      const r = scrubPhi(m.text);
      expect(r.restore(r.text)).toBe(m.text);
      for (const k of m.keep) expect(r.text).toContain(k.text);
      // found carries kinds and placeholders only: nothing in it can be an original.
      for (const f of r.found) {
        expect(Object.keys(f).sort()).toEqual(['kind', 'placeholder']);
        expect(f.placeholder).toMatch(/^\[[A-Z_]+_\d+\]$/);
      }
    }
  });
});

describe('speed', () => {
  it('scrubs a 2 KB message (median printed, not asserted)', () => {
    let message = '';
    for (const m of mainCorpus.messages) {
      if (message.length >= 2048) break;
      message += m.text + '\n';
    }
    message = message.slice(0, 2048);
    for (let i = 0; i < 200; i++) scrubPhi(message); // warm-up: JIT and regex compilation
    const times: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = process.hrtime.bigint();
      scrubPhi(message);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    report.push(`median scrub time, 2 KB message (${message.length} chars): ${median.toFixed(3)} ms (target ≤ 0.5 ms)`);
    expect(scrubPhi(message).found.length).toBeGreaterThan(0);
  });
});

afterAll(() => {
  process.stdout.write(`\nPHI scrubber\n  ${report.join('\n  ')}\n`);
});
