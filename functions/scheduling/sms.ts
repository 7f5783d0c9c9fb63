/**
 * SMS length as carriers count and bill it (3GPP TS 23.038 alphabets, TS 23.040 concatenation).
 * A text in the GSM-7 alphabet costs one septet per character, or two for the extension table
 * (`€`, `[`, `|`, …, sent as escape + character); one message holds 160 septets, and a longer text
 * is split into parts of 153 (each part gives 7 septets to its concatenation header). A single
 * character outside GSM-7 (`á`, `ç`, any emoji) sends the whole text as UCS-2 instead: UTF-16 code
 * units, 70 in one message, 67 per part, an emoji's surrogate pair counting two. A part never splits
 * an escape sequence or a surrogate pair, so a text can need one part more than its units ÷ 153.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Characters as written: Unicode code points. */
  characters: number;
  /** What segments are counted in: GSM-7 septets, or UCS-2 UTF-16 code units. */
  units: number;
  /** Messages the carrier sends (and bills) for this text. */
  segments: number;
}

/** The GSM 03.38 default alphabet (ESC at 0x1B is not a character of its own). */
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
/** The extension table: escape + character, two septets each. */
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

const LIMITS: Record<SmsEncoding, { single: number; perPart: number }> = {
  'GSM-7': { single: 160, perPart: 153 },
  'UCS-2': { single: 70, perPart: 67 },
};

/** Septets of a character in GSM-7, or undefined when GSM-7 cannot carry it. */
function septets(char: string): 1 | 2 | undefined {
  if (GSM7_BASIC.has(char)) return 1;
  if (GSM7_EXTENSION.has(char)) return 2;
  return undefined;
}

export function smsLength(text: string): SmsLength {
  const chars = [...text];
  const gsmUnits = chars.map(septets);
  const encoding: SmsEncoding = gsmUnits.every((u) => u !== undefined) ? 'GSM-7' : 'UCS-2';
  // Per character: septets in GSM-7; UTF-16 units in UCS-2 (2 for a character beyond U+FFFF).
  const sizes = encoding === 'GSM-7' ? (gsmUnits as number[]) : chars.map((c) => c.length);
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const { single, perPart } = LIMITS[encoding];
  let segments = 1;
  if (units > single) {
    let used = 0;
    for (const size of sizes) {
      if (used + size > perPart) {
        segments++;
        used = 0;
      }
      used += size;
    }
  }
  return { encoding, characters: chars.length, units, segments };
}

/** Whether every character of a text is in the GSM-7 alphabet (basic or extension table). */
export function isGsm7(text: string): boolean {
  return [...text].every((c) => septets(c) !== undefined);
}

/** The most units a text of this encoding may have and still fit in `segments` messages (ignoring splits). */
export function smsCapacity(encoding: SmsEncoding, segments: number): number {
  const { single, perPart } = LIMITS[encoding];
  return segments <= 1 ? single : perPart * segments;
}
