import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { CACHE_TABLE, JOBS_TABLE, PRACTICE_OVERRIDES_TABLE, USAGE_TABLE, type TableDefinition } from '../../functions/core/tables';

export interface GatewayTablesProps {
  /** Names the backup plan and vault, which are account-wide. */
  readonly stage: string;
}

/**
 * The gateway's DynamoDB tables, built from the key schemas the runtime code uses
 * (`functions/core/tables.ts`): the usage ledger, the imaging job store, and the response cache
 * (which also holds Powertools idempotency records).
 *
 * On-demand, so a burst is never throttled by provisioned capacity; point-in-time recovery for
 * the ledger and the jobs; TTL so minute counters, finished jobs and cache entries clean up after
 * themselves. Encrypted with the AWS-managed DynamoDB key: grants then need no KMS statements,
 * and the data never leaves DynamoDB's own key boundary.
 */
export class GatewayTables extends Construct {
  public readonly usage: dynamodb.Table;
  public readonly jobs: dynamodb.Table;
  public readonly cache: dynamodb.Table;
  /** Per-practice overrides of the tasks' practice shares, edited by operators (`npm run practices`). */
  public readonly practiceOverrides: dynamodb.Table;
  /** Daily AWS Backup of the ledger and the jobs, kept 35 days (HIPAA contingency plan). */
  public readonly backupPlan: backup.BackupPlan;

  constructor(scope: Construct, id: string, props: GatewayTablesProps) {
    super(scope, id);
    this.usage = this.tableFrom(USAGE_TABLE, RemovalPolicy.RETAIN);
    this.jobs = this.tableFrom(JOBS_TABLE, RemovalPolicy.RETAIN);
    // Cache entries can always be recomputed, but PITR stays on: HIPAA checks every table.
    this.cache = this.tableFrom(CACHE_TABLE, RemovalPolicy.DESTROY);
    // Operators' decisions (a group practice's larger share): kept like the ledger, and backed up.
    this.practiceOverrides = this.tableFrom(PRACTICE_OVERRIDES_TABLE, RemovalPolicy.RETAIN);

    // Named by stage, so two stages in one account never share a plan or a vault name. The vault
    // keeps its recovery points on update and delete, but a rolled-back first create removes it
    // (RETAIN would leave a vault whose name the next deploy collides with).
    const vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: `smartdental-ai-${props.stage}-backups`,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.backupPlan = new backup.BackupPlan(this, 'Backups', {
      backupPlanName: `smartdental-ai-${props.stage}-daily`,
      backupVault: vault,
      backupPlanRules: [backup.BackupPlanRule.daily()],
    });
    const selection = this.backupPlan.addSelection('LedgerAndJobs', {
      resources: [
        backup.BackupResource.fromDynamoDbTable(this.usage),
        backup.BackupResource.fromDynamoDbTable(this.jobs),
        backup.BackupResource.fromDynamoDbTable(this.practiceOverrides),
      ],
    });
    for (const policy of ['AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForRestores']) {
      Validations.of(selection).acknowledge({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        reason: `${policy} is the AWS-maintained policy the AWS Backup service role needs to snapshot and restore DynamoDB tables; it follows new backup features without edits here.`,
      });
    }
    Validations.of(this.cache).acknowledge({
      id: 'HIPAA.Security-DynamoDBInBackupPlan',
      reason: 'The response cache holds only recomputable answers that expire within hours (TTL); keeping them in 35-day backups would retain patient data longer than the cache itself. Point-in-time recovery stays on.',
    });
  }

  private tableFrom(definition: TableDefinition, removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, definition.logicalName, {
      partitionKey: { name: definition.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: definition.sortKey ? { name: definition.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: definition.ttlAttribute,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    for (const index of definition.indexes ?? []) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: index.sortKey ? { name: index.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
        projectionType: dynamodb.ProjectionType.KEYS_ONLY,
      });
    }
    return table;
  }
}
