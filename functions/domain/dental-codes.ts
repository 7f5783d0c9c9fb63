/**
 * The dental vocabulary every task shares: CDT procedure codes and Universal tooth numbers.
 *
 * Models get these wrong in predictable ways ("#14", "d2740", 14 as a number, "D27400"), so the
 * model output schemas accept loose strings and the functions here decide, item by item, what is
 * valid. The handler can then ask the model to repair the invalid items once, or drop them and
 * tell the caller in `warnings`.
 */
import * as z from '#core/zod';

/** A CDT code: `D` and four digits (e.g. `D2740`). */
export const CDT_CODE_PATTERN = /^D\d{4}$/;
/** Universal notation: permanent teeth 1–32, primary teeth A–T. */
export const TOOTH_NUMBER_PATTERN = /^(?:[1-9]|[12]\d|3[0-2]|[A-T])$/;

export const cdtCodeSchema = z.string().check(z.regex(CDT_CODE_PATTERN, 'must be a CDT code: D and four digits, e.g. D2740'), z.describe('CDT procedure code: D and four digits, e.g. D2740'));

export const toothNumberSchema = z.string().check(z.regex(TOOTH_NUMBER_PATTERN, 'must be a Universal tooth number: 1–32 (permanent) or A–T (primary)'), z.describe('Tooth in Universal notation: "1"–"32" for permanent teeth, "A"–"T" for primary teeth'));

export function isCdtCode(value: unknown): value is string {
  return typeof value === 'string' && CDT_CODE_PATTERN.test(value);
}

export function isToothNumber(value: unknown): value is string {
  return typeof value === 'string' && TOOTH_NUMBER_PATTERN.test(value);
}

export function isPermanentToothNumber(value: unknown): boolean {
  return isToothNumber(value) && /^\d+$/.test(value);
}

export function isPrimaryToothNumber(value: unknown): boolean {
  return isToothNumber(value) && /^[A-T]$/.test(value);
}

/**
 * Canonical form of a code the model wrote loosely (`d2740`, ` D2740 `), or undefined when it is
 * not a CDT code at all. Never invents digits.
 */
export function normalizeCdtCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const candidate = value.trim().toUpperCase();
  return CDT_CODE_PATTERN.test(candidate) ? candidate : undefined;
}

/**
 * Canonical form of a tooth number written loosely (`#14`, `14`, 14, `03`, `a`, `tooth 3`), or
 * undefined when it names no tooth in Universal notation.
 */
export function normalizeToothNumber(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? normalizeToothNumber(String(value)) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^(?:tooth\s*)?#?\s*([0-9]{1,2}|[A-Za-z])$/i.exec(value.trim());
  if (!match) return undefined;
  const raw = match[1]!;
  const candidate = /^\d+$/.test(raw) ? String(Number(raw)) : raw.toUpperCase();
  return TOOTH_NUMBER_PATTERN.test(candidate) ? candidate : undefined;
}

/**
 * Whether payers usually ask for a claim narrative for this code: crowns (D27xx), scaling and
 * root planing (D4341, D4342) and extractions (D7xxx, oral surgery).
 */
export function requiresClaimNarrative(cdtCode: string): boolean {
  return /^D27\d{2}$/.test(cdtCode) || cdtCode === 'D4341' || cdtCode === 'D4342' || /^D7\d{3}$/.test(cdtCode);
}

// ---------------------------------------------------------------- checking model output

/** An item of model output that failed the code checks, with where it was and why. */
export interface InvalidItem {
  /** JSON path in the model's output, e.g. `phases[0].procedures[2]`. */
  path: string;
  item: unknown;
  reasons: string[];
}

/** The cleaned output (invalid items removed, valid ones normalised) and what was removed. */
export interface CodeCheck<T> {
  valid: T;
  invalid: InvalidItem[];
}

interface LooseDifferential {
  condition: string;
  confidence: number;
  rationale: string;
  toothNumbers: ReadonlyArray<string | number>;
}

interface LooseProcedure {
  cdtCode: string;
  toothNumber: string | number | null;
  [key: string]: unknown;
}

interface LoosePhase<P extends LooseProcedure> {
  procedures: ReadonlyArray<P>;
  [key: string]: unknown;
}

interface LooseAlternative {
  cdtCodes: ReadonlyArray<string>;
  [key: string]: unknown;
}

interface LooseSuggestedCode {
  cdtCode: string;
  [key: string]: unknown;
}

/** Checks every tooth number of each differential; a differential with any invalid tooth is invalid. */
export function checkDiagnoses<D extends LooseDifferential, O extends { differentialDiagnoses: ReadonlyArray<D> }>(
  output: O,
): CodeCheck<Omit<O, 'differentialDiagnoses'> & { differentialDiagnoses: Array<Omit<D, 'toothNumbers'> & { toothNumbers: string[] }> }> {
  const invalid: InvalidItem[] = [];
  const differentialDiagnoses: Array<Omit<D, 'toothNumbers'> & { toothNumbers: string[] }> = [];
  output.differentialDiagnoses.forEach((differential, index) => {
    const reasons: string[] = [];
    const toothNumbers = differential.toothNumbers.map((tooth) => {
      const normalized = normalizeToothNumber(tooth);
      if (normalized === undefined) reasons.push(toothReason(tooth));
      return normalized;
    });
    if (reasons.length > 0) {
      invalid.push({ path: `differentialDiagnoses[${index}]`, item: differential, reasons });
      return;
    }
    differentialDiagnoses.push({ ...differential, toothNumbers: dedupe(toothNumbers as string[]) });
  });
  return { valid: { ...output, differentialDiagnoses }, invalid };
}

