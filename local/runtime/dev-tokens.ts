/**
 * The local stand-in for the Cognito user-pool authorizer: fixed bearer tokens that map to the
 * same claims Cognito puts into `requestContext.authorizer.claims`, so handlers read identity
 * one way in both places.
 */
import { ADMIN_GROUP, GROUPS_CLAIM, PRACTICE_CLAIM } from '../../functions/core/identity';

export interface DevIdentity {
  token: string;
  userId: string;
  practiceId: string;
  groups: string[];
}

export function devIdentities(env: NodeJS.ProcessEnv = process.env): DevIdentity[] {
  return [
    {
      token: env.SMARTDENTAL_DEV_TOKEN || 'local-dev-token',
      userId: 'local-admin',
      practiceId: env.SMARTDENTAL_DEV_PRACTICE || 'practice-demo',
      groups: [ADMIN_GROUP],
    },
    {
      token: env.SMARTDENTAL_DEV_TOKEN_2 || 'local-dev-token-2',
      userId: 'local-staff',
      practiceId: env.SMARTDENTAL_DEV_PRACTICE_2 || 'practice-other',
      groups: [],
    },
    {
      token: env.SMARTDENTAL_DEV_TOKEN_3 || 'local-dev-token-3',
      userId: 'local-staff-3',
      practiceId: env.SMARTDENTAL_DEV_PRACTICE_3 || 'practice-third',
      groups: [],
    },
  ];
}

/** The claims as the Cognito authorizer passes them (every value a string). */
export function claimsOf(identity: DevIdentity): Record<string, string> {
  const claims: Record<string, string> = { sub: identity.userId, [PRACTICE_CLAIM]: identity.practiceId, token_use: 'id' };
  if (identity.groups.length > 0) claims[GROUPS_CLAIM] = identity.groups.join(',');
  return claims;
}

/** The identity of an `Authorization: Bearer <token>` header, or undefined. */
export function identityFor(authorization: string | undefined, identities: DevIdentity[]): DevIdentity | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  return identities.find((i) => i.token === match[1]);
}
