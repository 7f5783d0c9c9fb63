import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ADMIN_GROUP, PRACTICE_CLAIM } from '../../functions/core/identity';

export interface GatewayIdentityProps {
  /** An existing user pool (context `userPoolId`); the stack creates one when absent. */
  readonly userPoolId?: string;
  /** An existing app client of that pool (context `userPoolClientId`); created when absent. */
  readonly userPoolClientId?: string;
}

/** `custom:practiceId` → `practiceId`: Cognito adds the `custom:` prefix itself. */
const PRACTICE_ATTRIBUTE = PRACTICE_CLAIM.replace(/^custom:/, '');

/**
 * Who may call the API: a Cognito user pool whose tokens carry `sub`, `custom:practiceId` and
 * `cognito:groups` (see functions/core/identity.ts). Either imported from context or created here
 * with staff-grade settings: no self sign-up, strong passwords, TOTP MFA, threat protection.
 */
export class GatewayIdentity extends Construct {
  public readonly userPool: cognito.IUserPool;
  /** The front end's app client; undefined for an imported pool without `userPoolClientId`. */
  public readonly userPoolClientId?: string;

  constructor(scope: Construct, id: string, props: GatewayIdentityProps = {}) {
    super(scope, id);
    if (props.userPoolId) {
      this.userPool = cognito.UserPool.fromUserPoolId(this, 'UserPool', props.userPoolId);
      // The pool's owner manages its clients; a client of ours could not assume the attributes exist.
      this.userPoolClientId = props.userPoolClientId;
    } else {
      const pool = new cognito.UserPool(this, 'UserPool', {
        // Staff accounts are created by a practice administrator, never by sign-up.
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        autoVerify: { email: true },
        customAttributes: { [PRACTICE_ATTRIBUTE]: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }) },
        passwordPolicy: {
          minLength: 12,
          requireLowercase: true,
          requireUppercase: true,
          requireDigits: true,
          requireSymbols: true,
          tempPasswordValidity: Duration.days(3),
        },
        mfa: cognito.Mfa.REQUIRED,
        mfaSecondFactor: { otp: true, sms: false },
        // Plus tier: compromised-credential and risk-based sign-in protection for accounts that see PHI.
        featurePlan: cognito.FeaturePlan.PLUS,
        standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
        userPoolId: pool.userPoolId,
        groupName: ADMIN_GROUP,
        description: 'May read the usage report (GET /v1/usage)',
      });
      this.userPool = pool;
      this.userPoolClientId = props.userPoolClientId ?? this.createClient(pool);
    }
    new CfnOutput(scope, 'UserPoolId', { value: this.userPool.userPoolId });
    if (this.userPoolClientId) new CfnOutput(scope, 'UserPoolClientId', { value: this.userPoolClientId });
  }

  private createClient(pool: cognito.UserPool): string {
    const client = new cognito.UserPoolClient(this, 'WebClient', {
      userPool: pool,
      generateSecret: false,
      // The front end signs in with SRP (Amplify's default) and refreshes its tokens; no hosted UI,
      // so no OAuth flows at all: no implicit grant, and no placeholder callback URL.
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      // Users must not be able to move themselves to another practice: only an administrator
      // (AdminUpdateUserAttributes) writes custom:practiceId; the client may read it.
      readAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, emailVerified: true }).withCustomAttributes(PRACTICE_ATTRIBUTE),
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
    });
    return client.userPoolClientId;
  }
}
