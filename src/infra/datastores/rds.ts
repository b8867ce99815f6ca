import { type CfnResource, Duration, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { KEPT_DATABASES, NetworkDatastore, type NetworkDatastoreProps } from './base.js';

/**
 * The newest patch CDK knows of a `major[.minor]` version the model chose (`10.11` → 10.11.x,
 * `16` → 16.x). Not what the templates ask for (see `managedVersion`): it proves aws-cdk-lib
 * knows the version, which test/unit/model/datastores.test.ts checks for every version offered.
 */
export function engineVersion<T>(versions: Record<string, T>, chosen: string): T {
  const prefix = `VER_${chosen.replace(/\./g, '_')}_`;
  const patch = (k: string) => Number(k.slice(prefix.length).split('_')[0]);
  const key = Object.keys(versions)
    .filter((k) => k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length)))
    .sort((a, b) => patch(a) - patch(b))
    .pop();
  if (!key) throw new Error(`internal: aws-cdk-lib knows no engine version ${chosen}`);
  return versions[key]!;
}

/**
 * The version the template asks for: the model's `major[.minor]` (`16`, `8.0`, `10.11`) as it
 * is, the precision RDS keeps. RDS creates the instance at that major's default minor version and
 * auto minor version upgrade keeps it patched; a patch pinned in the template (`8.0.35`) would
 * stop creating new environments once RDS retires it. Both the version and the parameter group
 * family (`postgres16`, `mysql8.0`) come from the same string.
 */
export function managedVersion(chosen: string): { fullVersion: string; majorVersion: string } {
  return { fullVersion: chosen, majorVersion: chosen };
}

/**
 * cfn-lint checks EngineVersion against the full versions DescribeDBEngineVersions lists, which
 * leave out the major-only form RDS accepts on create (E3691 for `8.0`, W3691 for `16`).
 */
function acknowledgeMajorOnlyVersion(instance: rds.DatabaseInstance): void {
  const cfn = instance.node.defaultChild as CfnResource;
  cfn.addMetadata('cfn-lint', { config: { ignore_checks: ['E3691', 'W3691'] } });
}

export interface RdsEngineSettings {
  readonly engine: rds.IInstanceEngine;
  readonly port: number;
  /** The parameter that makes the server refuse unencrypted connections. */
  readonly tlsParameter: Record<string, string>;
  readonly logExports: string[];
  /** Whether the engine offers IAM database authentication. */
  readonly iamAuthentication: boolean;
}

/**
 * A compose database as an RDS instance: encrypted storage, isolated subnets, a security group
 * with no ingress until callers are wired in, credentials generated into Secrets Manager, TLS
 * required (engine parameter), 7-day backups, logs to CloudWatch; production adds Multi-AZ and
 * deletion protection. On stack deletion a final snapshot is taken, then the instance is deleted
 * (`KEPT_DATABASES` says why not retained). Variants say which engine and which parameter requires TLS.
 */
export abstract class RdsDatabase extends NetworkDatastore {
  readonly instance: rds.DatabaseInstance;
  readonly endpoint: string;
  readonly secret: secretsmanager.ISecret;
  readonly port: number;

  /** The engine at the model's version, and how it is set up (a method: variants run before their fields exist). */
  protected abstract engineSettings(version: string): RdsEngineSettings;

  constructor(scope: Construct, id: string, props: NetworkDatastoreProps) {
    super(scope, id, props);
    const credentials = this.datastore.credentials ?? {};
    const settings = this.engineSettings(this.datastore.version!);
    const engine = settings.engine;
    this.port = settings.port;
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      credentials: rds.Credentials.fromGeneratedSecret(credentials.username ?? 'app', {
        encryptionKey: this.customerKey(),
      }),
      databaseName: credentials.database,
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', {
        engine,
        description: `${this.service.name}: TLS required`,
        parameters: settings.tlsParameter,
      }),
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      multiAz: this.production,
      // Enhanced monitoring (OS metrics every minute; CDK creates its role) in production.
      ...(this.production ? { monitoringInterval: Duration.minutes(1) } : {}),
      deletionProtection: this.production,
      backupRetention: Duration.days(this.production ? 14 : 7),
      iamAuthentication: settings.iamAuthentication,
      cloudwatchLogsExports: settings.logExports,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      removalPolicy: KEPT_DATABASES,
    });
    this.endpoint = this.instance.dbInstanceEndpointAddress;
    this.secret = this.instance.secret!;
    acknowledgeMajorOnlyVersion(this.instance);
    this.acknowledge();
  }

  private acknowledge(): void {
    const v = Validations.of(this.instance);
    v.acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: `Apps written for the compose ${this.service.name} service expect port ${this.port}; the group admits only its callers.`,
    });
    if (this.production) {
      v.acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        reason:
          "Enhanced monitoring's role (assumed by RDS only) needs exactly the AWS managed policy made for it: writing the instance's OS metrics to the RDSOSMetrics log group.",
      });
    }
    if (!this.production) {
      v.acknowledge({
        id: 'AwsSolutions-RDS3',
        reason: 'Non-production environments run a single AZ to halve cost; production turns Multi-AZ on.',
      });
      v.acknowledge({
        id: 'AwsSolutions-RDS10',
        reason: 'Non-production databases can be deleted with the stack (a final snapshot is kept).',
      });
    }
    // The generated master secret is the construct `Instance/Secret` (`instance.secret` is its
    // attachment), so acknowledge on this construct, which holds no other secret.
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the master password needs a rotation Lambda; left to the operator (documented in docs/infrastructure.md).',
    });
  }
}

/** `postgres` → RDS for PostgreSQL (`rds.force_ssl`). */
export class PostgresDatabase extends RdsDatabase {
  protected engineSettings(version: string): RdsEngineSettings {
    const v = managedVersion(version);
    return {
      engine: rds.DatabaseInstanceEngine.postgres({
        version: rds.PostgresEngineVersion.of(v.fullVersion, v.majorVersion),
      }),
      port: 5432,
      tlsParameter: { 'rds.force_ssl': '1' },
      logExports: ['postgresql', 'upgrade'],
      iamAuthentication: true,
    };
  }
}

/** `mysql` → RDS for MySQL (`require_secure_transport`). */
export class MysqlDatabase extends RdsDatabase {
  protected engineSettings(version: string): RdsEngineSettings {
    const v = managedVersion(version);
    return {
      engine: rds.DatabaseInstanceEngine.mysql({
        version: rds.MysqlEngineVersion.of(v.fullVersion, v.majorVersion),
      }),
      port: 3306,
      tlsParameter: { require_secure_transport: '1' },
      logExports: ['error', 'slowquery'],
      iamAuthentication: true,
    };
  }
}

/** `mariadb` → RDS for MariaDB (`require_secure_transport`; IAM authentication left off). */
export class MariaDbDatabase extends RdsDatabase {
  protected engineSettings(version: string): RdsEngineSettings {
    const v = managedVersion(version);
    return {
      engine: rds.DatabaseInstanceEngine.mariaDb({
        version: rds.MariaDbEngineVersion.of(v.fullVersion, v.majorVersion),
      }),
      port: 3306,
      tlsParameter: { require_secure_transport: '1' },
      logExports: ['error', 'slowquery'],
      iamAuthentication: false,
    };
  }
}
