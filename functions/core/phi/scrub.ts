/**
 * HIPAA Safe Harbor scrubbing of dental free text (English and Spanish) before it goes to a model
 * provider outside the business-associate boundary, and restoring the originals in the answer.
 *
 * Pure and synchronous: no I/O, no logging. The originals live only in the closure behind
 * `restore`; `text` and `found` hold placeholders and kinds, so either may be logged.
 *
 * Dates: every explicit calendar date is scrubbed — a day with its month (`4/12/1961`, `April 12`,
 * `12 de abril de 1961`, `2026-11-03`, `on 12/18`) or a month with its year (`March 2024`).
 * Kept: a bare year (`since 2019`), a bare month or weekday, relative days (`next Tuesday`,
 * `tomorrow`) and clock times (`at 3`, `3:30 pm`, `a las 9`). Safe Harbor removes every element of
 * a date except the year, and an appointment's calendar day is such an element, so one rule for all
 * explicit dates is simpler and safer than guessing which date is a birth or discharge date.
 *
 * Not covered: city, county and other geography smaller than a state unless it is part of a street
 * address or a postal code; ages over 89; vehicle, device and licence numbers; biometrics; photos.
 */
import { PHI_KINDS, PLACEHOLDER_TAG, type PhiKind, type PhiSpan } from './kinds';
import { findNames } from './names';
import { findLookAlikes, findShapedIdentifiers, type Candidate } from './patterns';

export type { PhiKind, PhiSpan } from './kinds';

export interface PhiFinding {
  readonly kind: PhiKind;
  readonly placeholder: string;
}

export interface ScrubbedText {
  /** The text with each identifier replaced by its placeholder. */
  readonly text: string;
  /** One entry per distinct identifier, in order of first appearance. Safe to log. */
  readonly found: readonly PhiFinding[];
  /** Puts the originals back wherever the answer contains one of this text's placeholders. */
  restore(answer: string): string;
}

const PRIORITY = (kind: PhiKind): number => (kind === 'name' ? 0 : 1);
const TAG_TO_KIND = new Map(PHI_KINDS.map((kind) => [PLACEHOLDER_TAG[kind], kind]));
const PLACEHOLDER = new RegExp(`\\[(${[...TAG_TO_KIND.keys()].join('|')})_(\\d+)\\]`, 'g');
/** How far before a number "fax" (faxed, faxear) may stand to make it a fax number: "fax: ", "Our office fax is ". */
const FAX_CUE = /\bfax/i;
const FAX_LOOKBACK = 30;

/** Where the identifiers are, as offsets and kinds, sorted and never overlapping. */
export function findPhiSpans(text: string): PhiSpan[] {
  // Masks over the text keep the overlap checks linear in its length, whatever a caller sends.
  const lookAlike = new Uint8Array(text.length);
  for (const [start, end] of findLookAlikes(text)) lookAlike.fill(1, start, end);
  const candidates: Candidate[] = findShapedIdentifiers(text).filter((c) => !touches(lookAlike, c));
  for (const { start, end } of findNames(text)) candidates.push({ kind: 'name', start, end });

  // Shaped identifiers beat names (an email's mailbox is often a name); then the longer span wins.
  candidates.sort((a, b) => PRIORITY(b.kind) - PRIORITY(a.kind) || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const taken = new Uint8Array(text.length);
  const chosen: Candidate[] = [];
  for (const c of candidates) {
    if (touches(taken, c)) continue;
    taken.fill(1, c.start, c.end);
    chosen.push(c);
  }
  chosen.sort((a, b) => a.start - b.start);

  let previousEnd = 0;
  return chosen.map((c) => {
    let kind = c.kind;
    if (kind === 'phone' && FAX_CUE.test(text.slice(Math.max(previousEnd, c.start - FAX_LOOKBACK), c.start))) kind = 'fax';
    previousEnd = c.end;
    return { kind, start: c.start, end: c.end };
  });
}

function touches(mask: Uint8Array, { start, end }: Candidate): boolean {
  for (let i = start; i < end; i++) if (mask[i] === 1) return true;
  return false;
}

/** The kinds of identifier in the text, in order of first appearance (for a policy that refuses PHI). */
export function detectPhi(text: string): PhiKind[] {
  return [...new Set(findPhiSpans(text).map((span) => span.kind))];
}

export function scrubPhi(text: string): ScrubbedText {
  const spans = findPhiSpans(text);
  if (spans.length === 0) return { text, found: [], restore: (answer) => answer };

  // Numbering continues after any placeholder the text already contains, so restore never
  // mistakes the sender's own "[NAME_1]" for one of ours.
  const counters = new Map<PhiKind, number>();
  for (const m of text.matchAll(PLACEHOLDER)) {
    const kind = TAG_TO_KIND.get(m[1]!)!;
    counters.set(kind, Math.max(counters.get(kind) ?? 0, Number(m[2])));
  }

  const placeholderOf = new Map<string, string>();
  const originals = new Map<string, string>();
  const found: PhiFinding[] = [];
  let out = '';
  let last = 0;
  for (const { kind, start, end } of spans) {
    const original = text.slice(start, end);
    const key = `${kind}\u0000${original}`;
    let placeholder = placeholderOf.get(key);
    if (placeholder === undefined) {
      const n = (counters.get(kind) ?? 0) + 1;
      counters.set(kind, n);
      placeholder = `[${PLACEHOLDER_TAG[kind]}_${n}]`;
      placeholderOf.set(key, placeholder);
      originals.set(placeholder, original);
      found.push(Object.freeze({ kind, placeholder }));
    }
    out += text.slice(last, start) + placeholder;
    last = end;
  }
  out += text.slice(last);

  return {
    text: out,
    found: Object.freeze(found),
    restore: (answer) => answer.replace(PLACEHOLDER, (placeholder) => originals.get(placeholder) ?? placeholder),
  };
}
