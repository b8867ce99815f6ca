/**
 * On-demand list prices shipshape's cost estimate uses, in USD, for one region at one date. An
 * estimate, not a bill: no free tier, no savings plans, no data transfer beyond the assumptions
 * below. Update `date` with the prices.
 */
export const PRICE_TABLE = {
  region: 'us-east-1',
  date: '2025-06-01',
  currency: 'USD',
  hoursPerMonth: 730,
  fargate: { vcpuHour: 0.04048, gbHour: 0.004445 },
  loadBalancer: {
    application: { hour: 0.0225, lcuHour: 0.008 },
    network: { hour: 0.0225, lcuHour: 0.006 },
  },
  natGateway: { hour: 0.045, gbProcessed: 0.045 },
  publicIpv4Hour: 0.005,
  /** RDS PostgreSQL, single-AZ, per instance-hour (Multi-AZ is twice this). */
  rds: {
    'db.t4g.micro': 0.016,
    'db.t4g.small': 0.032,
    'db.t4g.medium': 0.065,
    'db.t4g.large': 0.129,
    'db.t3.micro': 0.018,
    'db.t3.small': 0.036,
    'db.t3.medium': 0.072,
    'db.t3.large': 0.145,
  } as Record<string, number>,
  rdsStorageGbMonth: 0.115,
  /** ElastiCache (Redis OSS / Valkey) per node-hour. */
  elasticache: {
    'cache.t4g.micro': 0.016,
    'cache.t4g.small': 0.032,
    'cache.t4g.medium': 0.065,
    'cache.t3.micro': 0.017,
    'cache.t3.small': 0.034,
    'cache.t3.medium': 0.068,
  } as Record<string, number>,
  efsStandardGbMonth: 0.3,
  logs: { ingestGb: 0.5, storageGbMonth: 0.03 },
  secretsManagerSecretMonth: 0.4,
} as const;

/** What the estimate assumes where the template cannot say. */
export const COST_ASSUMPTIONS = {
  /** Average load balancer capacity units in use. */
  lcu: 1,
  /** GB through each NAT gateway per month. */
  natGbPerMonth: 10,
  /** GB stored per EFS file system. */
  efsGb: 1,
  /** GB of logs ingested (and kept) per log group per month. */
  logGbPerGroup: 1,
  /** Public IPv4 addresses of an internet-facing load balancer (one per availability zone). */
  loadBalancerIps: 2,
} as const;
