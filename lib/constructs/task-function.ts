import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../../functions/core/env';
import { METRICS_NAMESPACE, serviceNameOf } from '../../functions/core/metric-names';
import { BEDROCK_INVOKE_ACTIONS, bedrockModelArns, profiledModelOf } from './bedrock-grants';
import { ManagedPolicyRole } from './managed-policy-role';
import type { FunctionTaskConfig } from '../../functions/core/task-config';

/** Repository root, for entries, the lock file and esbuild's working directory. */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');

/**
 * ESM bundles run CommonJS dependencies that call `require`; esbuild cannot provide it in ESM
 * output, so the banner recreates it from the module URL.
 */
const CREATE_REQUIRE_BANNER = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

export type FunctionRole = 'api' | 'worker';

export interface TaskFunctionProps {
  /** Service name: the task (`clinical`) or `ops`; used for Powertools and the description. */
  readonly service: string;
  /**
   * The function's name, from `deployedFunctionName` (functions/core/function-names.ts), so the
   * usage report can name it to CloudWatch without an environment variable.
   * @default a name CloudFormation generates
   */
  readonly functionName?: string;
  /** Handler file relative to the repository root, e.g. `functions/clinical/handler.ts`. */
  readonly entry: string;
  /** `api` behind API Gateway, `worker` behind the imaging queue. */
  readonly role: FunctionRole;
  readonly timeout: Duration;
  readonly memoryMb: number;
  /**
   * Reserved concurrency: the task's ceiling. `null` leaves the function unreserved (a new
   * account whose quota of 10 rejects any reservation).
   */
  readonly reservedConcurrency: number | null;
  /** The task's resolved catalog entry; sets `AI_TASK` and `TASK_CONFIG`. Omit for ops. */
  readonly taskConfig?: FunctionTaskConfig;
  /** Key that encrypts the function's log group (HIPAA: log data may name a practice). */
  readonly logKey: kms.IKey;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** Front-end origin echoed in CORS headers. @default no ALLOWED_ORIGIN variable */
  readonly allowedOrigin?: string;
  /** Runs the function in these private subnets (a self-hosted model server on a private address). @default no VPC */
  readonly network?: FunctionNetwork;
}

export interface FunctionNetwork {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
}

/** How a function uses a table: the ops report only reads; task functions update counters. */
export type TableAccess = 'read' | 'readWrite';
export type TableEnv = typeof ENV.usageTable | typeof ENV.cacheTable | typeof ENV.jobsTable | typeof ENV.practiceOverridesTable;
export type BucketAccess = 'read' | 'readWrite';

/**
 * DynamoDB actions per access level, listed one by one instead of CDK's grantReadData /
 * grantReadWriteData, which add Scan, BatchGetItem and BatchWriteItem.
 * - read: the usage report (functions/core/usage-report.ts) queries and gets ledger items.
 * - readWrite: the ledger (conditional UpdateItem, GetItem), the cache (GetItem, PutItem), the job
 *   store (conditional PutItem/UpdateItem, GetItem) and Powertools Idempotency's
 *   DynamoDBPersistenceLayer (GetItem, PutItem, UpdateItem, and DeleteItem when a request fails).
 */
export const TABLE_ACTIONS: Record<TableAccess, readonly string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'],
};

/**
 * A Lambda function with the defaults every function of the gateway shares: Node 24 on arm64,
 * bundled locally by esbuild as minified ESM with source maps (the AWS SDK v3 comes from the
 * runtime), X-Ray tracing, its own encrypted log group, and a role that holds no managed policy.
 *
 * Access to a resource is granted through the `use*` methods, which also set the environment
 * variable the runtime reads, so a grant and its variable can never drift apart.
 */
export class TaskFunction extends NodejsFunction {
  public readonly service: string;

