/**
 * `destroy` turns deletion protection off (after the user confirmed) on what the deletion removes:
 * the calls against moto's ELBv2 and RDS APIs, read back through the same APIs. (A production
 * stack itself cannot be deleted faithfully in moto — see docs/deploy.md — so the plan that picks
 * these resources from the deployed template has unit tests.)
 */
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancerAttributesCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disableDeletionProtection } from '../../src/deploy/deletion-protection.js';
import { startMoto, type Moto } from '../support/moto.js';

let moto: Moto;
let saved: NodeJS.ProcessEnv;
const region = 'us-east-1';
beforeAll(async () => {
  moto = await startMoto();
  saved = { ...process.env };
  Object.assign(process.env, moto.env);
});
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

describe('turning deletion protection off before a stack is deleted', () => {
  it('a protected load balancer and database become deletable', async () => {
    const ec2 = new EC2Client({ region });
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const subnets = [];
    for (const [i, az] of ['us-east-1a', 'us-east-1b'].entries())
      subnets.push(
        (
          await ec2.send(
            new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `10.0.${i}.0/24`, AvailabilityZone: az }),
          )
        ).Subnet!.SubnetId!,
      );
    const elb = new ElasticLoadBalancingV2Client({ region });
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'shop-prod', Subnets: subnets })))
      .LoadBalancers![0]!.LoadBalancerArn!;
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: lb,
        Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }],
      }),
    );
    const rds = new RDSClient({ region });
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'shop-prod-db',
        DBInstanceClass: 'db.t4g.micro',
        Engine: 'postgres',
        MasterUsername: 'postgres',
        MasterUserPassword: 'not-a-real-password',
        AllocatedStorage: 20,
        DeletionProtection: true,
      }),
    );
    // Protected: deleting fails, as CloudFormation's delete would.
    await expect(
      rds.send(
        new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'shop-prod-db', SkipFinalSnapshot: true }),
      ),
    ).rejects.toThrow(/protection/i);

    const lines: string[] = [];
    const done = await disableDeletionProtection(
      region,
      [
        {
          stack: 'shop-prod',
          logicalId: 'Lb',
          type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
          physicalId: lb,
        },
        { stack: 'shop-prod', logicalId: 'Db', type: 'AWS::RDS::DBInstance', physicalId: 'shop-prod-db' },
      ],
      (l) => lines.push(l),
    );
    expect(done.map((d) => d.logicalId)).toEqual(['Lb', 'Db']);
    expect(lines).toEqual([
      `deletion protection turned off: shop-prod: Lb (AWS::ElasticLoadBalancingV2::LoadBalancer) ${lb}`,
      'deletion protection turned off: shop-prod: Db (AWS::RDS::DBInstance) shop-prod-db',
    ]);

    const attributes = (await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb })))
      .Attributes!;
    expect(attributes).toContainEqual({ Key: 'deletion_protection.enabled', Value: 'false' });
    const [db] = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'shop-prod-db' })))
      .DBInstances!;
    expect(db!.DeletionProtection).toBe(false);
    await rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'shop-prod-db', SkipFinalSnapshot: true }),
    );
  });
});
