import { COST_ASSUMPTIONS as A, PRICE_TABLE as P } from './prices.js';

/**
 * An estimated monthly cost of synthesized CloudFormation templates, from the price table shipped
 * with the source (src/infra/prices.ts: its region and date are part of every estimate). Pure:
 * reads templates, never the network. `synth` prints the total, `report` the lines.
 */
export interface CostLine {
  item: string;
  /** What was counted, e.g. `2 tasks × 0.25 vCPU / 0.5 GB`. */
  detail: string;
  monthly: number;
}

export interface CostEstimate {
  region: string;
  priceDate: string;
  currency: string;
  lines: CostLine[];
  monthlyTotal: number;
  /** Resources the table has no price for (named, so nobody mistakes the total for complete). */
  unpriced: string[];
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface Template {
  Resources?: Record<string, Resource>;
}

const H = P.hoursPerMonth;
const num = (v: unknown, fallback: number): number => {
  const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
};
const round = (n: number) => Math.round(n * 100) / 100;

export function estimateCost(templates: readonly Template[]): CostEstimate {
  const resources = templates.flatMap((t) => Object.entries(t.Resources ?? {}));
  const lines: CostLine[] = [];
  const unpriced: string[] = [];
  const add = (item: string, detail: string, monthly: number) =>
    lines.push({ item, detail, monthly: round(monthly) });
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);

  fargate(resources, add);
  for (const [, lb] of ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const network = lb.Properties?.Type === 'network';
    const p = network ? P.loadBalancer.network : P.loadBalancer.application;
    const ips = lb.Properties?.Scheme === 'internal' ? 0 : A.loadBalancerIps;
    add(
      network ? 'Network Load Balancer' : 'Application Load Balancer',
      `${H} h + ${A.lcu} capacity unit + ${ips} public IPv4`,
      H * (p.hour + A.lcu * p.lcuHour + ips * P.publicIpv4Hour),
    );
  }
  const nats = ofType('AWS::EC2::NatGateway').length;
  if (nats > 0)
    add(
      'NAT gateway',
      `${nats} × (${H} h + ${A.natGbPerMonth} GB + public IPv4)`,
      nats * (H * (P.natGateway.hour + P.publicIpv4Hour) + A.natGbPerMonth * P.natGateway.gbProcessed),
    );
  databases(resources, add, unpriced);
  const efs = ofType('AWS::EFS::FileSystem').length;
  if (efs > 0) add('EFS', `${efs} file system(s) × ${A.efsGb} GB`, efs * A.efsGb * P.efsStandardGbMonth);
  const logs = ofType('AWS::Logs::LogGroup').length;
  if (logs > 0)
    add(
      'CloudWatch Logs',
      `${logs} log group(s) × ${A.logGbPerGroup} GB`,
      logs * A.logGbPerGroup * (P.logs.ingestGb + P.logs.storageGbMonth),
    );
  const secrets = ofType('AWS::SecretsManager::Secret').length;
  if (secrets > 0) add('Secrets Manager', `${secrets} secret(s)`, secrets * P.secretsManagerSecretMonth);
  return {
    region: P.region,
    priceDate: P.date,
    currency: P.currency,
    lines,
    monthlyTotal: round(lines.reduce((s, l) => s + l.monthly, 0)),
    unpriced,
  };
}

type Add = (item: string, detail: string, monthly: number) => void;

/** Each Fargate service: task size × desired count (the autoscaling minimum when there is one). */
function fargate(resources: [string, Resource][], add: Add): void {
  const tasks = new Map(resources.filter(([, r]) => r.Type === 'AWS::ECS::TaskDefinition'));
  const minimums = new Map<string, number>();
  for (const [, r] of resources.filter(([, x]) => x.Type === 'AWS::ApplicationAutoScaling::ScalableTarget')) {
    const id = JSON.stringify(r.Properties?.ResourceId ?? '');
    minimums.set(id, num(r.Properties?.MinCapacity, 1));
  }
  for (const [id, svc] of resources.filter(([, r]) => r.Type === 'AWS::ECS::Service')) {
    const ref = (svc.Properties?.TaskDefinition as { Ref?: string } | undefined)?.Ref;
    const task = ref ? tasks.get(ref) : undefined;
    const vcpu = num(task?.Properties?.Cpu, 256) / 1024;
    const gb = num(task?.Properties?.Memory, 512) / 1024;
    const scaled = [...minimums.entries()].find(([k]) => k.includes(id));
    const count = scaled ? scaled[1] : num(svc.Properties?.DesiredCount, 1);
    const name = String(svc.Properties?.ServiceName ?? id);
    add(
      `Fargate ${name}`,
      `${count} task(s) × ${vcpu} vCPU / ${gb} GB`,
      count * H * (vcpu * P.fargate.vcpuHour + gb * P.fargate.gbHour),
    );
  }
}

function databases(resources: [string, Resource][], add: Add, unpriced: string[]): void {
  for (const [id, db] of resources.filter(([, r]) => r.Type === 'AWS::RDS::DBInstance')) {
    const cls = String(db.Properties?.DBInstanceClass ?? '');
    const hourly = P.rds[cls];
    const multi = db.Properties?.MultiAZ === true || db.Properties?.MultiAZ === 'true';
    const storage = num(db.Properties?.AllocatedStorage, 20);
    if (hourly === undefined) {
      unpriced.push(`${id} (RDS ${cls || 'unknown class'})`);
      continue;
    }
    add(
      `RDS ${String(db.Properties?.Engine ?? '')} ${cls}`.replace(/\s+/g, ' '),
      `${multi ? 'Multi-AZ' : 'single-AZ'}, ${storage} GB`,
      H * hourly * (multi ? 2 : 1) + storage * P.rdsStorageGbMonth * (multi ? 2 : 1),
    );
  }
  for (const [id, c] of resources.filter(
    ([, r]) => r.Type === 'AWS::ElastiCache::CacheCluster' || r.Type === 'AWS::ElastiCache::ReplicationGroup',
  )) {
    const type = String(c.Properties?.CacheNodeType ?? '');
    const nodes = num(c.Properties?.NumCacheNodes ?? c.Properties?.NumCacheClusters, 1);
    const hourly = P.elasticache[type];
    if (hourly === undefined) {
      unpriced.push(`${id} (ElastiCache ${type || 'unknown node type'})`);
      continue;
    }
    add(`ElastiCache ${type}`, `${nodes} node(s)`, nodes * H * hourly);
  }
  for (const [id, r] of resources) {
    if (r.Type === 'AWS::RDS::DBCluster' || r.Type === 'AWS::ElastiCache::ServerlessCache')
      unpriced.push(`${id} (${r.Type})`);
  }
}

/** `$123.45/month (estimate, us-east-1 prices of 2025-06-01)`. */
export function formatCost(
  c: Pick<CostEstimate, 'monthlyTotal' | 'region' | 'priceDate' | 'unpriced'>,
): string {
  const extra = c.unpriced.length > 0 ? `; not priced: ${c.unpriced.join(', ')}` : '';
  return `$${c.monthlyTotal.toFixed(2)}/month (estimate, ${c.region} on-demand prices of ${c.priceDate}${extra})`;
}
