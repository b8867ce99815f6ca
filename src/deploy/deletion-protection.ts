import { clientConfig, credentialsError } from '../aws/config.js';

/**
 * Deletion protection in the way of `destroy`: production load balancers and databases are
 * protected (src/infra/production.ts, datastores), so CloudFormation's delete would stop in
 * DELETE_FAILED on them. Once the user has confirmed the destroy, it is turned off through the
 * services' own APIs (ELBv2 ModifyLoadBalancerAttributes, RDS ModifyDBInstance / ModifyDBCluster,
 * which also serves DocumentDB) for exactly the resources the stack deletion removes: resources
 * the stack keeps (Retain) keep their protection.
 */

export interface ProtectedResource {
  stack: string;
  logicalId: string;
  type: string;
  physicalId: string;
}

interface TemplateResource {
  Type?: string;
  DeletionPolicy?: string;
  Properties?: Record<string, unknown>;
}

/** Whether a template resource has deletion protection on. */
export function isProtected(r: TemplateResource): boolean {
  const p = r.Properties ?? {};
  switch (r.Type) {
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
      return ((p.LoadBalancerAttributes as { Key?: string; Value?: unknown }[] | undefined) ?? []).some(
        (a) => a.Key === 'deletion_protection.enabled' && String(a.Value) === 'true',
      );
    case 'AWS::RDS::DBInstance':
    case 'AWS::RDS::DBCluster':
    case 'AWS::DocDB::DBCluster':
      return p.DeletionProtection === true || p.DeletionProtection === 'true';
    default:
      return false;
  }
}

/** The protected resources a stack deletion removes (not those it keeps). */
export function protectedToDelete(
  stack: string,
  template: { Resources?: Record<string, TemplateResource> },
  resources: { logicalId: string; type: string; physicalId?: string }[],
): ProtectedResource[] {
  const out: ProtectedResource[] = [];
  for (const r of resources) {
    const t = template.Resources?.[r.logicalId];
    const kept = t?.DeletionPolicy === 'Retain' || t?.DeletionPolicy === 'RetainExceptOnCreate';
    if (t && !kept && r.physicalId && isProtected(t))
      out.push({ stack, logicalId: r.logicalId, type: r.type, physicalId: r.physicalId });
  }
  return out;
}

/** Turn deletion protection off on each resource; returns what was changed. */
export async function disableDeletionProtection(
  region: string,
  resources: ProtectedResource[],
  progress: (line: string) => void,
): Promise<ProtectedResource[]> {
  const done: ProtectedResource[] = [];
  for (const r of resources) {
    try {
      if (r.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer')
        await unprotectLoadBalancer(region, r.physicalId);
      else if (r.type === 'AWS::RDS::DBInstance') await unprotectDbInstance(region, r.physicalId);
      else await unprotectDbCluster(region, r.physicalId);
    } catch (e) {
      throw credentialsError(e, region) ?? e;
    }
    progress(`deletion protection turned off: ${r.stack}: ${r.logicalId} (${r.type}) ${r.physicalId}`);
    done.push(r);
  }
  return done;
}

async function unprotectLoadBalancer(region: string, arn: string): Promise<void> {
  const { ElasticLoadBalancingV2Client, ModifyLoadBalancerAttributesCommand } =
    await import('@aws-sdk/client-elastic-load-balancing-v2');
  const elb = new ElasticLoadBalancingV2Client(clientConfig(region));
  try {
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: arn,
        Attributes: [{ Key: 'deletion_protection.enabled', Value: 'false' }],
      }),
    );
  } finally {
    elb.destroy();
  }
}

async function unprotectDbInstance(region: string, id: string): Promise<void> {
  const { RDSClient, ModifyDBInstanceCommand, DescribeDBInstancesCommand } =
    await import('@aws-sdk/client-rds');
  const rds = new RDSClient(clientConfig(region));
  try {
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: id,
        DeletionProtection: false,
        ApplyImmediately: true,
      }),
    );
    // CloudFormation's delete must see the change: wait until RDS reports it (bounded).
    const deadline = Date.now() + 5 * 60_000;
    for (;;) {
      const [db] =
        (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances ?? [];
      if (!db || (db.DeletionProtection === false && db.DBInstanceStatus !== 'modifying')) return;
      if (Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 5000));
    }
  } finally {
    rds.destroy();
  }
}

/** RDS clusters and DocumentDB clusters (DocumentDB's control plane is the RDS API). */
async function unprotectDbCluster(region: string, id: string): Promise<void> {
  const { RDSClient, ModifyDBClusterCommand } = await import('@aws-sdk/client-rds');
  const rds = new RDSClient(clientConfig(region));
  try {
    await rds.send(
      new ModifyDBClusterCommand({
        DBClusterIdentifier: id,
        DeletionProtection: false,
        ApplyImmediately: true,
      }),
    );
  } finally {
    rds.destroy();
  }
}