/**
 * Checks the CDT code and tooth of every procedure of a treatment plan and the codes of each
 * alternative. Invalid procedures are removed; a phase left without procedures is removed too.
 */
export function checkTreatmentPlan<
  P extends LooseProcedure,
  Ph extends LoosePhase<P>,
  A extends LooseAlternative,
  O extends { phases: ReadonlyArray<Ph>; alternatives: ReadonlyArray<A> },
>(
  output: O,
): CodeCheck<
  Omit<O, 'phases' | 'alternatives'> & {
    phases: Array<Omit<Ph, 'procedures'> & { procedures: Array<Omit<P, 'cdtCode' | 'toothNumber'> & { cdtCode: string; toothNumber: string | null }> }>;
    alternatives: Array<Omit<A, 'cdtCodes'> & { cdtCodes: string[] }>;
  }
> {
  const invalid: InvalidItem[] = [];
  const phases = output.phases
    .map((phase, phaseIndex) => {
      const procedures = phase.procedures.flatMap((procedure, index) => {
        const checked = checkProcedure(procedure);
        if ('reasons' in checked) {
          invalid.push({ path: `phases[${phaseIndex}].procedures[${index}]`, item: procedure, reasons: checked.reasons });
          return [];
        }
        return [checked.procedure];
      });
      return { ...phase, procedures };
    })
    .filter((phase) => phase.procedures.length > 0);
  const alternatives = output.alternatives.flatMap((alternative, index) => {
    const codes = alternative.cdtCodes.map((code) => ({ code, normalized: normalizeCdtCode(code) }));
    const reasons = codes.filter((c) => c.normalized === undefined).map((c) => cdtReason(c.code));
    if (reasons.length > 0) {
      invalid.push({ path: `alternatives[${index}]`, item: alternative, reasons });
      return [];
    }
    return [{ ...alternative, cdtCodes: dedupe(codes.map((c) => c.normalized!)) }];
  });
  return { valid: { ...output, phases, alternatives }, invalid };
}

/** Checks the CDT codes a model suggested for a claim. */
export function checkSuggestedCodes<S extends LooseSuggestedCode, O extends { suggestedCodes: ReadonlyArray<S> }>(
  output: O,
): CodeCheck<Omit<O, 'suggestedCodes'> & { suggestedCodes: S[] }> {
  const invalid: InvalidItem[] = [];
  const suggestedCodes = output.suggestedCodes.flatMap((suggestion, index) => {
    const cdtCode = normalizeCdtCode(suggestion.cdtCode);
    if (cdtCode === undefined) {
      invalid.push({ path: `suggestedCodes[${index}]`, item: suggestion, reasons: [cdtReason(suggestion.cdtCode)] });
      return [];
    }
    return [{ ...suggestion, cdtCode }];
  });
  return { valid: { ...output, suggestedCodes }, invalid };
}

/** One warning per dropped item, for the response's `warnings` (no patient data: codes and paths only). */
export function warningsFor(invalid: ReadonlyArray<InvalidItem>): string[] {
  return invalid.map((entry) => `Dropped ${entry.path} from the model's answer: ${entry.reasons.join('; ')}`);
}

/** The instruction sent with the one repair attempt: which items are wrong and what is expected. */
export function repairInstructions(invalid: ReadonlyArray<InvalidItem>): string {
  const lines = invalid.map((entry) => `- ${entry.path}: ${entry.reasons.join('; ')}`);
  return [
    'Some items of your previous answer use invalid codes. Answer again with the same JSON shape, correcting these items:',
    ...lines,
    'CDT codes are "D" followed by four digits (e.g. "D2740"). Tooth numbers use Universal notation: "1"-"32" for permanent teeth, "A"-"T" for primary teeth, or null when no single tooth applies.',
  ].join('\n');
}

function checkProcedure<P extends LooseProcedure>(
  procedure: P,
): { procedure: Omit<P, 'cdtCode' | 'toothNumber'> & { cdtCode: string; toothNumber: string | null } } | { reasons: string[] } {
  const reasons: string[] = [];
  const cdtCode = normalizeCdtCode(procedure.cdtCode);
  if (cdtCode === undefined) reasons.push(cdtReason(procedure.cdtCode));
  let toothNumber: string | null = null;
  if (procedure.toothNumber !== null && procedure.toothNumber !== '') {
    const normalized = normalizeToothNumber(procedure.toothNumber);
    if (normalized === undefined) reasons.push(toothReason(procedure.toothNumber));
    else toothNumber = normalized;
  }
  if (reasons.length > 0) return { reasons };
  return { procedure: { ...procedure, cdtCode: cdtCode!, toothNumber } };
}

function cdtReason(code: unknown): string {
  return `${JSON.stringify(String(code).slice(0, 20))} is not a CDT code (D and four digits)`;
}

function toothReason(tooth: unknown): string {
  return `${JSON.stringify(String(tooth).slice(0, 20))} is not a Universal tooth number (1-32 or A-T)`;
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}
