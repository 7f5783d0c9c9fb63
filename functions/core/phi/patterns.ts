/**
 * Identifiers with a shape (phone, email, dates, record numbers, …) and the dental look-alikes
 * that must never be taken for one (tooth numbers, CDT codes, amounts, times, percentages).
 * Cue-based patterns put the identifier itself in the named group `id`; the cue stays in the text.
 */
import type { PhiKind } from './kinds';

export interface Candidate {
  kind: PhiKind;
  start: number;
  end: number;
}

interface Detector {
  readonly kind: PhiKind;
  readonly pattern: RegExp;
  readonly accept?: (id: string) => boolean;
  /** A cheap test that must pass before the pattern runs; keeps a 2 KB message well under a millisecond. */
  readonly hint?: RegExp;
  /** A word that must stand in the 30 characters before the match ("call me at 555-0143"). */
  readonly cueBefore?: RegExp;
}

const digitCount = (s: string): number => s.replace(/\D/g, '').length;

const MONTHS_EN =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|january|february|march|april|june|july|august|september|october|november|december)';
const MONTHS_EN_FULL = '(?:January|February|March|April|May|June|July|August|September|October|November|December)';
const MESES = '(?:[Ee]nero|[Ff]ebrero|[Mm]arzo|[Aa]bril|[Mm]ayo|[Jj]unio|[Jj]ulio|[Aa]gosto|[Ss]e?ptiembre|[Oo]ctubre|[Nn]oviembre|[Dd]iciembre)';
const DAY = '(?<day>0?[1-9]|[12]\\d|3[01])';
const ORDINAL = '(?:st|nd|rd|th|º|°)?';
// A day number must not be the hour of a time or the start of a bigger number.
const NOT_TIME = '(?!\\d|\\s*(?::\\d|[ap]\\.?m\\b|%|h\\b|hrs?\\b|hours?\\b|horas?\\b|minutes?\\b|min\\b))';

const US_STATES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|PR|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY';
const US_STREET_SUFFIX =
  '(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Trl|Loop|Pike|Alley|Row)';
const US_UNIT = '(?:,?\\s+(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|#)\\.?\\s*#?[\\dA-Z][\\w-]*)?';
const ES_STREET =
  '(?:[Cc]alle|C\\/|[Aa]venida|Avda\\.?|Av\\.|[Pp]aseo|[Pp]laza|Pza\\.|[Cc]amino|[Cc]arretera|[Rr]onda|[Tt]raves[íi]a|[Gg]lorieta|[Cc]alzada|[Bb]ulevar|[Pp]asaje|[Cc]allej[óo]n)';
const ES_PARTICLE = '(?:de|del|la|las|los|el|y)';
const ES_UNIT =
  '(?:,?\\s+(?:\\d{1,2}\\s?[º°ª](?:\\s?(?:[A-Z](?![\\p{L}\\d])|\\d{1,2}\\s?[º°ª]|izquierda|derecha|izda\\.?|dcha\\.?))?|[Ii]nterior\\s+\\w+|[Ii]nt\\.\\s*\\w+|[Pp]iso\\s+\\d+\\w*|[Pp]uerta\\s+\\w+|[Dd]pto\\.?\\s*\\w+|[Dd]epto\\.?\\s*\\w+))?';

/** An ID value after a cue: optional letter prefix, then digits with dashes; checked for enough digits. */
const ID_VALUE = '(?<id>(?:[A-Za-z]{1,6}[ -]?)?\\d[\\dA-Za-z-]{3,}\\d?)';
const CUE_GAP = '[\\s:#.]*(?:(?:is|es|was|era|:)[\\s:#]*)?';

