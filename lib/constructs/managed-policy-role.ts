import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * A role whose grants land in one customer-managed policy attached to it, instead of the inline
 * `DefaultPolicy` CDK would create. HIPAA asks for no inline policies: a managed policy is
 * versioned, can be inspected and reused on its own, and shows up in IAM's policy inventory.
 */
export class ManagedPolicyRole extends iam.Role {
  public readonly grantsPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.grantsPolicy = new iam.ManagedPolicy(this, 'Grants', {
      description: props.description ? `Grants of: ${props.description}` : undefined,
      roles: [this],
    });
  }

  public override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }
}
