/**
 * Emergency detection for the patient chat, in plain code and before any model is asked: a
 * patient describing an emergency must be told what to do now, whatever a model would have said
 * and even when every provider is down.
 *
 * A small engine over the tables of escalation-rules.ts. The latest patient message decides;
 * the patient's earlier messages only complete a combination ("my cheek is swollen", later
 * "now I have a fever"). Each message is normalised (lowercase, no accents or apostrophes,
 * doubled letters written once, known misspellings and one-letter typos of table words
 * corrected), cut into clauses at punctuation and words such as "but"/"pero"/"and now", and
 * searched for the phrases of each feature. A negation governs only its own clause, and only
 * forward up to an "and"/"y": "no fever, but the swelling reaches my eye" escalates. A clause's
 * cancel phrase takes a feature back for the whole clause; an except phrase only for the matches it
 * overlaps ("big pills are hard to swallow" is no airway sign, "…and I can't breathe" still is).
 *
 * Policy, safety first:
 * - whoever the patient writes about ("my son knocked out his tooth") is treated as the patient;
 * - a question naming an emergency ("what do I do if a tooth gets knocked out?") escalates too:
 *   code cannot tell a general question from one asked while it happens, and the escalation
 *   advice is also the right answer to the general question;
 * - only a negated, past ("years ago", "in 2019", unless the clause also says "now"), resolving
 *   ("the swelling went down") or fictional mention stands down: a clause about a character ("a
 *   patient", "un señor") in a message that names a show or film ("episode", "novela") and says
 *   nothing of the patient ("my", "I", "mi") is a story, not a symptom.
 */
import { ESCALATION_ADVICE, ESCALATION_LEAD } from './escalation-advice';
import {
  CATEGORIES,
  LANGUAGES,
  MACROS,
  MISSPELLINGS,
  NOT_TYPOS,
  REWRITES,
  TOPIC_FEATURES,
  NEVER_RESOLVED,
  TYPO_TARGETS,
  type EscalationCategory,
  type Feature,
  type PatientLanguage,
} from './escalation-rules';
import type { ChatMessage } from './schemas';

export type { EscalationCategory, PatientLanguage } from './escalation-rules';

export interface EscalationDecision {
  escalate: boolean;
  /** The language of the latest patient message, which the advice is written in. */
  language: PatientLanguage;
  category?: EscalationCategory;
  /** Short, patient-safe reason (no diagnosis). */
  reason?: string;
  /** What to do now. */
  advice?: string;
  /** The whole message for the patient: a lead, then the advice. */
  reply?: string;
}

// ---------------------------------------------------------------- normalisation

/** Words whose doubled letter carries meaning the phrases rely on ("fell" is not "feel"). */
const KEEP_DOUBLED = new Set(['feel', 'fell', 'off', 'too', 'see', 'been', 'need', 'good', 'food', 'week']);

function normaliseWord(word: string): string {
  return KEEP_DOUBLED.has(word) ? word : word.replace(/([a-z])\1+/g, '$1');
}