const DETECTORS: readonly Detector[] = [
  // Email before URL and name: a mailbox name is often a person's name.
  { kind: 'email', hint: /@/, pattern: /(?<![\p{L}\d._%+-])[\p{L}\d._%+-]+@[\p{L}\d-]+(?:\.[\p{L}\d-]+)*\.\p{L}{2,}/gu },
  { kind: 'url', hint: /https?:|www\./i, pattern: /\b(?:https?:\/\/|www\.)[^\s<>"'()[\]{}]+[^\s<>"'()[\]{}.,;:!?]/giu },
  {
    kind: 'ip',
    pattern: /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d)/g,
  },
  { kind: 'ip', hint: /[0-9a-f]:[0-9a-f]{1,4}:[0-9a-f]/i, pattern: /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])/g },
  { kind: 'ip', hint: /::/, pattern: /(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,5})?(?![\w:])/g },

  // SSN and national IDs (Spanish DNI/NIE, Mexican CURP, Spanish social security number).
  { kind: 'ssn', pattern: /(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])/g },
  {
    kind: 'ssn',
    hint: /ssn|ss#|social|nuss|nss/i,
    pattern:
      /\b(?:SSN|SS#|social\s+security(?:\s+(?:number|no\.?|#))?|social|seguro\s+social|seguridad\s+social|NSS|NUSS)\b[^\d\n]{0,20}?(?<id>\d{3}[- ]?\d{2}[- ]?\d{4}|\d{2}[ /-]?\d{8}[ /-]?\d{2}|\d{2} ?\d{10}|\d{4})(?!\d)/gdi,
  },
  { kind: 'ssn', pattern: /(?<![\w-])\d{8}-?[A-HJ-NP-TV-Z](?![\w-])/g },
  { kind: 'ssn', pattern: /(?<![\w-])[XYZ]-?\d{7}-?[A-Z](?![\w-])/g },
  { kind: 'ssn', pattern: /(?<![\w-])[A-Z][AEIOUX][A-Z]{2}\d{6}[HM][A-Z]{5}[A-Z\d]\d(?![\w-])/g },

  // Record and insurance numbers need their cue: a bare number is as likely a fee or a count.
  {
    kind: 'mrn',
    hint: /mrn|record|chart|patient|historia|expediente|hc/i,
    pattern: new RegExp(
      `\\b(?:MRN|medical\\s+record(?:\\s+(?:number|no\\.?|#))?|(?:patient\\s+)?record\\s*(?:number|no\\.?|#)|chart\\s*(?:number|no\\.?|#)?|patient\\s+(?:ID|number)|historia(?:\\s+cl[íi]nica)?|n[úu]mero\\s+de\\s+historia|expediente|HC)(?![\\p{L}])${CUE_GAP}${ID_VALUE}`,
      'gdiu',
    ),
    accept: (id) => digitCount(id) >= 4,
  },
  {
    kind: 'insurance-id',
    hint: /member|subscriber|policy|insurance|plan|p[óo]liza|afiliad|asegurad|tarjeta|soci[oa]|beneficiari|nss/i,
    pattern: new RegExp(
      `\\b(?:member(?:ship)?(?:\\s+(?:ID|number|no\\.?|#))?|subscriber\\s+(?:ID|number|no\\.?|#)|policy(?:\\s+(?:ID|number|no\\.?|#))?|insurance\\s+(?:ID|number|no\\.?|#)|plan\\s+ID|n[úu]mero\\s+de\\s+(?:p[óo]liza|afiliad[oa]|afiliaci[óo]n|soci[oa]|asegurad[oa]|tarjeta(?:\\s+sanitaria)?|beneficiari[oa])|p[óo]liza(?:\\s+n\\.?\\s?[º°o]\\.?)?|afiliad[oa]|asegurad[oa]|tarjeta\\s+sanitaria|NSS)(?![\\p{L}])${CUE_GAP}${ID_VALUE}`,
      'gdiu',
    ),
    accept: (id) => digitCount(id) >= 5 && id === id.toUpperCase(),
  },

  // Phones. Fax is a phone with "fax" just before it (decided in scrub.ts).
  {
    kind: 'phone',
    pattern: /(?<![\w+.,-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)[\s.-]?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d-])/g,
  },
  { kind: 'phone', pattern: /(?<![\w+.,-])\(\d{2,3}\)\s?\d{3,4}[\s-]\d{4}(?![\d-])/g },
  {
    kind: 'phone',
    pattern: /(?<![\w+.,-])\+(?:[2-9]\d{1,2})[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){1,4}(?![\d-])/g,
    accept: (id) => digitCount(id) >= 9 && digitCount(id) <= 15,
  },
  // A local seven-digit or an unbroken ten-digit number needs a phone word before it.
  {
    kind: 'phone',
    pattern: /(?<![\w+.,-])(?:\d{3}-\d{4}|1?\d{10})(?![\w-]|[.,]\d)/g,
    cueBefore:
      /(?:^|[^\p{L}])(?:call|phone|cell|mobile|tel|text|number|reach\s+me|contact|fax|m[óo]vil|tel[ée]fono|celular|fijo|whatsapp|ll[áa]m[ea]me|ll[áa]menme|llamar)(?![\p{L}])[^\d\n]*$/iu,
  },
  // Spanish national numbers: nine digits starting 6, 7, 8 or 9, unbroken or grouped 3-3-3, 3-2-2-2, 2-3-2-2
  // (never 5-4, which is a ZIP+4).
  {
    kind: 'phone',
    pattern: /(?<![\w+.,-])[6789](?:\d{8}|\d{1,2}(?:[\s.-]\d{2,3}){2,3})(?![\d-]|[.,]\d)/g,
    accept: (id) => digitCount(id) === 9,
  },

  // Addresses.
  {
    kind: 'address',
    pattern: new RegExp(
      `(?<![\\w#$€.,-])\\d{1,6}[A-Z]?\\s+(?:[NSEW]\\.?\\s+)?(?:\\d{1,3}(?:st|nd|rd|th)|\\p{Lu}\\p{Ll}+)(?:\\s+\\p{Lu}\\p{Ll}+){0,3}\\s+${US_STREET_SUFFIX}\\b\\.?${US_UNIT}`,
      'gu',
    ),
  },
  { kind: 'address', pattern: /\b(?:P\.?\s?O\.?\s?Box|Post\s+Office\s+Box)\s+\d+/gi },
  {
    kind: 'address',
    pattern: new RegExp(
      `(?<![\\p{L}])${ES_STREET}(?:\\s+${ES_PARTICLE}){0,2}\\s+\\p{Lu}[\\p{L}]+(?:\\s+(?:${ES_PARTICLE}\\s+){0,2}\\p{Lu}[\\p{L}]+){0,3},?\\s+(?:n[º°.]\\s*)?\\d{1,4}[A-Za-z]?(?![\\d\\p{L}])${ES_UNIT}`,
      'gu',
    ),
  },
  { kind: 'address', pattern: /\b[Aa]partado(?:\s+de\s+[Cc]orreos)?\s+(?:n[º°.]\s*)?\d+/gu },

  // ZIP / postal codes: after a state, after a cue, or a Spanish/Mexican "…, 28013 Madrid".
  { kind: 'zip', hint: /[A-Z]{2},?\s+\d{5}/, pattern: new RegExp(`\\b(?:${US_STATES}),?\\s+(?<id>\\d{5}(?:-\\d{4})?)(?![\\d-])`, 'gd') },
  {
    kind: 'zip',
    hint: /zip|postal|c\.?\s?p\b/i,
    pattern: /(?:\b(?:zip(?:\s*code)?|postal\s+code|c[óo]digo\s+postal|CP)\b|\bC\.\s?P\.)[\s:#.]*(?:(?:is|es)\s+)?(?<id>\d{5}(?:-\d{4})?)(?![\d-])/gdiu,
  },
  { kind: 'zip', hint: /,\s?\d{5}\s/, pattern: /,\s?(?<id>\d{5})(?=\s+\p{Lu}\p{Ll})/gdu },

  // Dates: every explicit calendar date (day and month, with or without a year; or month and year).
  {
    kind: 'date',
    pattern: /(?<![\d/.-])(?<a>\d{1,2})(?<sep>[/.-])(?<b>\d{1,2})\k<sep>(?:\d{4}|\d{2})(?![\d/-]|\.\d)/g,
  },
  { kind: 'date', pattern: /(?<![\d/.-])\d{4}([/.-])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?![\d/-]|\.\d)/g },
  {
    kind: 'date',
    hint: /\d\/\d/,
    pattern:
      /\b(?:on|el|del|for|from|until|by|since|desde|hasta|date|fecha|DOB|FN|d[íi]a)\b[\s:]+(?:the\s+)?(?<id>(?:0?[1-9]|[12]\d|3[01])\/(?:0?[1-9]|[12]\d|3[01]))(?![\d/]|\.\d)/gdiu,
    accept: (id) => id.split('/').some((part) => Number(part) <= 12),
  },
  {
    kind: 'date',
    pattern: new RegExp(`\\b${MONTHS_EN}\\.?\\s+${DAY}${ORDINAL}${NOT_TIME}(?:,?\\s+\\d{4}(?!\\d))?`, 'g'),
  },
  {
    kind: 'date',
    pattern: new RegExp(`\\b${DAY}${ORDINAL}\\s+(?:of\\s+)?${MONTHS_EN}\\b\\.?(?:,?\\s+\\d{4}(?!\\d))?`, 'g'),
  },
  { kind: 'date', pattern: new RegExp(`\\b${DAY}[-/]${MONTHS_EN}[-/](?:\\d{4}|\\d{2})(?!\\d)`, 'g') },
  { kind: 'date', pattern: new RegExp(`\\b${MONTHS_EN_FULL},?\\s+(?:of\\s+)?\\d{4}(?!\\d)`, 'g') },
  {
    kind: 'date',
    hint: /enero|febrero|marzo|abril|mayo|junio|julio|agosto|se?ptiembre|octubre|noviembre|diciembre/i,
    pattern: new RegExp(`\\b(?:${DAY}${ORDINAL}|[Pp]rimero)\\s+de\\s+${MESES}\\b(?:,?\\s+(?:de|del)?\\s*\\d{4}(?!\\d))?`, 'gu'),
  },
  { kind: 'date', hint: /enero|febrero|marzo|abril|mayo|junio|julio|agosto|se?ptiembre|octubre|noviembre|diciembre/i, pattern: new RegExp(`\\b${MESES}\\s+(?:de|del)\\s+\\d{4}(?!\\d)`, 'gu') },
];

