import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';

/**
 * Security groups for the app. Every group is created next to the network (the shared stack) and
 * starts empty: no ingress, and egress only what `newServiceGroup` says. Rules between services
 * are added by `allowTcp` in the *caller's* scope, so with split stacks a service stack refers only
 * to the shared stack and never to another service's stack (no dependency cycles, even when two
 * services call each other).
 */
export function newServiceGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  description: string,
): ec2.SecurityGroup {
  const sg = new ec2.SecurityGroup(scope, id, { vpc, description, allowAllOutbound: false });
  // Tasks must reach ECR (and S3 for image layers), CloudWatch Logs and Secrets Manager over
  // HTTPS, through the NAT gateway or, with `nat: none`, the VPC endpoints (the subnets then have
  // no route out, so 443 reaches only the endpoints). Without a static list of AWS endpoint
  // addresses, 443 to anywhere is the narrowest rule that works.
  sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (ECR, logs, secrets)');
  return sg;
}

/** A group that has no egress at all (databases). */
export function newClosedGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  description: string,
): ec2.SecurityGroup {
  return new ec2.SecurityGroup(scope, id, {
    vpc,
    description,
    allowAllOutbound: false,
  });
}

/**
 * Let `from` open connections to `to` on `port` (or a contiguous range of ports): one ingress rule
 * on `to` (source: `from`'s group) and the matching egress rule on `from`, both created in `scope`.
 */
export function allowTraffic(
  scope: Construct,
  id: string,
  from: ec2.ISecurityGroup,
  to: ec2.ISecurityGroup,
  port: number | PortRange,
  protocol: 'tcp' | 'udp',
  description: string,
): void {
  const [fromPort, toPort] = typeof port === 'number' ? [port, port] : [port.from, port.to];
  new ec2.CfnSecurityGroupIngress(scope, `${id}Ingress`, {
    groupId: to.securityGroupId,
    sourceSecurityGroupId: from.securityGroupId,
    ipProtocol: protocol,
    fromPort,
    toPort,
    description,
  });
  new ec2.CfnSecurityGroupEgress(scope, `${id}Egress`, {
    groupId: from.securityGroupId,
    destinationSecurityGroupId: to.securityGroupId,
    ipProtocol: protocol,
    fromPort,
    toPort,
    description,
  });
}

/** A contiguous range of ports, both ends included. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Ports as contiguous ranges (`[5000, 5001, 5002, 8080]` → 5000-5002, 8080): one security group
 * rule per range, so an exposed range of a thousand ports is one rule, not a thousand.
 */
export function portRanges(ports: readonly number[]): PortRange[] {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const out: PortRange[] = [];
  for (const p of sorted) {
    const last = out.at(-1);
    if (last && p === last.to + 1) out[out.length - 1] = { from: last.from, to: p };
    else out.push({ from: p, to: p });
  }
  return out;
}
