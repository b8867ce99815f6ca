import { describe, expect, it } from 'vitest';
import { estimateCost, formatCost } from '../../../src/infra/cost.js';
import { PRICE_TABLE } from '../../../src/infra/prices.js';

describe('cost estimate', () => {
  it('prices Fargate tasks, load balancers, NAT, RDS, ElastiCache, EFS, logs and secrets from the table', () => {
    const c = estimateCost([
      {
        Resources: {
          Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { Cpu: '512', Memory: '1024' } },
          Svc: {
            Type: 'AWS::ECS::Service',
            Properties: { TaskDefinition: { Ref: 'Task' }, DesiredCount: 2, ServiceName: 'web' },
          },
          Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application' } },
          Nat: { Type: 'AWS::EC2::NatGateway' },
          Db: {
            Type: 'AWS::RDS::DBInstance',
            Properties: { DBInstanceClass: 'db.t4g.micro', AllocatedStorage: '20', Engine: 'postgres' },
          },
          Cache: {
            Type: 'AWS::ElastiCache::CacheCluster',
            Properties: { CacheNodeType: 'cache.t4g.micro', NumCacheNodes: 1 },
          },
          Fs: { Type: 'AWS::EFS::FileSystem' },
          Logs: { Type: 'AWS::Logs::LogGroup' },
          Secret: { Type: 'AWS::SecretsManager::Secret' },
          Odd: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.x2iedn.32xlarge' } },
        },
      },
    ]);
    const line = (prefix: string) => c.lines.find((l) => l.item.startsWith(prefix))!.monthly;
    const h = PRICE_TABLE.hoursPerMonth;
    expect(line('Fargate web')).toBeCloseTo(2 * h * (0.5 * 0.04048 + 1 * 0.004445), 1);
    expect(line('Application Load Balancer')).toBeCloseTo(h * (0.0225 + 0.008 + 2 * 0.005), 1);
    expect(line('NAT gateway')).toBeCloseTo(h * (0.045 + 0.005) + 10 * 0.045, 1);
    expect(line('RDS postgres db.t4g.micro')).toBeCloseTo(h * 0.016 + 20 * 0.115, 1);
    expect(line('ElastiCache')).toBeCloseTo(h * 0.016, 1);
    expect(line('EFS')).toBeCloseTo(0.3, 2);
    expect(line('CloudWatch Logs')).toBeCloseTo(0.53, 2);
    expect(line('Secrets Manager')).toBeCloseTo(0.4, 2);
    expect(c.unpriced).toEqual(['Odd (RDS db.x2iedn.32xlarge)']);
    expect(c.monthlyTotal).toBeCloseTo(
      c.lines.reduce((s, l) => s + l.monthly, 0),
      1,
    );
    expect(formatCost(c)).toMatch(
      /^\$\d+\.\d\d\/month \(estimate, us-east-1 on-demand prices of 2025-06-01; not priced: Odd/,
    );
  });

  it('costs nothing for an empty template', () => {
    expect(estimateCost([{}]).monthlyTotal).toBe(0);
  });
});