/** Shapes that look numeric enough to be mistaken for an identifier but are dental facts. */
const LOOK_ALIKES: readonly RegExp[] = [
  /\bD\d{4}\b/g, // CDT procedure code
  /[$€£]\s?\d[\d.,]*(?:\s?(?:MXN|USD|EUR|k)\b)?/g, // amounts
  /\d[\d.,]*\s?(?:€|(?:euros?|EUR|USD|MXN|dollars?|d[óo]lares|bucks|pesos|cents?|centavos|c[ée]ntimos)(?![\p{L}]))/gu,
  /\d+(?:[.,]\d+)?\s?(?:%|percent\b|por\s+ciento\b)/g, // percentages
  /\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?\s?m\b\.?)?/gi, // clock times
  /\b\d{1,2}\s?[ap]\.?m\b\.?/gi,
  // "at 9", "a las 5", "at 2 and 3": an hour after a time preposition (not a street number).
  /(?<![\p{L}])(?:[Aa]t|[Aa]round|[Bb]y|[Bb]efore|[Aa]fter|[Uu]ntil|[Aa]\s+las?|[Ll]as|[Hh]acia\s+las|[Ss]obre\s+las|[Dd]esde\s+las|[Hh]asta\s+las)\s+\d{1,2}(?::\d{2})?(?:\s*(?:and|y|or|o|-|a)\s+(?:a\s+las\s+)?\d{1,2}(?::\d{2})?)?(?![\d/.:-]|\s+\p{Lu}|\s+(?:de|of)\s)/gu,
  /#\d{1,2}(?!\d)/g, // Universal tooth number
  // tooth 3, teeth 3, 14 and 19, diente 30, piezas 16 a 18, tooth K
  /(?<![\p{L}])(?:[Tt]ooth|[Tt]eeth|[Dd]ientes?|[Pp]iezas?|[Mm]uelas?|[Mm]olar(?:es)?)\s+(?:n[º°.]\s*|#)?(?:\d{1,2}|[A-T])(?![\p{L}\d])(?:\s*(?:,|and|y|to|a|through|-|–|or|o)\s*#?(?:\d{1,2}|[A-T])(?![\p{L}\d]))*/gu,
  /\b[UL][RL][1-8]\b/g, // Palmer notation written out (UR6)
];

