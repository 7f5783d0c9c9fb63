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
])('the gateway stack passes AwsSolutions and HIPAA Security with no unacknowledged finding (%s)', (_label, context) => {
  const app = appWithContext(context);
  createGatewayStack(app);
  registerCompliancePacks(app);
  expect(() => app.synth()).not.toThrow();
});
