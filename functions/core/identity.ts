/**
 * Who is calling. In AWS the Cognito user-pool authorizer puts the token's claims into
 * `requestContext.authorizer.claims`; the local runtime fills in the same claims from its dev
 * tokens, so handlers read identity one way in both places.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ForbiddenError, UnauthorizedError } from './errors';

/** Custom attribute of the Cognito user that names the dental practice the user belongs to. */
export const PRACTICE_CLAIM = 'custom:practiceId';
export const GROUPS_CLAIM = 'cognito:groups';
export const ADMIN_GROUP = 'admin';

export interface CallerIdentity {
  /** Opaque user id (`sub`); never a name or an email. */
  userId: string;
  practiceId: string;
  groups: string[];
  isAdmin: boolean;
}

/** What a practice id looks like (the claim, the ledger's and the overrides table's keys). */
export const PRACTICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const PRACTICE_ID = PRACTICE_ID_PATTERN;

export function callerIdentity(event: Pick<APIGatewayProxyEvent, 'requestContext'>): CallerIdentity {
  const claims = (event.requestContext?.authorizer?.claims ?? {}) as Record<string, unknown>;
  const userId = typeof claims.sub === 'string' ? claims.sub : undefined;
  const practiceId = typeof claims[PRACTICE_CLAIM] === 'string' ? (claims[PRACTICE_CLAIM] as string) : undefined;
  if (!userId) throw new UnauthorizedError('The request carries no authenticated user');
  if (!practiceId || !PRACTICE_ID.test(practiceId)) throw new ForbiddenError(`The user has no valid ${PRACTICE_CLAIM} claim; ask an administrator to assign a practice`);
  const groups = parseGroups(claims[GROUPS_CLAIM]);
  return { userId, practiceId, groups, isAdmin: groups.includes(ADMIN_GROUP) };
}

/** API Gateway passes `cognito:groups` as a string: `admin`, `admin,staff` or `[admin, staff]`. */
function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string' || value === '') return [];
  return value
    .replace(/^\[|\]$/g, '')
    .split(/[,\s]+/)
    .filter(Boolean);
}
