/**
 * Storage and transport security across the whole template: every bucket, queue, topic, table,
 * secret and log group is encrypted; every bucket, queue and topic refuses plain HTTP; no bucket
 * is public. Written over resource types, so a resource added later is checked too.
 */
import { synthGateway, type SynthesizedGateway } from './stack-fixture';

let gw: SynthesizedGateway;
beforeAll(() => {
  gw = synthGateway();
});

function ofType(type: string): Array<[string, Record<string, any>]> {
  return Object.entries(gw.resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** The resource policy statements that deny requests without TLS, for one resource id. */
function denyInsecureTransport(policyType: string, targetKey: string, id: string): unknown[] {
  return ofType(policyType)
    .filter(([, p]) => JSON.stringify(p[targetKey]).includes(`"${id}"`))
    .flatMap(([, p]) => p.PolicyDocument.Statement as Array<Record<string, any>>)
    .filter((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
}

it('finds the resources it checks (a renamed type would otherwise pass vacuously)', () => {
  for (const [type, count] of [
    ['AWS::S3::Bucket', 2],
    ['AWS::SQS::Queue', 2],
    ['AWS::SNS::Topic', 1],
    ['AWS::DynamoDB::Table', 4],
    ['AWS::SecretsManager::Secret', 5],
  ] as const) {
    expect([type, ofType(type).length]).toEqual([type, count]);
  }
});

it('every bucket is encrypted, blocks all public access, and denies plain HTTP', () => {
  for (const [id, p] of ofType('AWS::S3::Bucket')) {
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(/^(aws:kms|AES256)$/);
    expect(p.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect([id, denyInsecureTransport('AWS::S3::BucketPolicy', 'Bucket', id).length]).toEqual([id, 1]);
  }
});

it('no bucket policy allows a public principal', () => {
  for (const [, p] of ofType('AWS::S3::BucketPolicy')) {
    for (const s of p.PolicyDocument.Statement as Array<Record<string, any>>) {
      if (s.Effect === 'Allow') expect(s.Principal).not.toEqual({ AWS: '*' });
      if (s.Effect === 'Allow') expect(s.Principal).not.toBe('*');
    }
  }
});

it('every queue is encrypted and denies plain HTTP', () => {
  for (const [id, p] of ofType('AWS::SQS::Queue')) {
    expect(p.SqsManagedSseEnabled === true || p.KmsMasterKeyId !== undefined).toBe(true);
    expect([id, denyInsecureTransport('AWS::SQS::QueuePolicy', 'Queues', id).length]).toEqual([id, 1]);
  }
});

it('the alarm topic is encrypted with a customer key and denies plain HTTP', () => {
  for (const [id, p] of ofType('AWS::SNS::Topic')) {
    expect(p.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    expect([id, denyInsecureTransport('AWS::SNS::TopicPolicy', 'Topics', id).length]).toEqual([id, 1]);
  }
});

it('every table is encrypted, on demand, with point-in-time recovery and a TTL attribute', () => {
  for (const [, p] of ofType('AWS::DynamoDB::Table')) {
    expect(p).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { Enabled: true, AttributeName: expect.any(String) },
    });
  }
});

it('every secret and every log group is encrypted with a customer-managed key', () => {
  for (const [, p] of [...ofType('AWS::SecretsManager::Secret'), ...ofType('AWS::Logs::LogGroup')]) {
    expect(p.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
  }
});

it('every customer-managed key rotates', () => {
  for (const [, p] of ofType('AWS::KMS::Key')) expect(p.EnableKeyRotation).toBe(true);
});

it('no role carries an inline policy or a managed policy that writes to every log group', () => {
  expect(ofType('AWS::IAM::Policy')).toEqual([]);
  for (const [, p] of ofType('AWS::IAM::Role')) {
    expect(JSON.stringify(p.ManagedPolicyArns ?? [])).not.toContain('AWSLambdaBasicExecutionRole');
    expect(p.Policies).toBeUndefined();
  }
});
