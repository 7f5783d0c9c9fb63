/**
 * The cdk-nag AwsSolutions and HIPAA Security packs pass on the stack, registered exactly as
 * bin/app.ts registers them. Kept apart from the template tests: a finding makes synth throw.
 */
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { createGatewayStack, registerCompliancePacks } from '../../lib/stack';
import { appWithContext } from './stack-fixture';

it('the packs are live: a bucket without SSL enforcement or access logs fails synth with its finding ids', () => {
  const app = appWithContext();
  new s3.Bucket(new Stack(app, 'Control'), 'Plain');
  registerCompliancePacks(app);
  expect(() => app.synth()).toThrow(/AwsSolutions-S10[\s\S]*HIPAA\.Security-S3BucketLoggingEnabled|HIPAA\.Security-S3BucketLoggingEnabled[\s\S]*AwsSolutions-S10/);
});

it.each([
  ['dev defaults', {}],
  ['reservations off with an imported pool', { reservedConcurrency: 'off', userPoolId: 'us-east-1_AbCdEf123' }],
  ['every task on Bedrock (cross-Region profiles and Regional models)', { providers: 'bedrock' }],
  [
    'prod, scheduling in a VPC beside its model server, existing account role',
    {
      stage: 'prod',
      apiGatewayAccountRole: 'existing',
      localModelUrl: 'http://10.0.12.7:8000/v1',
      vpcId: 'vpc-0123456789abcdef0',
      privateSubnetIds: 'subnet-0a1b2c3d4e5f60718,subnet-0b1b2c3d4e5f60718',
      availabilityZones: 'us-east-1a,us-east-1b',
      privateSubnetRouteTableIds: 'rtb-0a1b2c3d4e5f60718,rtb-0b1b2c3d4e5f60718',
    },
  ],
])('the gateway stack passes AwsSolutions and HIPAA Security with no unacknowledged finding (%s)', (_label, context) => {
  const app = appWithContext(context);
  createGatewayStack(app);
  registerCompliancePacks(app);
  expect(() => app.synth()).not.toThrow();
});