  constructor(scope: Construct, id: string, props: TaskFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to every
    // log group in the account, this one only to the function's own. Grants go into one
    // customer-managed policy (no inline policies).
    const role = new ManagedPolicyRole(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.service} ${props.role} function`,
    });
    logGroup.grantWrite(role);

    const environment: Record<string, string> = {
      [ENV.functionRole]: props.role,
      POWERTOOLS_SERVICE_NAME: serviceNameOf(props.service),
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      NODE_OPTIONS: '--enable-source-maps',
    };
    if (props.taskConfig) {
      environment[ENV.task] = props.taskConfig.name;
      environment[ENV.taskConfig] = JSON.stringify(props.taskConfig);
    }
    if (props.allowedOrigin) environment[ENV.allowedOrigin] = props.allowedOrigin;

    super(scope, id, {
      description: `SmartDental ${props.service} (${props.role})`,
      functionName: props.functionName,
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memoryMb,
      reservedConcurrentExecutions: props.reservedConcurrency ?? undefined,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      environment,
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.subnets,
      securityGroups: props.network ? [props.network.securityGroup] : undefined,
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: CREATE_REQUIRE_BANNER,
        // The Node 24 runtime ships SDK v3; bundling it would double every bundle's size.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
    });
    this.service = props.service;

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so AWS requires Resource *.',
    });
    Validations.of(this).acknowledge({
      id: 'HIPAA.Security-LambdaDLQ',
      reason:
        props.role === 'api'
          ? 'Invoked synchronously by API Gateway; a Lambda DLQ only receives failed asynchronous invocations, and the caller gets the error.'
          : 'Invoked by an SQS event source mapping; a message that keeps failing goes to the imaging queue\'s own dead-letter queue (redrive policy).',
    });
    if (props.network) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'Lambda adds this AWS-maintained policy to a function in a VPC: it lets the service create and delete the function\'s network interfaces, which no narrower policy AWS documents can do.',
      });
    } else {
      Validations.of(this).acknowledge({
        id: 'HIPAA.Security-LambdaInsideVPC',
        reason:
          'The functions reach only public AWS service endpoints (DynamoDB, SQS, S3, Secrets Manager over TLS with IAM auth) and third-party AI APIs over TLS; a VPC would add NAT gateways and endpoints without putting any resource behind it. A task whose chain names a self-hosted model on a private address runs in the stage\'s VPC (context vpcId).',
      });
    }
    if (props.reservedConcurrency === null) {
      Validations.of(this).acknowledge({
        id: 'HIPAA.Security-LambdaConcurrency',
        reason: 'This stage turns reserved concurrency off (context reservedConcurrency=off): a new account whose concurrency quota is 10 rejects any reservation.',
      });
    }
  }

  /** Grants read on the task's own secret (and decrypt through Secrets Manager) and sets SECRET_ID. */
  public useSecret(secret: secretsmanager.ISecret, maxAgeSeconds = 300): this {
    secret.grantRead(this);
    this.addEnvironment(ENV.secretId, secret.secretArn);
    this.addEnvironment(ENV.secretMaxAgeSeconds, String(maxAgeSeconds));
    return this;
  }

  /**
   * Grants item access on a table and sets the variable that names it. Only the item actions the
   * runtime sends: the ledger, the cache and the idempotency records are shared by every practice,
   * so no role may Scan or batch-read/-delete them (see {@link TABLE_ACTIONS}).
   */
  public useTable(envName: TableEnv, table: dynamodb.ITable, access: TableAccess): this {
    // The table alone: CDK's table.grant() adds `<table>/index/*` once a table has an index; an
    // index is granted by name, to the one function that queries it (useTableIndex).
    iam.Grant.addToPrincipal({ grantee: this, actions: [...TABLE_ACTIONS[access]], resourceArns: [table.tableArn] });
    this.addEnvironment(envName, table.tableName);
    return this;
  }

  /** Grants Query on one named index of a table (the per-practice report's `bySortKey` on the ledger). */
  public useTableIndex(table: dynamodb.ITable, indexName: string): this {
    iam.Grant.addToPrincipal({ grantee: this, actions: ['dynamodb:Query'], resourceArns: [`${table.tableArn}/index/${indexName}`] });
    return this;
  }

  /**
   * Grants `cloudwatch:GetMetricData`, for the usage report's Lambda throttles and API counts
   * (functions/core/platform-metrics.ts). No variable: the report derives the metric names.
   */
  public useMetricData(): this {
    // GetMetricData has no resource types or condition keys, so Resource must be '*':
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/permissions-reference-cw.html
    this.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    Validations.of(this.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:GetMetricData supports no resource-level permissions, so AWS requires Resource *; it only reads metric data (the report asks for AWS/Lambda Throttles and AWS/ApiGateway counts).',
    });
    return this;
  }

  /**
   * Grants invoking exactly these Bedrock models (Converse and ConverseStream), the ones the task's
   * own chain names; nothing when there are none. No variable: the SDK signs with this role and
   * finds the Regional endpoint itself. See lib/constructs/bedrock-grants.ts for the ARNs.
   */
  public useBedrockModels(modelIds: readonly string[]): this {
    if (modelIds.length === 0) return this;
    const { regional, anyRegion } = bedrockModelArns(Stack.of(this), modelIds);
    this.addToRolePolicy(new iam.PolicyStatement({ sid: 'InvokeOwnBedrockModels', actions: [...BEDROCK_INVOKE_ACTIONS], resources: regional }));
    if (anyRegion.length > 0) {
      this.addToRolePolicy(new iam.PolicyStatement({ sid: 'InvokeOwnBedrockProfileDestinations', actions: [...BEDROCK_INVOKE_ACTIONS], resources: anyRegion }));
      for (const id of modelIds) {
        const routed = profiledModelOf(id);
        if (routed === undefined) continue;
        Validations.of(this.role!).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/${routed}]`,
          reason: `The cross-Region inference profile ${id} routes to ${routed} in Regions AWS chooses (and adds to); AWS requires the foundation model in each of them and documents it with a wildcard Region. The grant names this one model only.`,
        });
      }
    }
    return this;
  }

  /** Grants sending to the imaging queue and sets IMAGING_QUEUE_URL. */
  public useImagingQueue(queue: sqs.IQueue): this {
    queue.grantSendMessages(this);
    this.addEnvironment(ENV.imagingQueueUrl, queue.queueUrl);
    return this;
  }

  /**
   * Grants object access on the images bucket and sets IMAGES_BUCKET. Actions are listed one by
   * one (no `s3:GetObject*` style wildcards); `readWrite` also covers presigned PUT URLs, which
   * are signed with this role's credentials.
   */
  public useImagesBucket(bucket: s3.IBucket, access: BucketAccess): this {
    const actions = access === 'read' ? ['s3:GetObject', 's3:DeleteObject'] : ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'];
    this.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [bucket.arnForObjects('*')] }));
    if (bucket.encryptionKey) {
      bucket.encryptionKey.grant(this, 'kms:Decrypt', ...(access === 'readWrite' ? ['kms:GenerateDataKey'] : []));
    }
    this.addEnvironment(ENV.imagesBucket, bucket.bucketName);
    Validations.of(this.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(bucket).getLogicalId(bucket.node.defaultChild as never)}.Arn>/*]`,
      reason: 'Image object keys are generated per job at run time, so the grant names the bucket\'s objects (<bucket>/*); the bucket holds nothing but radiographs of this task.',
    });
    return this;
  }
}
