import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface TaskSecretProps {
  /** The task the keys belong to. */
  readonly task: string;
  /** Secrets Manager name from the catalog, e.g. `smartdental/prod/clinical`. */
  readonly secretName: string;
}

/**
 * One task's provider keys: a Secrets Manager secret encrypted with a customer-managed KMS key of
 * its own. A key per secret means a role that may decrypt one task's secret holds no grant that
 * could decrypt another's, even through a policy mistake.
 *
 * The secret starts as `{}`; an operator puts the real keys in with
 * `aws secretsmanager put-secret-value` (JSON: provider name to a key or a list of keys).
 * CloudFormation writes the initial value only once, so later deployments keep the keys.
 *
 * The secret has a fixed name (operators put keys in by name), so it is kept on update and delete
 * but not after a failed first create: RETAIN_ON_UPDATE_OR_DELETE lets a rolled-back first deploy
 * clean up after itself, where RETAIN would leave a secret whose name the next deploy collides
 * with ("already exists"). A destroyed stack still leaves its secrets (and their keys) behind; the
 * README's deployment section says how to adopt or remove them.
 */
export class TaskSecret extends Construct {
  public readonly secret: secretsmanager.Secret;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: TaskSecretProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `Encrypts the ${props.task} task's AI provider keys`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: props.secretName,
      description: `AI provider keys of the ${props.task} task: {"openai": ["sk-..."], "anthropic": "sk-ant-..."}`,
      encryptionKey: this.key,
      secretStringValue: SecretValue.unsafePlainText('{}'),
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const rotationReason =
      'Third-party AI provider keys (OpenAI, Anthropic) are issued in the providers\' consoles and cannot be rotated by a Secrets Manager rotation Lambda; operators rotate them with put-secret-value and the functions pick the new key up within SECRET_MAX_AGE_SECONDS, without a redeploy.';
    Validations.of(this.secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotationReason });
    Validations.of(this.secret).acknowledge({ id: 'HIPAA.Security-SecretsManagerRotationEnabled', reason: rotationReason });
  }
}
