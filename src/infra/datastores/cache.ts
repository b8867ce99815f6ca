import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { NetworkDatastore, type NetworkDatastoreProps } from './base.js';

export interface CacheProps extends NetworkDatastoreProps {
  /**
   * Log retention of the slow log, in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
}

/** The smallest current-generation node: caches in compose apps hold sessions and queues, not data sets. */
const NODE_TYPE = 'cache.t4g.micro';

function subnetGroup(
  scope: Construct,
  props: NetworkDatastoreProps,
  name: string,
): elasticache.CfnSubnetGroup {
  return new elasticache.CfnSubnetGroup(scope, 'Subnets', {
    description: `${name}: isolated subnets`,
    subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
  });
}

/**
 * `redis` / `valkey` → an ElastiCache replication group: encrypted at rest and in transit (TLS
 * required), an AUTH token generated into Secrets Manager, isolated subnets, its own security
 * group, daily snapshots and the slow log in CloudWatch. Production adds a replica in a second AZ
 * with automatic failover, keeps a week of snapshots and a final one on deletion.
 */
export class CacheReplicationGroup extends NetworkDatastore {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  readonly secret: secretsmanager.ISecret;
  readonly endpoint: string;
  readonly port = 6379;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id, props);
    const name = this.service.name;
    const engine = this.datastore.engine === 'elasticache-valkey' ? 'valkey' : 'redis';
    this.secret = this.generatedPassword('AuthToken', `${name}: AUTH token of the ${engine} cache`);
    const slowLog = new logs.LogGroup(this, 'SlowLog', {
      retention: props.logRetentionDays ?? 30,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Cache', {
      replicationGroupDescription: `${name} (${engine} ${this.datastore.version})`,
      engine,
      engineVersion: this.datastore.version,
      cacheNodeType: NODE_TYPE,
      numCacheClusters: this.production ? 2 : 1,
      automaticFailoverEnabled: this.production,
      multiAzEnabled: this.production,
      cacheSubnetGroupName: subnetGroup(this, props, name).ref,
      securityGroupIds: [this.securityGroup.securityGroupId],
      port: 6379,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: this.secret.secretValueFromJson('password').unsafeUnwrap(),
      snapshotRetentionLimit: this.production ? 7 : 1,
      autoMinorVersionUpgrade: true,
      logDeliveryConfigurations: [
        {
          destinationType: 'cloudwatch-logs',
          destinationDetails: { cloudWatchLogsDetails: { logGroup: slowLog.logGroupName } },
          logFormat: 'json',
          logType: 'slow-log',
        },
      ],
    });
    this.replicationGroup.applyRemovalPolicy(
      this.production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    );
    this.endpoint = this.replicationGroup.attrPrimaryEndPointAddress;
    this.acknowledge();
  }

  private acknowledge(): void {
    const v = Validations.of(this.replicationGroup);
    v.acknowledge({
      id: 'AwsSolutions-AEC5',
      reason: `Apps written for the compose ${this.service.name} service expect port 6379; the group admits only its callers.`,
    });
    if (!this.production) {
      v.acknowledge({
        id: 'AwsSolutions-AEC4',
        reason:
          'Non-production caches run one node to halve cost; production adds a replica in a second AZ with automatic failover.',
      });
    }
  }
}

/**
 * `memcached` → an ElastiCache memcached cluster with TLS in transit, in isolated subnets behind
 * its own security group. Memcached keeps nothing on disk (no encryption at rest to enable, no
 * snapshots) and ElastiCache memcached has no password: the security group, which admits only
 * its callers, is the access control. Production spreads two nodes over two AZs.
 */
export class MemcachedCluster extends NetworkDatastore {
  readonly cluster: elasticache.CfnCacheCluster;
  readonly secret = undefined;
  readonly endpoint: string;
  readonly port = 11211;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id, props);
    const name = this.service.name;
    this.cluster = new elasticache.CfnCacheCluster(this, 'Cache', {
      engine: 'memcached',
      engineVersion: this.datastore.version,
      cacheNodeType: NODE_TYPE,
      numCacheNodes: this.production ? 2 : 1,
      azMode: this.production ? 'cross-az' : 'single-az',
      cacheSubnetGroupName: subnetGroup(this, props, name).ref,
      vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
      port: 11211,
      transitEncryptionEnabled: true,
      autoMinorVersionUpgrade: true,
    });
    this.cluster.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.endpoint = this.cluster.attrConfigurationEndpointAddress;
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-AEC5',
      reason: `Apps written for the compose ${name} service expect port 11211; the group admits only its callers.`,
    });
  }
}
