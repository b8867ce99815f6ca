import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { NatStrategy } from '../model/types.js';
import type { VpcPlacement } from '../model/vpc.js';
import { importExistingVpc } from './existing-vpc.js';

/** The VPC's address range. A literal (not the VPC's CidrBlock attribute) so rules stay checkable. */
export const VPC_CIDR = '10.0.0.0/16';

export interface NetworkProps {
  /**
   * How private subnets reach the internet.
   * @default `single` (one NAT gateway)
   */
  readonly nat?: NatStrategy;
  /**
   * Retention of the VPC flow log group, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Create isolated subnets for databases.
   * @default false
   */
  readonly isolatedSubnets?: boolean;
  /**
   * With `nat: none`, also a DynamoDB gateway endpoint (the app has DynamoDB tables).
   * @default false
   */
  readonly dynamoDbEndpoint?: boolean;
  /**
   * Deploy into this existing VPC (`x-shipshape.aws.vpc`, placed by the model): import it and
   * create nothing of the network; `nat`, the flow log and the endpoints are then the VPC's own.
   * @default a new VPC
   */
  readonly existing?: VpcPlacement;
}

/**
 * A VPC over two availability zones: public subnets (load balancer, NAT), private subnets (tasks),
 * and optionally isolated subnets (databases, no route out). Flow logs record all traffic.
 * With `nat: none` tasks reach AWS through VPC endpoints only (ECR api/dkr, Logs, Secrets Manager,
 * S3 gateway for image layers). With `existing`, the VPC is imported instead (existing-vpc.ts).
 */
export class Network extends Construct {
  readonly vpc: ec2.IVpc;
  readonly nat: NatStrategy;
  /** Where the app goes in an existing VPC; undefined for a VPC of the app's own. */
  readonly existing?: VpcPlacement;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    this.nat = props.nat ?? 'single';
    if (props.existing) {
      this.existing = props.existing;
      this.vpc = importExistingVpc(this, 'Vpc', props.existing.vpc);
      return;
    }
    const natGateways = { single: 1, 'per-az': 2, none: 0 }[this.nat];
    const subnetConfiguration: ec2.SubnetConfiguration[] = [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      {
        name: 'private',
        subnetType: natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
        cidrMask: 22,
      },
    ];
    if (props.isolatedSubnets && natGateways > 0) {
      subnetConfiguration.push({ name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 });
    }
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetentionDays ?? 30,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      maxAzs: 2,
      natGateways,
      subnetConfiguration,
      // The default security group is never used by anything shipshape creates; CDK's option to
      // strip its rules deploys a Lambda-backed custom resource, which we keep out of the templates.
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup) },
      },
    });
    if (natGateways === 0) this.addEndpoints(props.dynamoDbEndpoint ?? false);
  }

  /** Subnets the tasks run in. */
  get taskSubnets(): ec2.SubnetSelection {
    if (this.existing) return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    return {
      subnetType: this.nat === 'none' ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    };
  }

  /** Subnets for databases: isolated (no route to the internet). */
  get dataSubnets(): ec2.SubnetSelection {
    if (this.existing?.dataTier === 'private') return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  }

  private addEndpoints(dynamoDb: boolean): void {
    const subnets = this.taskSubnets;
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    if (dynamoDb)
      this.vpc.addGatewayEndpoint('DynamoDb', {
        service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
        subnets: [subnets],
      });
    const interfaces: Array<[string, ec2.InterfaceVpcEndpointAwsService]> = [
      ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
      ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
      ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
      ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
    ];
    for (const [id, service] of interfaces) {
      const endpoint = this.vpc.addInterfaceEndpoint(id, {
        service,
        subnets,
        open: false,
        privateDnsEnabled: true,
      });
      // Only the VPC may reach the endpoint, only on 443. The literal CIDR (rather than CDK's
      // `open: true`, which refers to the VPC's CidrBlock attribute) lets cdk-nag check the rule.
      endpoint.connections.allowFrom(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), 'HTTPS from inside the VPC');
    }
  }
}
