import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { ServiceModel } from '../model/types.js';

/**
 * The newest engine version CDK knows for the image's major version (`postgres:16` → 16.x), or
 * for 17 when the tag names none. A full version keeps cfn-lint quiet: major-only versions are
 * flagged as not creatable.
 */
export function postgresVersion(image: string | undefined): rds.PostgresEngineVersion {
  const major = /:(\d+)/.exec(image ?? '')?.[1] ?? '17';
  const versions = rds.PostgresEngineVersion as unknown as Record<string, rds.PostgresEngineVersion>;
  const pick = (m: string) =>
    Object.keys(versions)
      .filter((k) => new RegExp(`^VER_${m}_\\d+$`).test(k))
      .sort((a, b) => Number(a.split('_')[2]) - Number(b.split('_')[2]))
      .pop();
  const key = pick(major) ?? pick('17')!;
  return versions[key]!;
}

export interface PostgresDatabaseProps {
  service: ServiceModel;
  vpc: ec2.IVpc;
  /** The database's security group (created empty by the caller; see security.ts). */
  securityGroup: ec2.SecurityGroup;
  /** Isolated subnets (no route to the internet). */
  subnets: ec2.SubnetSelection;
  /** Production settings: Multi-AZ and deletion protection. Default false. */
  production?: boolean;
}

/**
 * A compose `postgres` service as RDS PostgreSQL: encrypted storage, isolated subnets, a security
 * group with no ingress until callers are wired in, credentials generated into Secrets Manager.
 * Callers get `PGHOST`, `PGPORT`, `PGDATABASE` as variables and `PGUSER`, `PGPASSWORD` as secrets.
 */
export class PostgresDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly port = 5432;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const env = props.service.environment;
    this.databaseName = (env.POSTGRES_DB ?? env.POSTGRES_USER ?? 'app').replace(/[^A-Za-z0-9_]/g, '_');
    const username = (env.POSTGRES_USER ?? 'app').replace(/[^A-Za-z0-9_]/g, '_');
    this.securityGroup = props.securityGroup;
    const production = props.production ?? false;
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: postgresVersion(props.service.image) }),
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [this.securityGroup],
      credentials: rds.Credentials.fromGeneratedSecret(username),
      databaseName: this.databaseName,
      storageEncrypted: true,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      multiAz: production,
      deletionProtection: production,
      backupRetention: Duration.days(7),
      iamAuthentication: true,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
    });
    const v = Validations.of(this.instance);
    v.acknowledge({
      id: 'AwsSolutions-RDS11',
      reason: 'Apps written for the compose postgres service expect 5432; the group admits only its callers.',
    });
    if (!production) {
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

  /** Variables and secrets a caller gets to reach this database. */
  connectionFor(): { environment: Record<string, string>; secrets: Record<string, ecs.Secret> } {
    const secret = this.instance.secret!;
    return {
      environment: {
        PGHOST: this.instance.dbInstanceEndpointAddress,
        PGPORT: String(this.port),
        PGDATABASE: this.databaseName,
      },
      secrets: {
        PGUSER: ecs.Secret.fromSecretsManager(secret, 'username'),
        PGPASSWORD: ecs.Secret.fromSecretsManager(secret, 'password'),
      },
    };
  }
}
