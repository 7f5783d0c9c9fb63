import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ipv4HostOf, portOf } from '../../functions/core/model-endpoint';
import { CatalogError } from '../catalog';

/** `create` adds the endpoints the functions need; `existing` trusts the VPC to have them already. */
export type VpcEndpointsMode = 'create' | 'existing';
export const VPC_ENDPOINT_MODES: readonly VpcEndpointsMode[] = ['create', 'existing'];

export interface ModelNetworkProps {
  /** The VPC that holds the self-hosted model server (context `vpcId`). */
  readonly vpcId: string;
  /** Availability zones of the private subnets, in the same order (context `availabilityZones`). */
  readonly availabilityZones: string[];
  /** Private subnets the functions run in (context `privateSubnetIds`). */
  readonly privateSubnetIds: string[];
  /** Their route tables, for the DynamoDB and S3 gateway endpoints (context `privateSubnetRouteTableIds`). */
  readonly privateSubnetRouteTableIds?: string[];
  /** @default 'create' */
  readonly endpoints?: VpcEndpointsMode;
}

/**
 * The private network a function needs when its provider chain names a self-hosted model server
 * on a private address: the stage's own VPC (imported by id, no lookup, so synth stays offline),
 * its private subnets, and VPC endpoints for DynamoDB, S3 (gateway), SQS and Secrets Manager
 * (interface), so the functions reach every AWS service they use without a NAT gateway. A chain
 * that also calls a public provider (OpenAI, Anthropic) still needs a NAT route in those subnets.
 *
 * Each placed function gets a security group of its own that may open only HTTPS (AWS endpoints,
 * public providers) and the model server's port.
 */
export class ModelNetwork extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly subnets: ec2.SubnetSelection;
  /** The interface endpoints' group; admits HTTPS from the functions' groups only. */
  public readonly endpointSecurityGroup?: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ModelNetworkProps) {
    super(scope, id);
    checkNetworkProps(props);
    this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: props.vpcId,
      availabilityZones: props.availabilityZones,
      privateSubnetIds: props.privateSubnetIds,
      privateSubnetRouteTableIds: props.privateSubnetRouteTableIds?.length ? props.privateSubnetRouteTableIds : undefined,
    });
    this.subnets = { subnets: this.vpc.privateSubnets };

    if ((props.endpoints ?? 'create') === 'create') {
      this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.subnets] });
      this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [this.subnets] });
      this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'SmartDental AI: interface endpoints, HTTPS from the gateway functions only',
        allowAllOutbound: false,
      });
      for (const [name, service] of [
        ['Sqs', ec2.InterfaceVpcEndpointAwsService.SQS],
        ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ] as const) {
        this.vpc.addInterfaceEndpoint(name, { service, subnets: this.subnets, privateDnsEnabled: true, securityGroups: [this.endpointSecurityGroup], open: false });
      }
    }
  }

  /** A security group for one function: HTTPS out, plus the model servers' ports. */
  public securityGroupFor(id: string, modelUrls: string[]): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, `${id}SecurityGroup`, {
      vpc: this.vpc,
      description: `SmartDental AI ${id}: HTTPS and its self-hosted model server`,
      allowAllOutbound: false,
    });
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS service endpoints and public model providers');
    for (const url of modelUrls) {
      const host = ipv4HostOf(url);
      const port = portOf(url);
      if (port === 443 && !host) continue;
      group.addEgressRule(host ? ec2.Peer.ipv4(`${host}/32`) : ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `self-hosted model server ${new URL(url).host}`);
    }
    this.endpointSecurityGroup?.addIngressRule(group, ec2.Port.tcp(443), `HTTPS from ${id}`);
    return group;
  }
}

function checkNetworkProps(props: ModelNetworkProps): void {
  if (!/^vpc-[0-9a-f]{8,17}$/.test(props.vpcId)) throw new CatalogError(`context 'vpcId' must look like vpc-0123456789abcdef0, got '${props.vpcId}'`);
  if (props.privateSubnetIds.length === 0) throw new CatalogError("context 'privateSubnetIds' is required with 'vpcId': a comma-separated list such as subnet-0a1b2c3d,subnet-4e5f6a7b");
  for (const subnet of props.privateSubnetIds) {
    if (!/^subnet-[0-9a-f]{8,17}$/.test(subnet)) throw new CatalogError(`context 'privateSubnetIds': '${subnet}' is not a subnet id like subnet-0a1b2c3d`);
  }
  if (props.availabilityZones.length !== props.privateSubnetIds.length) {
    throw new CatalogError(`context 'availabilityZones' must name one zone per private subnet (${props.privateSubnetIds.length}), in the same order; got ${props.availabilityZones.length}`);
  }
  const routeTables = props.privateSubnetRouteTableIds ?? [];
  if ((props.endpoints ?? 'create') === 'create' && routeTables.length !== props.privateSubnetIds.length) {
    throw new CatalogError(
      `context 'privateSubnetRouteTableIds' must name one route table per private subnet (${props.privateSubnetIds.length}) for the DynamoDB and S3 gateway endpoints; ` +
        "or pass vpcEndpoints=existing when the VPC already has them",
    );
  }
}
