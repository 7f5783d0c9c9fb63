/**
 * The stack deploys, fails, and deploys again: nothing named and retained collides with what a
 * rolled-back first deploy would leave, account-wide names carry the stage, the account-level
 * API Gateway role is a choice, an unknown stage stops synth, and the app client allows only the
 * flows the front end uses.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { CatalogError } from '../../lib/catalog';
import { UNREACHABLE_MODEL_URL_WARNING, createGatewayStack } from '../../lib/stack';
import { appWithContext, logicalIdOf, synthGateway, type SynthesizedGateway } from './stack-fixture';

type Resource = SynthesizedGateway['resources'][string] & { DeletionPolicy?: string; UpdateReplacePolicy?: string };

/** A literal (not a token) name property: what two deployments of the same stage would share. */
const NAME_PROPERTIES = ['Name', 'BackupVaultName', 'LogGroupName', 'TableName', 'BucketName', 'RoleName', 'QueueName', 'TopicName', 'DashboardName', 'FunctionName'];
function fixedNameOf(resource: Resource): string | undefined {
  const props = resource.Properties ?? {};
  for (const key of NAME_PROPERTIES) if (typeof props[key] === 'string') return props[key];
  const plan = props.BackupPlan as { BackupPlanName?: unknown } | undefined;
  return typeof plan?.BackupPlanName === 'string' ? plan.BackupPlanName : undefined;
}

describe('named resources', () => {
  let gw: SynthesizedGateway;
  beforeAll(() => {
    gw = synthGateway();
  });

  it('no resource with a fixed name is retained after a failed create: RetainExceptOnCreate or Delete', () => {
    const named = Object.entries(gw.resources as Record<string, Resource>).filter(([, r]) => fixedNameOf(r) !== undefined);
    expect(named.length).toBeGreaterThan(5);
    for (const [id, resource] of named) {
      expect([id, resource.DeletionPolicy ?? 'Delete']).toEqual([id, expect.stringMatching(/^(RetainExceptOnCreate|Delete)$/)]);
    }
  });

  it('the five secrets keep their keys on update and delete, but not after a rolled-back create', () => {
    for (const [name, task] of Object.entries(gw.stack.tasks)) {
      const secret = gw.resources[logicalIdOf(gw.stack, task.secret.secret)] as Resource;
      expect([name, secret.Properties!.Name, secret.DeletionPolicy, secret.UpdateReplacePolicy]).toEqual([name, `smartdental/dev/${name}`, 'RetainExceptOnCreate', 'Retain']);
      const key = gw.resources[logicalIdOf(gw.stack, task.secret.key)] as Resource;
      expect(key.DeletionPolicy).toBe('RetainExceptOnCreate');
    }
  });

  it('the backup plan and vault are named by stage', () => {
    const names = (g: SynthesizedGateway) => ({
      plan: g.template.findResources('AWS::Backup::BackupPlan'),
      vault: g.template.findResources('AWS::Backup::BackupVault'),
    });
    const dev = names(gw);
    const prod = names(synthGateway({ stage: 'prod' }));
    const planName = (r: ReturnType<typeof names>) => Object.values(r.plan).map((p) => p.Properties.BackupPlan.BackupPlanName);
    const vaultName = (r: ReturnType<typeof names>) => Object.values(r.vault).map((v) => [v.Properties.BackupVaultName, v.DeletionPolicy]);
    expect(planName(dev)).toEqual(['smartdental-ai-dev-daily']);
    expect(planName(prod)).toEqual(['smartdental-ai-prod-daily']);
    expect(vaultName(dev)).toEqual([['smartdental-ai-dev-backups', 'RetainExceptOnCreate']]);
    expect(vaultName(prod)).toEqual([['smartdental-ai-prod-backups', 'RetainExceptOnCreate']]);
  });
});