/** Lowercase ASCII without accents or apostrophes; clause punctuation becomes a `|` token. */
function plainTokens(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/['’‘`´]/g, '')
    .replace(/(\d)[.,](\d)/g, '$1 $2')
    .replace(/[.!?;:,\n\r()¿¡"“”…]+|\s[-–—]+\s/g, ' | ')
    .replace(/[^a-z0-9|]+/g, ' ')
    .split(' ')
    .filter((token) => token !== '');
}

const MISSPELLING_TABLE = new Map(Object.entries(MISSPELLINGS).map(([typo, meant]) => [normaliseWord(typo), meant.split(' ').map(normaliseWord)]));
const NOT_TYPO_SET = new Set(NOT_TYPOS.map(normaliseWord));

// ---------------------------------------------------------------- phrase compiler

const LANGUAGE_LIST = Object.values(LANGUAGES);
/** Single-word negations ("no", "not", "sin"): a phrase's gap never skips one. */
const NEGATION_WORDS = new Set(LANGUAGE_LIST.flatMap((l) => l.negations.flatMap((p) => p.split('|').filter((alt) => /^[a-z]+$/.test(alt)).map(normaliseWord))));
const AND_WORDS = new Set(LANGUAGE_LIST.flatMap((l) => l.negationBreaks.flatMap((p) => p.split('|').map(normaliseWord))));
/**
 * Negations and "and"s carry a mark in the matched text (`¬no`, `&and`), so a phrase's gap can
 * refuse them with a character class instead of a word list: the regexes stay small and compile
 * fast on a cold start.
 */
const NEGATION_MARK = '¬';
const AND_MARK = '&';
function marked(word: string): string {
  if (NEGATION_WORDS.has(word)) return NEGATION_MARK + word;
  return AND_WORDS.has(word) ? AND_MARK + word : word;
}
const unmarked = (word: string) => (word.startsWith(NEGATION_MARK) || word.startsWith(AND_MARK) ? word.slice(1) : word);
/** Every literal word of every phrase: the words a typo is corrected towards. */
const VOCABULARY = new Set<string>(TYPO_TARGETS.map(normaliseWord));

function escapeRegex(word: string): string {
  return word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function alternatives(slot: string, depth = 0): string {
  if (depth > 3) throw new Error(`escalation rules: macros nested too deep in "${slot}"`);
  return slot
    .split('|')
    .map((alt) => {
      if (alt.startsWith('@')) {
        const macro = MACROS[alt.slice(1)];
        if (macro === undefined) throw new Error(`escalation rules: unknown macro ${alt}`);
        return alternatives(macro, depth + 1);
      }
      return alt
        .split('_')
        .map((word) => {
          if (word.endsWith('*')) return `${escapeRegex(normaliseWord(word.slice(0, -1)))}[a-z0-9]*`;
          const plain = normaliseWord(word);
          if (plain.length >= 5) VOCABULARY.add(plain);
          return escapeRegex(marked(plain));
        })
        .join(' ');
    })
    .join('|');
}

/** A phrase (syntax in escalation-rules.ts) as a regex over `" word word word "`, one match per token start. */
export function compilePhrase(phrase: string): RegExp {
  const parts = phrase
    .trim()
    .split(/\s+/)
    .map((slot) => {
      const gap = /^(~~?)(\d+)$/.exec(slot);
      if (gap) return `(?:${gap[1] === '~~' ? `${AND_MARK}?` : ''}[a-z0-9]+ ){0,${gap[2]}}`;
      if (slot.startsWith('!')) return `(?!(?:${alternatives(slot.slice(1))}) )`;
      if (slot.startsWith('[') && slot.endsWith(']')) return `(?:(?:${alternatives(slot.slice(1, -1))}) )?`;
      return `(?:${alternatives(slot)}) `;
    });
  return new RegExp(`(?<= )${parts.join('')}`, 'g');
}

interface Span {
  start: number;
  end: number;
}

function compileAll(phrases: string[] | undefined): RegExp[] {
  return (phrases ?? []).map(compilePhrase);
}

const merged = <K extends 'negations' | 'notNegations' | 'history' | 'present' | 'resolved' | 'clauseBreaks' | 'fiction' | 'characters' | 'self'>(key: K) =>
  compileAll(LANGUAGE_LIST.flatMap((l) => l[key]));
const NEGATIONS = merged('negations');
const NOT_NEGATIONS = merged('notNegations');
const HISTORY = merged('history');
const PRESENT = merged('present');
const FICTION = merged('fiction');
const CHARACTERS = merged('characters');
const SELF = merged('self');
const RESOLVED = merged('resolved');
const CLAUSE_BREAKS = merged('clauseBreaks');
const FEATURES = new Map<Feature, RegExp[]>();
const CANCELS = new Map<Feature, RegExp[]>();
const EXCEPTS = new Map<Feature, RegExp[]>();
for (const language of LANGUAGE_LIST) {
  for (const [feature, phrases] of Object.entries(language.features) as Array<[Feature, string[]]>) FEATURES.set(feature, [...(FEATURES.get(feature) ?? []), ...compileAll(phrases)]);
  for (const [feature, phrases] of Object.entries(language.cancels) as Array<[Feature, string[]]>) CANCELS.set(feature, [...(CANCELS.get(feature) ?? []), ...compileAll(phrases)]);
  for (const [feature, phrases] of Object.entries(language.excepts ?? {}) as Array<[Feature, string[]]>) EXCEPTS.set(feature, [...(EXCEPTS.get(feature) ?? []), ...compileAll(phrases)]);
}
/** One regex per feature that says whether any of its phrases occurs: most clauses show no feature, and one test rules that out. */
const FEATURE_ANYWHERE = new Map([...FEATURES].map(([feature, res]) => [feature, new RegExp(`(?<= )(?:${res.map((re) => re.source.slice('(?<= )'.length)).join('|')})`)]));
const MARKERS = Object.fromEntries(
  (Object.entries(LANGUAGES) as Array<[PatientLanguage, (typeof LANGUAGES)[PatientLanguage]]>).map(([code, l]) => [code, new Set(l.markers.flatMap((p) => p.split('|').map(normaliseWord)))]),
) as Record<PatientLanguage, Set<string>>;
const VOCABULARY_BY_LENGTH = new Map<number, string[]>();
for (const word of VOCABULARY) VOCABULARY_BY_LENGTH.set(word.length, [...(VOCABULARY_BY_LENGTH.get(word.length) ?? []), word]);

// ---------------------------------------------------------------- typo correction

/** True when a and b differ by one insertion, deletion, substitution or swap of neighbours. */
function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

function correctTypo(word: string): string {
  if (word.length < 6 || VOCABULARY.has(word) || NOT_TYPO_SET.has(word)) return word;
  for (const length of [word.length, word.length - 1, word.length + 1]) {
    for (const candidate of VOCABULARY_BY_LENGTH.get(length) ?? []) {
      if (candidate.length >= 6 && candidate[0] === word[0] && oneEditApart(word, candidate)) return candidate;
    }
  }
  return word;
}

const REWRITE_TABLE = [...Object.entries(REWRITES)].map(([from, to]) => ({ from: from.split(' ').map(normaliseWord), to: to.split(' ').map(normaliseWord) }));

function tokens(text: string): string[] {
  const words = plainTokens(text).flatMap((token) => {
    if (token === '|') return [token];
    const word = normaliseWord(token);
    return MISSPELLING_TABLE.get(word) ?? [correctTypo(word)];
  });
  for (const { from, to } of REWRITE_TABLE) {
    for (let i = words.indexOf(from[0]!); i >= 0; i = words.indexOf(from[0]!, i + 1)) {
      if (from.every((word, k) => words[i + k] === word)) words.splice(i, from.length, ...to);
    }
  }
  return words;
}

// ---------------------------------------------------------------- clauses and negation

/** A clause as `" w1 w2 … "`, so a phrase matches only at word starts. */
function clauses(words: string[]): string[] {
  let text = ` ${words.map((word) => (word === '|' ? word : marked(word))).join(' ')} `;
  for (const re of CLAUSE_BREAKS) text = text.replace(re, '| ');
  return text
    .split('|')
    .map((clause) => ` ${clause.trim()} `)
    .filter((clause) => clause.trim() !== '');
}

/** Token index of each character offset of a clause string (`" w1 w2 … "`). */
function tokenIndex(clause: string): Uint32Array {
  const index = new Uint32Array(clause.length + 1);
  let count = 0;
  for (let i = 1; i <= clause.length; i++) {
    index[i] = count;
    if (clause[i] === ' ') count++;
  }
  return index;
}

function spans(clause: string, res: RegExp[], index: Uint32Array): Span[] {
  const found: Span[] = [];
  for (const re of res) {
    for (const m of clause.matchAll(re)) found.push({ start: index[m.index]!, end: index[m.index + m[0].length]! });
  }
  return found;
}

/** How far forward a negation reaches, in words. */
const NEGATION_REACH = 5;

/** Words a phrase may start with that are negative already: "No I can't breathe" is not a double negative. */
const NEGATIVE_STARTS = new Set([...NEGATION_WORDS, ...['cant', 'cannot', 'can', 'could', 'couldnt', 'unable', 'wont', 'barely', 'hardly', 'almost', 'apenas', 'casi'].map(normaliseWord)]);

function negatedAt(start: number, words: string[], negations: Span[]): boolean {
  if (NEGATIVE_STARTS.has(unmarked(words[start] ?? ''))) return false;
  return negations.some((cue) => {
    if (cue.end > start || start - cue.end > NEGATION_REACH) return false;
    // "no no no, the swelling…" is emphasis, not a negation of what follows.
    if (words[cue.end]?.startsWith(NEGATION_MARK) || words[cue.start - 1]?.startsWith(NEGATION_MARK)) return false;
    for (let i = cue.end; i < start; i++) if (words[i]!.startsWith(AND_MARK)) return false;
    return true;
  });
}

const occurs = (clause: string, res: RegExp[]) => res.some((re) => clause.search(re) >= 0);

/** The features one message affirms. */
function affirmedFeatures(text: string): Set<Feature> {
  const found = new Set<Feature>();
  const all = clauses(tokens(text));
  let fiction: boolean | undefined;
  for (const clause of all) {
    const present = [...FEATURES.keys()].filter((feature) => !found.has(feature) && FEATURE_ANYWHERE.get(feature)!.test(clause));
    if (present.length === 0) continue;
    // A character's symptoms in a show the message names, with nothing in the clause about the patient.
    if (occurs(clause, CHARACTERS) && !occurs(clause, SELF) && (fiction ??= all.some((c) => occurs(c, FICTION)))) continue;
    const past = occurs(clause, HISTORY) && !occurs(clause, PRESENT);
    const resolved = RESOLVED.some((re) => clause.search(re) >= 0);
    const words = clause.trim().split(' ');
    const index = tokenIndex(clause);
    let negations: Span[] | undefined;
    const negationsOnce = (): Span[] => {
      if (negations) return negations;
      const notNegations = spans(clause, NOT_NEGATIONS, index);
      return (negations = spans(clause, NEGATIONS, index).filter((cue) => !notNegations.some((n) => cue.start >= n.start && cue.start < n.end)));
    };
    for (const feature of present) {
      if (TOPIC_FEATURES.has(feature)) {
        found.add(feature);
        continue;
      }
      if (past || (resolved && !NEVER_RESOLVED.has(feature))) continue;
      const excepted = EXCEPTS.has(feature) ? spans(clause, EXCEPTS.get(feature)!, index) : [];
      const affirmed = spans(clause, FEATURES.get(feature)!, index).filter((m) => !excepted.some((e) => m.start < e.end && e.start < m.end));
      if (!affirmed.some((m) => !negatedAt(m.start, words, negationsOnce()))) continue;
      if ((CANCELS.get(feature) ?? []).some((re) => clause.search(re) >= 0)) continue;
      found.add(feature);
    }
  }
  return found;
}

/**
 * English unless the message reads as more Spanish than English: everyday and symptom words of each
 * language count one each, and an accent or ñ/¿/¡ one more for Spanish, so that in Spanglish the
 * language carrying the sentence wins ("mi throat se está cerrando, I can't breathe bien" is English).
 */
export function detectLanguage(text: string): PatientLanguage {
  const words = tokens(text);
  let es = /[ñ¿¡áéíóú]/i.test(text) ? 1 : 0;
  let en = 0;
  for (const word of words) {
    if (MARKERS.es.has(word)) es++;
    if (MARKERS.en.has(word)) en++;
  }
  return es > en ? 'es' : 'en';
}

/** How many earlier patient messages can complete a combination. */
export const CONTEXT_MESSAGES = 10;

/**
 * Decides on the latest patient message; the patient's earlier messages (never the assistant's,
 * which may quote symptoms back) only complete a combination of features. Returns the most
 * serious emergency described, in the order of CATEGORIES.
 */
export function detectEmergency(messages: ReadonlyArray<Pick<ChatMessage, 'role' | 'content'>>): EscalationDecision {
  const patient = messages.filter((m) => m.role === 'user');
  const latest = patient.at(-1)?.content ?? '';
  const language = detectLanguage(latest);
  const now = affirmedFeatures(latest);
  if (now.size === 0) return { escalate: false, language };
  // The earlier messages are read only when the latest one leaves a combination incomplete, and
  // only the last few: that bounds the work of a request at its 50 messages of 4,000 characters.
  let before: Set<Feature> | undefined;
  const earlier = (): Set<Feature> => (before ??= new Set(patient.slice(-1 - CONTEXT_MESSAGES, -1).flatMap((m) => [...affirmedFeatures(m.content)])));
  for (const { category, when } of CATEGORIES) {
    const applies = when.some((set) => {
      const needed = set.filter((f): f is Feature => !f.startsWith('!'));
      const unless = set.filter((f) => f.startsWith('!')).map((f) => f.slice(1) as Feature);
      return needed.some((f) => now.has(f)) && !unless.some((f) => now.has(f)) && needed.every((f) => now.has(f) || earlier().has(f));
    });
    if (!applies) continue;
    const { reason, advice } = ESCALATION_ADVICE[language][category];
    return { escalate: true, language, category, reason, advice, reply: `${ESCALATION_LEAD[language]} ${advice}` };
  }
  return { escalate: false, language };
}
