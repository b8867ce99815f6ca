import { Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import { allowTraffic } from './security.js';
import type { ComposeService } from './service.js';

export interface PublicNetworkLoadBalancerProps {
  readonly vpc: ec2.IVpc;
}

export interface NlbEntry {
  /** Port the container listens on. */
  readonly containerPort: number;
  /** Port the load balancer listens on (compose's published port). */
  readonly listenerPort: number;
  /** `tcp_udp`: one port that takes both (DNS on 53): NLB allows one listener per port. */
  readonly protocol: 'tcp' | 'udp' | 'tcp_udp';
}

const NLB_PROTOCOL = { tcp: elbv2.Protocol.TCP, udp: elbv2.Protocol.UDP, tcp_udp: elbv2.Protocol.TCP_UDP };

/**
 * The internet-facing Network Load Balancer for entries that do not speak HTTP (game servers,
 * brokers, DNS, VPNs): one listener per entry port, passing TCP or UDP straight to the tasks. Its
 * security group admits 0.0.0.0/0 on exactly the listener ports; each service's group admits the
 * load balancer's group on exactly its entry ports.
 */
export class PublicNetworkLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.NetworkLoadBalancer;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: PublicNetworkLoadBalancerProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description:
        'Public network load balancer: the TCP/UDP entry ports from the internet, out only to their services',
      allowAllOutbound: false,
    });
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      securityGroups: [this.securityGroup],
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      crossZoneEnabled: true,
    });
    Validations.of(this.securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'A public TCP/UDP entry must accept 0.0.0.0/0 on its listener ports; the group admits nothing else.',
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason:
        'Network Load Balancers write access logs only for TLS listeners; these pass TCP/UDP through, and VPC flow logs record the traffic.',
    });
  }

  /**
   * Route one entry port of `service`: a listener and target group created in `scope` (the
   * service's stack when stacks are split), the internet admitted on the listener port, and the
   * service admitting the load balancer on the container port.
   */
  addEntry(
    scope: Construct,
    name: string,
    service: ComposeService,
    entry: NlbEntry,
  ): elbv2.NetworkTargetGroup {
    const protocol = NLB_PROTOCOL[entry.protocol];
    const suffix = `${entry.protocol === 'tcp_udp' ? 'TCPUDP' : entry.protocol.toUpperCase()}${entry.listenerPort}`;
    const targetGroup = new elbv2.NetworkTargetGroup(scope, `NlbTarget${suffix}`, {
      vpc: this.loadBalancer.vpc!,
      port: entry.containerPort,
      protocol,
      targetType: elbv2.TargetType.IP,
      // UDP target groups are health-checked over TCP on the same port (there is no UDP check).
      healthCheck: { protocol: elbv2.Protocol.TCP, interval: Duration.seconds(10) },
      deregistrationDelay: Duration.seconds(30),
      targets: [
        service.fargateService!.loadBalancerTarget({
          containerName: service.container.containerName,
          containerPort: entry.containerPort,
          protocol: entry.protocol === 'udp' ? ecs.Protocol.UDP : ecs.Protocol.TCP,
        }),
      ],
    });
    new elbv2.NetworkListener(scope, `NlbListener${suffix}`, {
      loadBalancer: this.loadBalancer,
      port: entry.listenerPort,
      protocol,
      defaultTargetGroups: [targetGroup],
    });
    const transports: ('tcp' | 'udp')[] = entry.protocol === 'tcp_udp' ? ['tcp', 'udp'] : [entry.protocol];
    for (const t of transports) {
      const peerPort = t === 'udp' ? ec2.Port.udp(entry.listenerPort) : ec2.Port.tcp(entry.listenerPort);
      this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), peerPort, `${name} from the internet`);
      allowTraffic(
        scope,
        `Nlb-${name}-${transports.length > 1 ? `${t.toUpperCase()}${entry.listenerPort}` : suffix}`,
        this.securityGroup,
        service.securityGroup,
        entry.containerPort,
        t,
        `network load balancer to ${name}`,
      );
    }
    return targetGroup;
  }
}
