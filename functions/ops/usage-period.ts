/**
 * The period of a usage report from `since` (`90m`, `24h`, `7d`) or `days` (1–31), as the CLI
 * flags and the `GET /v1/usage` query give them. Both default to the last 24 hours.
 */
import { BadRequestError } from '#core/errors';
import { USAGE_MAX_DAYS, usageQuerySchema } from './schemas';

export interface UsagePeriod {
  since: Date;
  until: Date;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const DEFAULT_USAGE_WINDOW_MS = 24 * UNIT_MS.h;

/** Throws {@link BadRequestError} with a message naming the parameter that is wrong. */
export function usagePeriod(query: Record<string, string | undefined>, now: number = Date.now()): UsagePeriod {
  const defined = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
  const parsed = usageQuerySchema.safeParse(defined);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    const message = issue.code === 'unrecognized_keys' ? `unknown parameter ${name}; use since (e.g. 24h, 90m, 7d) or days (1–${USAGE_MAX_DAYS}), and by (task or practice)` : `${name} ${issue.message}`;
    throw new BadRequestError(`Invalid usage ${name === 'by' ? 'grouping' : 'period'}: ${message}`);
  }
  const { since, days } = parsed.data;
  if (since !== undefined && days !== undefined) throw new BadRequestError('Invalid usage period: give since or days, not both');

  let windowMs = DEFAULT_USAGE_WINDOW_MS;
  if (days !== undefined) {
    const n = Number(days);
    if (n < 1 || n > USAGE_MAX_DAYS) throw new BadRequestError(`Invalid usage period: days must be from 1 to ${USAGE_MAX_DAYS}, got ${n}`);
    windowMs = n * UNIT_MS.d;
  } else if (since !== undefined) {
    windowMs = Number(since.slice(0, -1)) * UNIT_MS[since.at(-1) as keyof typeof UNIT_MS];
    if (windowMs > USAGE_MAX_DAYS * UNIT_MS.d) throw new BadRequestError(`Invalid usage period: since reaches back at most ${USAGE_MAX_DAYS}d, got ${since}`);
  }
  return { since: new Date(now - windowMs), until: new Date(now) };
}
