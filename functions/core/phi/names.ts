/**
 * Finds people's names. A name is a run of capitalised words (or, after a cue, a lower-case
 * first name from the list) that either follows a cue — a self-introduction, a title, "patient",
 * a relation ("my daughter"), a greeting or sign-off, a form label — or starts with a known first
 * name. Calendar words, dental terms and function words end a name; see name-lexicon.ts.
 */
import {
  AMBIGUOUS_FIRST_NAMES,
  FIRST_NAMES,
  NAME_CONNECTORS,
  NOT_NAME_WORDS,
  SURNAMES,
  foldWord,
} from './name-lexicon';

export interface NameSpan {
  start: number;
  end: number;
}

const RELATIONS_EN =
  'daughters?|sons?|wife|husband|spouse|mom|mother|mum|dad|father|brothers?|sisters?|kids?|child|children|grandsons?|granddaughters?|grandchild|grandkids?|grandma|grandpa|grandmother|grandfather|partner|girlfriend|boyfriend|fianc[ée]e?|aunt|uncle|niece|nephew|cousin|friend|assistant|boss|roommate|caregiver|twins?|stepson|stepdaughter|mother-in-law|father-in-law|baby|toddler|teenager';
const RELATIONS_ES =
  'hij[oa]s?|espos[oa]|marido|mujer|madre|mam[áa]|padre|pap[áa]|herman[oa]s?|niet[oa]s?|abuel[oa]s?|pareja|novi[oa]|t[íi][oa]|sobrin[oa]|prim[oa]|amig[oa]|asistente|jef[ea]|ni[ñn][oa]s?|suegr[oa]|beb[ée]|cuñad[oa]|yerno|nuera|peque(?:ñ[oa])?';

/** Cues after which the next capitalised words are a name. Case-insensitive. */
const CUES = new RegExp(
  '(?<![\\p{L}])(?:' +
    [
      // self-introductions and naming
      "my\\s+name\\s+is|my\\s+name['’]s|name\\s+is|this\\s+is|it['’]?s|it\\s+is|i['’]m|i\\s+am|here\\s+is|me\\s+llamo|mi\\s+nombre\\s+es|soy|se\\s+llama|named|llamad[oa]|a\\s+nombre\\s+de|on\\s+behalf\\s+of|de\\s+parte\\s+de|parent\\s+of|(?:mother|father|mom|dad|madre|padre)\\s+(?:of|de)",
      // the patient
      '(?:the\\s+|el\\s+|la\\s+)?(?:patient|pt\\.?|paciente)(?:\\s+(?:name|nombre))?',
      // form labels
      '(?:patient\\s+name|full\\s+name|name|nombre(?:\\s+del\\s+paciente)?|nombre\\s+y\\s+apellidos|apellidos|contact|contacto|emergency\\s+contact|contacto\\s+de\\s+emergencia|guardian|tutor|responsible\\s+party|titular(?:\\s+de\\s+la\\s+p[óo]liza)?|attn|atenci[óo]n\\s+de|signed|firmado|firma)\\s*:',
      'subscriber(?:\\s+name)?|titular',
      // greetings and sign-offs
      'hi|hello|hey|dear|hola|estimad[oa]|querid[oa]|good\\s+(?:morning|afternoon|evening)|buen[oa]s\\s+(?:d[íi]as|tardes|noches)',
      '(?:thanks(?:\\s+again)?|thank\\s+you(?:\\s+so\\s+much|\\s+very\\s+much|\\s+again)?|many\\s+thanks|best(?:\\s+regards|\\s+wishes)?|regards|kind\\s+regards|warm\\s+regards|cheers|sincerely|yours(?:\\s+truly)?|gracias|muchas\\s+gracias|saludos(?:\\s+cordiales)?|un\\s+saludo|atentamente|cordialmente|besos|abrazos)[!.]?',
      // relations: "my daughter", "mi hijo", and a bare "Wife" opening a sentence
      `(?:(?:my|our|his|her|their|mi|mis|su|sus|nuestr[oa]s?)\\s+(?:(?:little|older|younger|oldest|youngest|baby|step|grand|twin|peque[ñn][oa]|mayor|menor)[\\s-]*)?(?:${RELATIONS_EN}|${RELATIONS_ES}))`,
    ].join('|') +
    ')(?![\\p{L}])',
  'giu',
);