describe('apiGatewayAccountRole', () => {
  it('create (the default): registers a CloudWatch role for API Gateway and keeps it when the stage is deleted', () => {
    const { template } = synthGateway();
    const accounts = template.findResources('AWS::ApiGateway::Account');
    expect(Object.keys(accounts)).toHaveLength(1);
    const roleRef = Object.values(accounts)[0]!.Properties.CloudWatchRoleArn['Fn::GetAtt'][0] as string;
    const role = template.toJSON().Resources[roleRef];
    expect(role.DeletionPolicy).toBe('Retain');
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('AmazonAPIGatewayPushToCloudWatchLogs');
  });

  it('existing: leaves the account setting alone (a second stage in the same account)', () => {
    const { template } = synthGateway({ apiGatewayAccountRole: 'existing' });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Role'))).not.toContain('AmazonAPIGatewayPushToCloudWatchLogs');
  });

  it('anything else stops synth with the choices', () => {
    expect(() => createGatewayStack(appWithContext({ apiGatewayAccountRole: 'yes' }))).toThrow("context 'apiGatewayAccountRole' must be one of create, existing, got 'yes'");
  });
});

describe('stage', () => {
  it('an unknown stage is an error, not the dev preset under another name', () => {
    expect(() => createGatewayStack(appWithContext({ stage: 'prdo' }))).toThrow(CatalogError);
    expect(() => createGatewayStack(appWithContext({ stage: 'prdo' }))).toThrow(`context 'stage': unknown stage "prdo" (known: dev, prod)`);
  });
});

