import { Duration, Validations } from 'aws-cdk-lib';
import * as docdb from 'aws-cdk-lib/aws-docdb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { KEPT_DATABASES, NetworkDatastore, type NetworkDatastoreProps } from './base.js';

/**
 * `mongo` → an Amazon DocumentDB cluster at the API version the model chose: storage encrypted,
 * TLS required (the cluster parameter `tls`), credentials generated into Secrets Manager, isolated
 * subnets, its own security group, 7-day backups (14 in production), audit and profiler logs in
 * CloudWatch. Production runs two instances in two AZs with deletion protection, otherwise one;
 * on stack deletion a final snapshot is taken (`KEPT_DATABASES`).
 */
export class DocumentDatabase extends NetworkDatastore {
  readonly cluster: docdb.DatabaseCluster;
  readonly secret: secretsmanager.ISecret;
  readonly endpoint: string;
  readonly port = 27017;

  constructor(scope: Construct, id: string, props: NetworkDatastoreProps) {
    super(scope, id, props);
    const version = this.datastore.version!;
    this.cluster = new docdb.DatabaseCluster(this, 'Cluster', {
      masterUser: { username: this.datastore.credentials?.username ?? 'app', kmsKey: this.customerKey() },
      engineVersion: `${version}.0`,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
      instances: this.production ? 2 : 1,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroup: this.securityGroup,
      port: 27017,
      storageEncrypted: true,
      parameterGroup: new docdb.ClusterParameterGroup(this, 'Parameters', {
        family: `docdb${version}`,
        description: `${this.service.name}: TLS required, audit log on`,
        parameters: { tls: 'enabled', audit_logs: 'enabled' },
      }),
      backup: { retention: Duration.days(this.production ? 14 : 7) },
      exportAuditLogsToCloudWatch: true,
      exportProfilerLogsToCloudWatch: true,
      deletionProtection: this.production,
      removalPolicy: KEPT_DATABASES,
    });
    this.endpoint = this.cluster.clusterEndpoint.hostname;
    this.secret = this.cluster.secret!;
    const v = Validations.of(this.cluster);
    v.acknowledge({
      id: 'AwsSolutions-DOC3',
      reason:
        'User name and password are {{resolve:secretsmanager}} references to the generated secret; CDK joins them with Fn::Join, which the rule cannot read.',
    });
    for (const log of ['authenticate', 'createIndex', 'dropCollection']) {
      v.acknowledge({
        id: `AwsSolutions-DOC5[LogExport::${log}]`,
        reason:
          'DocumentDB exports only the audit and profiler logs (both on); the audit_logs parameter records authentication and DDL events such as createIndex and dropCollection.',
      });
    }
    v.acknowledge({
      id: 'AwsSolutions-DOC2',
      reason: `Apps written for the compose ${this.service.name} service expect port 27017; the group admits only its callers.`,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the master password needs a rotation Lambda; left to the operator (documented in docs/infrastructure.md).',
    });
  }
}
