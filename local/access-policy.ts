/**
 * What each local function may touch, as the stand-ins check it: IAM for the laptop.
 *
 * In AWS every function has its own role, and a call its role was not granted fails with an
 * AccessDenied error. Locally every function signs with its own access key id (the local runtime
 * sets `AWS_ACCESS_KEY_ID` per function); the stand-ins (DynamoDB, Secrets Manager, S3, SQS) read
 * the key id from the request's SigV4 `Credential=` and ask this policy whether that function may
 * perform the action on the resource. The policy is built from the function plan's grants
 * (lib/function-plan.ts), the same ones the stack turns into IAM statements, so a grant missing
 * there fails on the laptop as it would in AWS.
 *
 * The runtime's own key (table creation, recovery, the ops page, tests) is unrestricted, as an
 * administrator is. A key the policy does not know is refused.
 *
 * AWS's wording of a refused call ("User: <arn> is not authorized to perform: <action> on
 * resource: <arn> because no identity-based policy allows the <action> action"):
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
import type { PlanTable, ResourceGrant } from '../lib/function-plan';
import { BUCKET_ACTIONS, INDEX_ACTIONS, QUEUE_ACTIONS, SECRET_ACTIONS, TABLE_ACTIONS } from '../lib/function-plan';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_ARN_REGION = 'us-east-1';

export const localArn = {
  table: (name: string) => `arn:aws:dynamodb:${LOCAL_ARN_REGION}:${LOCAL_ACCOUNT}:table/${name}`,
  /** An index is its own resource: a grant on the table does not reach it. */
  index: (table: string, index: string) => `arn:aws:dynamodb:${LOCAL_ARN_REGION}:${LOCAL_ACCOUNT}:table/${table}/index/${index}`,
  secret: (name: string) => `arn:aws:secretsmanager:${LOCAL_ARN_REGION}:${LOCAL_ACCOUNT}:secret:${name}`,
  queue: (name: string) => `arn:aws:sqs:${LOCAL_ARN_REGION}:${LOCAL_ACCOUNT}:${name}`,
  object: (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`,
};

/** Where the grants of functions without a known key are kept (never a real key id: it has a space). */
const UNKNOWN_KEY = ' unknown';

/** The physical names the local runtime gave the plan's resources. */
export interface LocalResourceNames {
  tables: Record<PlanTable, string>;
  /** Secret name per task. */
  secrets: Record<string, string>;
  queue: string;
  bucket: string;
}

/** One local function as the policy knows it. */
export interface LocalPrincipal {
  /** The function's name; the refusal names the role it would run as. */
  functionName: string;
  grants: readonly ResourceGrant[];
}

/** A refused call: the text AWS would answer with. */
export interface AccessDenial {
  message: string;
}

/** The access key id in a SigV4 Authorization header (`Credential=<key id>/<date>/…`). */
export function accessKeyIdOf(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  return /Credential=([^/,\s]+)\//.exec(header ?? '')?.[1];
}

/**
 * The stand-ins start before the functions do, so they get the policy first and the runtime
 * registers each function's key as it creates the function.
 */
export class LocalAccessPolicy {
  private readonly allowed = new Map<string, { principal: string; rules: Array<{ action: string; resource: string }> }>();

  constructor(
    private readonly names: LocalResourceNames,
    /** Access key ids that may do anything (the runtime's own). */
    private readonly unrestricted: ReadonlySet<string>,
  ) {}

  /** Lets the function that signs with `accessKeyId` do what its grants allow. */
  allow(accessKeyId: string, principal: LocalPrincipal): void {
    const role = `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${principal.functionName}-role/${principal.functionName}`;
    const rules = principal.grants.flatMap((grant) => rulesOf(grant, this.names));
    const existing = this.allowed.get(accessKeyId);
    // Several functions on one key (real Bedrock with the developer's own key) share their grants.
    this.allowed.set(accessKeyId, existing ? { principal: existing.principal, rules: [...existing.rules, ...rules] } : { principal: role, rules });
  }

  /**
   * Grants for a request signed with a key no function registered: the functions that sign with
   * the developer's AWS_PROFILE (real Bedrock), whose key id the runtime cannot know in advance.
   * Without any, an unknown key is refused.
   */
  allowUnknownKeys(principal: LocalPrincipal): void {
    this.allow(UNKNOWN_KEY, principal);
  }

  /** undefined when the caller may perform `action` (`dynamodb:GetItem`) on `resource` (an ARN). */
  check(accessKeyId: string | undefined, action: string, resource: string): AccessDenial | undefined {
    if (accessKeyId !== undefined && this.unrestricted.has(accessKeyId)) return undefined;
    const entry = (accessKeyId === undefined ? undefined : this.allowed.get(accessKeyId)) ?? this.allowed.get(UNKNOWN_KEY);
    if (entry?.rules.some((rule) => rule.action === action && matches(rule.resource, resource))) return undefined;
    const principal = entry?.principal ?? `arn:aws:iam::${LOCAL_ACCOUNT}:user/unknown-access-key-${accessKeyId ?? 'none'}`;
    return { message: `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action` };
  }
}

function rulesOf(grant: ResourceGrant, names: LocalResourceNames): Array<{ action: string; resource: string }> {
  const each = (actions: readonly string[], resource: string) => actions.map((action) => ({ action, resource }));
  switch (grant.kind) {
    case 'secret':
      return each(SECRET_ACTIONS, localArn.secret(names.secrets[grant.task] ?? grant.secretName));
    case 'table':
      return each(TABLE_ACTIONS[grant.access], localArn.table(names.tables[grant.table]));
    case 'index':
      return each(INDEX_ACTIONS, localArn.index(names.tables[grant.table], grant.index));
    case 'queue':
      return each(QUEUE_ACTIONS[grant.access], localArn.queue(names.queue));
    case 'bucket':
      return each(BUCKET_ACTIONS[grant.access], localArn.object(names.bucket, '*'));
  }
}

/** A resource pattern with a trailing `*` (the bucket's objects) matches by prefix. */
function matches(pattern: string, resource: string): boolean {
  return pattern.endsWith('*') ? resource.startsWith(pattern.slice(0, -1)) : pattern === resource;
}