/** Titles are case-sensitive: `Dr. Chen`, `Sra. Díaz`, and `dr lopez` in a hurried chat. */
const TITLES = /(?<![\p{L}])(?:[Mm]rs?|[Mm]s|Miss|Mx|[Dd]ra?|Drs|Prof|[Ss]ra?|[Ss]rta|Don|Doña|Doctor|Doctora)\.?(?=[ \t])/gu;

/**
 * What may sit between a cue and the name: "Thanks,\n- John", "Patient: Ana", "my father, George".
 * Never a sentence end ("new patient. Email is …"): only sign-offs carry their own `!` or `.`.
 */
const CUE_GAP = /[ \t]*[,:]?[ \t]*(?:\r?\n[ \t]*)?(?:[-–—][ \t]*)?/y;

const WORD = /\p{L}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*/uy;
const CAPITALISED_WORD = /(?<![\p{L}\p{M}'’-])\p{Lu}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*/gu;
/** A short run of capitalised words closing the message, after a sentence end or a dash: a signature. */
const TRAILING_SIGNATURE = /(?:^|[.!?,\n]|\s[-–—])[ \t]*(\p{Lu}[\p{L}\p{M}'’-]*(?:[ \t]+\p{Lu}[\p{L}\p{M}'’-]*){0,2})[ \t]*[.!]*\s*$/du;

const isCapitalised = (word: string): boolean => word[0] !== word[0]!.toLowerCase();
const lookupKey = (word: string): string => foldWord(word).replace(/’/g, "'");

interface ReadOptions {
  /** After a cue a known first name counts even when it is also a calendar word (`Nombre: Abril`). */
  readonly afterCue: boolean;
  /** After a title a surname may open with its particle: `Dr. van der Berg`, `Sra. de la Torre`. */
  readonly leadingParticle?: boolean;
}

interface ReadName extends NameSpan {
  words: number;
}

/** Reads up to four name words starting at `pos`; null when the first word is not a name. */
function readName(text: string, pos: number, options: ReadOptions): ReadName | null {
  let i = pos;
  let start = -1;
  let end = -1;
  let words = 0;
  let connectors = 0;
  let particleStart = -1;
  while (words < 4) {
    WORD.lastIndex = i;
    const m = WORD.exec(text);
    if (m === null) break;
    let word = m[0];
    let wordEnd = i + word.length;
    const possessive = /['’]s$/i.test(word) && word.length > 3;
    if (possessive) {
      word = word.slice(0, -2);
      wordEnd -= 2;
    }
    const key = lookupKey(word);
    const capitalised = isCapitalised(word);
    if ((words > 0 || options.leadingParticle === true) && !capitalised && NAME_CONNECTORS.has(key) && connectors < 2) {
      connectors++;
      if (words === 0 && particleStart < 0) particleStart = i;
      i = wordEnd;
      if (text[i] !== ' ') break;
      i++;
      continue;
    }
    let isName: boolean;
    if (capitalised) {
      const known = NOT_NAME_WORDS.has(key) ? options.afterCue && words === 0 && FIRST_NAMES.has(key) : true;
      // Without a cue an all-capitals word is an abbreviation (MOD, TID, II), not a name.
      const acronym = !options.afterCue && word.length > 1 && word === word.toUpperCase();
      isName = known && !acronym && (word.length >= 2 || text[wordEnd] === "'" || text[wordEnd] === '’');
    } else if (connectors > 0) {
      isName = false;
    } else if (words === 0) {
      isName = options.afterCue && FIRST_NAMES.has(key) && !AMBIGUOUS_FIRST_NAMES.has(key) && !NOT_NAME_WORDS.has(key);
    } else {
      isName = SURNAMES.has(key);
    }
    if (!isName) break;
    if (start < 0) start = particleStart >= 0 ? particleStart : i;
    end = wordEnd;
    words++;
    connectors = 0;
    if (possessive) break;
    i = wordEnd;
    if (text[i] !== ' ') break;
    i++;
  }
  return words === 0 ? null : { start, end, words };
}

export function findNames(text: string): NameSpan[] {
  const names: NameSpan[] = [];
  const add = (found: ReadName | null): void => {
    if (found !== null) names.push({ start: found.start, end: found.end });
  };

  for (const cues of [CUES, TITLES]) {
    cues.lastIndex = 0;
    for (let m = cues.exec(text); m !== null; m = cues.exec(text)) {
      CUE_GAP.lastIndex = m.index + m[0].length;
      CUE_GAP.exec(text);
      add(readName(text, CUE_GAP.lastIndex, { afterCue: true, leadingParticle: cues === TITLES }));
    }
  }

  // Known first names anywhere; one that is also an ordinary word needs a capitalised surname.
  CAPITALISED_WORD.lastIndex = 0;
  for (let m = CAPITALISED_WORD.exec(text); m !== null; m = CAPITALISED_WORD.exec(text)) {
    const key = lookupKey(m[0].replace(/['’]s$/i, ''));
    if (!FIRST_NAMES.has(key) || NOT_NAME_WORDS.has(key)) continue;
    const found = readName(text, m.index, { afterCue: false });
    if (found === null) continue;
    if (AMBIGUOUS_FIRST_NAMES.has(key) && found.words < 2) continue;
    add(found);
    CAPITALISED_WORD.lastIndex = Math.max(CAPITALISED_WORD.lastIndex, found.end);
  }

  // Two or more capitalised words inside a sentence ("Can Wei Zhang move …"): at the start of a
  // sentence capitals say nothing, inside one they mark a proper noun, and in a patient message
  // that is usually a person (or a practice, which costs only a needless placeholder).
  CAPITALISED_WORD.lastIndex = 0;
  for (let m = CAPITALISED_WORD.exec(text); m !== null; m = CAPITALISED_WORD.exec(text)) {
    if (startsSentence(text, m.index) || NOT_NAME_WORDS.has(lookupKey(m[0]))) continue;
    const found = readName(text, m.index, { afterCue: false });
    if (found === null || found.words < 2) continue;
    add(found);
    CAPITALISED_WORD.lastIndex = Math.max(CAPITALISED_WORD.lastIndex, found.end);
  }

  const signature = TRAILING_SIGNATURE.exec(text);
  const group = signature?.indices?.[1];
  if (group !== undefined) {
    const found = readName(text, group[0], { afterCue: true });
    if (found !== null && found.end === group[1]) add(found);
  }

  return withRepeats(text, names);
}

function startsSentence(text: string, pos: number): boolean {
  let i = pos - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  return i < 0 || '.!?¡¿:;\n"“(-–—'.includes(text[i]!);
}

/** Once "Maria Lopez" is known to be a name, a later bare "Maria" or "Lopez" is one too. */
function withRepeats(text: string, names: NameSpan[]): NameSpan[] {
  if (names.length === 0) return names;
  const known = new Set<string>();
  for (const { start, end } of names) {
    for (const word of text.slice(start, end).split(/\s+/)) {
      const key = lookupKey(word);
      if (word.length >= 3 && isCapitalised(word) && !NOT_NAME_WORDS.has(key)) known.add(key);
    }
  }
  const covered = new Uint8Array(text.length);
  for (const { start, end } of names) covered.fill(1, start, end);
  const repeats: NameSpan[] = [];
  CAPITALISED_WORD.lastIndex = 0;
  for (let m = CAPITALISED_WORD.exec(text); m !== null; m = CAPITALISED_WORD.exec(text)) {
    const word = m[0].replace(/['’]s$/i, '');
    if (covered[m.index] === 0 && known.has(lookupKey(word))) repeats.push({ start: m.index, end: m.index + word.length });
  }
  return repeats.length === 0 ? names : names.concat(repeats);
}