describe('Cognito app client', () => {
  it('allows SRP sign-in and token refresh only: no OAuth flows, no implicit grant, no callback URL', () => {
    const { template } = synthGateway();
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(1);
    const props = clients[0]!.Properties;
    expect([...props.ExplicitAuthFlows].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    expect(props.AllowedOAuthFlows).toBeUndefined();
    expect(props.AllowedOAuthFlowsUserPoolClient).not.toBe(true);
    expect(props.CallbackURLs).toBeUndefined();
    expect(props.GenerateSecret).toBe(false);
  });
});

describe('a self-hosted model server on a private address', () => {
  const MODEL = 'http://10.0.12.7:8000/v1';
  const VPC = {
    localModelUrl: MODEL,
    vpcId: 'vpc-0123456789abcdef0',
    privateSubnetIds: 'subnet-0a1b2c3d4e5f60718,subnet-0b1b2c3d4e5f60718',
    availabilityZones: 'us-east-1a,us-east-1b',
    privateSubnetRouteTableIds: 'rtb-0a1b2c3d4e5f60718,rtb-0b1b2c3d4e5f60718',
  };
  let gw: SynthesizedGateway;
  beforeAll(() => {
    gw = synthGateway(VPC);
  });

  it('puts the functions whose chain names it into the private subnets, and no other function', () => {
    const scheduling = gw.resources[logicalIdOf(gw.stack, gw.stack.tasks.scheduling!.api)]!.Properties!;
    expect(scheduling.VpcConfig.SubnetIds).toEqual(['subnet-0a1b2c3d4e5f60718', 'subnet-0b1b2c3d4e5f60718']);
    for (const { id, fn } of gw.stack.functions()) {
      if (fn === gw.stack.tasks.scheduling!.api) continue;
      expect([id, gw.resources[logicalIdOf(gw.stack, fn)]!.Properties!.VpcConfig]).toEqual([id, undefined]);
    }
  });

  it('its security group opens HTTPS and the model server port on the server only, and admits nothing', () => {
    const groupId = gw.resources[logicalIdOf(gw.stack, gw.stack.tasks.scheduling!.api)]!.Properties!.VpcConfig.SecurityGroupIds[0]['Fn::GetAtt'][0];
    const group = gw.resources[groupId]!.Properties!;
    expect(group.SecurityGroupEgress).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
        expect.objectContaining({ CidrIp: '10.0.12.7/32', FromPort: 8000, ToPort: 8000, IpProtocol: 'tcp' }),
      ]),
    );
    expect(group.SecurityGroupEgress).toHaveLength(2);
    expect(group.SecurityGroupIngress).toBeUndefined();
  });

  it('adds gateway endpoints for DynamoDB and S3 on the subnets\' route tables and interface endpoints for SQS and Secrets Manager', () => {
    const endpoints = Object.values(gw.template.findResources('AWS::EC2::VPCEndpoint')).map((e) => e.Properties);
    const services = endpoints.map((e) => JSON.stringify(e.ServiceName)).join(' ');
    for (const service of ['dynamodb', 's3', 'sqs', 'secretsmanager']) expect(services).toContain(service);
    const gateways = endpoints.filter((e) => e.VpcEndpointType === 'Gateway');
    expect(gateways).toHaveLength(2);
    for (const g of gateways) expect(g.RouteTableIds).toEqual(['rtb-0a1b2c3d4e5f60718', 'rtb-0b1b2c3d4e5f60718']);
    const interfaces = endpoints.filter((e) => e.VpcEndpointType === 'Interface');
    expect(interfaces).toHaveLength(2);
    for (const i of interfaces) expect(i.PrivateDnsEnabled).toBe(true);
    gw.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 443, ToPort: 443, SourceSecurityGroupId: Match.anyValue() });
  });

  it('vpcEndpoints=existing adds none (the VPC has its own)', () => {
    const existing = synthGateway({ ...VPC, privateSubnetRouteTableIds: undefined, vpcEndpoints: 'existing' });
    existing.template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    expect(existing.resources[logicalIdOf(existing.stack, existing.stack.tasks.scheduling!.api)]!.Properties!.VpcConfig).toBeDefined();
  });

  it.each([
    [{ privateSubnetRouteTableIds: undefined }, "context 'privateSubnetRouteTableIds' must name one route table per private subnet (2)"],
    [{ availabilityZones: 'us-east-1a' }, "context 'availabilityZones' must name one zone per private subnet (2), in the same order; got 1"],
    [{ privateSubnetIds: 'subnet-zz' }, "context 'privateSubnetIds': 'subnet-zz' is not a subnet id"],
    [{ vpcId: 'my-vpc' }, "context 'vpcId' must look like vpc-0123456789abcdef0, got 'my-vpc'"],
    [{ vpcId: undefined }, "context 'privateSubnetIds' needs 'vpcId' too"],
  ])('a wrong VPC setting stops synth with a clear message (%o)', (change, message) => {
    expect(() => createGatewayStack(appWithContext({ ...VPC, ...change }))).toThrow(message);
  });

  it('without a VPC, synth warns that nothing deployed can reach the server', () => {
    const warnings = Annotations.fromStack(synthGateway({ localModelUrl: MODEL }).stack).findWarning('*', Match.stringLikeRegexp(`private address[\\s\\S]*\\[ack: ${UNREACHABLE_MODEL_URL_WARNING}\\]`));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]!.entry.data)).toContain("task 'scheduling'");
    expect(Annotations.fromStack(gw.stack).findWarning('*', Match.stringLikeRegexp(UNREACHABLE_MODEL_URL_WARNING))).toEqual([]);
  });

  it('plain http is refused on a public address, accepted on a private one', () => {
    expect(() => createGatewayStack(appWithContext({ localModelUrl: 'http://models.example.com/v1' }))).toThrow(
      "task catalog: task 'scheduling', field 'providers': openai-compatible target 'llama-3.1-8b-instruct' at http://models.example.com/v1 must use https on a public address",
    );
    expect(() => createGatewayStack(appWithContext({ localModelUrl: 'https://models.example.com/v1' }))).not.toThrow();
    expect(() => createGatewayStack(appWithContext({ localModelUrl: 'http://model-box.internal:8000/v1' }))).not.toThrow();
  });
});
