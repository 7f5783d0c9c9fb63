/**
 * IANA time-zone names and the one Intl formatter per zone that the scheduling task uses. Callers
 * may spell a zone many ways ("America/New_York", "america/new_york", "US/Eastern"): every spelling
 * resolves to the canonical name ICU reports, and formatters are cached per canonical name.
 *
 * Memory is why this is careful. Every `Intl.DateTimeFormat` holds native ICU state that Node
 * reclaims late, if at all (nodejs/node#57213), and the process keeps the pages: measured on Node 20,
 * one cached formatter per spelling grew a process by ~270 MB for 10,000 spellings, and building a
 * throwaway formatter just to canonicalise each spelling grew it by ~340 MB; either kills a 256 MB
 * Lambda. So canonical names are looked up, case-blind, in the list ICU publishes
 * (`Intl.supportedValuesOf`); only aliases (`US/Eastern`, `UTC`) cost a throwaway formatter, once
 * per lower-cased alias; and no formatter is ever built twice for one zone while it is cached.
 */
import { BadRequestError } from '#core/errors';
import { LruCache } from './lru-cache';

/** Lower-cased alias → canonical name. ICU knows a few hundred aliases, so each resolves about once. */
const ALIAS_CACHE_CAPACITY = 256;
/**
 * Canonical zone → formatter. Above the ~420 zones ICU lists, so however a caller cycles through
 * zones, a warm function builds each zone's formatter once (~46 KB each: ~19 MB were every zone on
 * Earth in use); the cap still bounds it should ICU's list grow.
 */
const FORMATTER_CACHE_CAPACITY = 512;

/** Numeric wall-clock parts with 00–23 hours: slot times and reminder wording are built from these. */
const PARTS_OPTIONS: Intl.DateTimeFormatOptions = { hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' };

/** Lower-cased canonical name → canonical name, for the zones ICU lists (it lists no aliases); built on first use. */
let listedZones: Map<string, string> | undefined;
const aliases = new LruCache<string, string>(ALIAS_CACHE_CAPACITY);
const formatters = new LruCache<string, Intl.DateTimeFormat>(FORMATTER_CACHE_CAPACITY);

/** The canonical IANA name of a time zone (`america/new_york` → `America/New_York`), or undefined when ICU does not know it. */
export function canonicalTimeZone(spelling: string): string | undefined {
  // IANA names are ASCII and ICU matches them case-blind, so one lower-cased key serves every spelling.
  const key = spelling.toLowerCase();
  listedZones ??= new Map(Intl.supportedValuesOf('timeZone').map((name) => [name.toLowerCase(), name]));
  const known = listedZones.get(key) ?? aliases.get(key);
  if (known !== undefined) return known;
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: spelling }).resolvedOptions().timeZone;
  } catch {
    return undefined; // RangeError: ICU refuses an unknown zone before it builds a formatter.
  }
  aliases.set(key, canonical);
  return canonical;
}

/** The shared wall-clock formatter of a time zone; every spelling of one zone gets the same object. */
export function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  const canonical = canonicalTimeZone(timeZone);
  if (canonical === undefined) throw new BadRequestError(`Unknown time zone "${timeZone.slice(0, 64)}": use an IANA name such as America/New_York`);
  let formatter = formatters.get(canonical);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: canonical, ...PARTS_OPTIONS });
    formatters.set(canonical, formatter);
  }
  return formatter;
}

export interface ZonedParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock date and time of an instant in a time zone. */
export function zonedParts(instant: number, timeZone: string): ZonedParts {
  const parts: Record<string, number> = {};
  for (const part of zoneFormatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

/** How many entries the caches hold, and may hold (for tests and diagnostics). */
export function timeZoneCacheStats(): { aliases: number; formatters: number; capacity: { aliases: number; formatters: number } } {
  return { aliases: aliases.size, formatters: formatters.size, capacity: { aliases: ALIAS_CACHE_CAPACITY, formatters: FORMATTER_CACHE_CAPACITY } };
}
