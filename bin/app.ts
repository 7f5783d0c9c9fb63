/**
 * The CDK app: resolves the task catalog from context, builds the stack, and runs the cdk-nag
 * AwsSolutions and HIPAA Security packs on it (an unacknowledged finding fails `cdk synth`).
 *
 * Context (cdk.json or `-c key=value`): stage, reservedConcurrency=off, taskOverrides (JSON),
 * allowedOrigin, userPoolId, userPoolClientId, apiRateLimit, apiBurstLimit, apiTimeoutSeconds,
 * imageRetentionDays, localModelUrl (scheduling's self-hosted model server), apiGatewayAccountRole
 * (create|existing), and the stage's VPC for a private model server: vpcId, privateSubnetIds,
 * availabilityZones, privateSubnetRouteTableIds, vpcEndpoints (create|existing).
 */
import { App } from 'aws-cdk-lib';
import { CatalogError } from '../lib/catalog';
import { createGatewayStack, registerCompliancePacks } from '../lib/stack';

const app = new App();
try {
  createGatewayStack(app);
} catch (error) {
  // A bad catalog is an operator's mistake: print the message that names task and field, no stack trace.
  if (error instanceof CatalogError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
registerCompliancePacks(app);
app.synth();
