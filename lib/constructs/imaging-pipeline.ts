import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TaskConfig } from '../../functions/core/task-config';

type WorkerConfig = NonNullable<TaskConfig['worker']>;

/** AWS guidance: a queue's visibility timeout at least six times the consumer's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface ImagingPipelineProps {
  /** The imaging worker's catalog settings: timeout, batch size, concurrency, receive count. */
  readonly worker: WorkerConfig;
  /** Front-end origin allowed to POST images with a presigned POST policy. */
  readonly allowedOrigin: string;
  /** Days an uploaded or normalised image is kept; results live in the job table. @default 30 */
  readonly imageRetentionDays?: number;
}

/**
 * The buffer between the imaging API and its worker: the images bucket (with its access-log
 * bucket), the job queue and its dead-letter queue. A wave of radiographs waits in the queue
 * instead of timing out; a message that keeps failing lands in the dead-letter queue after the
 * catalog's `maxReceiveCount`.
 */
export class ImagingPipeline extends Construct {
  public readonly imagesBucket: s3.Bucket;
  public readonly accessLogsBucket: s3.Bucket;
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  private readonly worker: WorkerConfig;

  constructor(scope: Construct, id: string, props: ImagingPipelineProps) {
    super(scope, id);
    // Grant S3 log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL that
    // a bucket with ACLs disabled (BucketOwnerEnforced) rejects. Set before any child exists.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.worker = props.worker;
    const retentionDays = props.imageRetentionDays ?? 30;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the server access log destination itself; logging it would log its own log deliveries.',
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'HIPAA.Security-S3BucketLoggingEnabled',
      reason: 'This bucket is the server access log destination itself; logging it would log its own log deliveries.',
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'HIPAA.Security-S3DefaultEncryptionKMS',
      reason: 'S3 server access logging supports only SSE-S3 (AES256) on the destination bucket; SSE-KMS would make log delivery fail.',
    });

    this.imagesBucket = new s3.Bucket(this, 'Images', {
      // aws:kms with the AWS-managed key: KMS encryption without extra grants for presigned POSTs.
      encryption: s3.BucketEncryption.KMS_MANAGED,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'images/',
      lifecycleRules: [
        {
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // The front end POSTs the presigned upload form cross-origin (functions/core/object-store.ts); no PUT is handed out.
      cors: [{ allowedOrigins: [props.allowedOrigin], allowedMethods: [s3.HttpMethods.POST], allowedHeaders: ['content-type', 'content-length'], exposedHeaders: ['ETag', 'Location'], maxAge: 3000 }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const replicationReason =
      'Radiographs here are transient working copies that expire after the retention period; the analysis results live in DynamoDB with point-in-time recovery, so replicating images to a second region would only duplicate patient data.';
    for (const bucket of [this.imagesBucket, this.accessLogsBucket]) {
      Validations.of(bucket).acknowledge({ id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: replicationReason });
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // A standard queue, never FIFO: sent with MessageGroupId = the practice it is an SQS fair
    // queue, which delivers a quiet practice's job before a noisy one's backlog (functions/core/job-queue.ts,
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html).
    this.queue = new sqs.Queue(this, 'Jobs', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.worker.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.worker.maxReceiveCount },
    });
  }

  /**
   * Connects the worker: partial batch failures (one bad radiograph does not redeliver its batch)
   * and `maxConcurrency` from the catalog, which the catalog keeps at or below the worker's
   * reserved concurrency so SQS never invokes more workers than may run.
   */
  public consumeWith(worker: lambda.Function): SqsEventSource {
    const source = new SqsEventSource(this.queue, {
      batchSize: this.worker.batchSize,
      maxConcurrency: this.worker.maxConcurrency,
      reportBatchItemFailures: true,
    });
    worker.addEventSource(source);
    return source;
  }
}
