/**
 * Benefit categories of CDT codes: the default table common US dental plans use, and the
 * per-request overrides for a plan that differs. Step 1 of every estimate (estimate.ts).
 */
import { BadRequestError } from '#core/errors';
import type { CategoryOverride, ProcedureCategory } from './schemas';

type Range = readonly [from: number, to: number, category: ProcedureCategory];

/** The codes any category can cover: D0100–D9999 (CDT has nothing below D0100). */
export const FIRST_CODE = 100;
export const LAST_CODE = 9999;

/**
 * One range per CDT family, inclusive on the four digits; together they cover D0100–D9999.
 * Diagnostic and preventive share the `preventive` category (plans pay both the same way).
 */
const FAMILIES: ReadonlyArray<Range> = [
  [100, 1999, 'preventive'], // D0100–D0999 diagnostic, D1000–D1999 preventive
  [2000, 2399, 'basic'], // amalgam (D2140–D2161) and resin-based composite (D2330–D2394) fillings
  [2400, 2999, 'major'], // inlays and onlays (D2510–D2664), crowns (D27xx), build-ups, posts and cores (D2950–D2957), veneers; exceptions below
  [3000, 3999, 'basic'], // endodontics
  [4000, 4999, 'basic'], // periodontics
  [5000, 5999, 'major'], // removable prosthodontics and maxillofacial prosthetics
  [6000, 6999, 'major'], // implants and fixed prosthodontics
  [7000, 7999, 'basic'], // oral and maxillofacial surgery
  [8000, 8999, 'ortho'], // orthodontics
  [9000, 9999, 'basic'], // adjunctive general services
];

/** Codes inside a family that plans pay in another category; checked before the families. */
const EXCEPTIONS: ReadonlyArray<Range> = [
  [2910, 2921, 'basic'], // re-cement or re-bond inlay/onlay (D2910), post and core (D2915), crown (D2920); fragment reattachment (D2921)
  [2928, 2934, 'basic'], // prefabricated crowns: porcelain/ceramic (D2928, D2929), stainless steel and resin (D2930–D2934)
  [2940, 2941, 'basic'], // protective restoration (D2940), interim therapeutic restoration (D2941)
  [2951, 2951, 'basic'], // pin retention, an add-on to a filling
  [2990, 2990, 'basic'], // resin infiltration of an incipient lesion
];

/** The four digits of a well-formed CDT code, or undefined. */
export function codeNumber(cdtCode: string): number | undefined {
  const match = /^D(\d{4})$/.exec(cdtCode);
  return match ? Number(match[1]) : undefined;
}

/** An override's range as [from, to] numbers, when both ends are CDT codes and from ≤ to. */
export function overrideRange(override: { from?: string | undefined; to?: string | undefined }): readonly [number, number] | undefined {
  const from = override.from === undefined ? undefined : codeNumber(override.from);
  const to = override.to === undefined ? undefined : codeNumber(override.to);
  return from !== undefined && to !== undefined && from <= to ? [from, to] : undefined;
}

function lookup(ranges: ReadonlyArray<Range>, number: number): ProcedureCategory | undefined {
  return ranges.find(([from, to]) => number >= from && number <= to)?.[2];
}

/** The default benefit category of a CDT code; a code outside D0100–D9999 is a 400 that names it. */
export function categoryOf(cdtCode: string): ProcedureCategory {
  const number = codeNumber(cdtCode);
  const category = number === undefined ? undefined : (lookup(EXCEPTIONS, number) ?? lookup(FAMILIES, number));
  if (category === undefined) throw new BadRequestError(`CDT code ${JSON.stringify(cdtCode)} has no benefit category: estimates cover D0100–D9999`);
  return category;
}

/**
 * The category of a code under the request's overrides: an override naming the code itself wins,
 * then a range containing it (the schema lets no two ranges overlap), then the default table.
 */
export function resolveCategory(cdtCode: string, overrides: ReadonlyArray<CategoryOverride> = []): ProcedureCategory {
  const exact = overrides.find((o) => o.cdtCode === cdtCode);
  if (exact) return exact.category;
  const number = codeNumber(cdtCode);
  if (number !== undefined) {
    const range = overrides.find((o) => {
      const bounds = overrideRange(o);
      return bounds !== undefined && number >= bounds[0] && number <= bounds[1];
    });
    if (range) return range.category;
  }
  return categoryOf(cdtCode);
}