export function findShapedIdentifiers(text: string): Candidate[] {
  const found: Candidate[] = [];
  for (const { kind, pattern, accept, hint, cueBefore } of DETECTORS) {
    if (hint !== undefined && !hint.test(text)) continue;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      const span = m.indices?.groups?.id ?? [m.index, m.index + m[0].length];
      const value = text.slice(span[0], span[1]);
      if (accept !== undefined && !accept(value)) continue;
      if (cueBefore !== undefined && !cueBefore.test(text.slice(Math.max(0, span[0] - 30), span[0]))) continue;
      if (kind === 'date' && !isCalendarDate(m)) continue;
      found.push({ kind, start: span[0], end: span[1] });
    }
  }
  return found;
}

/** Numeric `a/b/year` dates: one of the two numbers must be a month and the other a day. */
function isCalendarDate(m: RegExpExecArray): boolean {
  const a = m.groups?.a;
  const b = m.groups?.b;
  if (a === undefined || b === undefined) return true;
  const x = Number(a);
  const y = Number(b);
  if (x < 1 || y < 1) return false;
  return (x <= 12 && y <= 31) || (x <= 31 && y <= 12);
}

export function findLookAlikes(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const pattern of LOOK_ALIKES) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) spans.push([m.index, m.index + m[0].length]);
  }
  return spans;
}
