import { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface AppFileSystemProps {
  readonly vpc: ec2.IVpc;
  /** Subnets of the mount targets: the tasks' own (private) subnets. */
  readonly subnets: ec2.SubnetSelection;
  /** The file system's security group, created empty by the caller; mounting services are admitted one by one on 2049. */
  readonly securityGroup: ec2.SecurityGroup;
  /**
   * Production: automatic daily backups (AWS Backup) and retained on stack deletion.
   * @default false
   */
  readonly production?: boolean;
}

/** A persistent volume: its access point and whether anyone mounts it writable. */
export interface PersistentVolume {
  readonly accessPoint: efs.AccessPoint;
  readonly name: string;
}

/**
 * The app's persistent volumes on Amazon EFS: one encrypted file system, one access point per
 * volume (its own root directory, created owned by the uid/gid the model decided, and every
 * client acting as that user), mount targets in the task subnets, a policy that refuses
 * connections without TLS. Access needs IAM authorization: each service's task role is granted
 * mount (and write, unless all its mounts are read-only) through exactly the access points it
 * uses.
 */
export class AppFileSystem extends Construct {
  readonly fileSystem: efs.FileSystem;
  readonly securityGroup: ec2.SecurityGroup;
  readonly volumes = new Map<string, PersistentVolume>();

  constructor(scope: Construct, id: string, props: AppFileSystemProps) {
    super(scope, id);
    this.securityGroup = props.securityGroup;
    const production = props.production ?? false;
    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroup: this.securityGroup,
      encrypted: true,
      enableAutomaticBackups: production,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: efs.ThroughputMode.ELASTIC,
      // CDK's default denial of anonymous access adds an allow-all statement for mount-target
      // clients; the policy below grants nothing and only refuses plain NFS. Access comes from
      // each task role's identity policy (IAM authorization on every mount).
      allowAnonymousAccess: true,
      fileSystemPolicy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['*'],
            conditions: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      }),
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }

  /** The access point of a volume, created on first use with its owner. */
  volume(name: string, owner: { uid: number; gid: number }): PersistentVolume {
    let v = this.volumes.get(name);
    if (!v) {
      const safe = name.replace(/[^A-Za-z0-9_.-]/g, '-');
      const accessPoint = this.fileSystem.addAccessPoint(`Volume-${safe}`, {
        path: `/${safe}`,
        createAcl: { ownerUid: String(owner.uid), ownerGid: String(owner.gid), permissions: '750' },
        posixUser: { uid: String(owner.uid), gid: String(owner.gid) },
      });
      v = { accessPoint, name: safe };
      this.volumes.set(name, v);
    }
    return v;
  }

  /** Let `role` mount `volume` (and write to it unless `readOnly`), through its access point only. */
  grantMount(role: iam.IRole, volume: PersistentVolume, readOnly: boolean): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: readOnly
          ? ['elasticfilesystem:ClientMount']
          : ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: {
          StringEquals: { 'elasticfilesystem:AccessPointArn': volume.accessPoint.accessPointArn },
        },
      }),
    );
  }
}
