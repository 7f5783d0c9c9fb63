import { BadRequestError } from '../../../functions/core/errors';
import { LruCache } from '../../../functions/scheduling/lru-cache';
import { canonicalTimeZone, timeZoneCacheStats, zonedParts, zoneFormatter } from '../../../functions/scheduling/time-zones';

/** Spelling k of a zone: its letters upper- or lower-cased as the bits of k say. */
function spelling(zone: string, k: number): string {
  let i = 0;
  return [...zone].map((c) => (/[a-z]/i.test(c) ? ((k >> i++) & 1 ? c.toUpperCase() : c.toLowerCase()) : c)).join('');
}

describe('canonicalTimeZone', () => {
  it.each([
    ['America/New_York', 'America/New_York'],
    ['america/new_york', 'America/New_York'],
    ['AMERICA/PHOENIX', 'America/Phoenix'],
    ['US/Pacific', 'America/Los_Angeles'],
    ['us/eastern', 'America/New_York'],
    ['utc', 'UTC'],
  ])('resolves %s to %s', (spelled, canonical) => {
    expect(canonicalTimeZone(spelled)).toBe(canonical);
  });

  it('knows no made-up zone, and zoneFormatter refuses one as a bad request', () => {
    expect(canonicalTimeZone('Mars/Olympus_Mons')).toBeUndefined();
    expect(() => zoneFormatter('Mars/Olympus_Mons')).toThrow(BadRequestError);
    expect(() => zoneFormatter('Mars/Olympus_Mons')).toThrow('Unknown time zone "Mars/Olympus_Mons"');
  });
});

describe('time-zone formatter cache', () => {
  it('gives every spelling of a zone the same formatter and the same wall time', () => {
    const before = timeZoneCacheStats().formatters;
    const formatter = zoneFormatter('America/Boise');
    for (const spelled of ['america/boise', 'AMERICA/BOISE', 'aMeRiCa/BoIsE']) expect(zoneFormatter(spelled)).toBe(formatter);
    expect(timeZoneCacheStats().formatters).toBe(before + 1);
    expect(zonedParts(Date.parse('2026-11-01T15:00:00Z'), 'america/boise')).toEqual(zonedParts(Date.parse('2026-11-01T15:00:00Z'), 'America/Boise'));
  });

  it('stays one entry per zone however many spellings callers send', () => {
    const zones = ['Europe/Lisbon', 'Europe/Helsinki', 'Asia/Singapore', 'Africa/Nairobi', 'America/Bogota', 'Australia/Perth'];
    const before = timeZoneCacheStats();
    const distinct = new Set<string>();
    for (let k = 0; k < 2_000; k++) {
      const spelled = spelling(zones[k % zones.length]!, Math.floor(k / zones.length));
      distinct.add(spelled);
      zonedParts(Date.parse('2026-07-01T12:00:00Z'), spelled);
    }
    expect(distinct.size).toBeGreaterThan(1_500);
    const after = timeZoneCacheStats();
    expect(after.formatters - before.formatters).toBe(zones.length);
    expect(after.aliases).toBe(before.aliases); // listed zones never reach the alias cache
  });

  it('resolves an alias once, whatever its case', () => {
    const before = timeZoneCacheStats();
    for (let k = 0; k < 500; k++) expect(canonicalTimeZone(spelling('Canada/Newfoundland', k))).toBe('America/St_Johns');
    expect(timeZoneCacheStats().aliases).toBe(before.aliases + 1);
  });

  it('never holds more than its capacity, even for every zone ICU knows and a stream of unknown ones', () => {
    for (const zone of Intl.supportedValuesOf('timeZone')) zoneFormatter(zone.toUpperCase());
    for (let k = 0; k < 1_000; k++) expect(canonicalTimeZone(`Nowhere/Zone_${k}`)).toBeUndefined();
    const { formatters, aliases, capacity } = timeZoneCacheStats();
    expect(formatters).toBeLessThanOrEqual(capacity.formatters);
    expect(aliases).toBeLessThanOrEqual(capacity.aliases);
    expect(formatters).toBeGreaterThanOrEqual(Intl.supportedValuesOf('timeZone').length); // sized to hold them all
  });
});

describe('LruCache', () => {
  it('drops the least recently used entry beyond its capacity', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c')]).toEqual([1, 3]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LruCache(0)).toThrow('LruCache capacity must be a positive integer, got 0');
  });
});
