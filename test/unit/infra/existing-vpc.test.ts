import { dirname } from 'node:path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { importExistingVpc } from '../../../src/infra/existing-vpc.js';
import { describe, expect, it } from 'vitest';
import { describeProfile, resolveProfile } from '../../../src/infra/profile.js';
import { ShipshapeError } from '../../../src/model/errors.js';
import { loadApp } from '../../../src/model/load.js';
import { composeDir } from '../../support/compose-dir.js';
import { composeStack, example, fixture } from './helpers.js';

const PUBLIC = ['subnet-0a000000000000001', 'subnet-0a000000000000002'];
const PRIVATE = ['subnet-0b000000000000001', 'subnet-0b000000000000002'];
const ISOLATED = ['subnet-0c000000000000001', 'subnet-0c000000000000002'];

/** The compose file plus an override file that sets `aws.vpc` (as a user would add one). */
function withVpc(compose: string, vpc: string, environment?: string) {
  const dir = composeDir({ 'vpc.yaml': `x-shipshape:\n  aws:\n    vpc:\n${vpc}` });
  return loadApp([compose, `${dir}/vpc.yaml`], { environment, env: {}, cwd: dirname(compose) });
}

const vpcBlock = (extra = '') => `      id: vpc-0123456789abcdef0
      public-subnets: [${PUBLIC.join(', ')}]
      private-subnets: [${PRIVATE.join(', ')}]
${extra}`;

const NETWORK_TYPES = [
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::NatGateway',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::RouteTable',
  'AWS::EC2::Route',
  'AWS::EC2::EIP',
  'AWS::EC2::VPCEndpoint',
  'AWS::EC2::FlowLog',
];

function types(template: Template): Set<string> {
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  return new Set(Object.values(resources).map((r) => r.Type));
}

describe('web-api in an existing VPC', () => {
  const { template } = composeStack({ app: withVpc(example('web-api'), vpcBlock()) });
  const json = JSON.stringify(template.toJSON());

  it('creates no network: no VPC, subnet, NAT or internet gateway, route, endpoint or flow log', () => {
    const made = types(template);
    for (const t of NETWORK_TYPES) expect(made.has(t), t).toBe(false);
    // The same app without aws.vpc does create them (the assertion above can fail).
    const own = types(composeStack({ compose: example('web-api') }).template);
    for (const t of [
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::NatGateway',
      'AWS::EC2::InternetGateway',
    ])
      expect(own.has(t), t).toBe(true);
  });

  it('runs the Fargate services in the private subnets, the load balancer in the public ones', () => {
    const services = template.findResources('AWS::ECS::Service');
    expect(Object.keys(services)).toHaveLength(2);
    for (const s of Object.values(services)) {
      expect(s.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets).toEqual(PRIVATE);
    }
    const lbs = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    expect(lbs).toHaveLength(1);
    expect(lbs[0]!.Properties.Subnets).toEqual(PUBLIC);
  });

  it('puts every security group and target group in that VPC', () => {
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) expect(g.Properties.VpcId).toBe('vpc-0123456789abcdef0');
    for (const tg of Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')))
      expect(tg.Properties.VpcId).toBe('vpc-0123456789abcdef0');
  });

  it('writes no availability zone it does not know', () => {
    expect(json).not.toMatch(/AvailabilityZone/);
  });

  it('the profile says whose NAT it is', () => {
    const lines = describeProfile(resolveProfile(withVpc(example('web-api'), vpcBlock())));
    expect(lines).toContain('network: the existing VPC vpc-0123456789abcdef0 (its own NAT and endpoints)');
    expect(lines.some((l) => l.startsWith('NAT:'))).toBe(false);
  });
});

describe('managed datastores in an existing VPC', () => {
  const subnetsOf = (template: Template) => ({
    rds: Object.values(template.findResources('AWS::RDS::DBSubnetGroup')).map((r) => r.Properties.SubnetIds),
    cache: Object.values(template.findResources('AWS::ElastiCache::SubnetGroup')).map(
      (r) => r.Properties.SubnetIds,
    ),
    docdb: Object.values(template.findResources('AWS::DocDB::DBSubnetGroup')).map(
      (r) => r.Properties.SubnetIds,
    ),
    efs: Object.values(template.findResources('AWS::EFS::MountTarget')).map((r) => r.Properties.SubnetId),
  });

  it('go to the isolated subnets when given; tasks and volumes stay in the private ones', () => {
    const { template, composeApp } = composeStack({
      app: withVpc(fixture('backing'), vpcBlock(`      isolated-subnets: [${ISOLATED.join(', ')}]`)),
    });
    const s = subnetsOf(template);
    expect(s.rds.length).toBeGreaterThan(0);
    expect(s.cache.length).toBe(2); // redis and memcached
    expect(s.docdb.length).toBe(1);
    for (const ids of [...s.rds, ...s.cache, ...s.docdb]) expect(ids).toEqual(ISOLATED);
    expect(s.efs.sort()).toEqual(PRIVATE);
    expect(composeApp.network.existing?.dataTier).toBe('isolated');
    for (const t of NETWORK_TYPES) expect(types(template).has(t), t).toBe(false);
  });

  it('else go to the private subnets, and the placement says why', () => {
    const { template, composeApp } = composeStack({ app: withVpc(fixture('backing'), vpcBlock()) });
    const s = subnetsOf(template);
    for (const ids of [...s.rds, ...s.cache, ...s.docdb]) expect(ids).toEqual(PRIVATE);
    expect(composeApp.network.existing?.reasons.join('\n')).toMatch(
      /databases \(db, cache, docs, memo\): in the private subnets, because x-shipshape.aws.vpc lists no isolated-subnets/,
    );
  });

  it('with availability-zones, the synth still writes no zone of its own', () => {
    const { template } = composeStack({
      app: withVpc(fixture('backing'), vpcBlock('      availability-zones: [eu-west-1a, eu-west-1b]')),
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/eu-west-1[ab]/);
  });
});

describe('refusals', () => {
  it('a public app in a VPC without public subnets: exit 2 at the vpc block', () => {
    const app = withVpc(
      example('web-api'),
      `      id: vpc-0123456789abcdef0\n      private-subnets: [${PRIVATE.join(', ')}]\n`,
    );
    let err: unknown;
    try {
      composeStack({ app });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShipshapeError);
    expect((err as ShipshapeError).message).toMatch(/^web is reachable from the internet/);
    expect((err as ShipshapeError).location?.file).toMatch(/vpc\.yaml$/);
    expect((err as ShipshapeError).location?.line).toBe(4);
  });

  it('a construct that needs an unwritten availability zone fails the synth with the fix', () => {
    const app = withVpc(example('web-api'), vpcBlock());
    const stack = new Stack(new App(), 'Zones', { env: { region: 'us-east-1' } });
    const vpc = importExistingVpc(stack, 'Vpc', app.x.aws.vpc!);
    new CfnOutput(stack, 'Zone', { value: vpc.privateSubnets[0]!.availabilityZone });
    expect(() => Template.fromStack(stack)).toThrow(
      /needs the availability zones of the subnets of vpc-0123456789abcdef0/,
    );
  });
});
