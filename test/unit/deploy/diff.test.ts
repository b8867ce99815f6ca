import { fullDiff } from '@aws-cdk/cloudformation-diff';
import { describe, expect, it } from 'vitest';
import { classifyDiff, weakening } from '../../../src/deploy/diff.js';
import type { TemplateLike } from '../../../src/deploy/template-names.js';

const meta = (path: string) => ({ 'aws:cdk:path': `app-dev/${path}/Resource` });
const group = (path: string) => ({
  Type: 'AWS::EC2::SecurityGroup',
  Properties: { GroupDescription: 'x', VpcId: 'vpc-1' },
  Metadata: meta(path),
});
const ingress = (to: string, from: string, port: number) => ({
  Type: 'AWS::EC2::SecurityGroupIngress',
  Properties: {
    GroupId: { 'Fn::GetAtt': [to, 'GroupId'] },
    SourceSecurityGroupId: { 'Fn::GetAtt': [from, 'GroupId'] },
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
  },
});

const base = {
  Resources: {
    ApiGroup: group('App/apiSecurityGroup'),
    WebGroup: group('App/webSecurityGroup'),
    LbGroup: {
      ...group('App/PublicLoadBalancer/SecurityGroup'),
      Properties: {
        GroupDescription: 'lb',
        VpcId: 'vpc-1',
        SecurityGroupIngress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80 }],
      },
    },
    WebToApi: ingress('ApiGroup', 'WebGroup', 5000),
    Task: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { Family: 'api', ContainerDefinitions: [{ Name: 'api', Environment: [] }] },
      Metadata: meta('App/api/Service/Task'),
    },
    Role: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'p',
        Roles: ['r'],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' }],
        },
      },
      Metadata: meta('App/api/Service/Task/ExecutionRole/DefaultPolicy'),
    },
  },
};

const tpl = (t: unknown) => t as TemplateLike;

function changed(mutate: (t: typeof base & { Resources: Record<string, unknown> }) => void) {
  const next = structuredClone(base) as typeof base & { Resources: Record<string, unknown> };
  mutate(next);
  return next;
}

describe('classifyDiff', () => {
  it('no change, no report', () => {
    const r = classifyDiff({ 'app-dev': fullDiff(base, structuredClone(base)) }, { 'app-dev': tpl(base) });
    expect(r).toEqual({
      security: [],
      resources: [],
      replacements: [],
      hazards: [],
      stacksChanged: [],
      hasChanges: false,
    });
  });

  it('a new caller: an opened rule between named groups, security first', () => {
    const next = changed((t) => {
      t.Resources.WorkerGroup = group('App/workerSecurityGroup');
      t.Resources.WorkerToApi = ingress('ApiGroup', 'WorkerGroup', 5000);
    });
    const r = classifyDiff({ 'Shared (app-dev)': fullDiff(base, next) }, { 'app-dev': tpl(next) });
    expect(r.security).toEqual([
      {
        stack: 'app-dev',
        kind: 'opened',
        text: 'group App/apiSecurityGroup now admits group App/workerSecurityGroup on tcp 5000',
      },
    ]);
    expect(r.resources.map((c) => `${c.action} ${c.resource}`).sort()).toEqual([
      'add App/workerSecurityGroup',
      'add WorkerToApi',
    ]);
    expect(r.hasChanges).toBe(true);
    expect(weakening(r)).toHaveLength(1);
  });

  it('a removed rule closes; internet ingress is told as internet exposure', () => {
    const next = changed((t) => {
      delete (t.Resources as Record<string, unknown>).WebToApi;
      (
        t.Resources.LbGroup as { Properties: { SecurityGroupIngress: unknown[] } }
      ).Properties.SecurityGroupIngress.push({
        CidrIp: '0.0.0.0/0',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      });
    });
    const r = classifyDiff({ 'app-dev': fullDiff(base, next) }, { 'app-dev': tpl(next) });
    expect(r.security.map((s) => `${s.kind}: ${s.text}`).sort()).toEqual([
      'closed: group App/apiSecurityGroup no longer admits group App/webSecurityGroup on tcp 5000',
      'internet-reachable: group App/PublicLoadBalancer/SecurityGroup now admits the internet on tcp 443',
    ]);
    expect(r.resources).toContainEqual(
      expect.objectContaining({
        action: 'update',
        resource: 'App/PublicLoadBalancer/SecurityGroup',
        properties: ['SecurityGroupIngress'],
      }),
    );
  });

  it('listener rules, WAF associations and IAM statements', () => {
    const next = changed((t) => {
      t.Resources.ApiRule = {
        Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
        Properties: {
          ListenerArn: 'l',
          Priority: 2,
          Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['api.*'] } }],
          Actions: [],
        },
        Metadata: meta('App/api/ListenerRule'),
      };
      (
        t.Resources.Role as { Properties: { PolicyDocument: { Statement: unknown[] } } }
      ).Properties.PolicyDocument.Statement.push({
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::b/*',
      });
    });
    const withWaf = changed((t) => {
      t.Resources.Waf = {
        Type: 'AWS::WAFv2::WebACLAssociation',
        Properties: { ResourceArn: 'a', WebACLArn: 'w' },
      };
    });
    const r = classifyDiff({ 'app-dev': fullDiff(base, next) }, { 'app-dev': tpl(next) });
    expect(r.security).toContainEqual({
      stack: 'app-dev',
      kind: 'internet-reachable',
      text: 'service api becomes reachable from the internet through the load balancer (host api.*)',
    });
    expect(r.security).toContainEqual(
      expect.objectContaining({
        kind: 'iam-added',
        text: expect.stringMatching(/^grants Allow s3:GetObject on arn:aws:s3:::b\/\*/),
      }),
    );
    const removed = classifyDiff({ 'app-dev': fullDiff(withWaf, base) });
    expect(removed.security).toEqual([
      { stack: 'app-dev', kind: 'protection-removed', text: 'AWS WAF no longer protects the load balancer' },
    ]);
    expect(weakening(removed)).toHaveLength(1);
  });

  it('a task definition change names the property that changes', () => {
    const next = changed((t) => {
      (
        t.Resources.Task as { Properties: { ContainerDefinitions: Array<{ Environment: unknown[] }> } }
      ).Properties.ContainerDefinitions[0]!.Environment.push({ Name: 'A', Value: '1' });
    });
    const r = classifyDiff({ 'app-dev': fullDiff(base, next) }, { 'app-dev': tpl(next) });
    expect(r.security).toEqual([]);
    expect(r.resources).toEqual([
      {
        stack: 'app-dev',
        logicalId: 'Task',
        resource: 'App/api/Service/Task',
        type: 'AWS::ECS::TaskDefinition',
        action: 'replace',
        properties: ['ContainerDefinitions'],
      },
    ]);
  });
});
