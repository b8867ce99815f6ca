import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ConnectionField } from '../../model/types.js';
import { ManagedDatastore, type ManagedDatastoreProps } from './base.js';

/**
 * `minio/minio` (or another S3 stand-in) → the S3 buckets the model lists (`x-shipshape.buckets`,
 * else one `data` bucket): SSE-S3 encryption, all public access blocked, bucket-owner-enforced
 * ownership (no ACLs), a policy that refuses anything but TLS, server access logs to one log
 * bucket, versioning in production. Buckets are always retained on stack deletion: S3 cannot
 * delete a bucket with objects, and emptying it would need a custom resource. Callers' task roles
 * get the model's object actions on these buckets only.
 */
export class ObjectStore extends ManagedDatastore {
  readonly buckets = new Map<string, s3.Bucket>();
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ManagedDatastoreProps) {
    super(scope, id, props);
    // Log delivery through a bucket policy (not the legacy LogDeliveryWrite ACL), so the log
    // bucket can refuse ACLs too; set for this construct only, whatever the app's flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket only receives the data buckets' server access logs; logging access to it would need another bucket, and so on.",
    });
    for (const name of this.datastore.buckets ?? []) {
      this.buckets.set(
        name,
        new s3.Bucket(this, `Bucket-${name}`, {
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          enforceSSL: true,
          versioned: this.production,
          serverAccessLogsBucket: this.accessLogs,
          serverAccessLogsPrefix: `${name}/`,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      );
    }
  }

  protected override textField(field: ConnectionField, name?: string): string | undefined {
    if (field === 'bucket' && name) return this.buckets.get(name)?.bucketName;
    return super.textField(field, name);
  }

  /** `s3:ListBucket` applies to buckets, the object actions to the objects in them. */
  override grantTo(role: iam.IRole, actions: readonly string[]): void {
    const buckets = [...this.buckets.values()];
    const onBucket = actions.filter((a) => a === 's3:ListBucket');
    const onObjects = actions.filter((a) => a !== 's3:ListBucket');
    if (onBucket.length > 0)
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: onBucket, resources: buckets.map((b) => b.bucketArn) }),
      );
    if (onObjects.length === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: onObjects, resources: buckets.map((b) => b.arnForObjects('*')) }),
    );
    // Object actions name objects: `<bucket ARN>/*` is every object of exactly this bucket.
    for (const bucket of buckets) {
      const stack = Stack.of(bucket);
      const logicalId = stack.resolve(stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)) as string;
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/*]`,
        reason: `Object actions need object ARNs; <bucket>/* is the objects of ${this.service.name}'s bucket only, not other buckets.`,
      });
    }
  }
}
